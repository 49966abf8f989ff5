/**
 * The outbound mail, composed without a relay: headers, the subject rules,
 * threading headers, what becomes an attachment and what stays a link,
 * transport options from smtp.url, and how relay replies are read.
 */
import { describe, expect, it } from 'vitest';
import { allowedHost, fileNameOf } from '../../../adapters/email/smtp/attachments.js';
import { composeMail, mailSubject, mailText, type FetchedFile } from '../../../adapters/email/smtp/compose.js';
import { messageIdOf } from '../../../adapters/email/smtp/outbound.js';
import { RELAY_THROTTLE_WAIT_MS, relayFailure, relayReply } from '../../../adapters/email/smtp/relay-errors.js';
import { relayName, relayOptions } from '../../../adapters/email/smtp/transport.js';
import { AccountError } from '../../../adapters/kit/account.js';
import { GatewayError } from '../../../src/errors/registry.js';
import { providerConfig } from '../../support/fixtures.js';

const DEFAULT_SUBJECT = 'Message via XMPP';
const base = { from: 'alice.localhost@mail.localhost', to: 'bob@example.net', body: 'hello Bob' };
const file = (url: string, name = 'a.txt'): FetchedFile => ({ url, filename: name, contentType: 'text/plain', content: Buffer.from('x') });

describe('mailSubject', () => {
  it.each([
    ['the stanza subject wins', 'Lunch?', { subject: 'Old', refs: ['a@x'] }, 'Lunch?'],
    ['a blank stanza subject does not count', '   ', undefined, DEFAULT_SUBJECT],
    ['no subject, no thread: the default', undefined, undefined, DEFAULT_SUBJECT],
    ['a thread without a subject: the default', undefined, { refs: ['a@x'] }, DEFAULT_SUBJECT],
    ["the correspondent's subject is answered", undefined, { subject: 'Invoice 42', subjectFrom: 'received', refs: ['a@x'] }, 'Re: Invoice 42'],
    ['a subject of unknown origin counts as the correspondent\'s', undefined, { subject: 'Invoice 42', refs: ['a@x'] }, 'Re: Invoice 42'],
    ['the user\'s own subject is kept as it was', undefined, { subject: 'Plans', subjectFrom: 'sent', refs: ['a@x'] }, 'Plans'],
    ['no second Re:', undefined, { subject: 'RE: Plans', subjectFrom: 'received', refs: ['a@x'] }, 'RE: Plans'],
    ['header injection becomes one line', 'Hi\r\nBcc: eve@example.org', undefined, 'Hi Bcc: eve@example.org'],
  ] as const)('%s', (_what, stanza, thread, subject) => {
    expect(mailSubject(stanza, thread === undefined ? undefined : { ...thread, refs: [...thread.refs] }, DEFAULT_SUBJECT)).toBe(subject);
  });

  it('keeps a non-ASCII subject as it is (nodemailer encodes it, RFC 2047)', () => {
    expect(mailSubject('Grüße aus Köln — 日本', undefined, DEFAULT_SUBJECT)).toBe('Grüße aus Köln — 日本');
  });
});

describe('composeMail', () => {
  it('From is the gateway address with the nickname, To the contact, a bracketed Message-ID, no threading headers in a new thread', () => {
    const mail = composeMail({ message: { ...base, nick: 'Alice Liddell' }, messageId: 'k1@mail.localhost', thread: undefined, defaultSubject: DEFAULT_SUBJECT, files: [], links: [] });
    expect(mail).toEqual({
      from: { name: 'Alice Liddell', address: 'alice.localhost@mail.localhost' },
      to: 'bob@example.net',
      subject: DEFAULT_SUBJECT,
      messageId: '<k1@mail.localhost>',
      text: 'hello Bob',
      attachments: [],
    });
  });

  it('without a nickname the display name is empty (the bare address shows)', () => {
    const mail = composeMail({ message: base, messageId: 'k1@mail.localhost', thread: undefined, defaultSubject: DEFAULT_SUBJECT, files: [], links: [] });
    expect(mail.from).toEqual({ name: '', address: base.from });
  });

  it('a nickname with line breaks cannot add headers', () => {
    const mail = composeMail({ message: { ...base, nick: 'Al\r\nBcc: eve@example.org' }, messageId: 'k@m', thread: undefined, defaultSubject: 'x', files: [], links: [] });
    expect(mail.from.name).toBe('Al Bcc: eve@example.org');
  });

  it('a follow-up in a known thread answers its newest mail and references all of them, oldest first', () => {
    const thread = { subject: 'Plans', subjectFrom: 'sent' as const, refs: ['first@mail.localhost', 'reply@example.net', 'second@mail.localhost'] };
    const mail = composeMail({ message: base, messageId: 'third@mail.localhost', thread, defaultSubject: DEFAULT_SUBJECT, files: [], links: [] });
    expect(mail.inReplyTo).toBe('<second@mail.localhost>');
    expect(mail.references).toEqual(['<first@mail.localhost>', '<reply@example.net>', '<second@mail.localhost>']);
    expect(mail.subject).toBe('Plans');
  });

  it('attaches fetched files and refuses to compose without a sending address', () => {
    const fetched = file('https://up.example.org/a.txt');
    const mail = composeMail({ message: base, messageId: 'k@m', thread: undefined, defaultSubject: 'x', files: [fetched], links: [] });
    expect(mail.attachments).toEqual([{ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('x') }]);
    const { from: _none, ...noFrom } = base;
    expect(() => composeMail({ message: noFrom, messageId: 'k@m', thread: undefined, defaultSubject: 'x', files: [], links: [] })).toThrow(/no sending address/);
  });
});

