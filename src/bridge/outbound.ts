/**
 * Stanza -> outbound job. Checks the sender, the address and the body, stores
 * the message in Redis, and only then is the message accepted. Never calls a
 * provider (DESIGN.md: a stanza handler validates, enqueues and returns).
 */
import type { Attachment, OutboundMessage } from '../../adapters/types.js';
import { bare, contactJid as joinJid, type AddressCodec } from '../addressing/index.js';
import type { ComponentConfig } from '../config/schema.js';
import { GatewayError } from '../errors/registry.js';
import { profileOf, type OutboundPolicy } from '../networks/index.js';
import { outboundJobId } from '../queue/names.js';
import type { EnqueueOutcome } from '../queue/producer.js';
import { accessRules, isAllowed } from './access.js';

/** What the router extracts from a `<message>` to a contact. */
export interface OutboundRequest {
  senderJid: string;
  contactLocalpart: string;
  stanzaId: string;
  body: string;
  subject?: string;
  thread?: string;
  /** XEP-0172 nickname from the stanza. */
  nick?: string;
  attachments: Attachment[];
  receiptRequested: boolean;
}

export type { OutboundPolicy };

/** Longest stanza id taken (clients use UUIDs, 36): it is stored with the job and echoed in receipts and errors. */
const MAX_STANZA_ID = 256;
/** Longest subject, thread or attachment description (an RFC 5322 header line is at most 998 characters). */
const MAX_HEADER_FIELD = 998;

export class OutboundBridge {
  readonly componentDomain: string;
  private readonly rules: string[];
  private readonly maxBody: number;
  private readonly media: { maxCount: number; maxUrlLength: number };

  constructor(
    config: ComponentConfig,
    private readonly codec: AddressCodec,
    private readonly enqueue: (m: OutboundMessage) => Promise<EnqueueOutcome>,
    private readonly policy: OutboundPolicy = {},
  ) {
    this.componentDomain = config.domain;
    this.rules = accessRules(config.domain, config.allow);
    this.maxBody = config.maxBodyLength ?? profileOf(config).defaults.maxBody;
    this.media = profileOf(config).defaults.media;
  }

  /**
   * Bounds on every per-message field that is stored with the job, so one
   * user cannot grow Redis faster than the body limit allows: the body
   * (maxBody), the media links (count and length, per network), the stanza
   * id. JIDs are bounded by the server (RFC 7622 §3.1: 1023 bytes a part).
   */
  private checkBounds(req: OutboundRequest): void {
    if (req.stanzaId.length > MAX_STANZA_ID) {
      throw new GatewayError('BAD_REQUEST', `the stanza id is ${req.stanzaId.length} characters long; ${this.componentDomain} takes at most ${MAX_STANZA_ID}`);
    }
    for (const [field, value] of [['subject', req.subject], ['thread', req.thread], ['nickname', req.nick]] as const) {
      if (value !== undefined && value.length > MAX_HEADER_FIELD) {
        throw new GatewayError('BODY_INVALID', `the ${field} is ${value.length} characters long; ${this.componentDomain} takes at most ${MAX_HEADER_FIELD}`);
      }
    }
    const { maxCount, maxUrlLength } = this.media;
    if (req.attachments.length > maxCount) {
      throw new GatewayError('BODY_INVALID', `the message carries ${req.attachments.length} media links; ${this.componentDomain} takes at most ${maxCount}`);
    }
    const long = req.attachments.find((a) => a.url.length > maxUrlLength);
    if (long !== undefined) {
      throw new GatewayError('BODY_INVALID', `a media link is ${long.url.length} characters long; ${this.componentDomain} takes at most ${maxUrlLength}`);
    }
    const named = req.attachments.find((a) => (a.name?.length ?? 0) > MAX_HEADER_FIELD);
    if (named !== undefined) {
      throw new GatewayError('BODY_INVALID', `an attachment's description is ${named.name?.length} characters long; ${this.componentDomain} takes at most ${MAX_HEADER_FIELD}`);
    }
  }

