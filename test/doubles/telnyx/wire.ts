/**
 * Telnyx's wire format, as documented (Messaging API v2 and its webhooks): the
 * message records of send answers and events, the event envelope, error
 * metadata and the checks POST /v2/messages makes. Written from the docs, not
 * from the adapter.
 * https://developers.telnyx.com/api-reference/messages/send-a-message
 * https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks
 */

import type { HttpFault } from '../base.js';

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
/** A Telnyx error answer with its code (https://developers.telnyx.com/docs/overview/errors). */
export type TelnyxError = { kind: 'error'; httpStatus?: number; code: string; title?: string; detail?: string };

/** How the next request(s) fail: a Telnyx error, or any HTTP fault (429, 5xx, delay, hang, drop). */
export type TelnyxFailure = TelnyxError | HttpFault;

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

export function errorMeta(code: string): { url: string } {
  return { url: `https://developers.telnyx.com/docs/overview/errors/${code}` };
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

/**
 * Field checks of POST /v2/messages in the order Telnyx reports them; undefined
 * when the request is acceptable. `numbers`: the account's numbers, when `from` is checked.
 */
export function validateSendRequest(
body: Record<string, unknown>,
numbers: ReadonlySet<string> | undefined,
): { status: number; error: Record<string, unknown> } | undefined {
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
  if (body.from !== undefined && (typeof body.from !== 'string' || !e164.test(body.from) || (numbers !== undefined && !numbers.has(body.from)))) {
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
