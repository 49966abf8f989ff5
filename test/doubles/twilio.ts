/**
 * A local stand-in for Twilio that speaks its wire format, for contract and
 * end-to-end tests (STYLE.md rule 10: doubles that speak the real provider's
 * wire format).
 *
 * As the REST API (https://www.twilio.com/docs/messaging/api/message-resource):
 *   POST /2010-04-01/Accounts/{AccountSid}/Messages.json, HTTP Basic auth
 *   (AccountSid:AuthToken), form-encoded To, From | MessagingServiceSid, Body,
 *   MediaUrl (repeatable), StatusCallback -> 201 with the Message resource as
 *   JSON; errors as Twilio's `{ code, message, more_info, status }`.
 *   Scripted failures make the next requests answer 400 with a code, 429 (code
 *   20429), a 5xx, hang, or drop the connection.
 *
 * As Twilio calling the gateway (https://www.twilio.com/docs/messaging/guides/webhook-request):
 *   sendInbound() and sendStatus() post signed forms (X-Twilio-Signature) to
 *   <gateway>/webhooks/<domain>/messages and /status, the signature computed for
 *   the gateway's publicUrl; it can be corrupted or left out.
 *
 * The signature code here is written independently of the adapter's, on purpose.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpDouble, type AcceptedMessage, type HttpFault, type RecordedRequest } from './base.js';

/** A message the double accepted (201). */
export interface TwilioRecordedMessage {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  mediaUrls: string[];
  statusCallback: string | null;
  /** Every form field as posted, repeated keys in order. */
  form: Array<[string, string]>;
  createdAt: Date;
}

/** A Twilio error answer with its code (https://www.twilio.com/docs/api/errors). */
export type TwilioError = { kind: 'error'; httpStatus?: number; code: number; message?: string };

/** How the next request(s) fail: a Twilio error, or any HTTP fault (429, 5xx, delay, hang, drop). */
export type TwilioFailure = TwilioError | HttpFault;

export interface InboundSms {
  from: string;
  to: string;
  body: string;
  mediaUrls?: string[];
  /** Default: a fresh 'SM' + 32 hex ('MM' with media). */
  sid?: string;
}

export interface SigningOptions {
  /** 'valid' (default), 'corrupt' (a wrong but well-formed signature), or 'omit' (no header). */
  signature?: 'valid' | 'corrupt' | 'omit';
}

/** A webhook request as Twilio would send it: path, form body and headers. */
export interface SignedWebhook {
  path: string;
  payload: string;
  headers: Record<string, string>;
  params: Array<[string, string]>;
}

const API_VERSION = '2010-04-01';

export function twilioSid(prefix: 'SM' | 'MM' | 'AC' | 'MG'): string {
  return prefix + randomBytes(16).toString('hex');
}

/** X-Twilio-Signature, computed the way Twilio documents it (independent of adapters/sms/twilio/signature.ts). */
export function computeTwilioSignature(authToken: string, url: string, params: Array<[string, string]>): string {
  const byName = new Map<string, Set<string>>();
  for (const [k, v] of params) byName.set(k, (byName.get(k) ?? new Set()).add(v));
  const names = [...byName.keys()].sort();
  const pieces = names.flatMap((k) => [...(byName.get(k) ?? [])].sort().map((v) => `${k}${v}`));
  const mac = createHmac('sha1', Buffer.from(authToken, 'utf8'));
  mac.update(Buffer.from(url + pieces.join(''), 'utf8'));
  return mac.digest().toString('base64');
}

/** A form post Twilio would make to `<publicUrl><path>`, signed with `authToken`. */
export function signedWebhook(
  authToken: string,
  publicUrl: string,
  path: string,
  params: Array<[string, string]>,
  opts: SigningOptions = {},
): SignedWebhook {
  const payload = new URLSearchParams(params).toString();
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'TwilioProxy/1.1',
    'i-twilio-idempotency-token': crypto.randomUUID(),
  };
  const mode = opts.signature ?? 'valid';
  if (mode !== 'omit') {
    let signature = computeTwilioSignature(authToken, `${publicUrl.replace(/\/+$/, '')}${path}`, params);
    if (mode === 'corrupt') signature = computeTwilioSignature(`${authToken}-wrong`, `${publicUrl}${path}`, params);
    headers['x-twilio-signature'] = signature;
  }
  return { path, payload, headers, params };
}