describe('mailText: attachments and links', () => {
  const up = 'https://up.example.org/f/photo.jpg';
  const other = 'https://elsewhere.example/doc.pdf';

  it('drops the body line that is only the URL of a file now attached', () => {
    expect(mailText(up, [file(up)], [])).toBe('');
    expect(mailText(`look:\n${up}`, [file(up)], [])).toBe('look:');
  });

  it('appends a link that is not attached, named by its description, unless the body shows it already', () => {
    expect(mailText('see this', [], [{ url: other, name: 'The report' }])).toBe(`see this\n\nThe report: ${other}`);
    expect(mailText(other, [], [{ url: other }])).toBe(other);
    expect(mailText('', [], [{ url: other }])).toBe(other);
  });
});

describe('attachment decisions', () => {
  const hosts = new Set(['upload.example.org']);

  it.each([
    ['https://upload.example.org/f/a.png', 'upload.example.org'],
    ['http://UPLOAD.example.org:5281/f/a.png', 'upload.example.org'],
    ['https://upload.example.org.evil.example/a.png', undefined],
    ['https://evil.example/upload.example.org/a.png', undefined],
    ['https://user:pw@upload.example.org/a.png', undefined],
    ['ftp://upload.example.org/a.png', undefined],
    ['file:///etc/passwd', undefined],
    ['not a url', undefined],
  ])('%s -> %s', (url, host) => {
    expect(allowedHost(url, hosts)).toBe(host);
  });

  it('names a file by its description, else by the last segment of the URL path', () => {
    expect(fileNameOf({ url: 'https://u.example/f/x/report%20v2.pdf' })).toBe('report v2.pdf');
    expect(fileNameOf({ url: 'https://u.example/f/x/a.pdf', name: 'Quarterly.pdf' })).toBe('Quarterly.pdf');
    expect(fileNameOf({ url: 'https://u.example/f/x/a.pdf', name: '../../etc/passwd' })).toBe('a.pdf');
    expect(fileNameOf({ url: 'https://u.example/' })).toBe('attachment');
  });
});

describe('messageIdOf', () => {
  it('is the same for every attempt at one message and differs between messages', () => {
    const a = messageIdOf({ id: 'o-1', acceptedAt: 1000 }, 'mail.example.org');
    expect(a).toMatch(/^[A-Za-z0-9_-]{26}@mail\.example\.org$/);
    expect(messageIdOf({ id: 'o-1', acceptedAt: 1000 }, 'mail.example.org')).toBe(a);
    expect(messageIdOf({ id: 'o-2', acceptedAt: 1000 }, 'mail.example.org')).not.toBe(a);
    // The same stanza id again much later is a new message.
    expect(messageIdOf({ id: 'o-1', acceptedAt: 2000 }, 'mail.example.org')).not.toBe(a);
  });
});

