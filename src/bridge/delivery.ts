/**
 * The outbound worker's processor: one job -> adapter.send(). Runs in any
 * process. Its verdict for the sender (receipt or error) goes through the
 * inbound queue to whichever process holds the XMPP connection.
 */
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Adapter, OutboundMessage, SendResult } from '../../adapters/types.js';
import { GatewayError, asGatewayError, publicText } from '../errors/registry.js';
import type { GatewayMetrics } from '../metrics.js';
import type { MessageRef, OutcomeJob } from '../queue/jobs.js';
import type { InboundEnqueue } from './inbound.js';
import { backoffDelay, expiresBeforeRetry, type BackoffPolicy } from '../queue/retry.js';
import { readOutbound, storeOutbound, type OutboundJobData } from '../queue/stored-job.js';
import { SenderToldOfFailure, outboundWorker, type WorkerBase } from '../queue/workers.js';
import { PACING_SLACK_MS, type NumberPacer } from '../store/limits.js';
import type { MessageMap } from '../store/message-map.js';

export interface DeliveryDeps {
  adapter: Adapter;
  messageMap: MessageMap;
  enqueueInbound: InboundEnqueue;
  metrics: GatewayMetrics;
  logger: Logger;
  backoff: BackoffPolicy;
  maxAgeMs: number;
  /** Aborted at shutdown so long provider calls end. */
  shutdownSignal: AbortSignal;
  /** Per attempt. */
  sendTimeoutMs?: number;
  /** sms: at most N sends per second from one gateway number. */
  pacer?: NumberPacer;
}

/** How long a sent message's bookkeeping may wait for Redis (within the workers' 15 s job lock). */
const BOOKKEEPING_PATIENCE_MS = 10_000;

