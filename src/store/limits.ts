/**
 * Abuse limits kept in Redis so they hold across processes and restarts:
 * a per-user daily cap, a per-sender rate, and a per-number send rate.
 */
import type { RedisClient } from '../queue/redis.js';
import { luaScript, runScript } from './lua.js';
import { stored } from './unavailable.js';

/** A day's counter outlives its day, for the users a few time zones away who ask about it. */
export const DAILY_TTL_SECONDS = 2 * 24 * 3600;

/**
 * Units per user per UTC day: messages, or what the network bills (SMS
 * segments). `kind` names the counter, so one store keeps several (daily
 * sends, number claims).
 */
export class DailyCap {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly componentDomain: string,
    readonly limit: number,
    private readonly kind = 'daily',
  ) {}

  /** The counter of `user` on the UTC day of `now`. */
  key(user: string, now: number): string {
    return `${this.prefix}:${this.kind}:${this.componentDomain}:${new Date(now).toISOString().slice(0, 10)}:${user.toLowerCase()}`;
  }

  /** Counts `units`; returns false (and counts nothing) when they would take the user over the cap. */
  async take(user: string, now = Date.now(), units = 1): Promise<boolean> {
    if (this.limit <= 0) return true;
    const key = this.key(user, now);
    const results = await stored(this.redis.multi().incrby(key, units).expire(key, DAILY_TTL_SECONDS).exec());
    const count = Number(results?.[0]?.[1] ?? 0);
    if (count <= this.limit) return true;
    await this.redis.decrby(key, units);
    return false;
  }

  /** Gives back units counted by take() that were not spent after all (duplicate, not stored). */
  async giveBack(user: string, now = Date.now(), units = 1): Promise<void> {
    if (this.limit <= 0) return;
    await this.redis.decrby(this.key(user, now), units);
  }
}

/**
 * At most `perSecond` sends from one gateway number. Each send books the next
 * free slot (`slot = max(now, next); next = slot + interval`), so a burst is
 * spread out in the order it was booked and each job waits exactly once. One
 * Lua call, atomic across workers.
 */
export const BOOK_FN = `
local function book_slot(key, now, interval)
  local nextAt = tonumber(redis.call('GET', key) or '0')
  local slot = math.max(now, nextAt)
  redis.call('SET', key, tostring(slot + interval), 'PX', math.ceil(slot + interval - now) + 1000)
  return slot
end
`;
const BOOK = luaScript(`${BOOK_FN}
return tostring(book_slot(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])))
`);

/**
 * A slot at most this far ahead is taken as now: the job goes straight to the
 * waiting list instead of BullMQ's delayed set (a sorted-set entry per job, a
 * promotion to move it back), and is sent up to this much early.
 */
export const PACING_SLACK_MS = 5;

export class NumberPacer {
  readonly intervalMs: number;
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly componentDomain: string,
    perSecond: number,
  ) {
    this.intervalMs = 1000 / perSecond;
  }

  /** The slot key of a number is this plus the number. */
  keyPrefix(): string {
    return `${this.prefix}:pace:${this.componentDomain}:`;
  }

  /** Books the next slot for `number`; returns its time (ms since epoch), `now` when the number is free. */
  async book(number: string, now = Date.now()): Promise<number> {
    const key = this.keyPrefix() + number;
    return Number(await stored(runScript(this.redis, BOOK, [key], [String(now), String(this.intervalMs)])));
  }
}

/**
 * A token bucket per sender: `perSecond` sustained, `burst` at once, in the
 * network's unit (a message, an SMS segment; a cost above the burst takes a
 * full bucket). Keeps
 * one user's flood from delaying everyone else's messages in the shared
 * queue; refused messages are told when to try again.
 */
export const TAKE_FN = `
local function take_tokens(key, rate, burst, now, units)
  local cost = math.min(units or 1, burst)
  local data = redis.call('HMGET', key, 't', 'ts')
  local tokens = tonumber(data[1]) or burst
  local ts = tonumber(data[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) / 1000 * rate)
  if tokens < cost then return math.ceil((cost - tokens) / rate * 1000) end
  redis.call('HSET', key, 't', tostring(tokens - cost), 'ts', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
  return 0
end
`;
const TAKE = luaScript(`${TAKE_FN}
return take_tokens(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
`);

export class SenderBucket {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly componentDomain: string,
    readonly perSecond: number,
    readonly burst: number,
  ) {}

  /** Takes `units` tokens; returns 0, or how many ms until the sender may send them. */
  /** The bucket of `sender`. */
  key(sender: string): string {
    return `${this.prefix}:bucket:${this.componentDomain}:${sender.toLowerCase()}`;
  }

  async take(sender: string, now = Date.now(), units = 1): Promise<number> {
    const key = this.key(sender);
    return Number(await stored(runScript(this.redis, TAKE, [key], [String(this.perSecond), String(this.burst), String(now), String(units)])));
  }
}
