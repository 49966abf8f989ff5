/**
 * The one Twilio REST call the adapter makes: create a Message.
 * https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
 *
 *   POST {apiBaseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json
 *   Authorization: Basic base64(AccountSid:AuthToken)
 *   Content-Type: application/x-www-form-urlencoded
 *   To=+15551234567&From=+15550001111&Body=hi&StatusCallback=...&MediaUrl=...&MediaUrl=...
 *
 * 201 answers with the Message resource as JSON; its `sid` (SM... / MM...)
 * is what status callbacks name.
 */
import { TransientDeliveryError } from '../../../src/errors/registry.js';
import type { ProviderHttpClient } from '../../kit/http-client.js';
import { classifyApiError, parseApiError } from './errors.js';

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
}

/** What to send; exactly one of `from` and `messagingServiceSid`. */
export interface CreateMessageRequest {
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  mediaUrls: string[];
  statusCallback: string;
}

/** The fields of the Message resource the gateway reads. */
export interface TwilioMessageResource {
  sid: string;
  status: string;
}

/** The Messages path below the API base URL. */
export function messagesPath(creds: TwilioCredentials): string {
  return `/2010-04-01/Accounts/${encodeURIComponent(creds.accountSid)}/Messages.json`;
}

/** The form body: one `MediaUrl` field per media URL (the key repeats, as Twilio expects). */
export function createMessageForm(req: CreateMessageRequest): URLSearchParams {
  const form = new URLSearchParams();
  form.set('To', req.to);
  if (req.messagingServiceSid !== undefined) form.set('MessagingServiceSid', req.messagingServiceSid);
  else if (req.from !== undefined) form.set('From', req.from);
  form.set('Body', req.body);
  for (const url of req.mediaUrls) form.append('MediaUrl', url);
  form.set('StatusCallback', req.statusCallback);
  return form;
}

function basicAuth(creds: TwilioCredentials): string {
  return `Basic ${Buffer.from(`${creds.accountSid}:${creds.authToken}`, 'utf8').toString('base64')}`;
}

/**
 * Creates the message through `http` (the kit's client on twilio.apiBaseUrl).
 * Resolves with the resource; rejects with a GatewayError classified by errors.ts.
 */
export async function createMessage(
  http: ProviderHttpClient,
  creds: TwilioCredentials,
  req: CreateMessageRequest,
  signal: AbortSignal,
): Promise<TwilioMessageResource> {
  const answer = await http.requestJson(
    {
      method: 'POST',
      path: messagesPath(creds),
      headers: {
        authorization: basicAuth(creds),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: createMessageForm(req).toString(),
      signal,
    },
    (res) => classifyApiError(res.status, parseApiError(res.text), res.header('retry-after')),
  );
  const resource = answer.body as { sid?: unknown; status?: unknown } | undefined;
  const sid = resource?.sid;
  if (typeof sid !== 'string' || sid === '') {
    // Twilio said yes but gave no id: statuses could not be matched. Retrying may send twice; rare enough to accept.
    throw new TransientDeliveryError(`twilio: HTTP ${answer.status} without a message sid in the answer`);
  }
  const status = resource?.status;
  return { sid, status: typeof status === 'string' ? status : 'unknown' };
}