/** The fields Twilio posts for an incoming SMS/MMS (a realistic subset). */
export function inboundParams(accountSid: string, msg: InboundSms): Array<[string, string]> {
  const media = msg.mediaUrls ?? [];
  const sid = msg.sid ?? twilioSid(media.length > 0 ? 'MM' : 'SM');
  const params: Array<[string, string]> = [
    ['ToCountry', 'US'],
    ['ToState', 'CA'],
    ['SmsMessageSid', sid],
    ['NumMedia', String(media.length)],
    ['ToCity', ''],
    ['FromZip', ''],
    ['SmsSid', sid],
    ['FromState', 'CA'],
    ['SmsStatus', 'received'],
    ['FromCity', 'SAN FRANCISCO'],
    ['Body', msg.body],
    ['FromCountry', 'US'],
    ['To', msg.to],
    ['ToZip', ''],
    ['NumSegments', '1'],
    ['MessageSid', sid],
    ['AccountSid', accountSid],
    ['From', msg.from],
    ['ApiVersion', API_VERSION],
  ];
  media.forEach((url, i) => {
    params.push([`MediaContentType${i}`, 'image/jpeg'], [`MediaUrl${i}`, url]);
  });
  return params;
}

/** The fields Twilio posts to a StatusCallback. ErrorCode only comes with undelivered/failed. */
export function statusParams(
  accountSid: string,
  sid: string,
  status: string,
  errorCode?: number,
  route: { from?: string; to?: string } = {},
): Array<[string, string]> {
  const params: Array<[string, string]> = [
    ['SmsSid', sid],
    ['SmsStatus', status],
    ['MessageStatus', status],
    ['To', route.to ?? '+15551234567'],
    ['MessageSid', sid],
    ['AccountSid', accountSid],
    ['From', route.from ?? '+15550001111'],
    ['ApiVersion', API_VERSION],
  ];
  if (errorCode !== undefined) params.push(['ErrorCode', String(errorCode)]);
  return params;
}

function rfc2822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

export class TwilioDouble extends HttpDouble<TwilioError, TwilioRecordedMessage> {
  readonly provider = 'twilio';
  readonly accountSid: string;
  readonly authToken: string;

  private constructor(opts: { accountSid: string; authToken: string }) {
    super();
    this.accountSid = opts.accountSid;
    this.authToken = opts.authToken;
  }

  /** Starts on a free loopback port. */
  static async start(opts: { accountSid?: string; authToken?: string } = {}): Promise<TwilioDouble> {
    return new TwilioDouble({
      accountSid: opts.accountSid ?? twilioSid('AC'),
      authToken: opts.authToken ?? randomBytes(16).toString('hex'),
    }).listen();
  }

  accepted(): AcceptedMessage[] {
    return this.messages.map((m) => ({ to: m.to, from: m.from, body: m.body, at: m.createdAt }));
  }

  configSection(apiBaseUrl = this.baseUrl): string {
    return `twilio: { accountSid: ${this.accountSid}, authToken: ${this.authToken}, apiBaseUrl: "${apiBaseUrl}" }`;
  }

  /** Posts an incoming SMS/MMS to the gateway as Twilio does. Returns the gateway's answer. */
  async sendInbound(
    gatewayBaseUrl: string,
    publicUrl: string,
    domain: string,
    msg: InboundSms,
    opts: SigningOptions = {},
  ): Promise<Response & { sid: string }> {
    const params = inboundParams(this.accountSid, msg);
    const sid = params.find(([k]) => k === 'MessageSid')?.[1] ?? '';
    const res = await this.post(gatewayBaseUrl, signedWebhook(this.authToken, publicUrl, `/webhooks/${domain}/messages`, params, opts));
    return Object.assign(res, { sid });
  }

  /** Posts a status callback for a message the gateway sent. */
  async sendStatus(
    gatewayBaseUrl: string,
    publicUrl: string,
    domain: string,
    sid: string,
    status: string,
    errorCode?: number,
    opts: SigningOptions = {},
  ): Promise<Response> {
    const sent = this.messages.find((m) => m.sid === sid);
    const params = statusParams(this.accountSid, sid, status, errorCode, {
      ...(sent?.from ? { from: sent.from } : {}),
      ...(sent ? { to: sent.to } : {}),
    });
    return this.post(gatewayBaseUrl, signedWebhook(this.authToken, publicUrl, `/webhooks/${domain}/status`, params, opts));
  }

