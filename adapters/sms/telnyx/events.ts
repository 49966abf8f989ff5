/**
 * Telnyx messaging webhook events -> the gateway's inbound events.
 * https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks
 *
 * Every event is `{ data: { event_type, id, occurred_at, payload, record_type: 'event' }, meta }`
 * where `payload` is the message record:
 *
 * - `message.received`: an SMS/MMS to one of the gateway's numbers. `payload.id` is
 *   the dedupe key, `from.phone_number` the sender, `to[].phone_number` the gateway
 *   number, `text` (absent for media only), `media[].url`.
 * - `message.sent`, `message.finalized`: progress of a message the gateway sent;
 *   `payload.id` is the id the send answered with, `to[0].status` where it stands
 *   and `errors[]` why it failed.
 *
 * Statuses (`to[].status`): only final verdicts become events.
 *   delivered                                  -> delivered
 *   delivery_failed, sending_failed, expired   -> failed, with errors[0] explained
 *   delivery_unconfirmed                       -> ignored: the carrier sent no receipt, so the
 *                                                 message may well have arrived; neither a receipt
 *                                                 nor an error stanza would be true
 *   queued, sending, sent, anything else       -> ignored (answered 200, nothing emitted)
 */
import type { DeliveryStatus, InboundMessage } from '../../types.js';
import { explainCode } from '../../kit/codes.js';
import { DELIVERY_ERROR_MEANINGS } from './codes.js';

export interface TelnyxAddress {
  phone_number: string;
  status?: string;
}

export interface TelnyxMessageError {
  code?: string | number;
  title?: string;
  detail?: string;
}

/** The fields of the message record the gateway reads (Telnyx sends many more). */
export interface TelnyxMessagePayload {
  id: string;
  direction?: string;
  from?: TelnyxAddress;
  to: TelnyxAddress[];
  text?: string | null;
  media?: Array<{ url?: string }>;
  errors?: TelnyxMessageError[];
}

export interface TelnyxWebhookEvent {
  data: {
    event_type: string;
    id?: string;
    occurred_at?: string;
    payload: TelnyxMessagePayload;
  };
}

export const INBOUND_EVENT = 'message.received';
export const STATUS_EVENTS: readonly string[] = ['message.sent', 'message.finalized'];

const FAILED = new Set(['delivery_failed', 'sending_failed', 'expired']);
/** Telnyx delivers at most 10 media items per message. */
const MAX_MEDIA = 10;

/**
 * The inbound message for a `message.received` payload. `to` is the first
 * recipient that is one of `gatewayNumbers` (a group MMS lists several), else
 * the first recipient.
 */
export function inboundMessageOf(payload: TelnyxMessagePayload, gatewayNumbers: ReadonlySet<string>): InboundMessage {
  const to = payload.to.find((t) => gatewayNumbers.has(t.phone_number)) ?? payload.to[0];
  const mediaUrls = (payload.media ?? [])
    .map((m) => m.url)
    .filter((url): url is string => typeof url === 'string' && url !== '')
    .slice(0, MAX_MEDIA);
  return {
    kind: 'message',
    id: payload.id,
    from: payload.from?.phone_number ?? '',
    to: to?.phone_number ?? '',
    body: payload.text ?? '',
    mediaUrls,
  };
}

function failureReason(status: string, errors: TelnyxMessageError[] | undefined): string {
  const first = errors?.find((e) => e.code !== undefined && String(e.code) !== '') ?? errors?.[0];
  const own = [first?.title, first?.detail].filter((t): t is string => t !== undefined && t !== '').join(': ');
  if (first?.code === undefined || String(first.code) === '') {
    if (own !== '') return own;
    return status === 'expired'
      ? 'the message expired before it could be delivered'
      : `Telnyx reported the message ${status.replace('_', ' ')} without an error code`;
  }
  return explainCode('Telnyx', DELIVERY_ERROR_MEANINGS, String(first.code), own);
}

/** The delivery status for a `message.sent` / `message.finalized` payload, or undefined when it is not final. */
export function deliveryStatusOf(payload: TelnyxMessagePayload): DeliveryStatus | undefined {
  const status = payload.to[0]?.status ?? '';
  const providerMessageId = payload.id;
  if (status === 'delivered') return { kind: 'status', providerMessageId, status: 'delivered' };
  if (FAILED.has(status)) return { kind: 'status', providerMessageId, status: 'failed', reason: failureReason(status, payload.errors) };
  return undefined;
}
