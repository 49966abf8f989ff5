/**
 * Keeps the messages of one conversation (one foreign sender to one local
 * recipient) in the order the network handed them over, however many inbound
 * jobs are in flight and whatever retries do to the queue's order.
 *
 * Each message job is recorded, when it is stored, in a sorted set per
 * conversation with a rising sequence number; it leaves the set once the XMPP
 * server has confirmed its stanza. Before a job's stanza is written, the jobs
 * recorded before it must be done, or written ahead of it by this process
 * (the one that holds the XMPP connection, where the server reads them in
 * stream order). A predecessor whose job is gone or finished (completed, or
 * failed for good) no longer holds anyone up and is dropped from the set.
 *
 * A job that cannot go yet is put back for a moment (to-xmpp.ts). After a
 * disruption (a reconnect, retries) a long conversation's jobs are all put
 * back, each on its own timer, and would then go one per recheck; so a job
 * that was itself held up wakes the delayed jobs right behind it, in order,
 * as it is written (`delayedSuccessors`).
 */
import type { RedisClient } from '../queue/redis.js';
import { luaScript, runScript } from './lua.js';
import { stored } from './unavailable.js';

/** An idle conversation's set expires after this (as long as failed jobs are kept). */
const IDLE_SECONDS = 7 * 24 * 3600;

/**
 * KEYS: 1 the set, 2 its sequence, 3 the message's dedupe marker. ARGV: 1 job id, 2 TTL (s), 3 marker TTL (s),
 * 4 the marker's value. Sets the marker if it is not set and then records the job as the latest of the
 * conversation, with the next sequence number (returns 1); returns 0, recording nothing, when the marker
 * was set already (the message was stored before).
 */
const RECORD_IF_FIRST = luaScript(`
if not redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[3], 'NX') then return 0 end
local n = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], 'NX', n, ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
`);

/**
 * KEYS: 1 the set. ARGV: 1 job id, 2 the job hash key prefix.
 * Returns the ids recorded before the job whose jobs still run (neither gone
 * nor finished), oldest first; the others are removed from the set.
 */
const PREDECESSORS = luaScript(`
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if not rank or rank == 0 then return {} end
local live = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, rank - 1)) do
  local job = ARGV[2] .. id
  if redis.call('EXISTS', job) == 0 or redis.call('HEXISTS', job, 'finishedOn') == 1 then
    redis.call('ZREM', KEYS[1], id)
  else
    table.insert(live, id)
  end
end
return live
`);

/**
 * KEYS: 1 the set. ARGV: 1 job id, 2 the queue's delayed set key, 3 how many.
 * Returns, of the `how many` ids recorded right after the job, those whose
 * jobs wait in the delayed set (put back to wait their turn), in order.
 */
const DELAYED_SUCCESSORS = luaScript(`
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if not rank then return {} end
local delayed = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], rank + 1, rank + tonumber(ARGV[3]))) do
  if redis.call('ZSCORE', ARGV[2], id) then table.insert(delayed, id) end
end
return delayed
`);

export class ConversationOrder {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** The conversation's sorted set. */
  key(queueName: string, from: string, to: string): string {
    return `${this.prefix}:order:${queueName}:${to}:${from}`;
  }

  /**
   * Sets the message's dedupe marker (`marker` = `token`, kept `markerSeconds`) and, only if this call
   * set it, records the job of the conversation `from` -> `to` as the latest one, before the job itself
   * is added: one script, so a message is either new and placed, or known and left alone. Resolves
   * whether it was new.
   */
  async recordIfFirst(marker: string, token: string, markerSeconds: number, queueName: string, from: string, to: string, jobId: string): Promise<boolean> {
    const key = this.key(queueName, from, to);
    const set = await stored(runScript(this.redis, RECORD_IF_FIRST, [key, `${key}:seq`, marker], [jobId, String(IDLE_SECONDS), String(markerSeconds), token]));
    return set === 1;
  }

  /** The job is done (its stanza confirmed) or was never stored. */
  async forget(queueName: string, from: string, to: string, jobId: string): Promise<void> {
    await stored(this.redis.zrem(this.key(queueName, from, to), jobId));
  }

  /** Of the `count` jobs recorded right after `jobId`, those in the queue's delayed set, oldest first. */
  async delayedSuccessors(queueName: string, from: string, to: string, jobId: string, count: number): Promise<string[]> {
    const found = await stored(runScript(this.redis, DELAYED_SUCCESSORS, [this.key(queueName, from, to)], [jobId, `${this.prefix}:${queueName}:delayed`, String(count)]));
    return found as string[];
  }

  /** Jobs of the conversation recorded before `jobId` that still run, oldest first; [] for a job never recorded. */
  async predecessors(queueName: string, from: string, to: string, jobId: string): Promise<string[]> {
    const found = await stored(runScript(this.redis, PREDECESSORS, [this.key(queueName, from, to)], [jobId, `${this.prefix}:${queueName}:`]));
    return found as string[];
  }
}
