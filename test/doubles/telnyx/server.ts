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
 * The wire format is in ./wire.ts, the signing in ./signing.ts; both are
 * written independently of the adapter's, on purpose.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpDouble, type AcceptedMessage, type HttpFault, type RecordedRequest } from '../base.js';
import { rawPublicKeyBase64, signTelnyxWebhook, type SignedWebhook, type SigningOptions } from './signing.js';
import {
  errorMeta,
  inboundPayload,
  outboundPayload,
  telnyxEvent,
  validateSendRequest,
  type InboundSms,
  type TelnyxApiErrorEntry,
  type TelnyxDeliveryStatus,
  type TelnyxError,
  type TelnyxRecordedMessage,
} from './wire.js';

export class TelnyxDouble extends HttpDouble<TelnyxError, TelnyxRecordedMessage> {
  readonly provider = 'telnyx';
  readonly apiKey: string;
  /** The account's public key as the portal shows it: `telnyx.publicKey` in the gateway config. */
  readonly publicKey: string;
  /** The account's numbers, when the double checks `from`. */
  private readonly numbers: ReadonlySet<string> | undefined;

  private constructor(
    private readonly privateKey: KeyObject,
    publicKey: KeyObject,
    opts: { apiKey: string; numbers: readonly string[] | undefined },
  ) {
    super();
    this.apiKey = opts.apiKey;
    this.numbers = opts.numbers === undefined ? undefined : new Set(opts.numbers);
    this.publicKey = rawPublicKeyBase64(publicKey);
  }

  /**
   * Starts on a free loopback port. `numbers`: the account's numbers; when
   * given, a `from` outside them is refused with 40305 as Telnyx does.
   */
  static async start(opts: { apiKey?: string; numbers?: readonly string[] } = {}): Promise<TelnyxDouble> {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return new TelnyxDouble(privateKey, publicKey, {
      apiKey: opts.apiKey ?? `KEY${crypto.randomUUID().replaceAll('-', '').toUpperCase()}_test`,
      numbers: opts.numbers,
    }).listen();
  }

  accepted(): AcceptedMessage[] {
    return this.messages.map((m) => ({ to: m.to, from: m.from, body: m.text ?? '', at: m.receivedAt }));
  }

  configSection(apiBaseUrl = this.baseUrl): string {
    return `telnyx: { apiKey: "${this.apiKey}", publicKey: "${this.publicKey}", apiBaseUrl: "${apiBaseUrl}" }`;
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

  protected async handle(req: IncomingMessage, res: ServerResponse, request: RecordedRequest): Promise<void> {
    const raw = request.body;
    const path = request.path;
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.errors(res, 401, [
        { code: '10009', title: 'Authentication failed', detail: 'The required authentication headers were either invalid or not included in the request.' },
      ]);
    }
    if (path !== '/v2/messages' || req.method !== 'POST') {
      return this.errors(res, 404, [{ code: '10005', title: 'Resource not found', detail: 'The requested resource or URL could not be found.' }]);
    }
    this.requests++;
    if (await this.scriptedFault(req, res)) return;

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
    const problem = validateSendRequest(body, this.numbers);
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

  protected answerFault(res: ServerResponse, fault: TelnyxError): void {
    this.errors(res, fault.httpStatus ?? 400, [{ code: fault.code, title: fault.title ?? `Scripted Telnyx error ${fault.code}`, ...(fault.detail ? { detail: fault.detail } : {}) }]);
  }

  protected faultBody(fault: Extract<HttpFault, { kind: 'rate-limit' | 'server-error' }>): unknown {
    const error =
      fault.kind === 'rate-limit'
        ? { code: '10011', title: 'Too many requests', detail: 'You have exceeded the maximum number of allowed requests.' }
        : { code: '10007', title: 'Unexpected error', detail: 'An unexpected error occured.' };
    return this.errorBody([error]);
  }

  private errors(res: ServerResponse, status: number, errors: Array<Record<string, unknown>>): void {
    this.json(res, status, this.errorBody(errors));
  }

  private errorBody(errors: Array<Record<string, unknown>>): { errors: Array<Record<string, unknown>> } {
    return { errors: errors.map((e) => ({ ...e, meta: errorMeta(String(e.code)) })) };
  }
}
