/**
 * The component lease (src/store/lease.ts) and the standby built on it
 * (src/component/standby.ts) on a real Redis: acquire, renew, takeover after
 * expiry, fencing (a holder whose lease was taken can extend or release it no
 * more), contenders that never both hold it, a holder cut off from Redis
 * that stops acting before anyone else may start, and a hand-over on release.
 */
import type { RedisClient } from '../../src/queue/redis.js';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { ComponentStandby, type Actor } from '../../src/component/standby.js';
import { GatewayMetrics } from '../../src/metrics.js';
import { producerConnection, waitReady } from '../../src/queue/redis.js';
import { LeaseStore } from '../../src/store/lease.js';
import { recordingLogger } from '../support/fixtures.js';
import { useTestRedis } from '../support/test-redis.js';
import { eventually, sleep } from '../support/waits.js';

let redis: RedisClient;
let prefix: string;
let url: string;
useTestRedis('lease', (db) => ({ redis, prefix, url } = db));

/** A stand-in for the component connections: records when it was told to act and to stop. */
class RecordingActor implements Actor {
  readonly spans: Array<{ from: number; to?: number }> = [];
  start(): void {
    this.spans.push({ from: performance.now() });
  }
  async stop(): Promise<void> {
    const open = this.spans.at(-1);
    if (open !== undefined && open.to === undefined) open.to = performance.now();
  }
}

const standbys: ComponentStandby[] = [];
afterEach(async () => {
  await Promise.all(standbys.splice(0).map((s) => s.release()));
});

function standby(store: LeaseStore, ttlMs: number, holder: string, logs: Array<Record<string, unknown>> = []): { standby: ComponentStandby; actor: RecordingActor } {
  const actor = new RecordingActor();
  const s = new ComponentStandby({ mode: 'lease', ttlMs, store, connections: [actor], metrics: new GatewayMetrics(), logger: recordingLogger(logs), holder });
  standbys.push(s);
  return { standby: s, actor };
}

describe('LeaseStore', () => {
  it('gives the lease to one holder, tells another who holds it and for how long, and extends it for its holder only', async () => {
    const lease = new LeaseStore(redis, prefix, 'component');
    const a = await lease.acquire('a', 5_000);
    expect(a).toEqual({ acquired: true, fence: 1 });
    const b = await lease.acquire('b', 5_000);
    expect(b).toMatchObject({ acquired: false, holder: 'a', fence: 1 });
    expect(b.acquired ? 0 : b.msLeft).toBeGreaterThan(0);
    expect(b.acquired ? 0 : b.msLeft).toBeLessThanOrEqual(5_000);

    await sleep(300);
    expect(await lease.extend('a', 1, 5_000)).toBe(true);
    const after = await lease.acquire('b', 5_000);
    // Extended from the renewal, not from the first acquisition.
    expect(after.acquired ? 0 : after.msLeft).toBeGreaterThan(4_700);
    expect(await lease.extend('b', 1, 5_000)).toBe(false);
    expect(await lease.extend('a', 2, 5_000)).toBe(false);
  });

  it('lets another take it once it ran out, with the next fencing token; the old holder can then neither extend nor release it', async () => {
    const lease = new LeaseStore(redis, prefix, 'component');
    expect(await lease.acquire('a', 200)).toEqual({ acquired: true, fence: 1 });
    await sleep(250);
    // Ran out: not even its holder extends it (it must acquire again, with a new token).
    expect(await lease.extend('a', 1, 200)).toBe(false);
    expect(await lease.acquire('b', 5_000)).toEqual({ acquired: true, fence: 2 });
    expect(await lease.extend('a', 1, 5_000)).toBe(false);
    expect(await lease.release('a', 1)).toBe(false);
    expect(await lease.acquire('c', 5_000)).toMatchObject({ acquired: false, holder: 'b', fence: 2 });
    // Released by its holder: the next contender takes it at once, and tokens keep counting up.
    expect(await lease.release('b', 2)).toBe(true);
    expect(await lease.acquire('c', 5_000)).toEqual({ acquired: true, fence: 3 });
  });

  it('never gives it to two of many contenders racing for it', async () => {
    const lease = new LeaseStore(redis, prefix, 'component');
    const fences: number[] = [];
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => lease.acquire(`r${round}-p${i}`, 60_000)));
      const winners = results.filter((r) => r.acquired);
      expect(winners, `round ${round}`).toHaveLength(round === 0 ? 1 : 0);
      for (const r of results) fences.push(r.fence);
    }
    expect(new Set(fences)).toEqual(new Set([1]));
  });
});

describe('ComponentStandby (mode none)', () => {
  it('connects at once and never touches the lease (ejabberd domain_balancing: every process active)', async () => {
    const actor = new RecordingActor();
    const metrics = new GatewayMetrics();
    const store = new LeaseStore(redis, prefix, 'component');
    const s = new ComponentStandby({ mode: 'none', ttlMs: 1_000, store, connections: [actor], metrics, logger: recordingLogger([]) });
    standbys.push(s);
    s.start();
    expect(s.isActive()).toBe(true);
    expect(actor.spans).toHaveLength(1);
    expect(await metrics.registry.getSingleMetricAsString('xgw_component_active')).toMatch(/^xgw_component_active 1$/m);
    expect(await redis.exists(store.key)).toBe(0);
  });
});

