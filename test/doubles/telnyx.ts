/**
 * A local stand-in for Telnyx that speaks its wire format, for unit, contract
 * and end-to-end tests (STYLE.md rule 10: doubles that speak the real
 * provider's wire format).
 *
 * As the Messaging API (https://developers.telnyx.com/api-reference/messages/send-a-message):
 *   POST /v2/messages, `Authorization: Bearer <apiKey>`, JSON { from, to, text,
 *   media_urls, webhook_url, messaging_profile_id, ... } -> 200 `{ data: <message> }`;
 *   errors as Telnyx's `{ errors: [{ code, title, detail, source?, meta }] }`:
 *   401 (10009) for a missing or wrong key, 422/400 for invalid fields.
 *   Scripted failures make the next requests answer an error with a given code,
 *   429, a 5xx, hang, or drop the connection.
 *
 * As Telnyx calling the gateway (https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks):
 *   it owns an Ed25519 key pair, shows the public key as the portal does (the raw
 *   32-byte key, base64) and signs `message.received`, `message.sent` and
 *   `message.finalized` events (`telnyx-signature-ed25519` over
 *   `${telnyx-timestamp}|${body}`); the signature can be corrupted, made with
 *   another key or left out, the timestamp moved or left out.
 *
 * The signing code here is written independently of the adapter's, on purpose.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A message the double accepted (200). */
export interface TelnyxRecordedMessage {
  id: string;
  from: string | null;
  to: string;
  text: string | null;
  mediaUrls: string[];
  webhookUrl: string | null;
  messagingProfileId: string | null;
  /** The JSON body exactly as posted. */
  body: Record<string, unknown>;
  receivedAt: Date;
}

/** How the next request(s) fail. */
export type TelnyxFailure =
  | { kind: 'error'; httpStatus?: number; code: string; title?: string; detail?: string }
  | { kind: 'rate-limit'; retryAfterSeconds?: number }
  | { kind: 'server-error'; httpStatus?: 500 | 502 | 503 | 504 }
  /** Read the request, never answer (the client's timeout or abort ends it). */
  | { kind: 'hang' }
  /** Read the request, then drop the connection without an answer. */
  | { kind: 'close' };

/** Final and intermediate values of `to[].status` on outbound messages. */
export type TelnyxDeliveryStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'delivery_failed'
  | 'sending_failed'
  | 'delivery_unconfirmed'
  | 'expired';

export interface TelnyxApiErrorEntry {
  code: string;
  title: string;
  detail?: string;
}

export interface InboundSms {
  from: string;
  to: string;
  body: string;
  mediaUrls?: string[];
  /** Default: a fresh UUID. */
  id?: string;
}

export interface SigningOptions {
  /** 'valid' (default), 'corrupt' (one byte flipped), 'wrong-key' (signed by another key), or 'omit' (no header). */
  signature?: 'valid' | 'corrupt' | 'wrong-key' | 'omit';
  /** Unix seconds to sign with; default now. */
  timestamp?: number;
  /** Leave out the telnyx-timestamp header (the signature still covers the timestamp used). */
  omitTimestamp?: boolean;
}

/** A webhook request as Telnyx would send it: JSON body text and headers. */
export interface SignedWebhook {
  payload: string;
  headers: Record<string, string>;
}

const OTHER_KEY = generateKeyPairSync('ed25519').privateKey;

function errorMeta(code: string) {
  return { url: `https://developers.telnyx.com/docs/overview/errors/${code}` };
}

