/**
 * A lease in Redis that one process of a group holds at a time, with a
 * fencing token: every acquisition gets the next number, and only the holder
 * with the current token can extend or release it.
 *
 * One hash per lease (`holder`, `fence`, `expiresAt`), read and written by
 * scripts that take the time from Redis itself (TIME), so no two clocks are
 * compared and every script touches one key: safe in Redis Cluster whatever
 * the prefix (no CROSSSLOT). The key has no TTL, so the counter survives the
 * lease's expiry and a token is never handed out twice.
 * https://redis.io/docs/latest/develop/use/patterns/distributed-locks/
 */
import type { RedisClient } from '../queue/redis.js';
import { luaScript, runScript } from './lua.js';

/** Redis time in ms, and the lease's fields. */
const READ = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local f = redis.call('HMGET', KEYS[1], 'holder', 'fence', 'expiresAt')
local holder, fence, expiresAt = f[1] or '', tonumber(f[2]) or 0, tonumber(f[3]) or 0
`;

/** ARGV: holder, ttlMs -> {1, fence, ttlMs} taken; {0, holder, fence, msLeft} held by another. */
const ACQUIRE = luaScript(`${READ}
if holder ~= '' and holder ~= ARGV[1] and expiresAt > now then
  return {0, holder, fence, expiresAt - now}
end
fence = fence + 1
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'fence', fence, 'expiresAt', now + tonumber(ARGV[2]))
return {1, ARGV[1], fence, tonumber(ARGV[2])}
`);

/** ARGV: holder, fence, ttlMs -> 1 extended; 0 expired, released, or taken since. */
const EXTEND = luaScript(`${READ}
if holder ~= ARGV[1] or fence ~= tonumber(ARGV[2]) or expiresAt <= now then return 0 end
redis.call('HSET', KEYS[1], 'expiresAt', now + tonumber(ARGV[3]))
return 1
`);

/** ARGV: holder, fence -> 1 released; 0 it was not ours any more. */
const RELEASE = luaScript(`${READ}
if holder ~= ARGV[1] or fence ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'holder', '', 'expiresAt', 0)
return 1
`);

export type AcquireResult = { acquired: true; fence: number } | { acquired: false; holder: string; fence: number; msLeft: number };

/** One named lease under the gateway's Redis prefix, e.g. `xgw:lease:component`. */
export class LeaseStore {
  readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    name: string,
  ) {
    this.key = `${prefix}:lease:${name}`;
  }

  /** Takes the lease for `ttlMs` unless another holder's is still running; each success gets a new fencing token. */
  async acquire(holder: string, ttlMs: number): Promise<AcquireResult> {
    const [taken, who, fence, ms] = (await runScript(this.redis, ACQUIRE, [this.key], [holder, String(ttlMs)])) as [number, string, number, number];
    return taken === 1 ? { acquired: true, fence: Number(fence) } : { acquired: false, holder: who, fence: Number(fence), msLeft: Number(ms) };
  }

  /** Extends the lease by `ttlMs` from now, only while `holder` still holds it with `fence` and it has not run out. */
  async extend(holder: string, fence: number, ttlMs: number): Promise<boolean> {
    return (await runScript(this.redis, EXTEND, [this.key], [holder, String(fence), String(ttlMs)])) === 1;
  }

  /** Gives the lease up so another process need not wait for it to run out; false when it was no longer ours. */
  async release(holder: string, fence: number): Promise<boolean> {
    return (await runScript(this.redis, RELEASE, [this.key], [holder, String(fence)])) === 1;
  }
}
