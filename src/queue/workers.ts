/**
 * BullMQ workers: outbound (any process) and inbound (only where the XMPP
 * connection lives; paused while it is down).
 */
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { OutboundMessage } from '../../adapters/types.js';
import { deliveryProcessor, refOf, type DeliveryDeps } from '../bridge/delivery.js';
import { toXmppProcessor, type ToXmppDeps } from '../bridge/to-xmpp.js';
import type { InboundJob } from './jobs.js';
import { inboundQueueName, outboundQueueName } from './names.js';
import { INBOUND_KEEP, OUTBOUND_KEEP } from './producer.js';
import { backoffDelay } from './retry.js';
import { workerConnectionOptions } from './redis.js';

/**
 * Jobs of a process that died are taken over after at most lockDuration +
 * stalledInterval (BullMQ's defaults, 30 s + 30 s, left a killed gateway's
 * in-flight messages waiting a minute or more; test/chaos measured it).
 */
const LOCKS = { lockDuration: 15_000, stalledInterval: 5_000 };

export interface WorkerBase {
  redisUrl: string;
  prefix: string;
  logger: Logger;
}

export function outboundWorker(base: WorkerBase, deps: DeliveryDeps, concurrency: number): Worker<OutboundMessage> {
  const domain = deps.adapter.componentDomain;
  const worker: Worker<OutboundMessage> = new Worker<OutboundMessage>(
    outboundQueueName(domain),
    deliveryProcessor(deps, () => worker),
    {
      connection: workerConnectionOptions(base.redisUrl),
      prefix: base.prefix,
      concurrency,
      ...OUTBOUND_KEEP,
      ...LOCKS,
      // A process killed mid-send leaves its jobs stalled; they run again (at-least-once), several times if need be.
      maxStalledCount: 5,
      settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade, deps.backoff) },
    },
  );
  worker.on('failed', (job: Job<OutboundMessage> | undefined, err: Error) => {
    if (job === undefined) return;
    // Only a job BullMQ itself gave up on (stalled too often) lands here for good; the processor answers every other failure.
    void job.getState().then(async (state) => {
      if (state !== 'failed') return;
      base.logger.error({ domain, id: job.id, err: err.message }, 'delivery job failed outside the processor; telling the sender');
      await deps.enqueueInbound(`f-${job.data.id}`, {
        type: 'outcome',
        ref: refOf(job.data),
        status: 'failed',
        code: 'INTERNAL',
        reason: `the gateway could not deliver the message: ${err.message}`,
      });
    }).catch((e: unknown) => base.logger.error({ domain, id: job.id, err: e }, 'could not report a failed job'));
  });
  worker.on('error', (err) => base.logger.warn({ domain, err: err.message }, 'outbound worker error'));
  return worker;
}

export function inboundWorker(base: WorkerBase, deps: ToXmppDeps, concurrency: number): Worker<InboundJob> {
  const worker = new Worker<InboundJob>(inboundQueueName(deps.connection.domain), toXmppProcessor(deps), {
    connection: workerConnectionOptions(base.redisUrl),
    prefix: base.prefix,
    concurrency,
    ...INBOUND_KEEP,
    ...LOCKS,
    autorun: false,
    maxStalledCount: 5,
  });
  worker.on('failed', (job, err) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      base.logger.warn({ domain: deps.connection.domain, id: job.id, err: err.message }, 'inbound job dropped after retries');
    }
  });
  worker.on('error', (err) => base.logger.warn({ domain: deps.connection.domain, err: err.message }, 'inbound worker error'));
  let running = false;
  deps.connection.on('online', () => {
    if (!running) {
      running = true;
      void worker.run().catch((err: unknown) => base.logger.error({ err }, 'inbound worker stopped'));
    } else worker.resume();
  });
  deps.connection.on('offline', () => {
    if (running && !worker.closing) void worker.pause(true);
  });
  return worker;
}
