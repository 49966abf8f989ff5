/**
 * A provider's 429 with Retry-After is honoured, for every HTTP SMS provider:
 * measured at the provider double, no message is sent again before the time
 * the provider asked for. BullMQ ignores a worker's manual rate limit unless
 * the worker has a limiter (src/queue/workers.ts); without one the job was
 * taken again within milliseconds of its 429.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpDouble } from '../doubles/base.js';
import { TelnyxDouble } from '../doubles/telnyx.js';
import { TwilioDouble } from '../doubles/twilio.js';
import { chat, smsStack, type E2EStack } from '../support/stack.js';
import { eventually } from '../support/waits.js';
import type { TestClient } from '../support/xmpp-client.js';

const SMS = 'sms.localhost';
const CONTACT = `+15551234567@${SMS}`;
const ALICE_NUMBER = '+15550001111';
/** Rounds of three messages, the first two answered 429; Retry-After alternates 1 s and 2 s. */
const ROUNDS = 5;

const providers: Array<[string, () => Promise<HttpDouble<{ kind: string }>>]> = [
  ['twilio', () => TwilioDouble.start()],
  ['telnyx', () => TelnyxDouble.start({ numbers: [ALICE_NUMBER] })],
];

describe.each(providers)('Retry-After from %s (e2e)', (provider, startDouble) => {
  let stack: E2EStack;
  let double: HttpDouble<{ kind: string }>;
  let alice: TestClient;

  beforeAll(async () => {
    double = await startDouble();
    stack = await smsStack({ label: `retry-after-${provider}`, double, number: ALICE_NUMBER, domain: SMS });
    alice = await stack.login('alice');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it(`never sends a message again before the Retry-After of its 429 (${ROUNDS * 2} rate-limited sends)`, { timeout: 60_000 }, async () => {
    const samples: Array<{ token: string; limitedAt: number; retriedAt: number; retryAfterMs: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const retryAfterSeconds = 1 + (round % 2);
      double.reset();
      double.failNext({ kind: 'rate-limit', retryAfterSeconds }, 2);
      const tokens = [0, 1, 2].map((i) => `ra-${provider}-${round}-${i}`);
      for (const token of tokens) await alice.send(chat(CONTACT, token, token));
      await eventually(() => (double.accepted().filter((m) => tokens.includes(m.body)).length === tokens.length ? true : undefined), 20_000, `round ${round} delivered`);
      await stack.waitSettled(SMS);
      // The first two requests at the send endpoint were the ones answered 429.
      const sends = double.received.filter((r) => r.method === 'POST' && tokens.some((t) => r.body.includes(t)));
      for (const limited of sends.slice(0, 2)) {
        const token = tokens.find((t) => limited.body.includes(t))!;
        const retry = sends.find((r) => r !== limited && r.body.includes(token) && r.receivedAt >= limited.receivedAt);
        expect(retry, `${token} was sent again after its 429`).toBeDefined();
        samples.push({ token, limitedAt: limited.receivedAt.getTime(), retriedAt: retry!.receivedAt.getTime(), retryAfterMs: retryAfterSeconds * 1000 });
      }
      expect(double.accepted().filter((m) => tokens.includes(m.body)).map((m) => m.body).sort()).toEqual(tokens);
    }
    expect(samples).toHaveLength(ROUNDS * 2);
    const early = samples.filter((s) => s.retriedAt - s.limitedAt < s.retryAfterMs);
    expect(early.map((s) => `${s.token} again after ${s.retriedAt - s.limitedAt} ms (Retry-After ${s.retryAfterMs} ms)`)).toEqual([]);
    expect(alice.received.some((el) => String(el.attrs.id).startsWith(`ra-${provider}`) && el.attrs.type === 'error')).toBe(false);
  });
});
