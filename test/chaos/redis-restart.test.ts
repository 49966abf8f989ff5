/**
 * Chaos: Redis goes away in the middle of a burst of outbound messages from
 * several users, and comes back with its AOF.
 *
 * - restart (SIGTERM: Redis writes and fsyncs its AOF before exiting): every
 *   message sent while Redis is down is refused at once with a `wait` error
 *   (nothing is accepted that is not stored), and every accepted one goes out.
 * - kill -9: the AOF is written with appendfsync everysec. A killed process
 *   loses nothing that reached write(2) (the page cache survives the process;
 *   only a machine crash loses the last second), but Redis may postpone that
 *   write by up to 2 s while an fsync is still running, and still answer the
 *   client. So a kill may lose what was accepted in the last ~2 s; this case
 *   counts what was lost and asserts only that it falls in that window.
 * - Redis gone between the provider's 201 and the gateway's bookkeeping (a
 *   proxy holds the provider's answers): the message must not go out twice.
 *
 * The restart and kill cases could also fail by the bug (now fixed) described at the
 * last case (a message sent again when Redis fails right after the provider
 * accepted it); their "duplicated" count shows it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TwilioDouble } from '../doubles/twilio.js';
import { sleep, waitUntil } from '../support/waits.js';
import { chat } from '../support/stack.js';
import { Ledger, bodyFor, refusal } from './load.js';
import { assertChaos, report, type ChaosSummary } from './report.js';
import { CONTACT, chaosUsers, useChaosStack, type ChaosStack, type Session } from './stack.js';

const USERS = chaosUsers(4);
/** Each user sends one message every INTERVAL_MS for about BURST_MS. */
const INTERVAL_MS = 40;
const BURST_MS = 7_000;
const OUTAGE_AT_MS = 1_500;
const OUTAGE_MS = 2_500;
/** A refusal must reach the sender within this (the producer's add gives up after 2 s). */
const IMMEDIATE_MS = 3_000;

interface Burst {
  ledger: Ledger;
  summary: ChaosSummary;
  /** Redis was down (process gone) from..until; up again (answering PING) at upAt. */
  downFrom: number;
  downUntil: number;
  upAt: number;
}

async function burstWithOutage(stack: ChaosStack<TwilioDouble>, sessions: Session[], name: string, fault: 'stop' | 'kill'): Promise<Burst> {
  const ledger = new Ledger(name);
  const perUser = Math.round(BURST_MS / INTERVAL_MS);
  let downFrom = 0;
  let downUntil = 0;
  let upAt = 0;
  const traffic = ledger.burst(sessions, CONTACT, perUser, INTERVAL_MS, 4);
  const outage = (async () => {
    await sleep(OUTAGE_AT_MS);
    await (fault === 'stop' ? stack.redis.stop() : stack.redis.kill());
    downFrom = Date.now();
    await sleep(OUTAGE_MS);
    downUntil = Date.now();
    await stack.redis.start();
    upAt = Date.now();
  })();
  await Promise.all([traffic, outage]);

  await stack.collectOutbound(ledger, 40_000, 15_000);
  return { ledger, summary: ledger.summarize(upAt), downFrom, downUntil, upAt };
}

/** Messages sent while the Redis process was gone, and how each was answered. */
function sentWhileDown(b: Burst) {
  const during = [...b.ledger.outcomes.values()].filter((o) => o.sentAt >= b.downFrom && o.sentAt <= b.downUntil);
  const refusedAtOnce = during.filter((o) => {
    const r = refusal(o);
    return r !== undefined && r.at - o.sentAt <= IMMEDIATE_MS;
  });
  const slowest = Math.max(0, ...during.map((o) => (refusal(o)?.at ?? o.sentAt) - o.sentAt));
  return { during, refusedAtOnce, slowest };
}