  /** Validates and stores; throws GatewayError with a user-facing message when the message cannot go. */
  async accept(
    req: OutboundRequest,
    now = Date.now(),
  ): Promise<{ message: OutboundMessage; outcome: EnqueueOutcome; facts: Record<string, unknown> }> {
    const senderBare = bare(req.senderJid);
    if (!isAllowed(senderBare, this.rules)) {
      throw new GatewayError('SENDER_FORBIDDEN', `${senderBare} is not allowed to use ${this.componentDomain}`);
    }
    this.checkBounds(req);
    const address = this.codec.fromLocalpart(req.contactLocalpart);
    if (!address.ok) throw new GatewayError('ADDRESS_INVALID', address.reason);
    const contacts = this.policy.contacts;
    if (contacts !== undefined && contacts.describe(address.address) === undefined) {
      throw new GatewayError('NOT_FOUND', contacts.unknown(address.address));
    }
    if (req.body.trim() === '' && req.attachments.length === 0) {
      throw new GatewayError('BODY_INVALID', 'the message is empty');
    }
    const length = [...req.body].length;
    if (length > this.maxBody) {
      throw new GatewayError(
        'BODY_INVALID',
        `the message is ${length} characters long; ${this.componentDomain} accepts at most ${this.maxBody}`,
      );
    }
    const facts = this.policy.checkBody?.(req.body) ?? {};
    const from = await this.policy.senderAddress?.(senderBare);
    if (from === undefined && this.policy.requireSenderAddress) {
      throw new GatewayError(
        'REGISTRATION_REQUIRED',
        `you have no ${(this.policy.senderAddressName ?? 'a number').replace(/^an? /, '')} on ${this.componentDomain}: register one (in-band registration) or ask the administrator`,
      );
    }
    this.policy.checkDestination?.(address.address, from);
    const units = this.policy.cost?.(req.body, req.attachments.map((a) => a.url)) ?? 1;
    const unit = this.policy.unit ?? 'messages';
    const rate = this.policy.senderRate;
    const waitMs = rate === undefined ? 0 : await rate.take(senderBare, now, units);
    if (rate !== undefined && waitMs > 0) {
      throw new GatewayError(
        'RATE_LIMITED',
        `you are sending faster than ${this.componentDomain} allows (${rate.perSecond}${this.policy.unit === undefined ? '' : ` ${unit}`}/s, bursts of ${rate.burst}); send again in ${Math.ceil(waitMs / 1000)} s`,
        { retryAfterMs: waitMs },
      );
    }
    const cap = this.policy.dailyCap;
    if (cap !== undefined && !(await cap.take(senderBare, now, units))) {
      throw new GatewayError(
        'LIMIT_EXCEEDED',
        units > 1
          ? `this message needs ${units} ${unit} and would take you over the daily limit of ${cap.limit} ${unit} on ${this.componentDomain}; it resets at 00:00 UTC`
          : `you have sent ${cap.limit} ${unit} today, the daily limit on ${this.componentDomain}; it resets at 00:00 UTC`,
      );
    }
    const contactJid = joinJid(address.localpart, this.componentDomain);
    const message: OutboundMessage = {
      id: outboundJobId(senderBare, contactJid, req.stanzaId),
      componentDomain: this.componentDomain,
      senderJid: req.senderJid,
      contactJid,
      to: address.address,
      ...(from === undefined ? {} : { from }),
      body: req.body,
      ...(req.subject === undefined ? {} : { subject: req.subject }),
      ...(req.thread === undefined ? {} : { thread: req.thread }),
      ...(req.nick === undefined ? {} : { nick: req.nick }),
      attachments: req.attachments,
      stanzaId: req.stanzaId,
      receiptRequested: req.receiptRequested && req.stanzaId !== '',
      acceptedAt: now,
    };
    if (this.policy.pacer !== undefined && from !== undefined) {
      // Stanzas from one client are handled in arrival order up to here, so booking here keeps that order.
      message.paced = { slot: await this.policy.pacer.book(from, now), attempt: 1 };
    }
    let outcome: EnqueueOutcome;
    try {
      outcome = await this.enqueue(message);
    } catch (err) {
      await cap?.giveBack(senderBare, now, units).catch(() => undefined);
      throw err;
    }
    // A retransmitted stanza was counted once already.
    if (outcome === 'duplicate') await cap?.giveBack(senderBare, now, units).catch(() => undefined);
    else this.policy.queued?.(facts);
    return { message, outcome, facts };
  }
}
