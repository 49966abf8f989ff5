/**
 * Bounces (adapters/email/smtp/inbound/bounce.ts), read the way the listener
 * reads them: realistic non-delivery reports of each shape streamed through
 * the parser, then asked which mail of ours bounced and what the remote
 * server said.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { looksLikeBounce, readBounce } from '../../../adapters/email/smtp/inbound/bounce.js';
import { readMail, type ReceivedMail } from '../../../adapters/email/smtp/inbound/parse.js';

const SAMPLES = join(import.meta.dirname, 'samples');

async function received(source: Readable, envelopeFrom = ''): Promise<ReceivedMail> {
  return readMail(source, { maxFileBytes: 1024, maxMailBytes: 1024, envelopeFrom });
}

async function bounceOf(file: string) {
  const mail = await received(createReadStream(join(SAMPLES, file)));
  expect(mail.bounce).toBe(true);
  return readBounce({
    contentType: mail.contentType,
    ...(mail.reportType === undefined ? {} : { reportType: mail.reportType }),
    envelopeFrom: '',
    ...(mail.from === undefined ? {} : { headerFrom: mail.from }),
    ...(mail.subject === undefined ? {} : { subject: mail.subject }),
    ...(mail.messageId === undefined ? {} : { messageId: mail.messageId }),
    text: mail.text ?? '',
    raw: mail.raw,
  });
}

describe('bounces', () => {
  it('reads an RFC 3464 report (Postfix): the returned mail\'s Message-ID and the Diagnostic-Code', async () => {
    const report = await bounceOf('postfix-dsn.eml');
    expect(report).toEqual({
      originalMessageId: 'out-1764580320.abc123@mail.localhost',
      diagnostic: '550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table',
      action: 'failed',
    });
  });

  it('reads an Exim text bounce with the original quoted below the line', async () => {
    const report = await bounceOf('exim-text.eml');
    expect(report?.originalMessageId).toBe('out-exim-42@mail.localhost');
    expect(report?.diagnostic).toBe('550 5.1.1 <carol@example.com>: mailbox unavailable');
  });

  it('reads a qmail failure notice ("Remote host said:")', async () => {
    const report = await bounceOf('qmail-text.eml');
    expect(report?.originalMessageId).toBe('out-qmail-7@mail.localhost');
    expect(report?.diagnostic).toBe('550 5.7.1 <dave@example.biz>... Relaying denied');
  });

  it('reads a Gmail-style bounce with the original headers as text/rfc822-headers', async () => {
    const report = await bounceOf('gmail-text.eml');
    expect(report?.originalMessageId).toBe('out-gmail-99@mail.localhost');
    expect(report?.diagnostic).toMatch(/^550 5\.1\.1 The email account that you tried to reach does not exist\./);
  });

  it('does not report a delay notice (Action: delayed) as a failure', async () => {
    expect(await bounceOf('delayed-dsn.eml')).toBeUndefined();
  });

  it('tells a bounce from an ordinary mail on the headers alone', async () => {
    expect(looksLikeBounce({ contentType: 'multipart/report', reportType: 'delivery-status' })).toBe(true);
    expect(looksLikeBounce({ contentType: 'text/plain', envelopeFrom: '', headerFrom: 'mailer-daemon@x.example', subject: 'Undelivered Mail Returned to Sender' })).toBe(true);
    // A person writing about "failure" is not a bounce, nor is a disposition report (read receipt).
    expect(looksLikeBounce({ contentType: 'text/plain', envelopeFrom: 'bob@example.net', headerFrom: 'bob@example.net', subject: 'Delivery failure of the parcel' })).toBe(false);
    expect(looksLikeBounce({ contentType: 'multipart/report', reportType: 'disposition-notification', envelopeFrom: 'bob@example.net' })).toBe(false);
    const plain = await received(Readable.from('From: bob@example.net\r\nSubject: Re: Lunch\r\nMessage-ID: <b1@example.net>\r\n\r\nYes!\r\n'), 'bob@example.net');
    expect(plain.bounce).toBe(false);
  });
});
