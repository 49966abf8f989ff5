/** OutboundBridge rules in the order a user meets them, with fakes for Redis-backed parts. */
import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../adapters/types.js';
import { addressCodec } from '../../src/networks/index.js';
import { OutboundBridge, type OutboundPolicy } from '../../src/bridge/outbound.js';
import { GatewayError } from '../../src/errors/registry.js';
import type { DailyCap, NumberPacer } from '../../src/store/limits.js';
import { componentConfig } from '../support/fixtures.js';

const config = componentConfig();
const req = (over: Partial<Parameters<OutboundBridge['accept']>[0]> = {}) => ({
  senderJid: 'alice@localhost/phone',
  contactLocalpart: '+15551234567',
  stanzaId: 'id1',
  body: 'hi',
  attachments: [],
  receiptRequested: false,
  ...over,
});

function fakeCap(limit: number): DailyCap & { count: number } {
  const cap = {
    limit,
    count: 0,
    async take() {
      if (cap.count >= limit) return false;
      cap.count += 1;
      return true;
    },
    async giveBack() {
      cap.count -= 1;
    },
  };
  return cap as unknown as DailyCap & { count: number };
}

function bridge(policy: OutboundPolicy, enqueue: (m: OutboundMessage) => Promise<'queued' | 'duplicate'> = async () => 'queued') {
  return new OutboundBridge(config, addressCodec('sms'), enqueue, policy);
}

describe('outbound policy', () => {
  it('puts the sender number on the message', async () => {
    const { message } = await bridge({ senderAddress: async () => '+15550001111' }).accept(req());
    expect(message.from).toBe('+15550001111');
  });

  it('refuses senders without a number with registration-required when the provider needs one', async () => {
    const err = await bridge({ senderAddress: async () => undefined, requireSenderAddress: true })
      .accept(req())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).spec.condition).toBe('registration-required');
    expect((err as GatewayError).message).toMatch(/you have no number on sms.localhost/);
  });

  it('enforces the daily cap with a clear error, and does not count duplicates or failed stores', async () => {
    const cap = fakeCap(2);
    let seen = new Set<string>();
    const b = bridge({ dailyCap: cap }, async (m) => (seen.has(m.id) ? 'duplicate' : (seen.add(m.id), 'queued')));
    await b.accept(req({ stanzaId: 'a' }));
    await b.accept(req({ stanzaId: 'a' }));
    expect(cap.count).toBe(1);
    await b.accept(req({ stanzaId: 'b' }));
    const err = (await b.accept(req({ stanzaId: 'c' })).catch((e: unknown) => e)) as GatewayError;
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.spec.condition).toBe('policy-violation');
    expect(err.message).toBe('you have sent 2 messages today, the daily limit on sms.localhost; it resets at 00:00 UTC');

    seen = new Set();
    const failingCap = fakeCap(5);
    const failing = bridge({ dailyCap: failingCap }, async () => {
      throw new GatewayError('QUEUE_UNAVAILABLE', 'down');
    });
    await expect(failing.accept(req())).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
    expect(failingCap.count).toBe(0);
  });

  it('never asks for a receipt on a message without an id (nothing could carry it back)', async () => {
    const b = bridge({});
    expect((await b.accept(req({ stanzaId: '', receiptRequested: true }))).message.receiptRequested).toBe(false);
    expect((await b.accept(req({ stanzaId: 'r1', receiptRequested: true }))).message.receiptRequested).toBe(true);
  });

  it('books each message a send slot for its number when it is accepted, in arrival order', async () => {
    const booked: Array<[string, number]> = [];
    let next = 5000;
    const pacer = {
      async book(number: string, now: number) {
        booked.push([number, now]);
        next += 100;
        return next;
      },
    } as unknown as NumberPacer;
    const b = bridge({ senderAddress: async () => '+15550001111', pacer });
    const first = await b.accept(req({ stanzaId: 'p1' }), 1000);
    const second = await b.accept(req({ stanzaId: 'p2' }), 1001);
    expect(first.message.paced).toEqual({ slot: 5100, attempt: 1 });
    expect(second.message.paced).toEqual({ slot: 5200, attempt: 1 });
    expect(booked).toEqual([['+15550001111', 1000], ['+15550001111', 1001]]);
    // No sender number, nothing to pace.
    expect((await bridge({ pacer }).accept(req({ stanzaId: 'p3' }))).message.paced).toBeUndefined();
  });

  it('counts what a message costs only once it is stored as new: not a retransmission, a failed store or a refusal', async () => {
    const counted: Array<Record<string, unknown>> = [];
    const policy: OutboundPolicy = { checkBody: () => ({ segments: 2, encoding: 'gsm7' }), queued: (facts) => void counted.push(facts) };
    const seen = new Set<string>();
    const b = bridge(policy, async (m) => (seen.has(m.id) ? 'duplicate' : (seen.add(m.id), 'queued')));
    await b.accept(req({ stanzaId: 's1' }));
    await b.accept(req({ stanzaId: 's1' }));
    expect(counted).toEqual([{ segments: 2, encoding: 'gsm7' }]);
    const failing = bridge(policy, async () => {
      throw new GatewayError('QUEUE_UNAVAILABLE', 'down');
    });
    await expect(failing.accept(req({ stanzaId: 's2' }))).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
    await expect(bridge({ ...policy, dailyCap: fakeCap(0) }).accept(req({ stanzaId: 's3' }))).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(counted).toHaveLength(1);
  });

  it('runs the body check before anything is counted', async () => {
    const cap = fakeCap(5);
    const b = bridge({
      dailyCap: cap,
      checkBody: () => {
        throw new GatewayError('BODY_INVALID', 'too many segments');
      },
    });
    await expect(b.accept(req())).rejects.toMatchObject({ code: 'BODY_INVALID' });
    expect(cap.count).toBe(0);
  });

  it('refuses a sender over their rate with a wait error that says when to retry', async () => {
    const bucket = { perSecond: 1, burst: 2, take: async () => 2500 } as unknown as import('../../src/store/limits.js').SenderBucket;
    const err = (await bridge({ senderRate: bucket }).accept(req()).catch((e: unknown) => e)) as GatewayError;
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.spec).toMatchObject({ condition: 'policy-violation', type: 'wait' });
    expect(err.message).toBe('you are sending faster than sms.localhost allows (1/s, bursts of 2); send again in 3 s');
  });
});

