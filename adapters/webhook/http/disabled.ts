/**
 * Endpoints turned off because they answered 410 Gone (Standard Webhooks:
 * the receiver asks to stop). Kept in Redis so every worker process sees it;
 * an admin re-enables one with `POST /admin/components/<domain>/endpoints/<name>/enable`.
 */
import type { RedisClient } from '../../../src/queue/redis.js';

export interface DisabledEndpoint {
  /** ISO time it was disabled. */
  since: string;
  reason: string;
}

export class DisabledEndpoints {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
  ) {}

  async get(name: string): Promise<DisabledEndpoint | undefined> {
    const raw = await this.redis.hget(this.key, name);
    return raw === null ? undefined : (JSON.parse(raw) as DisabledEndpoint);
  }

  async all(): Promise<Record<string, DisabledEndpoint>> {
    const raw = await this.redis.hgetall(this.key);
    return Object.fromEntries(Object.entries(raw).map(([name, v]) => [name, JSON.parse(v) as DisabledEndpoint]));
  }

  async disable(name: string, reason: string, now = new Date()): Promise<DisabledEndpoint> {
    const entry: DisabledEndpoint = { since: now.toISOString(), reason };
    await this.redis.hset(this.key, name, JSON.stringify(entry));
    return entry;
  }

  /** Resolves true when it was disabled. */
  async enable(name: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, name)) > 0;
  }
}
