/**
 * The inbound side of the smtp email provider (adapters/email/smtp/inbound/)
 * in process, on real Redis (the thread store, Mailgun tokens) and real
 * sockets: the SMTP listener answered by a bare SMTP dialogue and by swaks,
 * the Mailgun route through the gateway's HTTP server. What reaches the core
 * is recorded at emitInbound. DNS for sender checks is a fake resolver (this
 * machine may have no outside DNS); the end-to-end file covers Prosody.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisClient } from '../../src/queue/redis.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startInbound, type InboundSide } from '../../adapters/email/smtp/inbound/index.js';
import type { DNSResolver } from '../../adapters/email/smtp/inbound/sender-auth.js';
import type { SmtpEmailConfig } from '../../adapters/email/smtp/index.js';
import { MailThreads } from '../../adapters/email/smtp/threads.js';
import type { InboundAcceptance, InboundEvent, InboundMessage } from '../../adapters/types.js';
import { GatewayError } from '../../src/errors/registry.js';
import type { GatewayServer } from '../../src/http/server.js';
import { GatewayMetrics } from '../../src/metrics.js';
import { producerConnection } from '../../src/queue/redis.js';
import { adapterContext, gatewayServer, providerConfig, recordingLogger } from '../support/fixtures.js';
import { freePort } from '../support/ports.js';
import { SmtpDialogue, swaks } from '../support/smtp.js';
import { useTestRedis } from '../support/test-redis.js';

const DOMAIN = 'mail.localhost';
const ALICE = 'alice@mail.localhost';
const BOB_ADDR = 'bob@mail.localhost';
const SIGNING_KEY = 'mailgun-signing-key-0123456789';

let redis: RedisClient;
let prefix: string;
useTestRedis('email-in', (db) => ({ redis, prefix } = db));

let dir: string;
let app: GatewayServer;
let side: InboundSide;
let events: InboundEvent[];
let answer: (event: InboundEvent) => Promise<InboundAcceptance>;
let logLines: Array<Record<string, unknown>>;
let metrics: GatewayMetrics;
let threads: MailThreads;
let port: number;

/** DNS as the test says: TXT records by name; anything else does not exist; `slow` names never answer. */
function fakeResolver(txt: Record<string, string>, slow: string[] = []): DNSResolver {
  return async (name, rrtype) => {
    if (slow.some((s) => name.endsWith(s))) return new Promise(() => undefined);
    const record = txt[name.toLowerCase()];
    if (rrtype === 'TXT' && record !== undefined) return [[record]];
    throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };
}

const DNS = fakeResolver({
  'strict.example': 'v=spf1 -all',
  '_dmarc.strict.example': 'v=DMARC1; p=reject',
  'relaxed.example': 'v=spf1 -all',
  '_dmarc.relaxed.example': 'v=DMARC1; p=none',
});

