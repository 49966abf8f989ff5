/**
 * Hosted inbound through Mailgun routes, for admins who cannot open port 25:
 * a route whose action is `forward("<publicUrl>/webhooks/<domain>/inbound")`
 * posts each received mail here.
 *
 * Mailgun, "Receiving Messages via HTTP through a forward() action"
 * (https://documentation.mailgun.com/docs/mailgun/user-manual/receive-forward-store/receive-http):
 * - to a URL ending in `mime` (`.../inbound/mime`) the mail comes whole, in
 *   `body-mime`, with `recipient`, `sender`, `from`, `subject`;
 * - otherwise parsed: `recipient`, `sender`, `from`, `subject`,
 *   `message-headers` (JSON list of [name, value]), `body-plain`,
 *   `body-html`, `attachment-count` and files `attachment-1..n`;
 * - application/x-www-form-urlencoded, or multipart/form-data when there are
 *   files;
 * - signed (Securing Webhooks): `signature` = hex HMAC-SHA256 with the
 *   webhook signing key over `timestamp` + `token`.
 *
 * Both shapes go through the listener's path: the parsed fields are put back
 * together as a MIME mail (nodemailer's MailComposer) and read like any other.
 * Answers: 200 stored (or a duplicate), 406 for a mail to no gateway address
 * (Mailgun does not retry a 406), 403 bad signature or replayed token, 400
 * stale timestamp, 503 while Redis is down (Mailgun retries).
 *
 * Unlike the kit's signed webhooks (signed-webhook.ts), the signature is over
 * fields inside the body, so the body is parsed first; the kit's timestamp
 * window and 503 rule are reused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { RedisClient } from '../../../../src/queue/redis.js';
import type MailComposer from 'nodemailer/lib/mail-composer';
import type { Logger } from 'pino';
import { GatewayError } from '../../../../src/errors/registry.js';
import { bounded } from '../../../../src/log-bounds.js';
import { lazyPackage } from '../../../../src/lazy-package.js';
import { stored } from '../../../../src/store/unavailable.js';
import { checkTimestampWindow, parseForm } from '../../../kit/signed-webhook.js';
import type { MailDelivery } from './deliver.js';
import { readMail } from './parse.js';
import type { AttachmentStore } from './files.js';

const mailComposer = lazyPackage<typeof MailComposer>('nodemailer/lib/mail-composer');

/** Mailgun's window for a signed timestamp, either way. */
export const MAILGUN_TOLERANCE_SECONDS = 300;
/** A token is remembered a little longer than a timestamp stays valid, so a replay inside the window is always caught. */
const TOKEN_TTL_SECONDS = 2 * MAILGUN_TOLERANCE_SECONDS;

export interface MailgunFile {
  field: string;
  name: string;
  type: string;
  content: Buffer;
}

export interface MailgunPost {
  fields: Record<string, string>;
  files: MailgunFile[];
}

/**
 * Mailgun's webhook signature: hex HMAC-SHA256 of timestamp + token with the
 * signing key, compared in constant time.
 */
export function mailgunSignatureValid(signingKey: string, timestamp: string, token: string, signature: string): boolean {
  const expected = createHmac('sha256', signingKey).update(timestamp + token).digest();
  const given = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A multipart/form-data body (already bounded by the route's body limit) as fields and files. */
export function parseMultipart(raw: Buffer, contentType: string): Promise<MailgunPost> {
  return new Promise((resolve, reject) => {
    const post: MailgunPost = { fields: {}, files: [] };
    let form: busboy.Busboy;
    try {
      form = busboy({ headers: { 'content-type': contentType }, limits: { fieldSize: raw.length } });
    } catch (err) {
      reject(new GatewayError('BAD_REQUEST', `not a multipart body: ${(err as Error).message}`));
      return;
    }
    form.on('field', (name, value) => {
      post.fields[name] = value;
    });
    form.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => post.files.push({ field, name: info.filename ?? field, type: info.mimeType, content: Buffer.concat(chunks) }));
    });
    form.on('error', (err: Error) => reject(new GatewayError('BAD_REQUEST', `unreadable multipart body: ${err.message}`)));
    form.on('close', () => resolve(post));
    form.end(raw);
  });
}

function formOf(raw: Buffer): MailgunPost {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseForm(raw))) fields[k] = Array.isArray(v) ? (v[0] ?? '') : v;
  return { fields, files: [] };
}

/** `message-headers`: Mailgun's JSON list of [name, value], or nothing when absent or unreadable. */
function headerList(json: string | undefined): Array<[string, string]> {
  if (json === undefined) return [];
  try {
    const list = JSON.parse(json) as unknown;
    return Array.isArray(list) ? list.filter((h): h is [string, string] => Array.isArray(h) && typeof h[0] === 'string' && typeof h[1] === 'string') : [];
  } catch {
    return [];
  }
}

