/**
 * The one Telnyx API call the adapter makes: send a message.
 * https://developers.telnyx.com/api-reference/messages/send-a-message
 *
 *   POST {apiBaseUrl}/v2/messages
 *   Authorization: Bearer <apiKey>
 *   Content-Type: application/json
 *   {"from":"+15550001111","to":"+15551234567","text":"hi","media_urls":[...],
 *    "webhook_url":"<publicUrl>/webhooks/<domain>/status","messaging_profile_id":"..."}
 *
 * 200 answers `{ data: <message> }`; `data.id` (a UUID) is what delivery
 * webhooks name as `payload.id`.
 */
import { TransientDeliveryError } from '../../../src/errors/registry.js';
import { classifyApiError, classifyNetworkError, parseApiErrors } from './errors.js';

export interface TelnyxCredentials {
  apiKey: string;
  /** e.g. `https://api.telnyx.com` (no trailing slash needed). */
  apiBaseUrl: string;
}

/** The JSON body of a send request, in Telnyx's field names. */
export interface SendMessageBody {
  from: string;
  to: string;
  /** Absent for an MMS with media only. */
  text?: string;
  media_urls?: string[];
  webhook_url: string;
  messaging_profile_id?: string;
}

/** The fields of the message record the gateway reads. */
export interface TelnyxMessageRecord {
  id: string;
  /** `to[0].status`, e.g. `queued`. */
  status: string;
}

export function messagesUrl(creds: TelnyxCredentials): string {
  return `${creds.apiBaseUrl.replace(/\/+$/, '')}/v2/messages`;
}

/** Sends the message. Resolves with the record; rejects with a GatewayError classified by errors.ts. */
export async function sendMessage(
  creds: TelnyxCredentials,
  body: SendMessageBody,
  signal: AbortSignal,
): Promise<TelnyxMessageRecord> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(messagesUrl(creds), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${creds.apiKey}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(body),
      redirect: 'error',
      signal,
    });
    text = await response.text();
  } catch (err) {
    throw classifyNetworkError(err, signal);
  }
  if (!response.ok) {
    throw classifyApiError(response.status, parseApiErrors(text), response.headers.get('retry-after'));
  }
  let record: unknown;
  try {
    record = (JSON.parse(text) as { data?: unknown } | null)?.data;
  } catch {
    record = undefined;
  }
  const id = (record as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'string' || id === '') {
    // Telnyx said yes but gave no id: statuses could not be matched. Retrying may send twice; rare enough to accept.
    throw new TransientDeliveryError(`telnyx: HTTP ${response.status} without data.id in the answer`);
  }
  const to = (record as { to?: unknown }).to;
  const status = Array.isArray(to) ? (to[0] as { status?: unknown } | undefined)?.status : undefined;
  return { id, status: typeof status === 'string' ? status : 'unknown' };
}
