/**
 * Twilio message statuses -> the gateway's delivery statuses.
 * https://www.twilio.com/docs/messaging/api/message-resource#message-status-values
 *
 * Only final verdicts become events: `delivered`, and `undelivered` / `failed`
 * (with the 30xxx ErrorCode explained). Intermediate statuses (`accepted`,
 * `scheduled`, `queued`, `sending`, `sent`) and ones the gateway has no use
 * for (`read`, `partially_delivered`, inbound `receiving` / `received`) are
 * ignored: answered 2xx, nothing emitted.
 */
import type { DeliveryStatus } from '../../types.js';
import { explainCode } from '../../kit/codes.js';
import { DELIVERY_ERROR_MEANINGS } from './codes.js';

/** The status callback fields the gateway reads. Twilio posts more (SmsSid, AccountSid, From, To, ApiVersion, ...). */
export interface StatusCallbackForm {
  MessageSid: string;
  MessageStatus: string;
  ErrorCode?: string;
}

export function deliveryStatusOf(form: StatusCallbackForm): DeliveryStatus | undefined {
  const providerMessageId = form.MessageSid;
  switch (form.MessageStatus) {
    case 'delivered':
      return { kind: 'status', providerMessageId, status: 'delivered' };
    case 'undelivered':
    case 'failed': {
      const code = form.ErrorCode !== undefined && /^\d+$/.test(form.ErrorCode) ? Number(form.ErrorCode) : undefined;
      const reason =
        code === undefined || code === 0
          ? `Twilio reported the message ${form.MessageStatus} without an error code`
          : explainCode('Twilio', DELIVERY_ERROR_MEANINGS, code);
      return { kind: 'status', providerMessageId, status: 'failed', reason };
    }
    case 'canceled':
      return { kind: 'status', providerMessageId, status: 'failed', reason: 'the message was canceled at Twilio before it was sent' };
    default:
      return undefined;
  }
}