/** The raw 32-byte Ed25519 key in base64: what the Telnyx portal shows as the account's public key. */
export function rawPublicKeyBase64(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an Ed25519 public key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

/** Signs `body` as Telnyx does: base64(Ed25519(`${timestamp}|${body}`)). */
export function signTelnyxWebhook(privateKey: KeyObject, payload: string, opts: SigningOptions = {}): SignedWebhook {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'telnyx-webhooks',
  };
  if (!opts.omitTimestamp) headers['telnyx-timestamp'] = timestamp;
  const mode = opts.signature ?? 'valid';
  if (mode !== 'omit') {
    const key = mode === 'wrong-key' ? OTHER_KEY : privateKey;
    const signature = sign(null, Buffer.from(`${timestamp}|${payload}`, 'utf8'), key);
    if (mode === 'corrupt') signature[0] = (signature[0] ?? 0) ^ 0xff;
    headers['telnyx-signature-ed25519'] = signature.toString('base64');
  }
  return { payload, headers };
}

/** The webhook envelope around a message record. */
export function telnyxEvent(eventType: string, payload: Record<string, unknown>): Record<string, unknown> {
  return {
    data: {
      event_type: eventType,
      id: crypto.randomUUID(),
      occurred_at: new Date().toISOString(),
      payload,
      record_type: 'event',
    },
    meta: { attempt: 1, delivered_to: 'https://gateway.invalid/webhooks' },
  };
}

/** The message record of a `message.received` event. */
export function inboundPayload(msg: InboundSms, profileId = crypto.randomUUID()): Record<string, unknown> {
  const media = msg.mediaUrls ?? [];
  return {
    record_type: 'message',
    direction: 'inbound',
    id: msg.id ?? crypto.randomUUID(),
    type: media.length > 0 ? 'MMS' : 'SMS',
    messaging_profile_id: profileId,
    organization_id: crypto.randomUUID(),
    from: { phone_number: msg.from, carrier: 'T-MOBILE USA, INC.', line_type: 'Wireless' },
    to: [{ phone_number: msg.to, status: 'webhook_delivered', carrier: 'TELNYX LLC', line_type: 'VoIP' }],
    cc: [],
    text: msg.body,
    media: media.map((url) => ({ url, content_type: 'image/jpeg', hash_sha256: null, size: null })),
    encoding: 'GSM-7',
    parts: 1,
    tags: [],
    cost: null,
    received_at: new Date().toISOString(),
    sent_at: null,
    completed_at: null,
    valid_until: null,
    webhook_url: null,
    webhook_failover_url: null,
    errors: [],
  };
}

/** The message record of an outbound message in a given status (send answer, `message.sent`, `message.finalized`). */
export function outboundPayload(
  record: { id: string; from: string | null; to: string; text?: string | null; mediaUrls?: string[]; webhookUrl?: string | null; messagingProfileId?: string | null },
  status: TelnyxDeliveryStatus,
  errors: TelnyxApiErrorEntry[] = [],
): Record<string, unknown> {
  const media = record.mediaUrls ?? [];
  const now = new Date().toISOString();
  const final = !['queued', 'sending', 'sent'].includes(status);
  const text = record.text ?? null;
  return {
    record_type: 'message',
    direction: 'outbound',
    id: record.id,
    type: media.length > 0 ? 'MMS' : 'SMS',
    messaging_profile_id: record.messagingProfileId ?? '4001767e-ce0f-4cae-9d5f-0d5e636e7809',
    organization_id: 'b448f9cc-a842-4784-98e9-03c1a5872950',
    from: { phone_number: record.from, carrier: 'TELNYX LLC', line_type: 'VoIP' },
    to: [{ phone_number: record.to, status, carrier: 'T-MOBILE USA, INC.', line_type: 'Wireless' }],
    cc: [],
    text,
    media: media.map((url) => ({ url, content_type: null, sha256: null, size: null })),
    encoding: 'GSM-7',
    parts: Math.max(1, Math.ceil((text ?? '').length / 153)),
    tags: [],
    cost: final ? { amount: '0.0040', currency: 'USD' } : null,
    received_at: now,
    sent_at: status === 'queued' ? null : now,
    completed_at: final ? now : null,
    valid_until: new Date(Date.now() + 4 * 3600_000).toISOString(),
    webhook_url: record.webhookUrl ?? null,
    webhook_failover_url: null,
    errors,
  };
}

