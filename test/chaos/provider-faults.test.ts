/**
 * Chaos: the provider answers 500 for a while, then 429 for a while, then
 * recovers. Every message goes out exactly once (within the duplicate bound)
 * and none is answered with an error: the maximum age (10 min) is far off.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TwilioDouble } from '../doubles/twilio.js';
import { sleep } from '../support/waits.js';
import { Ledger } from './load.js';
import { assertChaos, report } from './report.js';
import { CONTACT, chaosUsers, useChaosStack, type ChaosStack, type Session } from './stack.js';

const USERS = chaosUsers(2);
const PER_USER = 100;
const SERVER_ERROR_MS = 6_000;
const RATE_LIMIT_MS = 6_000;

describe('chaos: provider 500s, then 429s, then healthy', () => {
  const chaos = useChaosStack({ label: 'provider', users: USERS, provider: () => TwilioDouble.start() });
  let { stack, sessions } = {} as { stack: ChaosStack<TwilioDouble>; sessions: Session[] };
  beforeAll(() => void ({ stack, sessions } = chaos));

  it('delivers every message once after the provider recovers, with no error stanza', { timeout: 90_000 }, async () => {
    const { provider: twilio } = stack;
    const ledger = new Ledger('provider-500-429');
    twilio.failNext({ kind: 'server-error', httpStatus: 500 }, 1_000_000);

    // A burst from both users while the provider fails.
    await ledger.burst(sessions, CONTACT, PER_USER, 5, 1);
    await sleep(SERVER_ERROR_MS);
    const requestsDuring500 = twilio.requests;

    twilio.heal();
    twilio.failNext({ kind: 'rate-limit', retryAfterSeconds: 1 }, 1_000_000);
    await sleep(RATE_LIMIT_MS);
    const requestsDuring429 = twilio.requests - requestsDuring500;
    expect(twilio.messages).toHaveLength(0);

    twilio.heal();
    const healedAt = Date.now();
    await stack.collectOutbound(ledger, 45_000, 10_000);

    const summary = ledger.summarize(healedAt);
    report(summary, { 'requests-500': requestsDuring500, 'requests-429': requestsDuring429 });
    assertChaos(summary);
    expect(summary.refused, 'refused at the door: Redis and the gateway were up').toBe(0);
    expect(summary.errored, 'error stanzas: nothing reached its maximum age').toBe(0);
    expect(summary.delivered).toBe(summary.sent);
    // The faults were really exercised.
    expect(requestsDuring500).toBeGreaterThan(summary.sent);
    expect(requestsDuring429).toBeGreaterThan(0);
  });
});
