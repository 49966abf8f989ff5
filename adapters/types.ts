/**
 * The Adapter contract: what every provider (sandbox, Twilio, SMTP, HTTP, ...)
 * implements. The gateway core never calls a provider except through this.
 * See DESIGN.md "The Adapter contract".
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ComponentConfig } from '../src/config/schema.js';
import type { Network } from './providers.js';

export type { Network };

/** A message on its way from an XMPP user to the foreign network. Stored as the outbound job's data. */
export interface OutboundMessage {
  /** Gateway-wide unique id (also the BullMQ job id). */
  id: string;
  componentDomain: string;
  /** The sender's full JID (error stanzas and receipts go back to it). */
  senderJid: string;
  /** The contact JID the user wrote to, e.g. `+15551234567@sms.example.org`. */
  contactJid: string;
  /** Canonical foreign address, e.g. `+15551234567`, `bob@example.net`, `deploy`. */
  to: string;
  /**
   * The sender's own address on the network: their gateway number (sms) or
   * gateway mail address, resolved when the message was accepted. Absent where
   * the network has none for them (sandbox, webhooks).
   */
  from?: string;
  body: string;
  /** XEP-0066 out-of-band URLs (MMS media, attachments). */
  mediaUrls: string[];
  /** The stanza id the user gave, echoed in receipts and error stanzas ('' if none). */
  stanzaId: string;
  /** XEP-0184: the sender asked for a delivery receipt. */
  receiptRequested: boolean;
  /** ms since epoch when the gateway accepted the message into Redis. */
  acceptedAt: number;
  /**
   * Set by the delivery worker when per-number pacing booked a later send
   * slot for this attempt: the slot's time and the attempt it was booked for.
   */
  paced?: { slot: number; attempt: number };
}

export interface SendOptions {
  /** 1 for the first try. */
  attempt: number;
  /** Aborted when the gateway shuts down or the attempt times out. */
  signal: AbortSignal;
}

export interface SendResult {
  /** The provider's id for the message; delivery statuses refer to it. */
  providerMessageId: string;
  /** The network confirmed delivery synchronously (SMTP 250, HTTP 2xx): a receipt can go at once. */
  delivered?: boolean;
}

/** A message from the foreign network to a local user. */
export interface InboundMessage {
  kind: 'message';
  /** Provider-side unique id; the dedupe key (a repeated webhook delivers once). */
  id: string;
  /** Foreign address of the sender, e.g. `+15551234567`. */
  from: string;
  /** Gateway address (number, mail address) or a local JID the message is for. */
  to: string;
  body: string;
  mediaUrls?: string[];
}

/** The network's verdict on a message sent earlier. */
export interface DeliveryStatus {
  kind: 'status';
  providerMessageId: string;
  status: 'delivered' | 'failed';
  /** Human-readable reason for `failed`, e.g. the provider's error code explained. */
  reason?: string;
}

export type InboundEvent = InboundMessage | DeliveryStatus;

/** What happened to an emitted event. */
export type InboundAcceptance =
  | { outcome: 'queued'; jobId: string }
  | { outcome: 'duplicate'; jobId: string }
  | { outcome: 'dropped'; reason: string };

/** Where adapters register HTTP routes. */
export interface HttpRegistrar {
  /** Routes under `/webhooks/<componentDomain>/` (public: verify the provider's signature). */
  webhooks(plugin: FastifyPluginAsync): void;
  /** Routes under `/sandbox/<componentDomain>/`, behind the admin bearer token. */
  sandbox(plugin: FastifyPluginAsync): void;
}

export interface AdapterContext {
  logger: Logger;
  /** The whole component section of the config; the adapter reads its own keys. */
  config: ComponentConfig;
  publicUrl: string;
  /**
   * Stores an inbound event durably (Redis) and resolves once it is stored.
   * Rejects with GatewayError QUEUE_UNAVAILABLE while Redis is down: a
   * webhook must then answer 503 so the provider retries.
   */
  emitInbound(event: InboundEvent): Promise<InboundAcceptance>;
  http: HttpRegistrar;
  /** Shared Redis connection for adapter state (fails fast while Redis is down). */
  redis: Redis;
  /** Prefix for the adapter's own Redis keys, unique per component. */
  keyPrefix: string;
}

export interface AdapterHealth {
  ok: boolean;
  detail?: string;
}

export interface Adapter {
  readonly network: Network;
  readonly provider: string;
  readonly componentDomain: string;
  /** Called once before the HTTP server listens; register routes here. */
  start(ctx: AdapterContext): Promise<void>;
  stop(): Promise<void>;
  /**
   * Hands one message to the network. Throw PermanentDeliveryError (no retry),
   * RateLimitedError (retry after a delay, not counted as a failure), or
   * anything else (transient: retried with backoff).
   */
  send(message: OutboundMessage, opts: SendOptions): Promise<SendResult>;
  health(): Promise<AdapterHealth>;
}

/** Builds an adapter for one component. Registered by provider name in `registry.ts`. */
export type AdapterFactory = (config: ComponentConfig) => Adapter;
