/**
 * Chaos: kill -9 the gateway while a backlog waits for a failing provider,
 * some of it held open at the provider (active jobs), start a new process
 * with the same config and prefix, heal the provider: every accepted message
 * goes out, within the duplicate bound.
 *
 * Jobs that were active at the kill hold a BullMQ lock (LOCKS in src/queue/workers.ts:
 * lockDuration 15 s). The new process's stalled-job check (every
 * stalledInterval, 5 s; its first run is skipped while the dead
 * process's `stalled-check` key lives) marks them once the lock is gone, and
 * the next check moves them back to wait; delayed jobs go out when their
 * backoff ends. The backlog drains about 15 s after the restart here. With
 * BullMQ's defaults (30 s + 30 s) it took 60-90 s: the case asserts the
 * drain within twice the takeover time, so such a regression fails it,
 * while waiting for the answers as long as the test allows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TwilioDouble } from '../doubles/twilio.js';
import { sleep, waitUntil } from '../support/waits.js';
import { Ledger } from './load.js';
import { assertChaos, report } from './report.js';
import { CONTACT, chaosUsers, useChaosStack, type ChaosStack, type Session } from './stack.js';

const USERS = chaosUsers(3);
const PER_USER = 100;
/**
 * Twice the time the jobs of a killed process stay out of reach with the locks
 * of src/queue/workers.ts: lock expiry (15 s), one skipped stalled check and the
 * check that moves them (2 x 5 s). Written out, not imported, so that going back
 * to BullMQ's defaults fails the case instead of moving its bound.
 */
const DRAIN_BOUND_MS = 2 * (15_000 + 2 * 5_000);

describe('chaos: kill -9 of the gateway with a backlog', () => {
  const chaos = useChaosStack({ label: 'kill', users: USERS, provider: () => TwilioDouble.start() });
  let { stack, sessions } = {} as { stack: ChaosStack<TwilioDouble>; sessions: Session[] };
  beforeAll(() => void ({ stack, sessions } = chaos));

  it('delivers the whole backlog after a restart', { timeout: 150_000 }, async () => {
    const { provider: twilio } = stack;
    const ledger = new Ledger('gateway-kill');
    twilio.failNext({ kind: 'server-error', httpStatus: 503 }, 1_000_000);

    await ledger.burst(sessions, CONTACT, PER_USER, 2, 1);
    // Every message stored (or refused) before the kill.
    const stored = await waitUntil(async () => {
      ledger.collectErrors(stack.allSessions());
      const refused = [...ledger.outcomes.values()].filter((o) => o.errors.length > 0).length;
      const c = await stack.outboundCounts();
      return c !== undefined && (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + refused === ledger.outcomes.size;
    }, 15_000);
    expect(stored, 'the backlog is in Redis before the kill').toBe(true);
    // Let retries churn so the kill lands on jobs in every state. Then the provider holds every request open, so
    // the jobs it has are active (locked by this process) when it dies: the case always measures a takeover.
    await sleep(1_500);
    twilio.heal();
    twilio.failNext({ kind: 'hang' }, 1_000_000);
    const holding = await waitUntil(async () => ((await stack.outboundCounts())?.active ?? 0) > 0, 15_000);
    expect(holding, 'jobs active (locked by the process to be killed) at the kill').toBe(true);
    const atKill = await stack.outboundCounts();
    const requestsBeforeKill = twilio.requests;

    await stack.gateway.kill();
    const killedAt = Date.now();
    // Still failing, but at once again: a request of the new process held open would wait out its 30 s send timeout.
    twilio.heal();
    twilio.failNext({ kind: 'server-error', httpStatus: 503 }, 1_000_000);
    await stack.startGateway();
    const restartMs = Date.now() - killedAt;
    twilio.heal();
    const faultEndedAt = Date.now();

    // A condition wait: it ends once every message is answered; the long deadline only lets a slow drain be measured.
    await stack.collectOutbound(ledger, 100_000, 15_000);

    const summary = ledger.summarize(faultEndedAt);
    report(summary, {
      'active-at-kill': atKill?.active ?? -1,
      'delayed-at-kill': atKill?.delayed ?? -1,
      'waiting-at-kill': atKill?.waiting ?? -1,
      'requests-before-kill': requestsBeforeKill,
      restart: `${(restartMs / 1000).toFixed(1)}s`,
    });
    assertChaos(summary);
    expect(summary.errored, 'error stanzas: the provider only failed transiently').toBe(0);
    expect(summary.delivered).toBe(summary.sent);
    expect(summary.drainedMs, 'the whole backlog out after the provider healed (ms)').toBeLessThanOrEqual(DRAIN_BOUND_MS);
  });
});