/** Runs `op` until it succeeds, backing off up to 1 s, for at most `patienceMs`; then throws its last error. */
async function untilStored(op: () => Promise<void>, patienceMs: number, onRetry: (err: unknown) => void): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
    try {
      return await op();
    } catch (err) {
      if (Date.now() + wait > deadline) throw err;
      onRetry(err);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** A paced job that starts later than this after its slot books a new one. */
const STALE_BOOKING_MS = 5000;

/** A delivered job's return value. One given up on fails (SenderToldOfFailure) and stays in BullMQ's failed set. */
export type DeliveryResult = { sent: string };


/**
 * The wait before the retry after failed attempt `attempt`: the provider's
 * own schedule if it has one (undefined once spent), else the component's
 * backoff; a transient failure that names its own wait (a 503 with
 * Retry-After) gets that wait instead.
 */
export function retryDelay(deps: Pick<DeliveryDeps, 'adapter' | 'backoff'>, attempt: number, err?: Error): number | undefined {
  const scheduled = deps.adapter.retryDelayMs ? deps.adapter.retryDelayMs(attempt) : backoffDelay(attempt, deps.backoff);
  if (scheduled === undefined) return undefined;
  const asked = err instanceof GatewayError && err.code !== 'RATE_LIMITED' ? err.retryAfterMs : undefined;
  return asked ?? scheduled;
}

export function refOf(m: OutboundMessage): MessageRef {
  return {
    outboundId: m.id,
    senderJid: m.senderJid,
    contactJid: m.contactJid,
    stanzaId: m.stanzaId,
    receiptRequested: m.receiptRequested,
  };
}

export function deliveryProcessor(deps: DeliveryDeps, worker: () => Worker<OutboundJobData>) {
  const domain = deps.adapter.componentDomain;
  const log = deps.logger.child({ domain });

  /**
   * Tells the sender, then fails the job for good, so it waits in the failed set for an admin's retry.
   * `detail`: the operator's side of the story (the last provider error), kept with the job and logged, never sent.
   */
  async function giveUp(m: OutboundMessage, err: GatewayError, attempt: number, detail?: string): Promise<never> {
    const outcome: OutcomeJob = { type: 'outcome', ref: refOf(m), status: 'failed', code: err.code, reason: publicText(err), ...(detail === undefined ? {} : { detail }) };
    // If this add fails the job fails too and is retried: the sender is never left without an answer.
    await deps.enqueueInbound(`f-${m.id}`, outcome);
    deps.metrics.at(deps.metrics.deliveries, domain, 'failed').inc();
    log.warn({ id: m.id, to: m.to, attempt, code: err.code, reason: err.message, ...(detail === undefined ? {} : { detail }) }, 'delivery failed for good; telling the sender');
    throw new SenderToldOfFailure(`${err.code}: ${err.message}${detail === undefined ? '' : ` (${detail})`}`);
  }

  /** A failed attempt: retried (thrown), paused for a rate limit, or answered to the sender for good. */
  async function handleFailure(m: OutboundMessage, attempt: number, err: GatewayError): Promise<DeliveryResult> {
    const now = Date.now();
    if (err.code === 'RATE_LIMITED') {
      const wait = err.retryAfterMs ?? 1000;
      if (expiresBeforeRetry(m.acceptedAt, now, wait, deps.maxAgeMs)) {
        return giveUp(m, new GatewayError('DELIVERY_EXPIRED', `not delivered in time: ${publicText(err)}`), attempt, `last error: ${err.message}`);
      }
      deps.metrics.at(deps.metrics.deliveries, domain, 'rate_limited').inc();
      log.info({ id: m.id, waitMs: wait }, 'provider rate limit; pausing this queue');
      await worker().rateLimit(wait);
      throw Worker.RateLimitError();
    }
    if (!err.spec.retryable) return giveUp(m, err, attempt);
    const next = retryDelay(deps, attempt, err);
    if (next === undefined) {
      return giveUp(m, new GatewayError('DELIVERY_EXPIRED', `not delivered after ${attempt} attempts (no retries left); last error: ${err.message}`), attempt);
    }
    if (expiresBeforeRetry(m.acceptedAt, now, next, deps.maxAgeMs)) {
      const expired = new GatewayError(
        'DELIVERY_EXPIRED',
        `could not deliver within ${Math.round(deps.maxAgeMs / 1000)} s after ${attempt} attempts: ${publicText(err)}`,
      );
      return giveUp(m, expired, attempt, `last error: ${err.message}`);
    }
    deps.metrics.at(deps.metrics.deliveries, domain, 'retry').inc();
    log.warn({ id: m.id, attempt, nextInMs: next, err: err.message }, 'delivery attempt failed; will retry');
    throw err;
  }

  return async function processDelivery(job: Job<OutboundJobData>, token?: string): Promise<DeliveryResult> {
    const m = readOutbound(job.data, job, domain);
    const attempt = job.attemptsMade + 1;
    // A booking is honoured once, for its attempt, and only if it is not stale (a backlog after an outage is paced anew).
    const booked = m.paced !== undefined && m.paced.attempt === attempt && Date.now() - m.paced.slot <= STALE_BOOKING_MS;
    if (deps.pacer !== undefined && m.from !== undefined && !booked) {
      const slot = await deps.pacer.book(m.from);
      const now = Date.now();
      if (slot > now + PACING_SLACK_MS) {
        if (expiresBeforeRetry(m.acceptedAt, now, slot - now, deps.maxAgeMs)) {
          return giveUp(m, new GatewayError('DELIVERY_EXPIRED', `${m.from} has more queued than it may send before the message expires`), attempt);
        }
        // Wait for the booked slot once, without spending an attempt; the booking travels with the job.
        await job.updateData(storeOutbound({ ...m, paced: { slot, attempt } }));
        await job.moveToDelayed(slot, token);
        throw new DelayedError();
      }
    }
    // One controller per attempt, its timer and shutdown listener removed when the attempt ends:
    // AbortSignal.any + AbortSignal.timeout kept each attempt's signal alive for the whole timeout.
    const attemptAbort = new AbortController();
    const timer = setTimeout(() => attemptAbort.abort(new Error('provider call timed out')), deps.sendTimeoutMs ?? 30_000);
    const onShutdown = () => attemptAbort.abort(new Error('the gateway is shutting down'));
    if (deps.shutdownSignal.aborted) onShutdown();
    else deps.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
    const signal = attemptAbort.signal;
    let sent: SendResult;
    try {
      sent = await deps.adapter.send(m, { attempt, signal });
    } catch (thrown) {
      return handleFailure(m, attempt, asGatewayError(thrown));
    } finally {
      clearTimeout(timer);
      deps.shutdownSignal.removeEventListener('abort', onShutdown);
    }
    deps.metrics.at(deps.metrics.deliveries, domain, 'sent').inc();
    deps.metrics.at(deps.metrics.deliveryLatency, domain).observe((Date.now() - m.acceptedAt) / 1000);
    log.debug({ id: m.id, to: m.to, attempt, providerMessageId: sent.providerMessageId }, 'message sent');
    // The provider has the message now: a Redis hiccup in the bookkeeping must not count as a failed
    // delivery (that would send it again), so it is retried here while BullMQ's lock still holds.
    await untilStored(
      async () => {
        await deps.messageMap.put(domain, sent.providerMessageId, refOf(m));
        if (sent.delivered === true && m.receiptRequested) {
          await deps.enqueueInbound(`d-${m.id}`, { type: 'outcome', ref: refOf(m), status: 'delivered' });
        }
      },
      BOOKKEEPING_PATIENCE_MS,
      (err) => log.warn({ id: m.id, err: (err as Error).message }, 'sent, but cannot record it yet; retrying'),
    );
    return { sent: sent.providerMessageId };
  };
}

/** The outbound worker of one component: this processor, its backoff, and the sender told when BullMQ gives a job up. */
export function deliveryWorker(base: WorkerBase, deps: DeliveryDeps, concurrency: number): Worker<OutboundJobData> {
  return outboundWorker(base, {
    domain: deps.adapter.componentDomain,
    processor: (worker) => deliveryProcessor(deps, worker),
    backoff: (attemptsMade, err) => retryDelay(deps, attemptsMade, err) ?? 0,
    abandoned: (job, err) => {
      const m = readOutbound(job.data, job, deps.adapter.componentDomain);
      return deps.enqueueInbound(`f-${m.id}`, {
        type: 'outcome',
        ref: refOf(m),
        status: 'failed',
        code: 'INTERNAL',
        reason: 'the gateway could not deliver the message',
        detail: err.message,
      }).then(() => undefined);
    },
    concurrency,
  });
}
