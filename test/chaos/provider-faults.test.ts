/**
 * Chaos: the provider answers 500 for a while, then 429 for a while, then
 * recovers. Every message goes out exactly once (within the duplicate bound)
 * and none is answered with an error: the maximum age (10 min) is far off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioDouble } from '../doubles/twilio.js';
import { sleep, waitUntil } from '../support/waits.js';
import { chat } from '../support/stack.js';
import { Ledger, bodyFor, paced } from './load.js';
import { assertChaos, report } from './report.js';
import { CONTACT, ChaosStack, chaosUsers, type Session } from './stack.js';

const USERS = chaosUsers(2);
const PER_USER = 100;
const SERVER_ERROR_MS = 6_000;
const RATE_LIMIT_MS = 6_000;

describe('chaos: provider 500s, then 429s, then healthy', () => {
  let stack: ChaosStack<TwilioDouble>;
  let sessions: Session[];

  beforeAll(async () => {
    stack = await ChaosStack.start({ label: 'provider', users: USERS, provider: await TwilioDouble.start() });
    sessions = await Promise.all(USERS.map((u) => stack.connect(u)));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('delivers every message once after the provider recovers, with no error stanza', { timeout: 90_000 }, async () => {
    const { provider: twilio } = stack;
    const ledger = new Ledger('provider-500-429');
    twilio.failNext({ kind: 'server-error', httpStatus: 500 }, 1_000_000);

    // A burst from both users while the provider fails.
    await Promise.all(
      sessions.map((s, u) =>
        paced(PER_USER, 5, 1, async () => {
          const token = ledger.next(`u${u + 1}`);
          await s.client.send(chat(CONTACT, token, bodyFor(token)));
        }),
      ),
    );
    await sleep(SERVER_ERROR_MS);
    const requestsDuring500 = twilio.requests;

    twilio.heal();
    twilio.failNext({ kind: 'rate-limit', retryAfterSeconds: 1 }, 1_000_000);
    await sleep(RATE_LIMIT_MS);
    const requestsDuring429 = twilio.requests - requestsDuring500;
    expect(twilio.messages).toHaveLength(0);

    twilio.heal();
    const healedAt = Date.now();
    await waitUntil(() => {
      ledger.collectProviderDeliveries(twilio);
      ledger.collectErrors(stack.allSessions());
      return ledger.allAnswered();
    }, 45_000);
    // Let anything that would go out twice do so before counting.
    await waitUntil(() => stack.settled(), 10_000);
    await sleep(500);
    ledger.collectProviderDeliveries(twilio);
    ledger.collectErrors(stack.allSessions());

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