describe('per-message bounds (what one stanza may put into Redis)', () => {
  const url = (i: number) => `https://media.example.net/${i}.jpg`;

  it('refuses more media than the network profile takes, saying the limit', async () => {
    const err = (await bridge({}).accept(req({ attachments: Array.from({ length: 2200 }, (_, i) => ({ url: url(i) })) })).catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('BODY_INVALID');
    expect(err.message).toBe('the message carries 2200 media links; sms.localhost takes at most 10');
    const { message } = await bridge({}).accept(req({ attachments: Array.from({ length: 10 }, (_, i) => ({ url: url(i) })) }));
    expect(message.attachments).toHaveLength(10);
  });

  it('refuses an over-long subject, thread or attachment description, naming the field', async () => {
    const long = 'x'.repeat(999);
    for (const [over, field] of [
      [{ subject: long }, 'subject'],
      [{ thread: long }, 'thread'],
      [{ attachments: [{ url: url(1), name: long }] }, "attachment's description"],
    ] as const) {
      const err = (await bridge({}).accept(req(over as Parameters<typeof req>[0])).catch((e: unknown) => e)) as GatewayError;
      expect(err.code).toBe('BODY_INVALID');
      expect(err.message).toBe(`the ${field} is 999 characters long; sms.localhost takes at most 998`.replace("the attachment's", "an attachment's"));
    }
    const { message } = await bridge({}).accept(req({ subject: 'x'.repeat(998), thread: 't' }));
    expect(message).toMatchObject({ subject: 'x'.repeat(998), thread: 't' });
  });

  it('refuses an over-long media URL', async () => {
    const long = `https://media.example.net/${'a'.repeat(5000)}`;
    const err = (await bridge({}).accept(req({ attachments: [{ url: long }] })).catch((e: unknown) => e)) as GatewayError;
    expect(err.code).toBe('BODY_INVALID');
    expect(err.message).toMatch(/media link is 5026 characters long; sms.localhost takes at most 2048/);
  });

  it('refuses an over-long stanza id (it is stored with the job and echoed in receipts)', async () => {
    const err = (await bridge({}).accept(req({ stanzaId: 'x'.repeat(10_000) })).catch((e: unknown) => e)) as GatewayError;
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/at most 256/);
  });
});
