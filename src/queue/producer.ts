/**
 * Puts jobs into Redis. A stanza or webhook counts as accepted only once its
 * job is stored here; when Redis cannot take it, callers get
 * GatewayError(QUEUE_UNAVAILABLE) at once.
 */
import { randomBytes } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from './redis.js';
import type { OutboundMessage } from '../../adapters/types.js';
import { GatewayError } from '../errors/registry.js';
import type { ConversationOrder } from '../store/conversation-order.js';
import { PACING_SLACK_MS } from '../store/limits.js';
import type { InboundJob } from './jobs.js';
import { storeOutbound, type OutboundJobData } from './stored-job.js';
import { inboundQueueName, outboundQueueName } from './names.js';
import { neverSent, waitReady } from './redis.js';
import { luaScript, runScript } from '../store/lua.js';

/** How long an add may take before the sender is told to retry. */
const ADD_TIMEOUT_MS = 2000;

/**
 * How long an add whose outcome is unknown (sent, then the connection went)
 * waits for Redis to come back and say whether the job is there.
 */
const UNKNOWN_OUTCOME_PATIENCE_MS = 5000;

// Job options are stored with every job, so they are kept short: how long finished jobs are
// kept (which is also how long an id is recognised as a duplicate) is set on the workers.
const OUTBOUND_OPTS: JobsOptions = {
  attempts: 1e9, // the worker gives up by age, not by count
  backoff: { type: 'gateway' },
};

const INBOUND_OPTS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
};

/**
 * Completed outbound jobs are kept an hour so a retransmitted stanza is recognised as a duplicate.
 * Failed ones (every delivery given up on) are kept a week for admins to list and retry, at most
 * 20,000 per component: a failed SMS job takes ~900 bytes of Redis (measured, error and stack
 * trace included), so a provider refusing everything costs at most ~18 MB per component.
 */
export const OUTBOUND_KEEP = { removeOnComplete: { age: 3600, count: 20_000 }, removeOnFail: { age: 7 * 24 * 3600, count: 20_000 } };
/** Providers retry webhooks for hours; inbound ids are kept a day so a late retry is still a duplicate. */
/** How long an inbound id is remembered (Twilio retries within minutes; its webhooks carry no timestamp). */
export const INBOUND_DEDUPE_SECONDS = 48 * 3600;
export const INBOUND_KEEP = { removeOnComplete: { age: 24 * 3600, count: 50_000 }, removeOnFail: { age: 7 * 24 * 3600 } };

/**
 * BullMQ's event stream (for QueueEvents, which the gateway does not use) keeps 10,000 entries
 * by default: a few hundred bytes per queued message. A short one is enough for dashboards.
 */
const STREAMS = { events: { maxLen: 500 } };

/**
 * The producer's queues share its connection and do no I/O of their own on
 * creation. By default a BullMQ queue waits for the connection to be ready and
 * reads the Redis version; a queue closed before Redis ever answered (a
 * gateway stopped during an outage) later reported that wait's failure on an
 * emitter whose listeners close() had removed: an unhandled rejection. With
 * commands auto-pipelined (as they were until a4c13e5) it happened every time (test/integration/http.test.ts,
 * Redis down). The version is still checked, by the workers' own connections.
 */
const NO_INIT_IO = { skipWaitingForReady: true, skipVersionCheck: true };

export type EnqueueOutcome = 'queued' | 'duplicate';

/**
 * Undoes an inbound claim whose answer was lost. KEYS: 1 the dedupe marker, 2 the job's hash,
 * 3 the conversation's set (the marker again when the job has none). ARGV: 1 the claim's token,
 * 2 the job id. Only when the marker still holds this claim's token and the job was never added:
 * deletes the marker and takes the job out of its conversation. Returns 1 when it undid the claim.
 */