async function start(keys: Record<string, unknown> = {}, resolver: DNSResolver = DNS): Promise<void> {
  const config = providerConfig('smtp', {
    domain: DOMAIN,
    network: 'email',
    smtp: { url: 'smtp://127.0.0.1:1' },
    inbound: { host: '127.0.0.1', port: 0, maxMessageBytes: 64 * 1024, maxConnectionsPerIp: 3, messagesPerIpPerMinute: 50, verifySenders: false },
    mailgun: { signingKey: SIGNING_KEY },
    attachments: { dir, maxFileBytes: 2000, maxMailBytes: 3000 },
    mail: { maxBodyLength: 500 },
    addresses: { [ALICE]: 'alice@localhost', [BOB_ADDR]: 'bob@localhost' },
    ...keys,
  }) as SmtpEmailConfig;
  const own = new Set(Object.keys(config.addresses));
  const ctx = adapterContext(config, {
    logger: recordingLogger(logLines),
    publicUrl: 'http://gw.example',
    redis,
    keyPrefix: `${prefix}:adapter:${DOMAIN}`,
    isGatewayAddress: async (a) => own.has(a),
    emitInbound: async (event) => {
      const result = await answer(event);
      events.push(event);
      return result;
    },
    http: {
      webhooks: (plugin) => app.registerAdapterRoutes({ domain: DOMAIN, scope: 'webhooks', plugin }),
      files: (plugin) => app.registerAdapterRoutes({ domain: DOMAIN, scope: 'files', plugin }),
      sandbox: () => undefined,
    },
    metrics,
  });
  threads = new MailThreads(redis, ctx.keyPrefix);
  side = await startInbound(config, ctx, threads, { resolver, authTimeoutMs: 1500 });
  await app.ready();
  port = side.smtpPort?.() ?? 0;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xgw-email-in-'));
  events = [];
  logLines = [];
  metrics = new GatewayMetrics();
  answer = async () => ({ outcome: 'queued', jobId: `j${events.length + 1}` });
  app = gatewayServer(recordingLogger(logLines), 64 * 1024);
});
afterEach(async () => {
  await side?.stop();
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

const messages = () => events.filter((e): e is InboundMessage => e.kind === 'message');

/** One whole SMTP transaction over a bare socket; resolves with the replies to RCPT (each) and to the data. */
async function transaction(rcpts: string[], mail: string, from = 'bob@example.net'): Promise<{ rcpt: number[]; data: { code: number; text: string } }> {
  const { dialogue } = await SmtpDialogue.open(port);
  await dialogue.command('EHLO client.example.net');
  await dialogue.command(`MAIL FROM:<${from}>`);
  const rcpt: number[] = [];
  for (const r of rcpts) rcpt.push((await dialogue.command(`RCPT TO:<${r}>`)).code);
  const data = rcpt.some((c) => c === 250) ? await dialogue.data(mail) : { code: 0, text: '' };
  await dialogue.command('QUIT').catch(() => undefined);
  dialogue.close();
  return { rcpt, data };
}

function mail(headers: Record<string, string>, body: string): string {
  return `${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${body}\r\n`;
}

describe('SMTP listener', () => {
  it('delivers a mail to each gateway recipient, with the subject as a first line, in a thread of its own', async () => {
    await start();
    const sent = await transaction(
      [ALICE, BOB_ADDR],
      mail({ From: 'Bob Example <Bob@Example.net>', To: ALICE, Subject: 'Lunch on Friday?', 'Message-ID': '<first-1@example.net>' }, 'Are you free?'),
    );
    expect(sent.rcpt).toEqual([250, 250]);
    expect(sent.data.code).toBe(250);
    expect(messages()).toHaveLength(2);
    expect(messages().map((m) => m.to)).toEqual([ALICE, BOB_ADDR]);
    const [first] = messages();
    expect(first).toMatchObject({ from: 'bob@example.net', subject: 'Lunch on Friday?', body: '*Lunch on Friday?*\n\nAre you free?', attachments: [] });
    expect(new Set(messages().map((m) => m.id)).size).toBe(2);
    expect(await threads.threadOf(['first-1@example.net'])).toBe(first?.thread);
    expect(await side.health()).toEqual({ ok: true });
  });

  it('puts a reply in the thread of the mail it answers, and repeats the subject only when it changed', async () => {
    await start();
    await threads.record('out-1@mail.localhost', 'xmpp-thread-7', 'Budget');
    await transaction([ALICE], mail({ From: 'carol@example.com', Subject: 'RE: Budget', 'Message-ID': '<r1@example.com>', 'In-Reply-To': '<out-1@mail.localhost>' }, 'Approved.\r\n\r\n-----Original Message-----\r\nFrom: alice\r\nSent: today\r\n\r\nCan you approve?'));
    await transaction([ALICE], mail({ From: 'carol@example.com', Subject: 'Budget for 2027', 'Message-ID': '<r2@example.com>', References: '<out-1@mail.localhost> <r1@example.com>' }, 'And next year?'));
    expect(messages().map((m) => [m.thread, m.body])).toEqual([
      ['xmpp-thread-7', 'Approved.'],
      ['xmpp-thread-7', '*Budget for 2027*\n\nAnd next year?'],
    ]);
  });

  it('refuses a recipient that is no gateway address with 550 5.1.1 and a reason', async () => {
    await start();
    const { dialogue } = await SmtpDialogue.open(port);
    await dialogue.command('EHLO client.example.net');
    await dialogue.command('MAIL FROM:<bob@example.net>');
    const refused = await dialogue.command('RCPT TO:<nobody@mail.localhost>');
    dialogue.close();
    expect(refused.code).toBe(550);
    expect(refused.text).toBe('5.1.1 <nobody@mail.localhost>: no such address on this gateway');
    expect(events).toEqual([]);
  });

  it('announces SIZE, offers neither AUTH nor STARTTLS without a certificate, and refuses a larger mail with 552', async () => {
    await start();
    const { dialogue } = await SmtpDialogue.open(port);
    const ehlo = await dialogue.command('EHLO client.example.net');
    expect(ehlo.text).toContain('SIZE 65536');
    expect(ehlo.text).not.toMatch(/AUTH|STARTTLS/);
    dialogue.close();
    const big = await transaction([ALICE], mail({ From: 'bob@example.net', Subject: 'big', 'Message-ID': '<big@example.net>' }, 'x'.repeat(70 * 1024)));
    expect(big.data.code).toBe(552);
    expect(big.data.text).toMatch(/larger than this gateway takes \(65536 bytes\)/);
    expect(events).toEqual([]);
  });

  it('offers STARTTLS with a configured certificate, and upgrades', async () => {
    const tlsDir = join(import.meta.dirname, '../fixtures/tls');
    await start({ inbound: { host: '127.0.0.1', port: 0, verifySenders: false, tls: { cert: join(tlsDir, 'xmpp.test.crt'), key: join(tlsDir, 'xmpp.test.key') } } });
    const { dialogue } = await SmtpDialogue.open(port);
    const ehlo = await dialogue.command('EHLO client.example.net');
    expect(ehlo.text).toContain('STARTTLS');
    expect(ehlo.text).not.toContain('AUTH');
    expect((await dialogue.command('STARTTLS')).code).toBe(220);
    dialogue.close();
  });

  it('reports a listener that cannot bind its port as unhealthy, and still serves the rest', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const busy = (taken.address() as { port: number }).port;
    try {
      await start({ inbound: { host: '127.0.0.1', port: busy, verifySenders: false } });
      const health = await side.health();
      expect(health.ok).toBe(false);
      expect(health.detail).toMatch(new RegExp(`SMTP listener cannot bind 127\\.0\\.0\\.1:${busy}: .*EADDRINUSE`));
    } finally {
      taken.close();
    }
  });

  it('answers 451 4.3.0 while the event cannot be stored, and 250 to the retry, which stores it once', async () => {
    await start();
    answer = async () => {
      throw new GatewayError('QUEUE_UNAVAILABLE', 'Redis is down');
    };
    const m = mail({ From: 'bob@example.net', Subject: 'retry me', 'Message-ID': '<retry-1@example.net>' }, 'hello again');
    const first = await transaction([ALICE], m);
    expect(first.data).toEqual({ code: 451, text: '4.3.0 cannot store this mail right now, try again later' });
    answer = async () => ({ outcome: 'queued', jobId: 'j' });
    expect((await transaction([ALICE], m)).data.code).toBe(250);
    // Recorded only once stored: the refused attempt left nothing behind, not even its files.
    expect(messages().map((e) => e.id)).toEqual([`retry-1@example.net ${ALICE}`]);
  });

  it('limits connections per client address (421) and mails per minute (451)', async () => {
    await start({ inbound: { host: '127.0.0.1', port: 0, maxConnectionsPerIp: 2, messagesPerIpPerMinute: 2, verifySenders: false } });
    const open = [await SmtpDialogue.open(port), await SmtpDialogue.open(port)];
    const third = await SmtpDialogue.open(port);
    expect(third.greeting.code).toBe(421);
    expect(third.greeting.text).toMatch(/too many connections from 127\.0\.0\.1 \(limit 2\)/);
    third.dialogue.close();
    const { dialogue } = open[0]!;
    await dialogue.command('EHLO client.example.net');
    expect((await dialogue.command('MAIL FROM:<a@example.net>')).code).toBe(250);
    await dialogue.command('RSET');
    expect((await dialogue.command('MAIL FROM:<a@example.net>')).code).toBe(250);
    await dialogue.command('RSET');
    const third_mail = await dialogue.command('MAIL FROM:<a@example.net>');
    expect(third_mail.code).toBe(451);
    expect(third_mail.text).toMatch(/4.7.0 too many mails from 127\.0\.0\.1 \(limit 2 a minute\)/);
    for (const o of open) o.dialogue.close();
  });

  it('keeps attachments under the caps, names the others, and cuts a long text with a link to the whole', async () => {
    await start();
    const keep = randomBytes(1500);
    const files = join(dir, 'send');
    await import('node:fs/promises').then(async (fs) => {
      await fs.mkdir(files);
      await fs.writeFile(join(files, 'keep.bin'), keep);
      await fs.writeFile(join(files, 'second.bin'), randomBytes(1800)); // under the file cap, over what is left of the mail's
      await fs.writeFile(join(files, 'huge.bin'), randomBytes(2500)); // over the file cap
    });
    const long = `${'Lorem ipsum dolor sit amet. '.repeat(40)}THE END`;
    const result = await swaks(port, [
      '--to', ALICE, '--from', 'bob@example.net', '--header', 'Subject: files', '--header', 'Message-Id: <files-1@example.net>',
      '--body', long,
      '--attach', '@' + join(files, 'keep.bin'), '--attach', '@' + join(files, 'second.bin'), '--attach', '@' + join(files, 'huge.bin'),
    ]);
    expect(result.exitCode, result.output).toBe(0);
    const [m] = messages();
    expect(m?.attachments?.map((a) => a.name)).toEqual(['keep.bin', 'message.txt']);
    expect(m?.body).toContain('[attachment not kept: second.bin, over what is left of the per-mail limit (1500 bytes)]');
    expect(m?.body).toContain('[attachment not kept: huge.bin, over the per-file limit (2000 bytes)]');
    expect(m?.body).not.toContain('THE END');
    const whole = m?.attachments?.find((a) => a.name === 'message.txt');
    expect(m?.body).toContain(`(the whole text: ${whole?.url})`);
    const served = await app.inject({ method: 'GET', url: new URL(m?.attachments?.[0]?.url ?? '').pathname });
    expect(served.rawPayload.equals(keep)).toBe(true);
    const text = await app.inject({ method: 'GET', url: new URL(whole?.url ?? '').pathname });
    expect(text.body.trim()).toBe(long);
  });

  it('turns a bounce for a mail the gateway sent into a failed status with the diagnostic, and drops one for an unknown mail', async () => {
    await start();
    await threads.record('out-1764580320.abc123@mail.localhost', 'xmpp-thread-1', 'Lunch on Friday?');
    const { readFile } = await import('node:fs/promises');
    const dsn = await readFile(join(import.meta.dirname, '../unit/email/samples/postfix-dsn.eml'), 'utf8');
    expect((await transaction([ALICE], dsn, '')).data.code).toBe(250);
    expect(events).toEqual([
      {
        kind: 'status',
        providerMessageId: 'out-1764580320.abc123@mail.localhost',
        status: 'failed',
        reason: '550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table',
      },
    ]);
    const exim = await readFile(join(import.meta.dirname, '../unit/email/samples/exim-text.eml'), 'utf8');
    expect((await transaction([ALICE], exim, '')).data.code).toBe(250);
    expect(events).toHaveLength(1);
    expect(logLines.some((l) => l.msg === 'bounce for a mail the gateway does not know; dropped' && l.original === 'out-exim-42@mail.localhost')).toBe(true);
  });
});

describe('SMTP listener: sender authentication', () => {
  const on = { inbound: { host: '127.0.0.1', port: 0, verifySenders: true } };

  it('refuses a DMARC failure under p=reject with 550 and the reason', async () => {
    await start(on);
    const sent = await transaction([ALICE], mail({ From: 'ceo@strict.example', Subject: 'wire money', 'Message-ID': '<s1@strict.example>' }, 'now'), 'ceo@strict.example');
    expect(sent.data.code).toBe(550);
    expect(sent.data.text).toMatch(/DMARC policy of strict\.example rejects this mail: neither SPF \(fail\) nor DKIM \(none\) passes/);
    expect(events).toEqual([]);
  });

  it('takes a DMARC failure under p=none, and counts the results', async () => {
    await start(on);
    const sent = await transaction([ALICE], mail({ From: 'news@relaxed.example', Subject: 'news', 'Message-ID': '<n1@relaxed.example>' }, 'hi'), 'news@relaxed.example');
    expect(sent.data.code).toBe(250);
    expect(messages()).toHaveLength(1);
    const text = await metrics.registry.metrics();
    expect(text).toContain(`xgw_mail_auth_total{domain="${DOMAIN}",check="spf",result="fail"} 1`);
    expect(text).toContain(`xgw_mail_auth_total{domain="${DOMAIN}",check="dmarc",result="fail"} 1`);
    expect(text).toContain(`xgw_mail_auth_total{domain="${DOMAIN}",check="dkim",result="none"} 1`);
  });

  it('never refuses mail over DNS trouble: lookups that fail or hang', async () => {
    await start(on, fakeResolver({}, ['hang.example']));
    const failing = await transaction([ALICE], mail({ From: 'a@nodns.example', Subject: 'x', 'Message-ID': '<d1@nodns.example>' }, 'one'), 'a@nodns.example');
    expect(failing.data.code).toBe(250);
    const hanging = await transaction([ALICE], mail({ From: 'a@hang.example', Subject: 'y', 'Message-ID': '<d2@hang.example>' }, 'two'), 'a@hang.example');
    expect(hanging.data.code).toBe(250);
    expect(messages().map((m) => m.from)).toEqual(['a@nodns.example', 'a@hang.example']);
    expect(logLines.some((l) => l.msg === 'sender authentication timed out; mail accepted unchecked')).toBe(true);
  });
});

describe('Mailgun route', () => {
  const post = (fields: Record<string, string>) =>
    app.inject({ method: 'POST', url: `/webhooks/${DOMAIN}/inbound`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
  const signed = (token = randomBytes(25).toString('hex'), timestamp = String(Math.floor(Date.now() / 1000)), key = SIGNING_KEY) => ({
    timestamp,
    token,
    signature: createHmac('sha256', key).update(timestamp + token).digest('hex'),
  });
  const parsed = {
    recipient: ALICE,
    sender: 'bob@example.net',
    from: 'Bob <bob@example.net>',
    subject: 'Hallo aus Köln',
    'body-plain': 'Grüße!\n\n> old quote',
    'message-headers': JSON.stringify([['Message-Id', '<mg-7@example.net>']]),
  };

  it('stores a signed post once, refuses its replayed token, a forged signature and a stale timestamp', async () => {
    await start();
    const sig = signed();
    const ok = await post({ ...parsed, ...sig });
    expect(ok.statusCode).toBe(200);
    expect(messages()).toEqual([expect.objectContaining({ from: 'bob@example.net', to: ALICE, subject: 'Hallo aus Köln', body: '*Hallo aus Köln*\n\nGrüße!' })]);
    const replay = await post({ ...parsed, ...sig });
    expect(replay.statusCode).toBe(403);
    expect(replay.json()).toMatchObject({ error: 'SIGNATURE_INVALID', message: expect.stringMatching(/token was used already/) });
    const forged = await post({ ...parsed, ...signed(undefined, undefined, 'guessed-signing-key-000') });
    expect(forged.statusCode).toBe(403);
    const stale = await post({ ...parsed, ...signed(undefined, String(Math.floor(Date.now() / 1000) - 600)) });
    expect(stale.statusCode).toBe(400);
    expect(messages()).toHaveLength(1);
  });

  it('takes body-mime on /inbound/mime, multipart, through the same parser', async () => {
    await start();
    const boundary = 'mg-boundary-1';
    const fields = { recipient: ALICE, sender: 'bob@example.net', ...signed(), 'body-mime': mail({ From: 'bob@example.net', Subject: 'raw', 'Message-ID': '<raw-9@example.net>' }, 'as sent') };
    const payload = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + `--${boundary}--\r\n`;
    const res = await app.inject({ method: 'POST', url: `/webhooks/${DOMAIN}/inbound/mime`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(res.statusCode).toBe(200);
    expect(messages()).toEqual([expect.objectContaining({ id: `raw-9@example.net ${ALICE}`, body: '*raw*\n\nas sent' })]);
  });

  it('answers 406 for a mail to no gateway address, and 503 while Redis is down', async () => {
    await start();
    expect((await post({ ...parsed, recipient: 'nobody@mail.localhost', ...signed() })).statusCode).toBe(406);
    redis = producerConnection(`redis://127.0.0.1:${await freePort()}`, { retryStrategy: () => null, lazyConnect: true });
    await side.stop();
    await app.close();
    app = gatewayServer(recordingLogger(logLines), 64 * 1024);
    await start();
    const down = await post({ ...parsed, ...signed() });
    expect(down.statusCode).toBe(503);
    expect(events).toEqual([]);
    redis.disconnect();
  });
});
