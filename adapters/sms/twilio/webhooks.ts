/**
 * The routes Twilio calls, under /webhooks/<domain>/:
 *
 *   POST messages  an SMS/MMS to one of the gateway's numbers (configure it as the
 *                  number's "A message comes in" webhook, HTTP POST)
 *   POST status    the StatusCallback the adapter sets on every message it sends
 *
 * Both are application/x-www-form-urlencoded and signed with X-Twilio-Signature
 * (see signature.ts). The kit's signed-webhook helper does the gate: another
 * media type is 415, a missing or wrong signature 403 and nothing is emitted,
 * an event that cannot be stored 503 (Twilio retries).
 * Docs: https://www.twilio.com/docs/messaging/guides/webhook-request
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { parseForm, signedWebhookRoutes, type SignatureCheck, type SignedRequest } from '../../kit/signed-webhook.js';
import type { AdapterContext } from '../../types.js';
import { TWILIO } from './errors.js';
import { verifyTwilioSignature } from './signature.js';
import { deliveryStatusOf, type StatusCallbackForm } from './status.js';

/** What Twilio expects back from a messaging webhook that has nothing to reply: an empty TwiML document. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** Twilio delivers at most 10 media items per message. */
const MAX_MEDIA = 10;

/** The incoming message fields the gateway reads (Twilio posts more: SmsSid, AccountSid, FromCity, ...). */
export interface IncomingMessageForm {
  MessageSid: string;
  From: string;
  To: string;
  Body?: string;
  NumMedia?: string;
  [mediaUrlN: `MediaUrl${number}`]: string | undefined;
}

const incomingMessageSchema = {
  type: 'object',
  required: ['MessageSid', 'From', 'To'],
  properties: {
    MessageSid: { type: 'string', minLength: 1, maxLength: 64 },
    From: { type: 'string', minLength: 1, maxLength: 320 },
    To: { type: 'string', minLength: 1, maxLength: 320 },
    Body: { type: 'string', maxLength: 100_000 },
    NumMedia: { type: 'string', pattern: '^[0-9]{1,2}$' },
  },
  patternProperties: { '^MediaUrl[0-9]+$': { type: 'string', maxLength: 2048 } },
} as const;

const statusCallbackSchema = {
  type: 'object',
  required: ['MessageSid', 'MessageStatus'],
  properties: {
    MessageSid: { type: 'string', minLength: 1, maxLength: 64 },
    MessageStatus: { type: 'string', minLength: 1, maxLength: 64 },
    ErrorCode: { type: 'string', pattern: '^[0-9]*$' },
  },
} as const;

export interface TwilioWebhookDeps {
  authToken: string;
  /** The gateway's public base URL; Twilio signs publicUrl + request path (+ query). */
  publicUrl: string;
  logger: Logger;
  emitInbound: AdapterContext['emitInbound'];
}

export function mediaUrlsOf(form: IncomingMessageForm): string[] {
  const count = Math.min(Number(form.NumMedia ?? '0') || 0, MAX_MEDIA);
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const url = form[`MediaUrl${i}`];
    if (typeof url === 'string' && url !== '') urls.push(url);
  }
  return urls;
}

/** X-Twilio-Signature over publicUrl + the requested path and query, and the posted parameters. */
export function checkTwilioRequest(authToken: string, publicUrl: string, req: SignedRequest): SignatureCheck {
  const signature = req.header('x-twilio-signature');
  if (signature === undefined || signature === '') return { ok: false, reason: 'is missing' };
  const url = `${publicUrl.replace(/\/+$/, '')}${req.url}`;
  if (!verifyTwilioSignature(authToken, url, parseForm(req.raw), signature)) {
    // The URL is logged once, bounded, by the kit; the reason does not repeat it.
    return { ok: false, reason: 'does not match http.publicUrl + the requested path and the posted parameters (check http.publicUrl and twilio.authToken)' };
  }
  return { ok: true };
}

export function twilioWebhooks(deps: TwilioWebhookDeps): FastifyPluginAsync {
  return signedWebhookRoutes({
    provider: TWILIO,
    contentType: 'application/x-www-form-urlencoded',
    verify: (req) => checkTwilioRequest(deps.authToken, deps.publicUrl, req),
    refusal: (reason) => `X-Twilio-Signature ${reason}`,
    logger: deps.logger,
    emitInbound: deps.emitInbound,
    routes: (app, store) => {
      app.post<{ Body: IncomingMessageForm }>('/messages', { schema: { body: incomingMessageSchema } }, async (req, reply) => {
        const form = req.body;
        const result = await store({
          kind: 'message',
          id: form.MessageSid,
          from: form.From,
          to: form.To,
          body: form.Body ?? '',
          mediaUrls: mediaUrlsOf(form),
        });
        if (result.outcome === 'dropped') {
          // DESIGN: an unroutable message is answered 2xx (Twilio would only retry it), logged and dropped.
          deps.logger.info({ sid: form.MessageSid, to: form.To, reason: result.reason }, 'inbound SMS dropped');
        }
        return reply.code(200).type('text/xml').send(EMPTY_TWIML);
      });

      app.post<{ Body: StatusCallbackForm }>('/status', { schema: { body: statusCallbackSchema } }, async (req, reply) => {
        const status = deliveryStatusOf(req.body);
        if (status === undefined) {
          deps.logger.debug({ sid: req.body.MessageSid, status: req.body.MessageStatus }, 'intermediate Twilio status ignored');
        } else {
          const result = await store(status);
          if (result.outcome === 'dropped') deps.logger.info({ sid: status.providerMessageId, reason: result.reason }, 'status dropped');
        }
        return reply.code(204).send();
      });
    },
  });
}