const UNDO_CLAIM = luaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('DEL', KEYS[1])
if KEYS[3] ~= KEYS[1] then redis.call('ZREM', KEYS[3], ARGV[2]) end
return 1
`);

export class QueueProducer {
  private readonly outbound = new Map<string, Queue<OutboundJobData>>();
  private readonly inbound = new Map<string, Queue<InboundJob>>();
  /** Adds in progress by job key: a second add of the same id waits for the first, so it is told `duplicate`. */
  private readonly adding = new Map<string, Promise<EnqueueOutcome>>();
  /**
   * Inbound claims' tokens: this producer's random prefix and a count, unique across processes and
   * restarts without a call to the random source per webhook (randomBytes took 2% of the inbound bench).
   */
  private readonly claimPrefix = randomBytes(6).toString('base64url');
  private claims = 0;

  constructor(
    private readonly connection: RedisClient,
    private readonly prefix: string,
    domains: readonly string[],
    /** Where inbound messages take their place in their conversation, so they are delivered in order. */
    private readonly order?: ConversationOrder,
  ) {
    for (const d of domains) {
      this.outbound.set(d, this.watch(new Queue<OutboundJobData>(outboundQueueName(d), { connection, prefix, streams: STREAMS, ...NO_INIT_IO })));
      this.inbound.set(d, this.watch(new Queue<InboundJob>(inboundQueueName(d), { connection, prefix, streams: STREAMS, ...NO_INIT_IO })));
    }
  }

  /** Connection errors surface on each add as QUEUE_UNAVAILABLE; an unheard 'error' event would end the process. */
  private watch<T>(queue: Queue<T>): Queue<T> {
    queue.on('error', () => undefined);
    return queue;
  }

  outboundQueue(domain: string): Queue<OutboundJobData> {
    return pick(this.outbound, domain);
  }

  inboundQueue(domain: string): Queue<InboundJob> {
    return pick(this.inbound, domain);
  }

  async enqueueOutbound(message: OutboundMessage): Promise<EnqueueOutcome> {
    // A message paced to a later slot waits in BullMQ's delayed set until then; one due within the
    // slack goes to the waiting list (at a high per-number rate, nearly every slot is a moment ahead).
    const delay = message.paced === undefined ? 0 : message.paced.slot - Date.now();
    const opts = delay > PACING_SLACK_MS ? { ...OUTBOUND_OPTS, delay } : OUTBOUND_OPTS;
    // Stored slim (src/queue/stored-job.ts): less Redis per queued message.
    return this.add(this.outboundQueue(message.componentDomain), message.id, storeOutbound(message), opts);
  }

  /**
   * Stores an inbound job once per id for INBOUND_DEDUPE_SECONDS, however
   * many newer jobs have pushed it out of BullMQ's completed list: a marker
   * key is set first (NX), and only its setter adds the job. Twilio's
   * signature has no timestamp, so a retried or replayed webhook is caught
   * only this way once its job is gone.
   */
  async enqueueInbound(domain: string, jobId: string, job: InboundJob): Promise<EnqueueOutcome> {
    const queue = this.inboundQueue(domain);
    const marker = `${this.prefix}:seen:${queue.name}:${jobId}`;
    // A message takes its place in its conversation in the same script that sets its marker, before
    // its job exists, so no worker can see the job unplaced; a known message is neither placed nor added.
    const conversation = job.type === 'message' && this.order !== undefined ? { order: this.order, from: job.from, to: job.to } : undefined;
    // The marker holds this call's token, so an answer lost on the way back can be told apart later.
    const token = `${this.claimPrefix}${(++this.claims).toString(36)}`;
    let first: boolean;
    try {
      first = await withTimeout(
        conversation === undefined
          ? this.connection.set(marker, token, 'EX', INBOUND_DEDUPE_SECONDS, 'NX').then((set) => set !== null)
          : conversation.order.recordIfFirst(marker, token, INBOUND_DEDUPE_SECONDS, queue.name, conversation.from, conversation.to, jobId),
        ADD_TIMEOUT_MS,
      );
    } catch (err) {
      // The claim may have run with its answer lost (a timeout, a dropped connection): its marker would
      // then answer the sender's retry as a duplicate of a message that was never stored. Undone first.
      if (!neverSent(err)) {
        const place = conversation === undefined ? marker : conversation.order.key(queue.name, conversation.from, conversation.to);
        await this.undoClaim([marker, `${this.prefix}:${queue.name}:${jobId}`, place], [token, jobId]);
      }
      throw new GatewayError('QUEUE_UNAVAILABLE', 'the gateway cannot store messages right now, try again shortly', { cause: err });
    }
    if (!first) return 'duplicate';
    try {
      // The marker was unset, so the id is new: no EXISTS is asked. (Only a job kept failed past the
      // marker's 48 h could still exist; BullMQ ignores that add and it is counted as queued.)
      return await this.add(queue, jobId, job, INBOUND_OPTS, true);
    } catch (err) {
      // Not stored: the sender's retry must be able to store it, and no later message may wait for it.
      await this.connection.del(marker).catch(() => undefined);
      await conversation?.order.forget(queue.name, conversation.from, conversation.to, jobId).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Runs UNDO_CLAIM once Redis answers again. Sent on the same connection as the claim, it runs after
   * it whenever the claim did. When Redis stays away longer, the marker may remain and the message's
   * retries are answered as duplicates for its 48 h: nothing can be undone without Redis (what is
   * left of this gap).
   */
  private async undoClaim(keys: string[], args: string[]): Promise<void> {
    await this.onceRedisAnswers(() => runScript(this.connection, UNDO_CLAIM, keys, args));
  }

  /**
   * Stores a job unless its id is known. Adds of one id run one after the
   * other: two at once both saw no job before either was stored, and a
   * retransmission counted as new (metrics, the daily cap).
   */
  private async add<T>(queue: Queue<T>, jobId: string, data: T, opts: JobsOptions, knownNew = false): Promise<EnqueueOutcome> {
    const key = `${queue.name}:${jobId}`;
    const earlier = this.adding.get(key);
    const mine = (earlier ?? Promise.resolve()).catch(() => undefined).then(() => this.addOnce(queue, jobId, data, opts, knownNew));
    this.adding.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.adding.get(key) === mine) this.adding.delete(key);
    }
  }

  /** `knownNew`: the caller knows the id is not stored (a dedupe marker it just set), so no EXISTS is asked. */
  private async addOnce<T>(queue: Queue<T>, jobId: string, data: T, opts: JobsOptions, knownNew: boolean): Promise<EnqueueOutcome> {
    try {
      return await withTimeout(
        (async () => {
          if (knownNew) {
            await (queue as Queue).add('m', data, { ...opts, jobId });
            return 'queued';
          }
          // BullMQ ignores an add whose id exists; the EXISTS, sent just before the add on the same
          // connection, only serves logs and metrics, and costs no extra round trip.
          const [existed] = await Promise.all([
            this.connection.exists(`${this.prefix}:${queue.name}:${jobId}`),
            // BullMQ's generics make the name parameter a conditional type; the cast keeps ours simple.
            (queue as Queue).add('m', data, { ...opts, jobId }),
          ]);
          return existed === 1 ? 'duplicate' : 'queued';
        })(),
        ADD_TIMEOUT_MS,
      );
    } catch (err) {
      // An add that reached Redis and lost its reply with the connection may have stored the job
      // (test/chaos: Redis stopped mid-burst): refusing it would tell the sender it failed while it
      // goes out. Once Redis is back, the job's presence says which it was.
      if (!neverSent(err) && (await this.storedAfterAll(queue, jobId))) return 'queued';
      throw new GatewayError('QUEUE_UNAVAILABLE', 'the gateway cannot store messages right now, try again shortly', {
        cause: err,
      });
    }
  }

  /** Whether the job is in Redis after all, asked once Redis answers again; false when it does not answer in time. */
  private async storedAfterAll<T>(queue: Queue<T>, jobId: string): Promise<boolean> {
    return (await this.onceRedisAnswers(async () => (await this.connection.exists(`${this.prefix}:${queue.name}:${jobId}`)) === 1)) ?? false;
  }

  /**
   * `op` once the connection is ready again (an outcome left unknown by a lost answer is settled
   * then), within UNKNOWN_OUTCOME_PATIENCE_MS in all; undefined when Redis does not answer in time.
   */
  private async onceRedisAnswers<R>(op: () => Promise<R>): Promise<R | undefined> {
    try {
      return await withTimeout(
        (async () => {
          await waitReady(this.connection, UNKNOWN_OUTCOME_PATIENCE_MS);
          return await op();
        })(),
        UNKNOWN_OUTCOME_PATIENCE_MS,
      );
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.outbound.values(), ...this.inbound.values()].map((q) => q.close()));
  }
}

function pick<V>(map: Map<string, V>, domain: string): V {
  const v = map.get(domain);
  if (v === undefined) throw new GatewayError('NOT_FOUND', `no component ${domain}`);
  return v;
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
