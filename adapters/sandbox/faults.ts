/**
 * Simulated provider faults for the sandbox, kept in Redis so every gateway
 * process sees them: lets admins and tests watch retries, rate limiting and
 * error stanzas without a real provider.
 */
import type { RedisClient } from '../../src/queue/redis.js';
import { PermanentDeliveryError, RateLimitedError, TransientDeliveryError } from '../../src/errors/registry.js';

export const FAULT_MODES = ['none', 'transient', 'permanent', 'rate-limited'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface FaultSetting {
  mode: FaultMode;
  /** How many sends fail before the sandbox works again; absent = until set to 'none'. */
  count?: number;
  /** For 'rate-limited': the delay the simulated provider asks for. */
  retryAfterMs?: number;
}

export class SandboxFaults {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
  ) {}

  async set(setting: FaultSetting): Promise<void> {
    const multi = this.redis.multi().del(this.key, `${this.key}:remaining`);
    if (setting.mode !== 'none') {
      multi.hset(this.key, { mode: setting.mode, retryAfterMs: String(setting.retryAfterMs ?? 1000) });
      if (setting.count !== undefined) multi.set(`${this.key}:remaining`, String(setting.count));
    }
    await multi.exec();
  }

  /** Throws the configured fault for this send, if any. */
  async apply(): Promise<void> {
    const [mode, retryAfter] = await this.redis.hmget(this.key, 'mode', 'retryAfterMs');
    if (mode === null || mode === 'none') return;
    if ((await this.redis.exists(`${this.key}:remaining`)) === 1) {
      const left = await this.redis.decr(`${this.key}:remaining`);
      if (left < 0) return;
    }
    switch (mode as FaultMode) {
      case 'transient':
        throw new TransientDeliveryError('sandbox: simulated provider outage (HTTP 503)');
      case 'permanent':
        throw new PermanentDeliveryError('sandbox: simulated rejection, the recipient cannot receive messages');
      case 'rate-limited':
        throw new RateLimitedError('sandbox: simulated rate limit (HTTP 429)', Number(retryAfter ?? 1000));
      default:
        return;
    }
  }
}