describe('chaos: Redis restarts during an outbound burst', () => {
  const chaos = useChaosStack({ label: 'redis', users: USERS, provider: () => TwilioDouble.start(), holdingProxy: true });
  let { stack, sessions } = {} as { stack: ChaosStack<TwilioDouble>; sessions: Session[] };
  beforeAll(() => void ({ stack, sessions } = chaos));

  it('restart (SIGTERM): refuses at once while down, delivers everything accepted', { timeout: 90_000 }, async () => {
    const b = await burstWithOutage(stack, sessions, 'redis-restart', 'stop');
    const down = sentWhileDown(b);
    report(b.summary, {
      'sent-while-down': down.during.length,
      'refused-at-once-while-down': down.refusedAtOnce.length,
      'slowest-refusal': `${(down.slowest / 1000).toFixed(2)}s`,
    });
    assertChaos(b.summary);
    expect(down.during.length, 'traffic while Redis was down').toBeGreaterThan(0);
    expect(down.refusedAtOnce.map((o) => o.token), 'sent while Redis was down, refused with wait at once').toEqual(
      down.during.map((o) => o.token),
    );
    expect(b.summary.errored, 'no error stanzas besides the refusals').toBe(b.summary.refused);
    expect(b.summary.accepted).toBeGreaterThan(0);
  });

  it('kill -9: what the AOF (everysec) keeps', { timeout: 90_000 }, async () => {
    const b = await burstWithOutage(stack, sessions, 'redis-kill', 'kill');
    const down = sentWhileDown(b);
    const lostOutcomes = b.summary.lost.map((t) => b.ledger.get(t)).filter((o) => o !== undefined);
    const oldestLossBeforeKill = Math.max(0, ...lostOutcomes.map((o) => b.downFrom - o.sentAt));
    report(b.summary, {
      'sent-while-down': down.during.length,
      'refused-at-once-while-down': down.refusedAtOnce.length,
      'lost-window': `${(oldestLossBeforeKill / 1000).toFixed(2)}s`,
    });
    // What may be lost: only what was accepted in the last ~2 s before the kill.
    expect(oldestLossBeforeKill, 'a lost message was accepted long before the kill').toBeLessThanOrEqual(2_500);
    expect(b.summary.duplicated).toBeLessThanOrEqual(Math.floor(b.summary.sent * 0.001));
    expect(b.summary.recoveryMs).toBeLessThanOrEqual(30_000);
    expect(down.refusedAtOnce.map((o) => o.token)).toEqual(down.during.map((o) => o.token));
  });

  /*
   * Regression test for a bug found by this suite and fixed in session 1:
   * src/bridge/delivery.ts deliveryProcessor runs messageMap.put() (and the
   * receipt enqueue) inside the same try/catch as adapter.send(). When Redis
   * fails after the provider accepted the message, that Redis error is taken
   * for a failed delivery (INTERNAL, retryable) and the message is sent
   * again once Redis is back. The restart case above hits it by chance (a
   * duplicate in about 1 run of 7); here a proxy holds the provider's 201s
   * until Redis is down, so every held message is hit.
   */
  it('Redis dies between the provider\'s 201 and the bookkeeping: nothing is sent twice', { timeout: 60_000 }, async () => {
    const proxy = stack.proxy!;
    const ledger = new Ledger('redis-after-send');
    const count = 20;
    proxy.hold();
    try {
      for (let i = 0; i < count; i++) {
        const s = sessions[i % sessions.length]!;
        const token = ledger.next(`u${(i % sessions.length) + 1}`);
        await s.client.send(chat(CONTACT, token, bodyFor(token)));
      }
      // The double has every message; the gateway has no answer yet.
      const reached = await waitUntil(() => {
        ledger.collectProviderDeliveries(stack.provider);
        return [...ledger.outcomes.values()].every((o) => o.deliveries.length === 1) && proxy.held === count;
      }, 10_000);
      expect(reached, 'every message at the provider, every answer held').toBe(true);
      await stack.redis.stop();
    } finally {
      proxy.release();
    }
    await sleep(1_000);
    await stack.redis.start();
    const upAt = Date.now();

    // A second send would come from a retry (delayed, then active) or a stalled job (active until taken over): once
    // no queue holds a waiting, active or delayed job, nothing can go out again, so the count below is final.
    expect(await waitUntil(() => stack.settled(), 30_000), 'every queue drained after Redis came back').toBe(true);
    ledger.collectProviderDeliveries(stack.provider);
    ledger.collectErrors(stack.allSessions());
    const summary = ledger.summarize(upAt);
    report(summary);
    assertChaos(summary);
    expect(summary.delivered).toBe(count);
  });
});
