/**
 * Abuse limits kept in Redis so they hold across processes and restarts:
 * a per-user daily cap, and a per-number send rate.
 */
import type { Redis } from 'ioredis';
import { stored } from './unavailable.js';

/** Messages per user per UTC day. */
export class DailyCap {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly componentDomain: string,
    readonly limit: number,
  ) {}

  private key(user: string, now: number): string {
    return `${this.prefix}:daily:${this.componentDomain}:${new Date(now).toISOString().slice(0, 10)}:${user.toLowerCase()}`;
  }

  /** Counts one message; returns false (and counts nothing) when the user is at the cap. */
  async take(user: string, now = Date.now()): Promise<boolean> {
    if (this.limit <= 0) return true;
    const key = this.key(user, now);
    const results = await stored(this.redis.multi().incr(key).expire(key, 2 * 24 * 3600).exec());
    const count = Number(results?.[0]?.[1] ?? 0);
    if (count <= this.limit) return true;
    await this.redis.decr(key);
    return false;
  }

  /** Gives back a message counted by take() that was not sent after all (duplicate, not stored). */
  async giveBack(user: string, now = Date.now()): Promise<void> {
    if (this.limit <= 0) return;
    await this.redis.decr(this.key(user, now));
  }
}

/**
 * At most `perSecond` sends from one gateway number: returns 0 and books the
 * slot when the number may send now, else how many ms to wait (nothing
 * booked). One Lua call, atomic across workers.
 */
const PACE = `
local now, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nextAt > now then return nextAt - now end
redis.call('SET', KEYS[1], tostring(now + interval), 'PX', math.ceil(interval) + 1000)
return 0
`;

export class NumberPacer {
  private readonly intervalMs: number;
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly componentDomain: string,
    perSecond: number,
  ) {
    this.intervalMs = 1000 / perSecond;
  }

  async wait(number: string, now = Date.now()): Promise<number> {
    const key = `${this.prefix}:pace:${this.componentDomain}:${number}`;
    return Number(await this.redis.eval(PACE, 1, key, String(now), String(this.intervalMs)));
  }
}
