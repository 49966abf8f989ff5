/**
 * The sender checks that live in Redis, run as one Lua call per message: the
 * sender's own address (their gateway number), the rate bucket, the daily cap
 * and the send-slot booking. Separately they cost up to five awaited round
 * trips before the message could even be stored; together, one.
 *
 * Same rules and the same order as the separate stores (`limits.ts`,
 * `ownership.ts`), which stay for the callers that need one of them:
 * no address (when one is required) refuses before anything is counted; a
 * rate refusal counts nothing; a cap refusal leaves the rate tokens spent, as
 * a refused attempt; a slot is booked only for a message that passed.
 *
 * The pacing key is named inside the script (it depends on the address the
 * script reads), which a single Redis or a Sentinel setup allows and Redis
 * Cluster would not; the gateway does not run on Cluster.
 */
import type { RedisClient } from '../queue/redis.js';
import { DAILY_TTL_SECONDS, BOOK_FN, TAKE_FN, type DailyCap, type NumberPacer, type SenderBucket } from './limits.js';
import { luaScript, runScript } from './lua.js';
import { stored } from './unavailable.js';

/**
 * KEYS: 1 owner -> address hash ('' when the network has none), 2 bucket, 3 daily counter.
 * ARGV: 1 owner (lower-cased bare JID), 2 '1' if an address is required, 3 now (ms), 4 units,
 * 5 rate per second ('' for none), 6 burst, 7 daily limit ('0' for none), 8 counter TTL (s),
 * 9 slot key prefix ('' for no pacing), 10 slot interval (ms).
 * Returns { verdict, address ('' for none), value }: ok (value: the slot, or ''),
 * unregistered, rate (value: ms to wait), cap.
 */
const CHECK = luaScript(`${TAKE_FN}${BOOK_FN}
local now, units = tonumber(ARGV[3]), tonumber(ARGV[4])
local from = false
if KEYS[1] ~= '' then from = redis.call('HGET', KEYS[1], ARGV[1]) end
if not from and ARGV[2] == '1' then return {'unregistered', '', ''} end
local address = from or ''
if ARGV[5] ~= '' then
  local wait = take_tokens(KEYS[2], tonumber(ARGV[5]), tonumber(ARGV[6]), now, units)
  if wait > 0 then return {'rate', address, tostring(wait)} end
end
local limit = tonumber(ARGV[7])
if limit > 0 then
  local count = redis.call('INCRBY', KEYS[3], units)
  redis.call('EXPIRE', KEYS[3], ARGV[8])
  if count > limit then
    redis.call('DECRBY', KEYS[3], units)
    return {'cap', address, ''}
  end
end
if ARGV[9] ~= '' and from then
  return {'ok', address, tostring(book_slot(ARGV[9] .. from, now, tonumber(ARGV[10])))}
end
return {'ok', address, ''}
`);

export interface SenderGateParts {
  /** The owner -> address hash of the network's ownership store, where it has one. */
  ownersKey?: string;
  /** Refuse senders without an address. */
  requireAddress: boolean;
  bucket?: SenderBucket;
  cap?: DailyCap;
  pacer?: NumberPacer;
}

export type GateVerdict =
  | { verdict: 'ok'; from?: string; slot?: number }
  | { verdict: 'unregistered' }
  | { verdict: 'rate'; from?: string; waitMs: number }
  | { verdict: 'cap'; from?: string };

export class SenderGate {
  constructor(
    private readonly redis: RedisClient,
    private readonly parts: SenderGateParts,
  ) {}

  /** Runs every check for one message from `sender` (a bare JID) costing `units`. */
  async check(sender: string, now: number, units: number): Promise<GateVerdict> {
    const { ownersKey, requireAddress, bucket, cap, pacer } = this.parts;
    const owner = sender.toLowerCase();
    const [verdict, address, value] = (await stored(
      runScript(this.redis, CHECK, [ownersKey ?? '', bucket?.key(owner) ?? '', cap?.key(owner, now) ?? ''], [
        owner,
        requireAddress ? '1' : '0',
        String(now),
        String(units),
        bucket === undefined ? '' : String(bucket.perSecond),
        String(bucket?.burst ?? 0),
        String(cap?.limit ?? 0),
        String(DAILY_TTL_SECONDS),
        pacer?.keyPrefix() ?? '',
        String(pacer?.intervalMs ?? 0),
      ]),
    )) as [string, string, string];
    const from = address === '' ? {} : { from: address };
    switch (verdict) {
      case 'unregistered':
        return { verdict };
      case 'rate':
        return { verdict, ...from, waitMs: Number(value) };
      case 'cap':
        return { verdict, ...from };
      default:
        return { verdict: 'ok', ...from, ...(value === '' ? {} : { slot: Number(value) }) };
    }
  }
}
