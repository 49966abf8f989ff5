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
import { classifyApiError, classifyNetworkError, parseApiError } from './errors.js';

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
  /** e.g. `https://api.twilio.com` (no trailing slash needed). */
  apiBaseUrl: string;
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

export function messagesUrl(creds: TwilioCredentials): string {
  return `${creds.apiBaseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(creds.accountSid)}/Messages.json`;
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
 * Creates the message. Resolves with the resource; rejects with a
 * GatewayError classified by errors.ts.
 */
export async function createMessage(
  creds: TwilioCredentials,
  req: CreateMessageRequest,
  signal: AbortSignal,
): Promise<TwilioMessageResource> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(messagesUrl(creds), {
      method: 'POST',
      headers: {
        authorization: basicAuth(creds),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: createMessageForm(req),
      redirect: 'error',
      signal,
    });
    text = await response.text();
  } catch (err) {
    throw classifyNetworkError(err, signal);
  }
  if (!response.ok) {
    throw classifyApiError(response.status, parseApiError(text), response.headers.get('retry-after'));
  }
  let resource: unknown;
  try {
    resource = JSON.parse(text);
  } catch {
    resource = undefined;
  }
  const sid = (resource as { sid?: unknown } | undefined)?.sid;
  if (typeof sid !== 'string' || sid === '') {
    // Twilio said yes but gave no id: statuses could not be matched. Retrying may send twice; rare enough to accept.
    throw new TransientDeliveryError(`twilio: HTTP ${response.status} without a message sid in the answer`);
  }
  const status = (resource as { status?: unknown }).status;
  return { sid, status: typeof status === 'string' ? status : 'unknown' };
}
