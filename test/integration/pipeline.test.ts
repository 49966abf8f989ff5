/**
 * The queue pipeline on a real Redis, without XMPP: producer dedupe, the
 * delivery worker with the sandbox adapter (success, retries, permanent
 * failures, expiry, rate limits), and the outcome jobs it leaves for the
 * XMPP side.
 */
import type { Worker } from 'bullmq';
import type { RedisClient } from '../../src/queue/redis.js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxAdapter } from '../../adapters/sandbox/index.js';
import type { OutboundMessage } from '../../adapters/types.js';
import type { ProviderConfig } from '../../src/config/schema.js';
import { GatewayError } from '../../src/errors/registry.js';
import { GatewayMetrics } from '../../src/metrics.js';
import type { InboundJob } from '../../src/queue/jobs.js';
import { QueueProducer } from '../../src/queue/producer.js';
import { producerConnection } from '../../src/queue/redis.js';
import { QueueInspector } from '../../src/queue/inspect.js';
import type { Queue } from 'bullmq';
import { deliveryWorker } from '../../src/bridge/delivery.js';
import { MessageMap } from '../../src/store/message-map.js';
import { adapterContext, outbound, providerConfig } from '../support/fixtures.js';
import { useTestRedis } from '../support/test-redis.js';
import { sleep } from '../support/waits.js';

const DOMAIN = 'sms.pipeline.test';
const logger = pino({ level: 'silent' });

let url: string;
let redis: RedisClient;
let prefix: string;
useTestRedis('pipeline', (db) => ({ url, redis, prefix } = db));
let producer: QueueProducer;
let adapter: SandboxAdapter;
let worker: Worker | undefined;
let config: ProviderConfig<'sandbox'>;
let metrics: GatewayMetrics;

beforeEach(async () => {
  producer = new QueueProducer(redis, prefix, [DOMAIN]);
  metrics = new GatewayMetrics();
  config = providerConfig('sandbox', {
    domain: DOMAIN,
    retry: { initialDelayMs: 20, maxDelayMs: 50, maxAgeSeconds: 30 },
  });
  adapter = await startedSandbox(config, `${prefix}:adapter:${DOMAIN}`);
});

/** A sandbox adapter started without HTTP routes (faults are set in Redis directly). */
async function startedSandbox(c: ProviderConfig<'sandbox'>, keyPrefix: string): Promise<SandboxAdapter> {
  const sandbox = new SandboxAdapter(c);
  await sandbox.start(adapterContext(c, { logger, emitInbound: async () => ({ outcome: 'dropped', reason: 'not used here' }), redis, keyPrefix }));
  return sandbox;
}

afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await producer.close();
});

function startWorker(maxAgeMs = 30_000): void {
  worker = deliveryWorker(
    { redisUrl: url, prefix, logger },
    {
      adapter,
      messageMap: new MessageMap(redis, prefix),
      enqueueInbound: (jobId, job) => producer.enqueueInbound(DOMAIN, jobId, job),
      metrics,
      logger,
      backoff: { initialDelayMs: 20, maxDelayMs: 50 },
      maxAgeMs,
      shutdownSignal: new AbortController().signal,
    },
    4,
  ) as unknown as Worker;
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(25);
  }
}

async function inboundJobs(): Promise<InboundJob[]> {
  const q = producer.inboundQueue(DOMAIN);
  const jobs = await q.getJobs(['waiting', 'delayed', 'active', 'completed', 'prioritized']);
  return jobs.map((j) => j.data);
}

function message(body = 'hello', overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return { ...outbound(DOMAIN, '+15551234567', body), ...overrides };
}