export class TelnyxDouble {
  readonly apiKey: string;
  /** The account's public key as the portal shows it: `telnyx.publicKey` in the gateway config. */
  readonly publicKey: string;
  /** Accepted messages, oldest first. */
  readonly messages: TelnyxRecordedMessage[] = [];
  /** Every request that reached POST /v2/messages with a valid key, accepted or not. */
  requests = 0;
  private readonly failures: TelnyxFailure[] = [];
  private readonly sockets = new Set<Socket>();
  /** The account's numbers, when the double checks `from`. */
  private readonly numbers: ReadonlySet<string> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly privateKey: KeyObject,
    publicKey: KeyObject,
    opts: { apiKey: string; numbers: readonly string[] | undefined },
  ) {
    this.apiKey = opts.apiKey;
    this.numbers = opts.numbers === undefined ? undefined : new Set(opts.numbers);
    this.publicKey = rawPublicKeyBase64(publicKey);
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /**
   * Starts on a free loopback port. `numbers`: the account's numbers; when
   * given, a `from` outside them is refused with 40305 as Telnyx does.
   */
  static async start(opts: { apiKey?: string; numbers?: readonly string[] } = {}): Promise<TelnyxDouble> {
    const server = createServer();
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const double = new TelnyxDouble(server, privateKey, publicKey, {
      apiKey: opts.apiKey ?? `KEY${crypto.randomUUID().replaceAll('-', '').toUpperCase()}_test`,
      numbers: opts.numbers,
    });
    server.on('request', (req, res) => void double.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    return double;
  }

  /** `http://127.0.0.1:<port>`: the adapter's `telnyx.apiBaseUrl`. */
  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The next `count` requests fail this way, in order after any already scripted. */
  failNext(failure: TelnyxFailure, count = 1): void {
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  /** Forgets scripted failures: requests succeed again. */
  heal(): void {
    this.failures.length = 0;
  }

  /** Empties the record of accepted messages and forgets scripted failures. */
  reset(): void {
    this.messages.length = 0;
    this.requests = 0;
    this.heal();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A signed webhook request carrying `event` (any JSON value, serialized once). */
  sign(event: unknown, opts: SigningOptions = {}): SignedWebhook {
    return this.signText(JSON.stringify(event), opts);
  }

  /** A signed webhook request carrying exactly `payload` (need not be JSON). */
  signText(payload: string, opts: SigningOptions = {}): SignedWebhook {
    return signTelnyxWebhook(this.privateKey, payload, opts);
  }

  /** A signed `message.received` event. */
  inboundWebhook(msg: InboundSms, opts: SigningOptions = {}): SignedWebhook & { id: string } {
    const payload = inboundPayload(msg);
    return { ...this.sign(telnyxEvent('message.received', payload), opts), id: payload.id as string };
  }

  /**
   * A signed status event for a message: `message.finalized` for final statuses,
   * `message.sent` otherwise. Failed statuses default to a 40001 error if none is given.
   */
  statusWebhook(id: string, status: TelnyxDeliveryStatus, errors?: TelnyxApiErrorEntry[], opts: SigningOptions = {}): SignedWebhook {
    const sent = this.messages.find((m) => m.id === id);
    const failed = ['delivery_failed', 'sending_failed', 'expired'].includes(status);
    const errs = errors ?? (failed ? [{ code: '40001', title: 'Not routable', detail: 'The destination number is either a landline or a non-routable wireless number.' }] : []);
    const record = sent ?? { id, from: '+15550001111', to: '+15551234567', text: 'hello' };
    const type = ['queued', 'sending', 'sent'].includes(status) ? 'message.sent' : 'message.finalized';
    return this.sign(telnyxEvent(type, outboundPayload(record, status, errs)), opts);
  }

  /** Posts an incoming SMS/MMS to `<gateway>/webhooks/<domain>/messages` as Telnyx does. */
  async sendInbound(gatewayBaseUrl: string, domain: string, msg: InboundSms, opts: SigningOptions = {}): Promise<Response & { messageId: string }> {
    const hook = this.inboundWebhook(msg, opts);
    const res = await this.post(`${gatewayBaseUrl.replace(/\/+$/, '')}/webhooks/${domain}/messages`, hook);
    return Object.assign(res, { messageId: hook.id });
  }

  /** Posts a status event for a sent message to its webhook_url (or `<gateway>/webhooks/<domain>/status`). */
  async sendStatus(
    gatewayBaseUrl: string,
    domain: string,
    id: string,
    status: TelnyxDeliveryStatus,
    errors?: TelnyxApiErrorEntry[],
    opts: SigningOptions = {},
  ): Promise<Response> {
    return this.post(`${gatewayBaseUrl.replace(/\/+$/, '')}/webhooks/${domain}/status`, this.statusWebhook(id, status, errors, opts));
  }

  /**
   * Posts a status event for a message the double accepted to the webhook_url
   * the gateway gave with it, as Telnyx does. Throws if there is no such message or URL.
   */
  async deliver(id: string, status: TelnyxDeliveryStatus, errors?: TelnyxApiErrorEntry[], opts: SigningOptions = {}): Promise<Response> {
    const sent = this.messages.find((m) => m.id === id);
    if (sent?.webhookUrl === undefined || sent.webhookUrl === null) throw new Error(`no accepted message ${id} with a webhook_url`);
    return this.post(sent.webhookUrl, this.statusWebhook(id, status, errors, opts));
  }

  private async post(url: string, hook: SignedWebhook): Promise<Response> {
    return fetch(url, { method: 'POST', headers: hook.headers, body: hook.payload });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://double').pathname;
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.errors(res, 401, [
        { code: '10009', title: 'Authentication failed', detail: 'The required authentication headers were either invalid or not included in the request.' },
      ]);
    }
    if (path !== '/v2/messages' || req.method !== 'POST') {
      return this.errors(res, 404, [{ code: '10005', title: 'Resource not found', detail: 'The requested resource or URL could not be found.' }]);
    }
    this.requests++;
    const failure = this.failures.shift();
    if (failure !== undefined) return this.fail(req, res, failure);

    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      return this.errors(res, 415, [{ code: '10014', title: 'Unsupported Media Type', detail: 'The request failed because the server does not support the media type.' }]);
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return this.errors(res, 400, [{ code: '10015', title: 'Bad Request', detail: 'The request failed because it was not well-formed.' }]);
    }
    const problem = this.validate(body);
    if (problem !== undefined) return this.errors(res, problem.status, [problem.error]);

    const to = body.to as string;
    const from = typeof body.from === 'string' ? body.from : null;
    const text = typeof body.text === 'string' ? body.text : null;
    const mediaUrls = Array.isArray(body.media_urls) ? (body.media_urls as string[]) : [];
    const recorded: TelnyxRecordedMessage = {
      id: crypto.randomUUID(),
      from,
      to,
      text,
      mediaUrls,
      webhookUrl: typeof body.webhook_url === 'string' ? body.webhook_url : null,
      messagingProfileId: typeof body.messaging_profile_id === 'string' ? body.messaging_profile_id : null,
      body,
      receivedAt: new Date(),
    };
    this.messages.push(recorded);
    this.json(res, 200, { data: outboundPayload(recorded, 'queued') });
  }

  /** Field checks in the order Telnyx reports them; undefined when the request is acceptable. */
  private validate(body: Record<string, unknown>): { status: number; error: Record<string, unknown> } | undefined {
    const missing = (field: string) => ({
      status: 422,
      error: { code: '10004', title: 'Missing required parameter', detail: `The '${field}' parameter is required.`, source: { pointer: `/${field}` } },
    });
    const e164 = /^\+[1-9]\d{1,14}$|^\d{3,8}$/;
    if (body.to === undefined || body.to === '') return missing('to');
    if (typeof body.to !== 'string' || !e164.test(body.to)) {
      return { status: 400, error: { code: '40310', title: "Invalid 'to' address", detail: "The 'to' address should be a single valid number.", source: { pointer: '/to' } } };
    }
    if ((body.from === undefined || body.from === '') && typeof body.messaging_profile_id !== 'string') return missing('from');
    if (body.from !== undefined && (typeof body.from !== 'string' || !e164.test(body.from) || (this.numbers !== undefined && !this.numbers.has(body.from)))) {
      return { status: 400, error: { code: '40305', title: "Invalid 'from' address", detail: "The 'from' address should be a number on your account, assigned to a messaging profile.", source: { pointer: '/from' } } };
    }
    const media = body.media_urls;
    if (media !== undefined && (!Array.isArray(media) || media.some((u) => typeof u !== 'string'))) {
      return { status: 422, error: { code: '10015', title: 'Bad Request', detail: "'media_urls' must be an array of URLs.", source: { pointer: '/media_urls' } } };
    }
    if (Array.isArray(media) && media.length > 10) {
      return { status: 400, error: { code: '40317', title: 'Invalid MMS content', detail: 'At most 10 media URLs are allowed.', source: { pointer: '/media_urls' } } };
    }
    const text = body.text;
    if (text !== undefined && typeof text !== 'string') {
      return { status: 422, error: { code: '10015', title: 'Bad Request', detail: "'text' must be a string.", source: { pointer: '/text' } } };
    }
    if ((text === undefined || text === '') && (!Array.isArray(media) || media.length === 0)) {
      return { status: 400, error: { code: '40316', title: 'No content provided for message', detail: 'Either text or media_urls must be provided.' } };
    }
    if (typeof text === 'string' && text.length > 1600) {
      return { status: 400, error: { code: '40302', title: 'Message too large', detail: 'The message text may be at most 1600 characters.', source: { pointer: '/text' } } };
    }
    for (const field of ['webhook_url', 'webhook_failover_url']) {
      const url = body[field];
      if (url === undefined || url === null) continue;
      if (typeof url !== 'string' || url.length > 2000 || !/^https?:\/\//.test(url)) {
        return { status: 422, error: { code: '10003', title: 'Invalid URL', detail: `The '${field}' provided was invalid, malformed, or too long.`, source: { pointer: `/${field}` } } };
      }
    }
    if (body.messaging_profile_id !== undefined && (typeof body.messaging_profile_id !== 'string' || !/^[0-9a-f-]{36}$/i.test(body.messaging_profile_id))) {
      return { status: 422, error: { code: '10006', title: 'Invalid ID', detail: "The 'messaging_profile_id' provided was invalid.", source: { pointer: '/messaging_profile_id' } } };
    }
    return undefined;
  }

  private fail(req: IncomingMessage, res: ServerResponse, failure: TelnyxFailure): void {
    switch (failure.kind) {
      case 'error':
        return this.errors(res, failure.httpStatus ?? 400, [
          { code: failure.code, title: failure.title ?? `Scripted Telnyx error ${failure.code}`, ...(failure.detail ? { detail: failure.detail } : {}) },
        ]);
      case 'rate-limit':
        if (failure.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(failure.retryAfterSeconds));
        return this.errors(res, 429, [{ code: '10011', title: 'Too many requests', detail: 'You have exceeded the maximum number of allowed requests.' }]);
      case 'server-error':
        return this.errors(res, failure.httpStatus ?? 500, [{ code: '10007', title: 'Unexpected error', detail: 'An unexpected error occured.' }]);
      case 'hang':
        return; // the socket stays open until the client gives up or close() runs
      case 'close':
        req.socket.destroy();
        return;
    }
  }

  private errors(res: ServerResponse, status: number, errors: Array<Record<string, unknown>>): void {
    this.json(res, status, { errors: errors.map((e) => ({ ...e, meta: errorMeta(String(e.code)) })) });
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}
