/**
 * One received mail, streamed through mailparser's MailParser: headers, the
 * text (text/plain, else the HTML), attachments copied to the store as they
 * stream past (per-file and per-mail caps), and a bounded copy of the raw
 * bytes for reading bounces. Nothing but that bounded copy and the text is
 * held in memory. Used alike by the SMTP listener and the Mailgun route.
 *
 * mailparser: https://nodemailer.com/extras/mailparser/ (MailParser, "data" events)
 */
import { PassThrough, type Readable } from 'node:stream';
import type { AddressObject, AttachmentStream, Headers, MessageText } from 'mailparser';
import { lazyPackage } from '../../../../src/lazy-package.js';
import { bareMessageId } from '../threads.js';
import { looksLikeBounce } from './bounce.js';
import { safeFileName, type AttachmentStore, type RefusedFile, type StoredFile } from './files.js';

const mailparser = lazyPackage<typeof import('mailparser')>('mailparser');

/** Raw bytes kept for bounce reading: reports and quoted headers sit near the top. */
const RAW_KEPT_BYTES = 256 * 1024;

export interface ReceivedMail {
  /** Message-ID without brackets, when the mail has one. */
  messageId?: string;
  /** Address in the From header, lower case. */
  from?: string;
  subject?: string;
  /** In-Reply-To then References newest first, without brackets: where to look for the thread. */
  parents: string[];
  /** text/plain, else undefined (HTML-only mail is made text by text.ts, not by mailparser: one set of rules). */
  text?: string;
  /** text/html when there is one. */
  html?: string;
  files: StoredFile[];
  refused: RefusedFile[];
  /** Whether the headers say non-delivery report (bounce.ts); its parts were not stored then. */
  bounce: boolean;
  contentType: string;
  reportType?: string;
  /** The first RAW_KEPT_BYTES of the mail as latin1 (bytes one to one). */
  raw: string;
}

export interface ReadOptions {
  /** Where attachments go; without one they are refused. */
  store?: AttachmentStore;
  maxFileBytes: number;
  maxMailBytes: number;
  /** Envelope sender ('' for `<>`), for telling bounces on the headers. */
  envelopeFrom?: string;
}

function firstAddress(value: AddressObject | AddressObject[] | undefined): string | undefined {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  for (const group of list) for (const a of group.value) if (a.address) return a.address.toLowerCase();
  return undefined;
}

function idList(value: unknown): string[] {
  const raw = Array.isArray(value) ? value.join(' ') : typeof value === 'string' ? value : '';
  return (raw.match(/<[^<>\s]+>|[^<>\s,]+@[^<>\s,]+/g) ?? []).map(bareMessageId);
}

/** Reads `source` to its end; rejects only when the stream itself fails or the store cannot write. */
export async function readMail(source: Readable, opts: ReadOptions): Promise<ReceivedMail> {
  const parser = new (mailparser().MailParser)({ keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const mail: ReceivedMail = { parents: [], files: [], refused: [], bounce: false, contentType: 'text/plain', raw: '' };
  const rawChunks: Buffer[] = [];
  let rawBytes = 0;
  let storedBytes = 0;
  const saving: Array<Promise<void>> = [];

  const tap = new PassThrough();
  tap.on('data', (chunk: Buffer) => {
    if (rawBytes < RAW_KEPT_BYTES) {
      rawChunks.push(chunk.subarray(0, RAW_KEPT_BYTES - rawBytes));
      rawBytes += Math.min(chunk.length, RAW_KEPT_BYTES - rawBytes);
    }
  });

  parser.on('headers', (headers: Headers) => {
    const type = headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
    mail.contentType = (type?.value ?? 'text/plain').toLowerCase();
    const reportType = type?.params?.['report-type']?.toLowerCase();
    if (reportType !== undefined) mail.reportType = reportType;
    const id = headers.get('message-id');
    if (typeof id === 'string' && bareMessageId(id) !== '') mail.messageId = bareMessageId(id);
    const subject = headers.get('subject');
    if (typeof subject === 'string' && subject.trim() !== '') mail.subject = subject.trim();
    const from = firstAddress(headers.get('from') as AddressObject | undefined);
    if (from !== undefined) mail.from = from;
    const references = idList(headers.get('references'));
    mail.parents = [...new Set([...idList(headers.get('in-reply-to')), ...references.reverse()])];
    mail.bounce = looksLikeBounce({
      contentType: mail.contentType,
      ...(mail.reportType === undefined ? {} : { reportType: mail.reportType }),
      ...(opts.envelopeFrom === undefined ? {} : { envelopeFrom: opts.envelopeFrom }),
      ...(mail.from === undefined ? {} : { headerFrom: mail.from }),
      ...(mail.subject === undefined ? {} : { subject: mail.subject }),
    });
  });

  parser.on('data', (data: AttachmentStream | MessageText) => {
    if (data.type === 'text') {
      if (data.text !== undefined && data.text.trim() !== '') mail.text = data.text;
      if (typeof data.html === 'string' && data.html.trim() !== '') mail.html = data.html;
      return;
    }
    const name = safeFileName(data.filename, data.contentType === 'message/rfc822' ? 'message.eml' : 'attachment');
    const done = (async () => {
      // A bounce's parts are the report and the returned mail: read for the bounce (raw copy), never offered as files.
      if (mail.bounce || opts.store === undefined) {
        data.content.resume();
        await new Promise<void>((resolve) => data.content.once('end', resolve));
        if (!mail.bounce) mail.refused.push({ name, size: data.size ?? 0, reason: 'attachments are not kept here' });
        return;
      }
      const left = Math.max(0, opts.maxMailBytes - storedBytes);
      const result = await opts.store.save(data.content as Readable, { name, type: data.contentType || 'application/octet-stream' }, Math.min(opts.maxFileBytes, left));
      if (result.kept) {
        storedBytes += result.file.size;
        mail.files.push(result.file);
      } else {
        const { size } = result.refused;
        const reason = size > opts.maxFileBytes ? `over the per-file limit (${opts.maxFileBytes} bytes)` : `over what is left of the per-mail limit (${left} bytes)`;
        mail.refused.push({ ...result.refused, reason });
      }
    })().finally(() => data.release?.());
    saving.push(done);
  });

  const parsed = new Promise<void>((resolve, reject) => {
    parser.once('end', resolve);
    parser.once('error', reject);
  });
  source.once('error', (err) => parser.destroy(err));
  source.pipe(tap).pipe(parser);
  try {
    await parsed;
    await Promise.all(saving);
  } catch (err) {
    await Promise.allSettled(saving);
    await opts.store?.remove(mail.files);
    throw err;
  }
  mail.raw = Buffer.concat(rawChunks).toString('latin1');
  return mail;
}