describe('producer', () => {
  it('stores a job once per dedupe id', async () => {
    const m = message();
    expect(await producer.enqueueOutbound(m)).toBe('queued');
    expect(await producer.enqueueOutbound(m)).toBe('duplicate');
    expect((await producer.outboundQueue(DOMAIN).getJobCounts('waiting')).waiting).toBe(1);
  });

  it('calls one of two retransmissions stored at the same moment a duplicate', async () => {
    const m = message('twice at once');
    const outcomes = await Promise.all([producer.enqueueOutbound(m), producer.enqueueOutbound({ ...m })]);
    expect(outcomes.sort()).toEqual(['duplicate', 'queued']);
    expect((await producer.outboundQueue(DOMAIN).getJobCounts('waiting')).waiting).toBe(1);
  });

  it('answers QUEUE_UNAVAILABLE at once when Redis is unreachable', async () => {
    const dead = producerConnection('redis://127.0.0.1:1');
    dead.on('error', () => undefined);
    const p = new QueueProducer(dead, prefix, [DOMAIN]);
    const started = Date.now();
    const err = await p.enqueueOutbound(message()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('QUEUE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
    dead.disconnect();
  });
});

describe('delivery worker', () => {
  it('sends through the adapter, records the provider id and leaves a receipt outcome only when confirmed', async () => {
    startWorker();
    const m = message('first');
    await producer.enqueueOutbound(m);
    const [entry] = await until(async () => {
      const box = await adapter.outbox();
      return box.length > 0 ? box : undefined;
    });
    expect(entry).toMatchObject({ to: '+15551234567', body: 'first', attempt: 1 });
    const ref = await until(() => new MessageMap(redis, prefix).get(DOMAIN, entry!.id));
    expect(ref).toMatchObject({ outboundId: m.id, stanzaId: m.stanzaId, senderJid: m.senderJid });
    // Sandbox without autoDeliver does not confirm delivery: no receipt yet.
    expect(await inboundJobs()).toEqual([]);
  });

  it('retries transient failures and delivers exactly once', async () => {
    await redis.hset(`${prefix}:adapter:${DOMAIN}:faults`, { mode: 'transient', retryAfterMs: '10' });
    await redis.set(`${prefix}:adapter:${DOMAIN}:faults:remaining`, '3');
    startWorker();
    await producer.enqueueOutbound(message('flaky'));
    const box = await until(async () => {
      const b = await adapter.outbox();
      return b.length > 0 ? b : undefined;
    });
    await sleep(200);
    expect((await adapter.outbox()).map((e) => [e.body, e.attempt])).toEqual([['flaky', 4]]);
    expect(box).toHaveLength(1);
  });

  it('turns a permanent failure into a failed outcome for the sender, without retrying', async () => {
    await redis.hset(`${prefix}:adapter:${DOMAIN}:faults`, { mode: 'permanent', retryAfterMs: '10' });
    startWorker();
    const m = message('doomed');
    await producer.enqueueOutbound(m);
    const [outcome] = await until(async () => {
      const jobs = await inboundJobs();
      return jobs.length > 0 ? jobs : undefined;
    });
    expect(outcome).toMatchObject({
      type: 'outcome',
      status: 'failed',
      code: 'DELIVERY_REJECTED',
      ref: { outboundId: m.id, stanzaId: m.stanzaId, senderJid: m.senderJid },
    });
    expect(await adapter.outbox()).toEqual([]);
  });

  it('keeps a permanent failure in the failed set, answered once; retried after the fix, it is delivered once', async () => {
    await redis.hset(`${prefix}:adapter:${DOMAIN}:faults`, { mode: 'permanent', retryAfterMs: '10' });
    startWorker();
    const inspector = new QueueInspector(
      () => new Map<string, Queue>([[`out/${DOMAIN}`, producer.outboundQueue(DOMAIN) as unknown as Queue], [`in/${DOMAIN}`, producer.inboundQueue(DOMAIN) as unknown as Queue]]),
    );
    const m = message('doomed, then fixed');
    await producer.enqueueOutbound(m);
    const [failed] = await until(async () => {
      const list = await inspector.failedDeliveries(10);
      return list.length > 0 ? list : undefined;
    });
    expect(failed).toMatchObject({ id: m.id, domain: DOMAIN, to: '+15551234567', senderJid: m.senderJid });
    expect(failed?.error).toMatch(/^DELIVERY_REJECTED: /);
    expect((await inspector.counts())[`out/${DOMAIN}`]).toMatchObject({ failed: 1, completed: 0, waiting: 0 });
    const told = (await inboundJobs()).filter((j) => j.type === 'outcome');
    expect(told).toEqual([expect.objectContaining({ status: 'failed', code: 'DELIVERY_REJECTED' })]);

    await redis.del(`${prefix}:adapter:${DOMAIN}:faults`);
    expect(await inspector.retryDeliveries([m.id, 'o-no-such-job'])).toEqual({ retried: [m.id], missing: ['o-no-such-job'] });
    const [entry] = await until(async () => {
      const box = await adapter.outbox();
      return box.length > 0 ? box : undefined;
    });
    // The attempt count started over with the retry.
    expect(entry).toMatchObject({ body: 'doomed, then fixed', attempt: 1 });
    await until(async () => ((await inspector.counts())[`out/${DOMAIN}`]?.completed === 1 ? true : undefined));
    await sleep(200);
    expect(await adapter.outbox()).toHaveLength(1);
    expect(await inspector.failedDeliveries(10)).toEqual([]);
    // No second answer: the one error stanza stays the only outcome.
    expect((await inboundJobs()).filter((j) => j.type === 'outcome')).toHaveLength(1);
  });

  it('gives up on transient failures after the maximum age, saying why', async () => {
    await redis.hset(`${prefix}:adapter:${DOMAIN}:faults`, { mode: 'transient', retryAfterMs: '10' });
    startWorker(300);
    await producer.enqueueOutbound(message('late'));
    const [outcome] = await until(async () => {
      const jobs = await inboundJobs();
      return jobs.length > 0 ? jobs : undefined;
    });
    expect(outcome).toMatchObject({ type: 'outcome', status: 'failed', code: 'DELIVERY_EXPIRED' });
    // The sender reads a human reason; the provider's own words stay with the job and the log (issue 8).
    expect((outcome as { reason: string }).reason).toMatch(/attempts: the provider could not be reached/);
    expect((outcome as { reason: string }).reason).not.toMatch(/sandbox: simulated/);
    expect((outcome as { detail: string }).detail).toMatch(/last error: sandbox: simulated provider outage/);
  });

  it('waits out a rate limit without spending attempts', async () => {
    await redis.hset(`${prefix}:adapter:${DOMAIN}:faults`, { mode: 'rate-limited', retryAfterMs: '150' });
    await redis.set(`${prefix}:adapter:${DOMAIN}:faults:remaining`, '2');
    startWorker();
    const started = Date.now();
    await producer.enqueueOutbound(message('patient'));
    const [entry] = await until(async () => {
      const b = await adapter.outbox();
      return b.length > 0 ? b : undefined;
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(entry?.attempt).toBe(1);
  });

  it('confirms delivery at once when the adapter says so (autoDeliver)', async () => {
    adapter = await startedSandbox({ ...config, sandbox: { autoDeliver: true, outboxLimit: 10 } }, `${prefix}:adapter:auto`);
    startWorker();
    const m = message('quick');
    await producer.enqueueOutbound(m);
    const [outcome] = await until(async () => {
      const jobs = await inboundJobs();
      return jobs.length > 0 ? jobs : undefined;
    });
    expect(outcome).toMatchObject({ type: 'outcome', status: 'delivered', ref: { stanzaId: m.stanzaId } });
  });
});