/** The mail as a stream of MIME: `body-mime` as posted, else the parsed fields put back together. */
export function mimeOf(post: MailgunPost): Readable {
  const f = post.fields;
  if (f['body-mime'] !== undefined) return Readable.from(Buffer.from(f['body-mime'], 'utf8'));
  const headers = headerList(f['message-headers']);
  const header = (name: string) => headers.find(([k]) => k.toLowerCase() === name)?.[1];
  // Only the headers that thread and identify the mail; the rest (Received, DKIM...) is not needed past Mailgun.
  const kept = ['in-reply-to', 'references'].flatMap((name) => {
    const value = header(name);
    return value === undefined ? [] : [{ key: name, value }];
  });
  const messageId = header('message-id');
  const html = f['body-html'];
  const composer = new (mailComposer())({
    from: f.from ?? f.sender ?? '',
    to: f.recipient ?? '',
    ...(f.subject === undefined ? {} : { subject: f.subject }),
    ...(messageId === undefined ? {} : { messageId }),
    ...(header('date') === undefined ? {} : { date: header('date') as string }),
    headers: kept,
    text: f['body-plain'] ?? '',
    ...(html === undefined ? {} : { html }),
    attachments: post.files.map((file) => ({ filename: file.name, contentType: file.type, content: file.content })),
  });
  return composer.compile().createReadStream();
}

export interface MailgunDeps {
  signingKey: string;
  redis: RedisClient;
  /** Adapter key prefix; tokens seen live under `<prefix>:mailgun-token:`. */
  keyPrefix: string;
  isGatewayAddress(address: string): Promise<boolean>;
  delivery: MailDelivery;
  store: AttachmentStore;
  attachments: { maxFileBytes: number; maxMailBytes: number };
  /** Largest post taken, in bytes (a mail and its attachments). */
  bodyLimit: number;
  logger: Logger;
  now?: () => number;
}

/** The routes under /webhooks/<domain>/: `POST inbound` (parsed fields or body-mime) and `POST inbound/mime`. */
export function mailgunRoutes(deps: MailgunDeps): FastifyPluginAsync {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ provider: 'mailgun' });

  function refuse(req: FastifyRequest, code: 'SIGNATURE_INVALID' | 'BAD_REQUEST', reason: string): never {
    log.warn({ ip: req.ip, reason: bounded(reason) }, 'Mailgun inbound post refused');
    throw new GatewayError(code, `Mailgun inbound post refused: ${reason}`);
  }

  async function receive(req: FastifyRequest, reply: FastifyReply) {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const type = req.headers['content-type'] ?? '';
    const post = type.toLowerCase().startsWith('multipart/form-data') ? await parseMultipart(raw, type) : formOf(raw);
    const { timestamp = '', token = '', signature = '' } = post.fields;
    if (!mailgunSignatureValid(deps.signingKey, timestamp, token, signature)) refuse(req, 'SIGNATURE_INVALID', 'the signature does not match');
    const window = checkTimestampWindow('timestamp', timestamp, MAILGUN_TOLERANCE_SECONDS, now());
    if (!window.ok) refuse(req, 'BAD_REQUEST', window.reason);
    // A signed post replayed within the window carries the same token: the first one wins.
    const fresh = await stored(deps.redis.set(`${deps.keyPrefix}:mailgun-token:${token}`, '1', 'EX', TOKEN_TTL_SECONDS, 'NX'));
    if (fresh === null) refuse(req, 'SIGNATURE_INVALID', 'this token was used already (replayed post)');

    const recipients: string[] = [];
    for (const address of (post.fields.recipient ?? '').split(',').map((a) => a.trim().toLowerCase()).filter((a) => a !== '')) {
      if (await stored(deps.isGatewayAddress(address))) recipients.push(address);
    }
    if (recipients.length === 0) {
      log.info({ recipient: bounded(post.fields.recipient ?? '') }, 'Mailgun post for no gateway address; not applicable');
      return reply.code(406).send({ error: 'NOT_APPLICABLE', message: 'no gateway address among the recipients' });
    }
    const envelopeFrom = post.fields.sender ?? '';
    const mail = await readMail(mimeOf(post), { store: deps.store, ...deps.attachments, envelopeFrom });
    try {
      const outcome = await deps.delivery.deliver(mail, { from: envelopeFrom, to: recipients });
      log.info({ messageId: mail.messageId, to: recipients, outcome }, 'Mailgun mail stored');
      return reply.code(200).send({ outcome: outcome.kind === 'bounce' ? 'bounce' : 'stored' });
    } catch (err) {
      await deps.store.remove(mail.files).catch(() => undefined);
      // Let Mailgun's retry through: the token is forgotten when Redis is back to take it.
      await deps.redis.del(`${deps.keyPrefix}:mailgun-token:${token}`).catch(() => undefined);
      if (err instanceof GatewayError && err.spec.httpStatus === 503) throw err;
      throw new GatewayError('SERVICE_UNAVAILABLE', 'cannot store the mail right now; retry later', { cause: err });
    }
  }

  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(['multipart/form-data', 'application/x-www-form-urlencoded'], { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_req, body, done) =>
      done(null, body),
    );
    app.addContentTypeParser('*', (req, _payload, done) =>
      done(new GatewayError('MEDIA_TYPE_UNSUPPORTED', `Mailgun posts multipart/form-data or a form, not ${(req.headers['content-type'] ?? 'an untyped body').split(';')[0]}`), undefined),
    );
    app.post('/inbound', { bodyLimit: deps.bodyLimit }, receive);
    app.post('/inbound/mime', { bodyLimit: deps.bodyLimit }, receive);
  };
}