describe('ComponentStandby (mode lease)', () => {
  it('starting before its Redis connection is ready, waits for it without a warning and then takes the lease', async () => {
    // As the gateway starts: the connection is still being made when the standby first looks.
    const conn = producerConnection(url, { lazyConnect: true });
    onTestFinished(() => conn.disconnect());
    conn.on('error', () => undefined); // as the gateway's connection has a listener
    const logs: Array<Record<string, unknown>> = [];
    const actor = new RecordingActor();
    const s = new ComponentStandby({ mode: 'lease', ttlMs: 1_000, store: new LeaseStore(conn, prefix, 'component'), connections: [actor], metrics: new GatewayMetrics(), logger: recordingLogger(logs, 'debug'), holder: 'early' });
    standbys.push(s);
    conn.connect().catch(() => undefined);
    s.start();
    await eventually(() => actor.spans.length === 1 || undefined, 3_000, 'the lease taken');
    expect(logs.map((l) => l.msg)).toContain('component lease: Redis not connected yet; trying again');
    expect(logs.filter((l) => Number(l.level) >= 40)).toEqual([]);
  });

  it('connects only the holder; a holder cut off from Redis stops acting before the standby takes over after the TTL, and the two never act at once', async () => {
    const ttlMs = 1_000;
    // The holder's own connection: cutting it is what a dead or partitioned process looks like from Redis.
    const holderRedis = producerConnection(url);
    await waitReady(holderRedis, 5_000);
    onTestFinished(() => holderRedis.disconnect());
    const logs: Array<Record<string, unknown>> = [];
    const first = standby(new LeaseStore(holderRedis, prefix, 'component'), ttlMs, 'first', logs);
    const second = standby(new LeaseStore(redis, prefix, 'component'), ttlMs, 'second', logs);
    first.standby.start();
    await eventually(() => (first.standby.isActive() ? true : undefined), 2_000, 'the first to hold the lease');
    second.standby.start();
    await eventually(() => (logs.some((l) => l.msg === 'standby: waiting for the component lease' && l.holder === 'second') ? true : undefined), 2_000, 'the second waiting');

    // Several TTLs of renewals: the holder keeps it, the standby never connects.
    let bothActive = 0;
    const sampleUntil = performance.now() + 3 * ttlMs;
    while (performance.now() < sampleUntil) {
      if (first.standby.isActive() && second.standby.isActive()) bothActive++;
      await sleep(10);
    }
    expect(first.standby.isActive()).toBe(true);
    expect(second.actor.spans).toEqual([]);

    holderRedis.disconnect();
    const cutAt = performance.now();
    while (!second.standby.isActive()) {
      if (first.standby.isActive() && second.standby.isActive()) bothActive++;
      expect(performance.now() - cutAt, 'takeover (ms)').toBeLessThan(10 * ttlMs);
      await sleep(5);
    }
    expect(bothActive).toBe(0);
    const stopped = first.actor.spans[0]?.to;
    const started = second.actor.spans[0]!.from;
    expect(stopped, 'the cut-off holder closed its connections').toBeDefined();
    expect(stopped!).toBeLessThan(started);
    // It waited for the lease to run out (renewed at most a quarter TTL before the cut), then took it.
    expect(started - cutAt).toBeGreaterThanOrEqual(0.5 * ttlMs);
    expect(started - cutAt).toBeLessThan(3 * ttlMs);
    expect(logs.some((l) => l.msg === 'component lease lost: closing the XMPP connections' && l.holder === 'first')).toBe(true);
    // Back in touch with Redis, the old holder keeps looking, and stands by.
    await holderRedis.connect();
    await eventually(
      () => (logs.some((l) => l.msg === 'standby: waiting for the component lease' && l.holder === 'first' && l.heldBy === 'second') ? true : undefined),
      5 * ttlMs,
      'the old holder standing by',
    );
    expect(first.standby.isActive()).toBe(false);
    expect(logs.filter((l) => l.msg === 'component lease acquired: connecting to the XMPP server').map((l) => [l.holder, l.fence])).toEqual([
      ['first', 1],
      ['second', 2],
    ]);
  });

  it('hands over at once when the holder releases the lease on shutdown', async () => {
    const ttlMs = 60_000;
    const store = new LeaseStore(redis, prefix, 'component');
    const first = standby(store, ttlMs, 'first');
    const second = standby(store, ttlMs, 'second');
    first.standby.start();
    await eventually(() => (first.standby.isActive() ? true : undefined), 2_000, 'the first to hold the lease');
    second.standby.start();
    await sleep(200);
    expect(second.standby.isActive()).toBe(false);
    first.standby.halt();
    await first.standby.release();
    // Far sooner than the 60 s TTL: the standby polls at least once a second.
    await eventually(() => (second.standby.isActive() ? true : undefined), 5_000, 'the takeover after release');
  });
});
