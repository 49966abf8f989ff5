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
import type { ProviderHttpClient } from '../../kit/http-client.js';
import { classifyApiError, parseApiErrors } from './errors.js';

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

/**
 * Sends the message through `http` (the kit's client on telnyx.apiBaseUrl).
 * Resolves with the record; rejects with a GatewayError classified by errors.ts.
 */
export async function sendMessage(
  http: ProviderHttpClient,
  apiKey: string,
  body: SendMessageBody,
  signal: AbortSignal,
): Promise<TelnyxMessageRecord> {
  const answer = await http.requestJson(
    {
      method: 'POST',
      path: '/v2/messages',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(body),
      signal,
    },
    (res) => classifyApiError(res.status, parseApiErrors(res.text), res.header('retry-after')),
  );
  const record = (answer.body as { data?: { id?: unknown; to?: unknown } } | null | undefined)?.data;
  const id = record?.id;
  if (typeof id !== 'string' || id === '') {
    // Telnyx said yes but gave no id: statuses could not be matched. Retrying may send twice; rare enough to accept.
    throw new TransientDeliveryError(`telnyx: HTTP ${answer.status} without data.id in the answer`);
  }
  const to = record?.to;
  const status = Array.isArray(to) ? (to[0] as { status?: unknown } | undefined)?.status : undefined;
  return { id, status: typeof status === 'string' ? status : 'unknown' };
}
