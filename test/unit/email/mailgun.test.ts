/**
 * Mailgun hosted inbound, the pure parts (adapters/email/smtp/inbound/mailgun.ts):
 * the webhook signature, multipart bodies as Mailgun posts them, and the
 * parsed fields put back together as a mail the listener's parser reads.
 */
import { describe, expect, it } from 'vitest';
import { mailgunSignatureValid, mimeOf, parseMultipart } from '../../../adapters/email/smtp/inbound/mailgun.js';
import { readMail } from '../../../adapters/email/smtp/inbound/parse.js';

describe('Mailgun signature', () => {
  // Computed independently: printf '%s' "$timestamp$token" | openssl dgst -sha256 -hmac "$key"
  const key = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
  const timestamp = '1764580000';
  const token = 'c6a1e7d4b05f2e83a9d1c4f7b2e0a6d8c3f5b9e1a7d2c4f6b8e0a3';
  const signature = '4b2ab8c824e24c7935ed2e35806e50deaa069efb33d52077d85b779ca4ccf3e2';

  it('accepts HMAC-SHA256(key, timestamp + token) in hex, either case', () => {
    expect(mailgunSignatureValid(key, timestamp, token, signature)).toBe(true);
    expect(mailgunSignatureValid(key, timestamp, token, signature.toUpperCase())).toBe(true);
  });

  it('refuses another key, timestamp or token, and anything not 64 hex digits', () => {
    expect(mailgunSignatureValid('key-other', timestamp, token, signature)).toBe(false);
    expect(mailgunSignatureValid(key, '1764580001', token, signature)).toBe(false);
    expect(mailgunSignatureValid(key, timestamp, `${token}x`, signature)).toBe(false);
    expect(mailgunSignatureValid(key, timestamp, token, signature.slice(0, 62))).toBe(false);
    expect(mailgunSignatureValid(key, timestamp, token, '')).toBe(false);
  });
});

describe('Mailgun posts', () => {
  const boundary = '----mailgun-e2e-7d3f';
  const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const file = (name: string, filename: string, type: string, content: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n${content}\r\n`;

  it('reads a multipart post: fields and attachment files', async () => {
    const body = Buffer.from(
      part('recipient', 'alice@mail.localhost') + part('subject', 'Grüße') + file('attachment-1', 'notes.txt', 'text/plain', 'line one\nline two') + `--${boundary}--\r\n`,
    );
    const post = await parseMultipart(body, `multipart/form-data; boundary=${boundary}`);
    expect(post.fields).toEqual({ recipient: 'alice@mail.localhost', subject: 'Grüße' });
    expect(post.files).toHaveLength(1);
    expect(post.files[0]).toMatchObject({ field: 'attachment-1', name: 'notes.txt', type: 'text/plain' });
    expect(post.files[0]?.content.toString()).toBe('line one\nline two');
  });

  it('puts the parsed fields back together as a mail: sender, subject, threading headers, text, files', async () => {
    const stream = mimeOf({
      fields: {
        recipient: 'alice@mail.localhost',
        sender: 'bounce+123@example.net',
        from: 'Bob Example <bob@example.net>',
        subject: 'Re: Grüße aus Köln',
        'body-plain': 'Danke, gleichfalls!',
        'message-headers': JSON.stringify([
          ['Message-Id', '<mg-1@example.net>'],
          ['In-Reply-To', '<out-7@mail.localhost>'],
          ['References', '<out-1@mail.localhost> <out-7@mail.localhost>'],
        ]),
      },
      files: [{ field: 'attachment-1', name: 'foto.jpg', type: 'image/jpeg', content: Buffer.from([0xff, 0xd8, 0xff, 0xe0]) }],
    });
    const mail = await readMail(stream, { maxFileBytes: 0, maxMailBytes: 0 });
    expect(mail).toMatchObject({ messageId: 'mg-1@example.net', from: 'bob@example.net', subject: 'Re: Grüße aus Köln', parents: ['out-7@mail.localhost', 'out-1@mail.localhost'] });
    expect(mail.text?.trim()).toBe('Danke, gleichfalls!');
    // No store given: the file is named as not kept rather than dropped silently.
    expect(mail.refused).toEqual([{ name: 'foto.jpg', size: 4, reason: 'attachments are not kept here' }]);
  });

  it('reads body-mime as the mail itself', async () => {
    const raw = 'From: bob@example.net\r\nTo: alice@mail.localhost\r\nSubject: raw\r\nMessage-ID: <raw-1@example.net>\r\n\r\nas sent\r\n';
    const mail = await readMail(mimeOf({ fields: { 'body-mime': raw }, files: [] }), { maxFileBytes: 0, maxMailBytes: 0 });
    expect(mail).toMatchObject({ messageId: 'raw-1@example.net', subject: 'raw', text: 'as sent\n' });
  });
});
