/**
 * The Adapter contract: what every provider (sandbox, Twilio, SMTP, HTTP, ...)
 * implements. The gateway core never calls a provider except through this.
 * See DESIGN.md "The Adapter contract".
 */
import type { FastifyPluginAsync } from 'fastify';
import type { RedisClient } from '../src/queue/redis.js';
import type { Logger } from 'pino';
import type { ComponentConfig } from '../src/config/schema.js';
import type { Network } from '../src/config/providers.js';
import type { GatewayMetrics } from '../src/metrics.js';

export type { Network };

/** A file that travels with a message: an MMS picture, a mail attachment, an XEP-0066 OOB link. */
export interface Attachment {
  url: string;
  /** File name, where known. */
  name?: string;
  /** MIME type, where known. */
  type?: string;
  /** Size in bytes, where known. */
  size?: number;
}

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
  /**
   * The sender's nickname as their client put it in the stanza (XEP-0172
   * `<nick xmlns='http://jabber.org/protocol/nick'>`): a mail's display name.
   */
  nick?: string;
  /** The stanza's `<subject>` (a mail subject), if any. */
  subject?: string;
  /** The stanza's `<thread>`: the conversation it belongs to (mail In-Reply-To); a reply from the network comes back in it. */
  thread?: string;
  /** Files the user sent as XEP-0066 out-of-band links (MMS media, mail attachments). */
  attachments: Attachment[];
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

/** A local recipient an adapter names itself (a webhook hook lists its users and rooms in config). */
export interface Recipient {
  /** Bare JID of a local user, or of a room (XEP-0045). */
  jid: string;
  /** `chat` to a user, `groupchat` to a room. */
  type: 'chat' | 'groupchat';
}

/** A message from the foreign network to local users. */
export interface InboundMessage {
  kind: 'message';
  /** Provider-side unique id; the dedupe key (a repeated webhook delivers once). */
  id: string;
  /** Foreign address of the sender, e.g. `+15551234567`, `bob@example.net`, a hook name. */
  from: string;
  /**
   * Gateway address (number, mail address) the message was sent to: it goes
   * to that address's owner. An adapter with `namesLocalRecipients` (the
   * sandbox) may name a local JID instead.
   */
  to: string;
  /**
   * Recipients the adapter resolved itself, instead of the owner of `to`:
   * each gets its own stanza (`chat` to users, `groupchat` to rooms).
   */
  recipients?: Recipient[];
  /**
   * Last Message Correction (XEP-0308): `record` keeps this message's stanza
   * id under `key` per recipient; `replace` sends it as a correction of the
   * message recorded under `key` (an alert's firing message, corrected when
   * it resolves), or as a plain new message when none is known.
   */
  correction?: { key: string; mode: 'record' | 'replace' };
  body: string;
  /** Mail subject, alert title. */
  subject?: string;
  /** Conversation the message belongs to (XMPP `<thread>`), e.g. from a mail's In-Reply-To. */
  thread?: string;
  /** Files, offered to the user as links (XEP-0066). */
  attachments?: Attachment[];
  /** Media URLs (MMS); offered like attachments. */
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
  /** Routes under `/files/<componentDomain>/`, public: downloads under unguessable URLs (mail attachments). */
  files?(plugin: FastifyPluginAsync): void;
  /** Routes under `/sandbox/<componentDomain>/`, behind the admin bearer token. */
  sandbox(plugin: FastifyPluginAsync): void;
  /** Routes under `/admin/components/<componentDomain>/`, behind the admin bearer token (e.g. re-enable a webhook endpoint). */
  admin?(plugin: FastifyPluginAsync): void;
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
  /**
   * Whether this process takes traffic from the network (the `http` role;
   * default true). When false the routes registered are not served and the
   * adapter opens no listener of its own (the SMTP listener): it only sends.
   */
  listens?: boolean;
  /** Shared Redis connection for adapter state (fails fast while Redis is down). */
  redis: RedisClient;
  /** Prefix for the adapter's own Redis keys, unique per component. */
  keyPrefix: string;
  /**
   * Whether an address is one of the gateway's own on this component (a
   * configured, pooled or admin-assigned number or mail address), to tell
   * them from foreign addresses in what a provider reports. Always false
   * where users own no address (webhooks). Asks Redis: rejects while it is down.
   */
  isGatewayAddress(address: string): Promise<boolean>;
  /** The gateway's metrics, for adapters that count their own traffic (inbound webhook hooks). */
  metrics?: GatewayMetrics;
}

export interface AdapterHealth {
  ok: boolean;
  detail?: string;
}

export interface Adapter {
  readonly network: Network;
  readonly provider: string;
  readonly componentDomain: string;
  /**
   * Whether this adapter may name a local JID as an inbound message's `to`
   * instead of a gateway address. Only test and trial providers (the
   * sandbox) set it; from a real provider, a recipient that is not one of the
   * gateway's own addresses is dropped.
   */
  readonly namesLocalRecipients?: boolean;
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
  /**
   * The provider's own retry schedule, where it has one (webhooks: Svix's):
   * the wait before the retry that follows failed attempt `attempt` (1 = the
   * first), or undefined once the schedule is spent and the sender is told.
   * Without it the component's `retry` backoff and maximum age apply; with
   * it, `retry.maxAgeSeconds` applies only where it is set.
   */
  retryDelayMs?(attempt: number): number | undefined;
}

/** Builds an adapter for one component from its provider's settings. Registered by provider name in `registry.ts`. */
export type AdapterFactory<C extends ComponentConfig = ComponentConfig> = (config: C) => Adapter;