  private async post(gatewayBaseUrl: string, hook: SignedWebhook): Promise<Response> {
    return fetch(`${gatewayBaseUrl.replace(/\/+$/, '')}${hook.path}`, { method: 'POST', headers: hook.headers, body: hook.payload });
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, request: RecordedRequest): Promise<void> {
    const raw = request.body;
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(request.path);
    if (!match || req.method !== 'POST') {
      return this.error(res, 404, 20404, `The requested resource ${request.path} was not found`);
    }
    if (!this.authorized(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Basic realm="Twilio API"');
      return this.error(res, 401, 20003, 'Authenticate', { detail: 'Your AccountSid or AuthToken was incorrect.' });
    }
    if (decodeURIComponent(match[1] ?? '') !== this.accountSid) {
      return this.error(res, 404, 20404, `The requested resource ${request.path} was not found`);
    }
    this.requests++;
    if (await this.scriptedFault(req, res)) return;

    const form = [...new URLSearchParams(raw)];
    const one = (k: string): string | undefined => form.find(([name]) => name === k)?.[1];
    const to = one('To');
    const from = one('From');
    const service = one('MessagingServiceSid');
    const body = one('Body') ?? '';
    const mediaUrls = form.filter(([k]) => k === 'MediaUrl').map(([, v]) => v);
    if (to === undefined || to === '') return this.error(res, 400, 21604, "A 'To' phone number is required.");
    if (!/^\+[1-9]\d{1,14}$/.test(to)) return this.error(res, 400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if ((from === undefined || from === '') && (service === undefined || service === '')) {
      return this.error(res, 400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message");
    }
    if (body === '' && mediaUrls.length === 0) return this.error(res, 400, 21602, 'Message body is required.');
    if (body.length > 1600) return this.error(res, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    if (mediaUrls.length > 10) return this.error(res, 400, 21623, 'Number of media files exceeds allowed limit.');

    const now = new Date();
    const sid = twilioSid(mediaUrls.length > 0 ? 'MM' : 'SM');
    const recorded: TwilioRecordedMessage = {
      sid,
      to,
      from: from ?? null,
      messagingServiceSid: service ?? null,
      body,
      mediaUrls,
      statusCallback: one('StatusCallback') ?? null,
      form,
      createdAt: now,
    };
    this.messages.push(recorded);
    const uri = `/${API_VERSION}/Accounts/${this.accountSid}/Messages/${sid}.json`;
    this.json(res, 201, {
      account_sid: this.accountSid,
      api_version: API_VERSION,
      body,
      date_created: rfc2822(now),
      date_sent: null,
      date_updated: rfc2822(now),
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      // With a Messaging Service Twilio picks the sender later: `from` is null and the status 'accepted'.
      from: service ? null : (from ?? null),
      messaging_service_sid: service ?? null,
      num_media: String(mediaUrls.length),
      num_segments: service ? '0' : String(Math.max(1, Math.ceil(body.length / 153))),
      price: null,
      price_unit: 'USD',
      sid,
      status: service ? 'accepted' : 'queued',
      subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
      to,
      uri,
    });
  }

  private authorized(header: string | undefined): boolean {
    if (header === undefined || !header.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    return decoded === `${this.accountSid}:${this.authToken}`;
  }

  protected answerFault(res: ServerResponse, fault: TwilioError): void {
    this.error(res, fault.httpStatus ?? 400, fault.code, fault.message ?? `Scripted Twilio error ${fault.code}`);
  }

  protected faultBody(fault: { kind: 'rate-limit' | 'server-error' }, status: number): unknown {
    return fault.kind === 'rate-limit' ? this.errorBody(status, 20429, 'Too Many Requests') : this.errorBody(status, 20500, 'An internal server error has occurred');
  }

  private error(res: ServerResponse, status: number, code: number, message: string, extra: Record<string, unknown> = {}): void {
    this.json(res, status, this.errorBody(status, code, message, extra));
  }

  private errorBody(status: number, code: number, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status, ...extra };
  }
}
