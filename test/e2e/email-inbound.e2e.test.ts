/**
 * Email in, end to end: real Prosody, a private Redis (stopped in one test),
 * the built gateway with provider smtp, its relay pointed at the SMTP sink
 * double, and mail sent to the gateway's listener by Debian's swaks (an
 * independent SMTP client) or a bare SMTP dialogue; Mailgun posts over HTTP.
 * Mail reaches the owner of the address it was sent to (configured, or a
 * user's default address), in the thread of the mail it answers; attachments
 * download byte for byte; a bounce of a mail the gateway sent becomes the
 * error on the stanza that caused it; nothing is taken that is not stored.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSink } from '../doubles/smtp-sink.js';
import { removeOnExit } from '../support/child-guard.js';
import { freePort } from '../support/ports.js';
import { SmtpDialogue, serverReplies, swaks } from '../support/smtp.js';
import { E2EStack, chat, component, errorFor } from '../support/stack.js';
import { errorText } from '../support/stanza-errors.js';
import { eventually, sleep } from '../support/waits.js';
import { xml, type Element, type TestClient } from '../support/xmpp-client.js';

const MAIL = 'mail.localhost';
const BOB_ADDRESS = 'bob@mail.localhost';
const ALICE_DEFAULT = 'alice.localhost@mail.localhost';
const CAROL = 'carol@example.net';
const CAROL_JID = `carol\\40example.net@${MAIL}`;
const SIGNING_KEY = 'e2e-mailgun-signing-key-0123';
const NS_OOB = 'jabber:x:oob';

describe('email: inbound (e2e)', () => {
  let stack: E2EStack;
  let sink: SmtpSink;
  let alice: TestClient;
  let bob: TestClient;
  let smtpPort: number;
  let dir: string;

  /** A mail as an MTA hands it over: CRLF lines, headers, a blank line, the body. */
  const rawMail = (headers: Record<string, string>, body: string) =>
    `${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}\r\n`;

  /** swaks with the mail's exact bytes as DATA (`--data @file`). */
  async function sendRaw(to: string, raw: string, from = CAROL) {
    const file = join(dir, `mail-${randomBytes(6).toString('hex')}.eml`);
    await writeFile(file, raw);
    return swaks(smtpPort, ['--to', to, '--from', from, '--data', `@${file}`]);
  }

  const bodyOf = (el: Element) => el.getChildText('body') ?? '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xgw-e2e-mail-'));
    removeOnExit(dir);
    sink = await SmtpSink.start();
    smtpPort = await freePort();
    stack = await E2EStack.start({
      label: 'email-in',
      users: ['alice', 'bob'],
      redis: 'private',
      doubles: [sink],
      components: [
        component(MAIL, 'email', 'smtp', [
          sink.configSection(),
          `inbound: { host: 127.0.0.1, port: ${smtpPort}, maxMessageBytes: 300000, verifySenders: false }`,
          `mailgun: { signingKey: "${SIGNING_KEY}" }`,
          `attachments: { dir: "${join(dir, 'files')}" }`,
          `addresses: { "${BOB_ADDRESS}": bob@localhost }`,
          'retry: { initialDelayMs: 200, maxDelayMs: 1000 }',
        ]),
      ],
    });
    alice = await stack.login('alice');
    bob = await stack.login('bob');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('delivers mail to the owner of a configured address and to a user at their default address, subject first', async () => {
    const toBob = await swaks(smtpPort, ['--to', BOB_ADDRESS, '--from', CAROL, '--header', 'Subject: Quarterly numbers', '--body', 'They look good.']);
    expect(toBob.exitCode, toBob.output).toBe(0);
    expect(serverReplies(toBob.output)).toContain('250 2.6.0 OK: stored');
    const atBob = await bob.waitFor((el) => bodyOf(el).endsWith('They look good.'));
    expect(atBob.attrs).toMatchObject({ from: CAROL_JID, type: 'chat' });
    expect(bodyOf(atBob)).toBe('*Quarterly numbers*\n\nThey look good.');
    expect(atBob.getChildText('subject')).toBe('Quarterly numbers');
    expect(atBob.getChildText('thread')).toMatch(/^mail-/);

    const toAlice = await swaks(smtpPort, ['--to', ALICE_DEFAULT, '--from', CAROL, '--header', 'Subject: hi', '--body', 'to your default address']);
    expect(toAlice.exitCode, toAlice.output).toBe(0);
    expect((await alice.waitFor((el) => bodyOf(el).endsWith('to your default address'))).attrs.from).toBe(CAROL_JID);
  });

  it('keeps non-ASCII subjects and bodies, and makes HTML-only mail readable with its links', async () => {
    const subject = 'Grüße aus Köln — 東京 🎉';
    const encoded = `=?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`;
    const utf8 = rawMail(
      { From: `Zoë <${CAROL}>`, To: ALICE_DEFAULT, Subject: encoded, 'Message-ID': '<utf8-1@example.net>', 'MIME-Version': '1.0', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Transfer-Encoding': '8bit' },
      'Schöne Grüße, ça va? Привет 👋',
    );
    expect((await sendRaw(ALICE_DEFAULT, utf8)).exitCode).toBe(0);
    const got = await alice.waitFor((el) => bodyOf(el).includes('Привет'));
    expect(bodyOf(got)).toBe(`*${subject}*\n\nSchöne Grüße, ça va? Привет 👋`);
    expect(got.getChildText('subject')).toBe(subject);

    const html = rawMail(
      { From: CAROL, To: ALICE_DEFAULT, Subject: 'Newsletter', 'Message-ID': '<html-1@example.net>', 'MIME-Version': '1.0', 'Content-Type': 'text/html; charset=utf-8' },
      '<html><body><p>Hello <b>Alice</b>,</p><p>read <a href="https://news.example.net/42">the full story</a>.</p></body></html>',
    );
    expect((await sendRaw(ALICE_DEFAULT, html)).exitCode).toBe(0);
    const news = await alice.waitFor((el) => el.getChildText('subject') === 'Newsletter');
    expect(bodyOf(news)).toBe('*Newsletter*\n\nHello Alice,\n\nread the full story [https://news.example.net/42].');
  });

  it('offers an attachment as an XEP-0066 link whose download is the exact bytes', async () => {
    const bytes = randomBytes(40_000);
    const file = join(dir, 'scan.pdf');
    await writeFile(file, bytes);
    const sent = await swaks(smtpPort, ['--to', ALICE_DEFAULT, '--from', CAROL, '--header', 'Subject: the scan', '--body', 'attached', '--attach-type', 'application/pdf', '--attach', `@${file}`]);
    expect(sent.exitCode, sent.output).toBe(0);
    const msg = await alice.waitFor((el) => el.getChildText('subject') === 'the scan');
    const url = msg.getChild('x', NS_OOB)?.getChildText('url') ?? '';
    expect(url).toMatch(new RegExp(`^${stack.gateway.httpUrl}/files/${MAIL}/[A-Za-z0-9_-]{43}/scan\\.pdf$`));
    expect(bodyOf(msg)).toContain(url);
    const download = await fetch(url); // no token: the URL itself is the credential
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('puts a reply in the <thread> of the message it answers (a threaded round trip through the relay)', async () => {
    await alice.send(xml('message', { type: 'chat', to: CAROL_JID, id: 'thread-out-1' }, xml('body', {}, 'Shall we meet on Friday?'), xml('subject', {}, 'Friday'), xml('thread', {}, 'xmpp-thread-friday')));
    const sent = await eventually(() => sink.mails.find((m) => m.parsed.text?.includes('Shall we meet on Friday?')), 20_000, 'the mail at the relay');
    const messageId = sent.parsed.messageId ?? '';
    expect(messageId).not.toBe('');
    const reply = rawMail(
      { From: CAROL, To: ALICE_DEFAULT, Subject: 'Re: Friday', 'Message-ID': '<reply-friday@example.net>', 'In-Reply-To': messageId, References: messageId },
      'Yes, noon works.\n\nOn Tue, 1 Dec 2026 at 09:00, alice <alice.localhost@mail.localhost> wrote:\n> Shall we meet on Friday?',
    );
    expect((await sendRaw(ALICE_DEFAULT, reply)).exitCode).toBe(0);
    const answer = await alice.waitFor((el) => bodyOf(el).startsWith('Yes, noon works.'));
    expect(answer.getChildText('thread')).toBe('xmpp-thread-friday');
    // Same conversation, same subject: no subject line, and the quote is trimmed.
    expect(bodyOf(answer)).toBe('Yes, noon works.');
  });

  it('refuses an unknown recipient (550 5.1.1) and an oversized mail (552), delivering neither', async () => {
    const unknown = await swaks(smtpPort, ['--to', 'nobody@mail.localhost', '--from', CAROL, '--body', 'unknown-recipient-mail']);
    expect(unknown.exitCode).toBe(24);
    expect(serverReplies(unknown.output)).toContain('550 5.1.1 <nobody@mail.localhost>: no such address on this gateway');
    const bigBody = join(dir, 'big.txt');
    await writeFile(bigBody, `${'x'.repeat(76)}\n`.repeat(5300));
    const big = await swaks(smtpPort, ['--to', ALICE_DEFAULT, '--from', CAROL, '--header', 'Subject: oversized-mail', '--body', `@${bigBody}`]);
    expect(big.exitCode).toBe(26);
    expect(serverReplies(big.output)).toContain('552 5.3.4 message is larger than this gateway takes (300000 bytes)');
    await stack.waitSettled();
    expect(alice.received.some((el) => el.getChildText('subject') === 'oversized-mail' || bodyOf(el).includes('unknown-recipient-mail'))).toBe(false);
  });

  it('turns a delivery status notification for a sent mail into the error on the original stanza, with the diagnostic', async () => {
    await alice.send(chat(`dan\\40example.org@${MAIL}`, 'will-bounce-1', 'Are you there, Dan?'));
    const sent = await eventually(() => sink.mails.find((m) => m.parsed.text?.includes('Are you there, Dan?')), 20_000, 'the mail at the relay');
    const boundary = 'dsn-boundary-e2e';
    const dsn = rawMail(
      {
        From: 'Mail Delivery System <MAILER-DAEMON@mx.example.org>',
        To: ALICE_DEFAULT,
        Subject: 'Undelivered Mail Returned to Sender',
        'Message-ID': '<dsn-e2e-1@mx.example.org>',
        'MIME-Version': '1.0',
        'Content-Type': `multipart/report; report-type=delivery-status; boundary="${boundary}"`,
      },
      [
        `--${boundary}`,
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        '',
        `--${boundary}`,
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.org',
        '',
        'Final-Recipient: rfc822; dan@example.org',
        'Action: failed',
        'Status: 5.1.1',
        'Diagnostic-Code: smtp; 550 5.1.1 <dan@example.org>: mailbox does not exist',
        '',
        `--${boundary}`,
        'Content-Type: text/rfc822-headers',
        '',
        `From: ${ALICE_DEFAULT}`,
        'To: dan@example.org',
        `Message-ID: ${sent.parsed.messageId ?? ''}`,
        '',
        `--${boundary}--`,
      ].join('\n'),
    );
    expect((await sendRaw(ALICE_DEFAULT, dsn, '<>')).exitCode).toBe(0);
    const error = await errorFor(alice, 'will-bounce-1', 20_000);
    expect(error.attrs.from).toBe(`dan\\40example.org@${MAIL}`);
    expect(errorText(error)).toContain('550 5.1.1 <dan@example.org>: mailbox does not exist');
    await stack.waitSettled();
    expect(alice.received.some((el) => el.attrs.type !== 'error' && bodyOf(el).includes('could not be delivered'))).toBe(false);
  });

  it('delivers a signed Mailgun post once, and refuses a forged one and a replayed token', async () => {
    const post = (fields: Record<string, string>) =>
      fetch(`${stack.gateway.httpUrl}/webhooks/${MAIL}/inbound`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    const sign = (key: string) => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const token = randomBytes(25).toString('hex');
      return { timestamp, token, signature: createHmac('sha256', key).update(timestamp + token).digest('hex') };
    };
    const fields = {
      recipient: ALICE_DEFAULT,
      sender: CAROL,
      from: `Carol <${CAROL}>`,
      subject: 'via Mailgun',
      'body-plain': 'routed by Mailgun',
      'message-headers': JSON.stringify([['Message-Id', '<mg-e2e-1@example.net>']]),
    };
    const forged = await post({ ...fields, ...sign('guessed-key-00000000') });
    expect(forged.status).toBe(403);
    const signature = sign(SIGNING_KEY);
    expect((await post({ ...fields, ...signature })).status).toBe(200);
    const msg = await alice.waitFor((el) => bodyOf(el).endsWith('routed by Mailgun'));
    expect(msg.attrs.from).toBe(CAROL_JID);
    const replay = await post({ ...fields, ...signature });
    expect(replay.status).toBe(403);
    await stack.waitSettled();
    expect(alice.received.filter((el) => bodyOf(el).endsWith('routed by Mailgun'))).toHaveLength(1);
  });

  it('answers 451 while Redis is down during DATA, then takes the retry once Redis is back and delivers it once', async () => {
    const mail = rawMail({ From: CAROL, To: ALICE_DEFAULT, Subject: 'while redis was down', 'Message-ID': '<redis-down-1@example.net>' }, 'stored only once');
    const { dialogue, greeting } = await SmtpDialogue.open(smtpPort);
    expect(greeting.code).toBe(220);
    await dialogue.command('EHLO mta.example.net');
    expect((await dialogue.command(`MAIL FROM:<${CAROL}>`)).code).toBe(250);
    expect((await dialogue.command(`RCPT TO:<${ALICE_DEFAULT}>`)).code).toBe(250);
    await stack.redis.stop();
    const deferred = await dialogue.data(mail);
    dialogue.close();
    expect(deferred).toEqual({ code: 451, text: '4.3.0 cannot store this mail right now, try again later' });
    await stack.redis.start();
    await stack.gateway.waitReady(20_000);
    // The sending MTA retries the same mail; a second retry (it never heard the 250, say) is a duplicate.
    for (let attempt = 0; attempt < 2; attempt++) {
      const retry = await sendRaw(ALICE_DEFAULT, mail);
      expect(retry.exitCode, retry.output).toBe(0);
    }
    await alice.waitFor((el) => bodyOf(el).endsWith('stored only once'), 20_000);
    await stack.waitSettled();
    await sleep(300);
    expect(alice.received.filter((el) => bodyOf(el).endsWith('stored only once'))).toHaveLength(1);
  });
});
