/**
 * The routes Twilio calls, under /webhooks/<domain>/:
 *
 *   POST messages  an SMS/MMS to one of the gateway's numbers (configure it as the
 *                  number's "A message comes in" webhook, HTTP POST)
 *   POST status    the StatusCallback the adapter sets on every message it sends
 *
 * Both are application/x-www-form-urlencoded and signed with X-Twilio-Signature
 * (see signature.ts); a missing or wrong signature is answered 403 and nothing
 * is emitted. Docs: https://www.twilio.com/docs/messaging/guides/webhook-request
 */
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError } from '../../../src/errors/registry.js';
import type { AdapterContext } from '../../types.js';
import { verifyTwilioSignature, type FormParams } from './signature.js';
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

function isFormParams(body: unknown): body is FormParams {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  return Object.values(body).every((v) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')));
}

export function twilioWebhooks(deps: TwilioWebhookDeps): FastifyPluginAsync {
  const base = deps.publicUrl.replace(/\/+$/, '');

  /** Runs before schema validation, so an unsigned request learns nothing about the expected fields. */
  async function requireSignature(req: FastifyRequest): Promise<void> {
    const header = req.headers['x-twilio-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    const url = `${base}${req.url}`;
    const refuse = (reason: string): never => {
      deps.logger.warn({ url, ip: req.ip, reason }, 'Twilio webhook refused: bad signature');
      throw new GatewayError('SIGNATURE_INVALID', `X-Twilio-Signature ${reason}`);
    };
    if (signature === undefined || signature === '') refuse('is missing');
    const params = req.body ?? {};
    if (!isFormParams(params)) refuse('cannot be checked: the body is not application/x-www-form-urlencoded');
    if (!verifyTwilioSignature(deps.authToken, url, params as FormParams, signature)) {
      refuse(`does not match ${url} and the posted parameters (check http.publicUrl and twilio.authToken)`);
    }
  }

  return async (app) => {
    // Registered here, the form parser serves only these routes.
    await app.register(formbody);
    // Twilio posts forms only; anything else (JSON too, which Fastify would parse) is refused before signatures are looked at.
    app.addHook('onRequest', async (req) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') {
        throw new GatewayError('MEDIA_TYPE_UNSUPPORTED', `Twilio webhooks are application/x-www-form-urlencoded, not ${type || 'an untyped body'}`);
      }
    });
    app.addHook('preValidation', requireSignature);

    app.post<{ Body: IncomingMessageForm }>('/messages', { schema: { body: incomingMessageSchema } }, async (req, reply) => {
      const form = req.body;
      // Rejects with QUEUE_UNAVAILABLE while Redis is down: the error handler answers 503 and Twilio retries.
      const result = await deps.emitInbound({
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
        const result = await deps.emitInbound(status);
        if (result.outcome === 'dropped') deps.logger.info({ sid: status.providerMessageId, reason: result.reason }, 'status dropped');
      }
      return reply.code(204).send();
    });
  };
}
