/**
 * The routes Telnyx calls, under /webhooks/<domain>/:
 *
 *   POST messages  set as the messaging profile's webhook URL: `message.received`
 *                  for texts to the gateway's numbers
 *   POST status    the webhook_url the adapter sets on every message it sends:
 *                  `message.sent`, `message.finalized`
 *
 * Both take any messaging event and act on its `event_type`, so a profile
 * webhook pointed at either works. Every request must carry a valid
 * telnyx-signature-ed25519 over the raw body (see signature.ts); the kit's
 * signed-webhook helper answers 403 otherwise (logged, nothing emitted).
 * A stored (or duplicate, or unroutable) event is answered 200; while the
 * gateway cannot store it, 503, and Telnyx retries.
 */
import type { KeyObject } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { signedWebhookRoutes } from '../../kit/signed-webhook.js';
import type { AdapterContext } from '../../types.js';
import { TELNYX } from './errors.js';
import { deliveryStatusOf, inboundMessageOf, INBOUND_EVENT, STATUS_EVENTS, type TelnyxWebhookEvent } from './events.js';
import { checkTelnyxSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature.js';

const addressSchema = {
  type: 'object',
  required: ['phone_number'],
  properties: { phone_number: { type: 'string', minLength: 1, maxLength: 64 }, status: { type: 'string', maxLength: 64 } },
} as const;

const payloadSchema = {
  type: 'object',
  required: ['id', 'to'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 128 },
    to: { type: 'array', minItems: 1, maxItems: 50, items: addressSchema },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { code: { anyOf: [{ type: 'string' }, { type: 'number' }] }, title: { type: 'string' }, detail: { type: 'string' } } },
    },
  },
} as const;

/** The event envelope; `message.received` must also name its sender. */
const eventSchema = {
  type: 'object',
  required: ['data'],
  properties: {
    data: {
      type: 'object',
      required: ['event_type', 'payload'],
      properties: { event_type: { type: 'string', minLength: 1, maxLength: 100 }, id: { type: 'string' }, payload: { type: 'object' } },
      if: { properties: { event_type: { enum: [INBOUND_EVENT, ...STATUS_EVENTS] } } },
      then: {
        properties: {
          payload: {
            ...payloadSchema,
            properties: {
              ...payloadSchema.properties,
              from: addressSchema,
              text: { type: ['string', 'null'], maxLength: 100_000 },
              media: { type: 'array', maxItems: 20, items: { type: 'object', properties: { url: { type: 'string', maxLength: 2048 } } } },
            },
          },
        },
        if: { properties: { event_type: { const: INBOUND_EVENT } } },
        then: { properties: { payload: { type: 'object', required: ['from'] } } },
      },
    },
  },
} as const;

export interface TelnyxWebhookDeps {
  /** The account's public key (signature.ts `telnyxPublicKey`). */
  publicKey: KeyObject;
  /** Whether a number is the gateway's, to pick the recipient of a group MMS (AdapterContext.isGatewayAddress). */
  isGatewayAddress(address: string): Promise<boolean>;
  logger: Logger;
  emitInbound: AdapterContext['emitInbound'];
  /** Clock for the timestamp check (tests). */
  now?: () => number;
}

export function telnyxWebhooks(deps: TelnyxWebhookDeps): FastifyPluginAsync {
  const now = deps.now ?? Date.now;
  return signedWebhookRoutes({
    provider: TELNYX,
    contentType: 'application/json',
    verify: (req) =>
      checkTelnyxSignature(deps.publicKey, req.raw, { signature: req.header(SIGNATURE_HEADER), timestamp: req.header(TIMESTAMP_HEADER) }, now()),
    logger: deps.logger,
    emitInbound: deps.emitInbound,
    routes: (app, store) => {
      const handle = async (req: FastifyRequest<{ Body: TelnyxWebhookEvent }>) => {
        const { event_type: type, payload } = req.body.data;
        if (type === INBOUND_EVENT) {
          const message = inboundMessageOf(payload, await gatewayNumbersAmong(payload.to, deps.isGatewayAddress));
          const result = await store(message);
          if (result.outcome === 'dropped') {
            // DESIGN: an unroutable message is answered 2xx (Telnyx would only retry it), logged and dropped.
            deps.logger.info({ id: message.id, to: message.to, reason: result.reason }, 'inbound SMS dropped');
          }
          return { outcome: result.outcome };
        }
        if (STATUS_EVENTS.includes(type)) {
          const status = deliveryStatusOf(payload);
          if (status === undefined) {
            deps.logger.debug({ id: payload.id, event: type, status: payload.to[0]?.status }, 'non-final Telnyx status ignored');
            return { outcome: 'ignored' };
          }
          const result = await store(status);
          if (result.outcome === 'dropped') deps.logger.info({ id: payload.id, reason: result.reason }, 'status dropped');
          return { outcome: result.outcome };
        }
        deps.logger.debug({ event: type }, 'Telnyx event of another kind ignored');
        return { outcome: 'ignored' };
      };
      app.post<{ Body: TelnyxWebhookEvent }>('/messages', { schema: { body: eventSchema } }, handle);
      app.post<{ Body: TelnyxWebhookEvent }>('/status', { schema: { body: eventSchema } }, handle);
    },
  });
}

/** The first of a message's recipients that is a gateway number (a group MMS lists several), as a set for inboundMessageOf. */
async function gatewayNumbersAmong(to: Array<{ phone_number: string }>, isGatewayAddress: (address: string) => Promise<boolean>): Promise<Set<string>> {
  for (const { phone_number: number } of to) if (await isGatewayAddress(number)) return new Set([number]);
  return new Set();
}
