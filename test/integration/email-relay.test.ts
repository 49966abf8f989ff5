/**
 * MailRelay against a real SMTP server (the sink double, smtp-server) and
 * real Redis (the thread store): the connection the config asks for
 * (STARTTLS + AUTH, implicit TLS, requireTls), what arrives, the relay's
 * refusals read like an MTA, threads across mails, attachments fetched only
 * from allowed hosts, and health without hammering the relay.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MailRelay } from '../../adapters/email/smtp/outbound.js';
import { MailThreads } from '../../adapters/email/smtp/threads.js';
import type { SmtpEmailConfig } from '../../adapters/email/smtp/index.js';
import type { OutboundMessage } from '../../adapters/types.js';
import { GatewayError } from '../../src/errors/registry.js';
import { SmtpSink, type SinkOptions } from '../doubles/smtp-sink.js';
import { UploadService } from '../doubles/upload-service.js';
import { outboundMessage, providerConfig } from '../support/fixtures.js';
import { useTestRedis, type TestRedis } from '../support/test-redis.js';

const DOMAIN = 'mail.localhost';
const FROM = 'alice.localhost@mail.localhost';
const BOB = 'bob@example.net';

let db: TestRedis;
useTestRedis('email-relay', (d) => {
  db = d;
});

const sinks: SmtpSink[] = [];
const relays: MailRelay[] = [];
let uploads: UploadService;

beforeAll(async () => {
  uploads = await UploadService.start();
});
afterAll(async () => {
  await uploads.close();
});
afterEach(async () => {
  for (const r of relays.splice(0)) r.close();
  for (const s of sinks.splice(0)) await s.close();
});

async function sink(opts: SinkOptions = {}): Promise<SmtpSink> {
  const s = await SmtpSink.start(opts);
  sinks.push(s);
  return s;
}

function config(smtp: Record<string, unknown>, more: Record<string, unknown> = {}): SmtpEmailConfig {
  return providerConfig('smtp', { domain: DOMAIN, network: 'email', smtp: { timeoutMs: 5000, ...smtp }, ...more });
}

function relay(c: SmtpEmailConfig): { relay: MailRelay; threads: MailThreads } {
  const threads = new MailThreads(db.redis, db.prefix);
  const r = new MailRelay(c, { threads, logger: pino({ level: 'silent' }) });
  relays.push(r);
  return { relay: r, threads };
}

function mail(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return outboundMessage({ componentDomain: DOMAIN, contactJid: `bob\\40example.net@${DOMAIN}`, to: BOB, from: FROM, ...overrides });
}

const send = (r: MailRelay, m: OutboundMessage) => r.send(m, { attempt: 1, signal: new AbortController().signal });
const failure = (r: MailRelay, m: OutboundMessage) => send(r, m).then(() => undefined, (e: unknown) => e as GatewayError);

describe('the connection smtp.url asks for', () => {
  it('STARTTLS then AUTH (smtp:// with credentials, requireTls)', async () => {
    const s = await sink({ tls: 'starttls', auth: { user: 'gw@example.org', pass: 'p@ss word' } });
    const { relay: r } = relay(config({ url: s.url, requireTls: true, rejectUnauthorized: false }));
    await send(r, mail({ body: 'over TLS' }));
    expect(s.mails).toHaveLength(1);
    expect(s.mails[0]).toMatchObject({ user: 'gw@example.org', secure: true });
  });

  it('TLS from the first byte (smtps://)', async () => {
    const s = await sink({ tls: 'implicit', auth: { user: 'gw', pass: 'pw' } });
    const { relay: r } = relay(config({ url: s.url, rejectUnauthorized: false }));
    await send(r, mail());
    expect(s.mails[0]).toMatchObject({ user: 'gw', secure: true });
  });

  it('refuses a relay whose certificate does not verify, unless told not to check (retried: the admin must act)', async () => {
    const s = await sink({ tls: 'implicit' });
    const { relay: r } = relay(config({ url: s.url }));
    const err = await failure(r, mail());
    expect(err?.code).toBe('PROVIDER_TRANSIENT');
    expect(s.mails).toHaveLength(0);
  });

  it('with requireTls, never sends to a relay that offers no STARTTLS', async () => {
    const s = await sink();
    const { relay: r } = relay(config({ url: s.url, requireTls: true }));
    const err = await failure(r, mail());
    expect(err?.code).toBe('PROVIDER_TRANSIENT');
    expect(err?.message).toMatch(/TLS with the relay failed/);
    expect(s.mails).toHaveLength(0);
  });

  it('a wrong password waits for the admin and says so', async () => {
    const s = await sink({ tls: 'starttls', auth: { user: 'gw', pass: 'right' } });
    const { relay: r } = relay(config({ url: s.url.replace(':right@', ':wrong@'), rejectUnauthorized: false }));
    const err = await failure(r, mail());
    expect(err?.name).toBe('AccountError');
    expect(err?.message).toMatch(/refused the gateway's login \(535/);
    await expect(r.health()).resolves.toMatchObject({ ok: false });
  });
});

describe('what arrives', () => {
  it('From the gateway address with the nickname, To the contact, non-ASCII subject and body intact, Message-ID = provider id', async () => {
    const s = await sink();
    const { relay: r } = relay(config({ url: s.url }));
    const result = await send(r, mail({ nick: 'Alice Liddell', subject: 'Grüße — 日本語', body: 'Ünïcödé body ✓\nsecond line' }));
    const [got] = s.mails;
    expect(result).toEqual({ providerMessageId: expect.stringMatching(/@mail\.localhost$/), delivered: true });
    expect(got?.envelope).toEqual({ mailFrom: FROM, rcptTo: [BOB] });
    expect(got?.parsed.from?.value).toEqual([{ name: 'Alice Liddell', address: FROM }]);
    expect(got?.parsed.subject).toBe('Grüße — 日本語');
    expect(got?.parsed.text?.trim()).toBe('Ünïcödé body ✓\nsecond line');
    expect(got?.parsed.messageId).toBe(`<${result.providerMessageId}>`);
    expect(got?.parsed.inReplyTo).toBeUndefined();
  });

  it('a follow-up in the same <thread> carries In-Reply-To and References; the subject stays the first one', async () => {
    const s = await sink();
    const { relay: r, threads } = relay(config({ url: s.url }));
    const first = await send(r, mail({ thread: 'th-1', subject: 'Plans', body: 'one' }));
    const second = await send(r, mail({ thread: 'th-1', body: 'two' }));
    const third = await send(r, mail({ thread: 'th-1', body: 'three' }));
    const [, b, c] = s.mails;
    expect(b?.parsed.subject).toBe('Plans');
    expect(b?.parsed.inReplyTo).toBe(`<${first.providerMessageId}>`);
    expect(c?.parsed.inReplyTo).toBe(`<${second.providerMessageId}>`);
    expect(c?.parsed.references).toEqual([`<${first.providerMessageId}>`, `<${second.providerMessageId}>`]);
    expect(await threads.threadOf([third.providerMessageId])).toBe('th-1');
  });

  it("answers the correspondent's subject with Re: and gives a message without <thread> a thread of its own", async () => {
    const s = await sink();
    const { relay: r, threads } = relay(config({ url: s.url }));
    await threads.record('from-bob@example.net', 'th-bob', 'Invoice 42', 'received');
    await send(r, mail({ thread: 'th-bob', body: 'paid' }));
    expect(s.mails[0]?.parsed.subject).toBe('Re: Invoice 42');
    expect(s.mails[0]?.parsed.inReplyTo).toBe('<from-bob@example.net>');
    const lone = await send(r, mail({ body: 'no thread' }));
    expect(s.mails[1]?.parsed.subject).toBe('Message via XMPP');
    const thread = await threads.threadOf([lone.providerMessageId]);
    expect(thread).toMatch(/^mail-/);
  });

  it('sends the same Message-ID when the same message is tried again', async () => {
    const s = await sink();
    const { relay: r } = relay(config({ url: s.url }));
    s.failNext({ at: 'DATA', code: 451, text: '4.3.0 try again later' });
    const m = mail();
    await failure(r, m);
    const again = await send(r, m);
    expect(s.mails.map((x) => x.parsed.messageId)).toEqual([`<${again.providerMessageId}>`]);
  });
});

describe("the relay's verdict", () => {
  it.each([
    ['RCPT', 550, '5.1.1 <bob@example.net>: Recipient address rejected: User unknown'],
    ['DATA', 554, '5.7.1 Message rejected as spam'],
  ] as const)('%s %i: permanent, with the relay reply in the text', async (at, code, text) => {
    const s = await sink();
    const { relay: r } = relay(config({ url: s.url }));
    s.failNext({ at, code, text });
    const err = await failure(r, mail());
    expect(err?.code).toBe('DELIVERY_REJECTED');
    expect(err?.message).toBe(`not sent: the mail relay refused it: ${code} ${text}`);
    await expect(r.health()).resolves.toEqual({ ok: true });
  });

  it.each([
    ['RCPT', 450, '4.2.0 Mailbox busy'],
    ['DATA', 451, '4.3.0 Temporary local problem'],
  ] as const)('%s %i: retried', async (at, code, text) => {
    const s = await sink();
    const { relay: r } = relay(config({ url: s.url }));
    s.failNext({ at, code, text });
    const err = await failure(r, mail());
    expect(err?.code).toBe('PROVIDER_TRANSIENT');
    expect(err?.message).toContain(`${code} ${text}`);
    await expect(send(r, mail())).resolves.toMatchObject({ delivered: true });
  });

  it('an unreachable relay is retried and reported in health', async () => {
    const s = await sink();
    const url = s.url;
    await s.close();
    sinks.splice(sinks.indexOf(s), 1);
    const { relay: r } = relay(config({ url }));
    const err = await failure(r, mail());
    expect(err?.code).toBe('PROVIDER_TRANSIENT');
    await expect(r.health()).resolves.toMatchObject({ ok: false, detail: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('attachments', () => {
  it('attaches a file from an allowed host (bytes equal) and leaves other hosts, oversized files and redirects away as links', async () => {
    const s = await sink();
    const { relay: r } = relay(config({ url: s.url }, { attachments: { fetchHosts: ['127.0.0.1'], fetchMaxBytes: 4096 } }));
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
    const small = uploads.put('/f/small.bin', bytes, 'application/x-test');
    uploads.put('/f/big.bin', Buffer.alloc(5000, 1));
    const big = uploads.url('/f/big.bin');
    const otherHost = uploads.url('/f/small.bin', 'localhost');
    const away = uploads.redirect('/f/away', otherHost);
    const before = uploads.received.length;
    await send(r, mail({
      body: small,
      attachments: [{ url: small, name: 'photo.bin' }, { url: big }, { url: otherHost, name: 'Elsewhere' }, { url: away }],
    }));
    const got = s.mails[0]?.parsed;
    expect(got?.attachments.map((a) => [a.filename, a.contentType])).toEqual([['photo.bin', 'application/x-test']]);
    expect(got?.attachments[0]?.content.equals(bytes)).toBe(true);
    const text = got?.text ?? '';
    expect(text).not.toContain(small);
    for (const link of [big, otherHost, away]) expect(text).toContain(link);
    // Fetched: small, big (stopped at the cap), the redirect; never the other host.
    expect(uploads.received.slice(before).map((q) => q.headers.host)).toEqual(Array(3).fill(new URL(small).host));
  });

  it('never fetches when no host is allowed', async () => {
    const s = await sink();
    const { relay: r } = relay(config({ url: s.url }));
    const url = uploads.put('/f/never.txt', Buffer.from('x'));
    await send(r, mail({ body: 'see', attachments: [{ url }] }));
    expect(uploads.fetches('/f/never.txt')).toEqual([]);
    expect(s.mails[0]?.parsed.text).toContain(url);
  });
});

describe('health', () => {
  it('checks the relay once, then answers from what it knows for a minute', async () => {
    const s = await sink();
    const { relay: r } = relay(config({ url: s.url }));
    await expect(r.health()).resolves.toEqual({ ok: true });
    const opened = s.connections;
    for (let i = 0; i < 5; i++) await expect(r.health()).resolves.toEqual({ ok: true });
    expect(s.connections).toBe(opened);
  });
});