describe('relayOptions from smtp.url', () => {
  const smtp = (url: string, more: Record<string, unknown> = {}) =>
    providerConfig('smtp', { domain: 'mail.localhost', network: 'email', smtp: { url, ...more } }).smtp;

  it('smtp:// is plain with STARTTLS when offered, pooled, timeouts from timeoutMs, EHLO as the mail domain', () => {
    expect(relayOptions(smtp('smtp://relay.example.org:587', { timeoutMs: 5000, maxConnections: 3 }), 'mail.localhost')).toEqual({
      pool: true,
      maxConnections: 3,
      host: 'relay.example.org',
      port: 587,
      secure: false,
      requireTLS: false,
      tls: { rejectUnauthorized: true },
      name: 'mail.localhost',
      connectionTimeout: 5000,
      greetingTimeout: 5000,
      socketTimeout: 5000,
      dnsTimeout: 5000,
    });
  });

  it('requireTls insists on STARTTLS; smtps:// is TLS from the start; credentials are percent-decoded', () => {
    expect(relayOptions(smtp('smtp://relay.example.org', { requireTls: true }), 'm')).toMatchObject({ secure: false, requireTLS: true });
    expect(relayOptions(smtp('smtp://relay.example.org'), 'm')).not.toHaveProperty('port');
    const implicit = relayOptions(smtp('smtps://gw%40example.org:p%40ss%3Aword@relay.example.org:465', { rejectUnauthorized: false }), 'm');
    expect(implicit).toMatchObject({ secure: true, requireTLS: false, port: 465, auth: { user: 'gw@example.org', pass: 'p@ss:word' }, tls: { rejectUnauthorized: false } });
  });

  it('signs with DKIM when configured', () => {
    const dkim = { domainName: 'example.org', keySelector: 'gw', privateKey: '-----BEGIN PRIVATE KEY-----x' };
    expect(relayOptions(smtp('smtp://relay.example.org', { dkim }), 'm').dkim).toEqual(dkim);
  });

  it('names the relay without its credentials', () => {
    expect(relayName('smtps://user:secret@relay.example.org:465')).toBe('smtps://relay.example.org:465');
  });
});

describe('relayFailure: reading the relay like an MTA', () => {
  const relay = 'smtp://relay.example.org:587';
  const replyError = (responseCode: number, response: string, more: Record<string, unknown> = {}) =>
    Object.assign(new Error(`Can't send mail - ${response}`), { code: 'EENVELOPE', command: 'RCPT TO', responseCode, response, ...more });
  const read = (thrown: unknown) => relayFailure(thrown, relay);

  it('5xx is permanent and carries the relay reply for the sender', () => {
    const err = read(replyError(550, '550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown'));
    expect(err.code).toBe('DELIVERY_REJECTED');
    expect(err.spec.retryable).toBe(false);
    expect(err.message).toBe('not sent: the mail relay refused it: 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown');
  });

  it('a multi-line 5xx reply becomes one line', () => {
    expect(relayReply('554-5.7.1 first\r\n554 5.7.1 second')).toBe('5.7.1 first 5.7.1 second');
  });

  it('503 (bad sequence) and 4xx are retried, and the log text names the relay and the command', () => {
    const deferred = read(replyError(451, '451 4.3.0 Temporary lookup failure'));
    expect(deferred.code).toBe('PROVIDER_TRANSIENT');
    expect(deferred.message).toBe(`${relay}: the relay deferred the mail (451 4.3.0 Temporary lookup failure, during RCPT TO)`);
    expect(read(replyError(503, '503 5.5.1 Error: need MAIL command', { permanent: false })).code).toBe('PROVIDER_TRANSIENT');
  });

  it('a 4xx about sending too fast pauses the queue for a minute', () => {
    const err = read(replyError(450, '450 4.7.1 Error: too much mail from 192.0.2.1'));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBe(RELAY_THROTTLE_WAIT_MS);
  });

  it('a lost or refused connection is retried', () => {
    for (const code of ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS']) {
      const err = read(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code }));
      expect(err).toBeInstanceOf(GatewayError);
      expect(err.code, code).toBe('PROVIDER_TRANSIENT');
      expect(err.message).toContain(code);
    }
  });

  it("a refused login waits for the admin, whatever the reply's class", () => {
    const err = read(Object.assign(new Error('Invalid login'), { code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Authentication credentials invalid' }));
    expect(err).toBeInstanceOf(AccountError);
    expect(err.spec.retryable).toBe(true);
    expect(err.message).toMatch(/refused the gateway's login \(535 5\.7\.8 Authentication credentials invalid\); check smtp\.url/);
  });

  it('a failed STARTTLS is the setup, not the mail: it waits for the admin even on a 5xx', () => {
    const err = read(Object.assign(new Error('Error upgrading connection with STARTTLS'), { code: 'ETLS', command: 'STARTTLS', responseCode: 500, response: '500 command not recognized', permanent: true }));
    expect(err).toBeInstanceOf(AccountError);
    expect(err.message).toMatch(/TLS with the relay failed \(500 command not recognized\)/);
  });

  it('a refused greeting is the relay refusing the gateway: retried', () => {
    const err = read(Object.assign(new Error('greeting'), { code: 'EPROTOCOL', command: 'CONN', responseCode: 554, response: '554 5.7.1 go away' }));
    expect(err.code).toBe('PROVIDER_TRANSIENT');
  });

  it('anything thrown that is not an Error is still read', () => {
    expect(read('boom').code).toBe('PROVIDER_TRANSIENT');
  });
});
