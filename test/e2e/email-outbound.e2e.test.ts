/**
 * Email out, end to end: real Prosody, real Redis, the built gateway, and a
 * real SMTP server as the relay (the sink double: smtp-server, STARTTLS with
 * the test certificate, AUTH required) plus an XEP-0363 upload service
 * double. A user writes to bob\40example.net@mail.localhost; the sink
 * receives the mail, parsed with mailparser; its 250 is the receipt, its
 * 4xx a retry, its 5xx an error stanza with its own words.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SmtpSink } from '../doubles/smtp-sink.js';
import { UploadService } from '../doubles/upload-service.js';
import { E2EStack, chat, component, errorFor, receiptFor, receiptRequest } from '../support/stack.js';
import { errorCondition, errorText, errorType } from '../support/stanza-errors.js';
import { eventually } from '../support/waits.js';
import { xml, type TestClient } from '../support/xmpp-client.js';

const MAIL = 'mail.localhost';
const POST = 'post.localhost';
const BOB = 'bob@example.net';
const BOB_JID = `bob\\40example.net@${MAIL}`;
const ALICE_ADDRESS = 'alice.localhost@mail.localhost';

describe('email: outbound through a relay (e2e)', () => {
  let stack: E2EStack;
  let sink: SmtpSink;
  let uploads: UploadService;
  let alice: TestClient;
  let carol: TestClient;

  /** The mails the sink took whose text contains `marker`, once there are `count`. */
  const arrived = (marker: string, count = 1) =>
    eventually(() => {
      const found = sink.mails.filter((m) => (m.parsed.text ?? '').includes(marker));
      return found.length >= count ? found : undefined;
    }, 20_000, `${count} mail(s) containing "${marker}" at the sink`);

  beforeAll(async () => {
    sink = await SmtpSink.start({ tls: 'starttls', auth: { user: 'gateway@example.org', pass: 'relay pass:1' } });
    uploads = await UploadService.start();
    const relay = sink.configSection({ requireTls: true, timeoutMs: 5000 });
    stack = await E2EStack.start({
      label: 'email-out',
      users: ['alice', 'carol'],
      doubles: [sink, uploads],
      components: [
        component(MAIL, 'email', 'smtp', [relay, uploads.attachmentsSection(64 * 1024), 'retry: { initialDelayMs: 300, maxDelayMs: 1000 }']),
        component(POST, 'email', 'smtp', [relay, 'defaultAddresses: false', 'addressPool: [desk@post.localhost]']),
      ],
    });
    alice = await stack.login('alice');
    carol = await stack.login('carol');
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach(() => {
    sink.heal();
  });

  it('delivers a mail From her default address with her nickname, over STARTTLS with AUTH, non-ASCII intact, and the 250 is the receipt', async () => {
    await alice.send(chat(BOB_JID, 'e-1', 'Grüße, Bob! ✓ 日本語 — m1', [
      receiptRequest(),
      xml('subject', {}, 'Schöne Grüße — 日本'),
      xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Alice Liddell'),
    ]));
    const [got] = await arrived('m1');
    expect(got?.envelope).toEqual({ mailFrom: ALICE_ADDRESS, rcptTo: [BOB] });
    expect(got?.parsed.from?.value).toEqual([{ name: 'Alice Liddell', address: ALICE_ADDRESS }]);
    expect(got?.parsed.to).toMatchObject({ value: [{ address: BOB }] });
    expect(got?.parsed.subject).toBe('Schöne Grüße — 日本');
    expect(got?.parsed.text?.trim()).toBe('Grüße, Bob! ✓ 日本語 — m1');
    expect(got?.parsed.messageId).toMatch(/^<[A-Za-z0-9_-]+@mail\.localhost>$/);
    expect(got).toMatchObject({ secure: true, user: 'gateway@example.org' });
    expect((await receiptFor(alice, 'e-1', 20_000)).attrs.from).toBe(BOB_JID);
  });

  it('retries after the relay answers 4xx, then sends the receipt on its 250', async () => {
    sink.failNext({ at: 'RCPT', code: 451, text: '4.3.0 Temporary lookup failure, try again' });
    await alice.send(chat(BOB_JID, 'e-4xx', 'after a deferral m2', [receiptRequest()]));
    await receiptFor(alice, 'e-4xx', 20_000);
    expect(await arrived('m2')).toHaveLength(1);
    expect(sink.refused.filter((r) => r.code === 451)).toEqual([{ at: 'RCPT', code: 451, to: [BOB] }]);
  });

  it("answers a relay 5xx with an error stanza carrying the original id and the relay's reply", async () => {
    sink.failNext({ at: 'DATA', code: 554, text: '5.7.1 Message rejected: looks like spam' });
    await alice.send(chat(BOB_JID, 'e-5xx', 'buy now m3', [receiptRequest()]));
    const error = await errorFor(alice, 'e-5xx', 20_000);
    expect(error.attrs.from).toBe(BOB_JID);
    expect(errorType(error)).toBe('cancel');
    expect(errorCondition(error)).toBe('recipient-unavailable');
    expect(errorText(error)).toBe('not sent: the mail relay refused it: 554 5.7.1 Message rejected: looks like spam');
    await stack.waitSettled(MAIL);
    expect(sink.mails.some((m) => (m.parsed.text ?? '').includes('m3'))).toBe(false);
  });

  it('attaches a file from the allowed upload host (same bytes) and leaves a link to any other host unfetched', async () => {
    const bytes = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7) % 256));
    const photo = uploads.put('/upload/abc/photo.jpg', bytes, 'image/jpeg');
    const elsewhere = uploads.url('/upload/def/notes.pdf', 'localhost');
    const before = uploads.received.length;
    await alice.send(chat(BOB_JID, 'e-att', `${photo}\nm4`, [
      xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, photo)),
      xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, elsewhere), xml('desc', {}, 'Notes')),
    ]));
    const [got] = await arrived('m4');
    expect(got?.parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([['photo.jpg', 'image/jpeg']]);
    expect(got?.parsed.attachments[0]?.content.equals(bytes)).toBe(true);
    expect(got?.parsed.text).toContain(`Notes: ${elsewhere}`);
    expect(got?.parsed.text).not.toContain(photo);
    expect(uploads.received.slice(before).map((r) => `${r.headers.host}${r.path}`)).toEqual([`${new URL(photo).host}/upload/abc/photo.jpg`]);
  });

  it('threads a follow-up in the same <thread>: In-Reply-To and References name the earlier mail', async () => {
    await alice.send(chat(BOB_JID, 'e-t1', 'first in thread m5', [xml('thread', {}, 'plans-1'), xml('subject', {}, 'Weekend plans')]));
    const [first] = await arrived('m5');
    await alice.send(chat(BOB_JID, 'e-t2', 'second in thread m6', [xml('thread', {}, 'plans-1')]));
    const [second] = await arrived('m6');
    expect(second?.parsed.subject).toBe('Weekend plans');
    expect(second?.parsed.inReplyTo).toBe(first?.parsed.messageId);
    expect([second?.parsed.references].flat()).toEqual([first?.parsed.messageId]);
  });

  it('takes the legacy % form and a U-label domain, sending to the address in A-label form', async () => {
    await alice.send(chat(`bob%example.net@${MAIL}`, 'e-pct', 'percent form m7', [receiptRequest()]));
    await alice.send(chat(`bob\\40bücher.example@${MAIL}`, 'e-idn', 'idn m8'));
    expect((await arrived('m7'))[0]?.envelope.rcptTo).toEqual([BOB]);
    const [idn] = await arrived('m8');
    // smtp-server shows the domain decoded; on the wire and in the header it is the A-label.
    expect(idn?.envelope.rcptTo).toEqual(['bob@bücher.example']);
    expect(sink.commands).toContain('RCPT TO:<bob@xn--bcher-kva.example>');
    expect(idn?.raw.toString('latin1')).toMatch(/^To: bob@xn--bcher-kva\.example\r$/m);
    expect((await receiptFor(alice, 'e-pct', 20_000)).attrs.from).toBe(`bob%example.net@${MAIL}`);
  });

  it('refuses an undeliverable address at once: modify / jid-malformed, the original id and why', async () => {
    await alice.send(chat(`\\22bob\\22\\40example.net@${MAIL}`, 'e-bad', 'quoted'));
    const error = await errorFor(alice, 'e-bad');
    expect(errorType(error)).toBe('modify');
    expect(errorCondition(error)).toBe('jid-malformed');
    expect(errorText(error)).toBe('quoted local parts ("...") are not supported');
  });

  it('without default addresses, a user must register first; then mail goes From the claimed address', async () => {
    await carol.send(chat(`bob\\40example.net@${POST}`, 'p-1', 'before registering m9'));
    const refused = await errorFor(carol, 'p-1');
    expect(errorCondition(refused)).toBe('registration-required');
    expect(errorText(refused)).toBe(`you have no address on ${POST}: register one (in-band registration) or ask the administrator`);
    await carol.iq(xml('iq', { type: 'set', to: POST }, xml('query', { xmlns: 'jabber:iq:register' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'address' }, xml('value', {}, 'desk@post.localhost'))))));
    await carol.send(chat(`bob\\40example.net@${POST}`, 'p-2', 'registered m10'));
    const [got] = await arrived('m10');
    expect(got?.envelope.mailFrom).toBe('desk@post.localhost');
  });
});
