/**
 * BullMQ workers: outbound (any process) and inbound (only where the XMPP
 * connection lives; paused while it is down). They run the processors they
 * are given (`bridge/delivery.ts`, `component/to-xmpp.ts`), so the queue
 * knows nothing of either side.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Cluster, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { OutboundJobData } from './stored-job.js';
import type { InboundJob } from './jobs.js';
import { inboundQueueName, outboundQueueName } from './names.js';
import { INBOUND_KEEP, OUTBOUND_KEEP } from './producer.js';
import { batchRedisWrites, workerConnection } from './redis.js';

/**
 * Jobs of a process that died are taken over after at most lockDuration +
 * stalledInterval (BullMQ's defaults, 30 s + 30 s, left a killed gateway's
 * in-flight messages waiting a minute or more; test/chaos measured it).
 */
const LOCKS = { lockDuration: 15_000, stalledInterval: 5_000 };

/**
 * A worker limiter so high it never slows delivery down; it exists so that
 * `worker.rateLimit(ms)` takes effect (BullMQ's moveToActive checks the
 * limiter key only when `limiter.max` is set).
 */
const NEVER_BINDING_LIMITER = { max: 1_000_000, duration: 1000 };

/**
 * Thrown by an outbound processor that gave up on a message and has already
 * told its sender (the error stanza is queued): BullMQ moves the job to its
 * failed set, where operators list and retry it (src/queue/inspect.ts), and
 * the worker does not tell the sender a second time.
 */
export class SenderToldOfFailure extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = 'SenderToldOfFailure';
  }
}

export interface WorkerBase {
  redisUrl: string;
  prefix: string;
  logger: Logger;
}

/** What a worker runs for each job; BullMQ's signature. */
export type Processor<T, R> = (job: Job<T>, token?: string) => Promise<R>;

export interface OutboundWorkerOptions<R> {
  domain: string;
  /** Built with the worker at hand (a processor may pause it for a provider's rate limit). */
  processor(worker: () => Worker<OutboundJobData>): Processor<OutboundJobData, R>;
  /** Delay before retry N (BullMQ's attemptsMade), given the failure (it may carry a Retry-After). */
  backoff(attemptsMade: number, err?: Error): number;
  /** A job BullMQ itself gave up on (stalled too often): the sender must still be told. */
  abandoned(job: Job<OutboundJobData>, err: Error): Promise<void>;
  concurrency: number;
}

/**
 * What every worker's connection needs besides its options: writes batched per tick (batchRedisWrites, on the
 * client BullMQ builds), and a Cluster client it was handed closed with it (BullMQ closes only connections
 * it opened from options).
 */
function ownConnection(worker: Worker<OutboundJobData> | Worker<InboundJob>, connection: RedisOptions | Cluster): void {
  void worker.client.then(batchRedisWrites, () => undefined);
  if (connection instanceof Cluster) worker.on('closed', () => connection.disconnect());
}

export function outboundWorker<R>(base: WorkerBase, opts: OutboundWorkerOptions<R>): Worker<OutboundJobData> {
  const { domain } = opts;
  const connection = workerConnection(base.redisUrl);
  const worker: Worker<OutboundJobData> = new Worker<OutboundJobData>(outboundQueueName(domain), opts.processor(() => worker), {
    connection,
    prefix: base.prefix,
    concurrency: opts.concurrency,
    ...OUTBOUND_KEEP,
    ...LOCKS,
    // A process killed mid-send leaves its jobs stalled; they run again (at-least-once), several times if need be.
    maxStalledCount: 5,
    // BullMQ honours a manual rateLimit() (a provider's 429 + Retry-After) only when a limiter is configured:
    // without one the paused queue's next job, or the same job, was taken again at once. This limit never binds.
    limiter: NEVER_BINDING_LIMITER,
    settings: { backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) => opts.backoff(attemptsMade, err) },
  });
  worker.on('failed', (job: Job<OutboundJobData> | undefined, err: Error) => {
    // A job the processor gave up on has had its answer; only one BullMQ itself gave up on (stalled too often) needs one.
    if (job === undefined || err instanceof SenderToldOfFailure) return;
    void job
      .getState()
      .then(async (state) => {
        if (state !== 'failed') return;
        base.logger.error({ domain, id: job.id, err: err.message }, 'delivery job failed outside the processor; telling the sender');
        await opts.abandoned(job, err);
      })
      .catch((e: unknown) => base.logger.error({ domain, id: job.id, err: e }, 'could not report a failed job'));
  });
  worker.on('error', (err) => base.logger.warn({ domain, err: err.message }, 'outbound worker error'));
  ownConnection(worker, connection);
  return worker;
}

/** The XMPP link an inbound worker follows: it runs only while the link is online. */
export interface LinkState {
  on(event: 'online' | 'offline', listener: () => void): unknown;
}

export interface InboundWorkerOptions<R> {
  domain: string;
  processor: Processor<InboundJob, R>;
  link: LinkState;
  concurrency: number;
}

export function inboundWorker<R>(base: WorkerBase, opts: InboundWorkerOptions<R>): Worker<InboundJob> {
  const { domain } = opts;
  const connection = workerConnection(base.redisUrl);
  const worker = new Worker<InboundJob>(inboundQueueName(domain), opts.processor, {
    connection,
    prefix: base.prefix,
    concurrency: opts.concurrency,
    ...INBOUND_KEEP,
    ...LOCKS,
    autorun: false,
    maxStalledCount: 5,
  });
  worker.on('failed', (job, err) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      base.logger.warn({ domain, id: job.id, err: err.message }, 'inbound job dropped after retries');
    }
  });
  worker.on('error', (err) => base.logger.warn({ domain, err: err.message }, 'inbound worker error'));
  ownConnection(worker, connection);
  let running = false;
  opts.link.on('online', () => {
    if (!running) {
      running = true;
      void worker.run().catch((err: unknown) => base.logger.error({ err }, 'inbound worker stopped'));
    } else worker.resume();
  });
  opts.link.on('offline', () => {
    if (running && !worker.closing) void worker.pause(true);
  });
  return worker;
}
