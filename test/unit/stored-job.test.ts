/** The slim stored form of an outbound job, and jobs stored by earlier versions, which keep working after an upgrade. */
import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../adapters/types.js';
import { readOutbound, storeOutbound } from '../../src/queue/stored-job.js';
import { outboundMessage } from '../support/fixtures.js';

/** Reads `data` as the job BullMQ would hand over: stored when `m` was accepted. */
const read = (data: unknown, m: OutboundMessage) => readOutbound(data as OutboundMessage, { id: m.id, timestamp: m.acceptedAt }, m.componentDomain);

describe('stored outbound jobs', () => {
  it('turns the bare mediaUrls of a job stored by 0.1 into attachments', () => {
    const { attachments: _, ...rest } = outboundMessage();
    const old = { ...rest, mediaUrls: ['https://e.example/a.jpg', 'https://e.example/b.png'] };
    const upgraded = read(old, outboundMessage());
    expect(upgraded.attachments).toEqual([{ url: 'https://e.example/a.jpg' }, { url: 'https://e.example/b.png' }]);
    expect(upgraded).not.toHaveProperty('mediaUrls');
    expect(upgraded.body).toBe(old.body);
  });

  it('gives a 0.1 job without media an empty list', () => {
    const { attachments: _, ...rest } = outboundMessage();
    expect(read(rest, outboundMessage()).attachments).toEqual([]);
  });

  it('leaves a job stored whole (0.2) as it is', () => {
    const whole = outboundMessage({ attachments: [{ url: 'https://e.example/r.pdf', name: 'r.pdf' }] });
    expect(read(whole, whole)).toBe(whole);
  });

  it('reads back every field of what it stores, the job id and queue domain filling in the rest', () => {
    const full = outboundMessage({
      from: '+15550001111',
      subject: 'Re: hello',
      thread: 't-1',
      nick: 'Alice Liddell',
      attachments: [{ url: 'https://e.example/r.pdf', name: 'r.pdf', type: 'application/pdf', size: 12 }],
      receiptRequested: true,
      paced: { slot: 1_700_000_000_500, attempt: 2 },
    });
    expect(read(JSON.parse(JSON.stringify(storeOutbound(full))), full)).toEqual(full);
    const bare = outboundMessage({ stanzaId: '', receiptRequested: false, attachments: [] });
    expect(read(JSON.parse(JSON.stringify(storeOutbound(bare))), bare)).toEqual(bare);
  });

  it('keeps a contact JID that is not <to>@<domain> (an escaped mail address), and leaves out one that is', () => {
    const sms = outboundMessage();
    expect(storeOutbound(sms)).not.toHaveProperty('c');
    const mail = outboundMessage({ componentDomain: 'mail.localhost', to: 'bob@example.net', contactJid: 'bob\\40example.net@mail.localhost' });
    expect(storeOutbound(mail).c).toBe('bob\\40example.net@mail.localhost');
    expect(read(storeOutbound(mail), mail).contactJid).toBe(mail.contactJid);
  });

  it('keeps no form marker and no acceptance time: the job timestamp is the time the message was accepted', () => {
    const m = outboundMessage();
    const stored = storeOutbound(m);
    expect(stored).not.toHaveProperty('v');
    expect(stored).not.toHaveProperty('a');
    expect(readOutbound(stored, { id: m.id, timestamp: 1_800_000_000_123 }, m.componentDomain).acceptedAt).toBe(1_800_000_000_123);
  });

  it('reads a job stored by 0.2 (v: 2, its own acceptance time) with that time, not the job timestamp', () => {
    const m = outboundMessage({ acceptedAt: 1_700_000_000_000 });
    const old = { v: 2 as const, ...storeOutbound(m), a: 1_700_000_000_000 };
    expect(readOutbound(old, { id: m.id, timestamp: 1_700_000_000_042 }, m.componentDomain)).toEqual(m);
  });

  it('stores a booked slot as its offset from the acceptance time, a bare number for the first attempt', () => {
    const first = outboundMessage({ acceptedAt: 1_800_000_000_000, paced: { slot: 1_800_000_000_250, attempt: 1 } });
    expect(storeOutbound(first).q).toBe(250);
    const later = outboundMessage({ acceptedAt: 1_800_000_000_000, paced: { slot: 1_800_000_060_000, attempt: 3 } });
    expect(storeOutbound(later).q).toEqual([60_000, 3]);
    expect(read(storeOutbound(later), later).paced).toEqual({ slot: 1_800_000_060_000, attempt: 3 });
  });

  it('never reads a slot back earlier than it was booked when the job is timestamped after acceptance', () => {
    const m = outboundMessage({ acceptedAt: 1_800_000_000_000, paced: { slot: 1_800_000_000_900, attempt: 1 } });
    const stored = readOutbound(storeOutbound(m), { id: m.id, timestamp: 1_800_000_000_003 }, m.componentDomain);
    expect(stored.paced?.slot).toBe(1_800_000_000_903);
  });

  it('reads a booking stored by 0.3 as [slot date, attempt]', () => {
    const m = outboundMessage({ acceptedAt: 1_800_000_000_000 });
    const { q: _, ...old } = { ...storeOutbound(m), p: [1_800_000_007_000, 2] as [number, number] };
    expect(read(old, m).paced).toEqual({ slot: 1_800_000_007_000, attempt: 2 });
  });

  it('keeps the data of a paced 140-character SMS from a bench-sized sender within 252 bytes (a 256-byte Redis allocation)', () => {
    const m = outboundMessage({
      senderJid: 'bench19@localhost/bench-k3j9x2', // as bench/lib/xmpp.ts names its clients
      to: '+15551230042',
      contactJid: '+15551230042@sms.localhost',
      componentDomain: 'sms.localhost',
      from: '+15550000019',
      body: 'x'.repeat(140),
      stanzaId: 'bl-19-99999',
      receiptRequested: false,
      acceptedAt: 1_800_000_000_000,
      paced: { slot: 1_800_000_004_321, attempt: 1 },
    });
    expect(Buffer.byteLength(JSON.stringify(storeOutbound(m)))).toBeLessThanOrEqual(252);
  });

  it('stores an SMS of 140 characters in two thirds of the JSON of the whole message', () => {
    const m = outboundMessage({ body: 'x'.repeat(140), stanzaId: crypto.randomUUID(), paced: { slot: 1_796_115_104_593, attempt: 1 } });
    const whole = JSON.stringify(m).length;
    const slim = JSON.stringify(storeOutbound(m)).length;
    expect(slim).toBeLessThan((whole * 2) / 3);
  });
});
