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

  /**
   * The checks kept in Redis, in the order a user meets them: their own
   * address (registration), the destination (which may depend on that
   * address), the send rate, the daily cap; then the send slot is booked.
   * With the policy's gate they take one Redis call, or two when the
   * destination rule needs the sender's address first.
   */
  private async senderChecks(sender: string, to: string, now: number, units: number): Promise<{ from?: string; slot?: number }> {
    const p = this.policy;
    let known: { from: string | undefined } | undefined;
    if (p.checkDestination !== undefined && (p.gate === undefined || p.destinationOpenToAll?.(to) !== true)) {
      const from = await p.senderAddress?.(sender);
      if (from === undefined && p.requireSenderAddress) throw this.unregistered();
      p.checkDestination(to, from);
      known = { from };
    }
    if (p.gate !== undefined) {
      const v = await p.gate.check(sender, now, units);
      if (v.verdict === 'unregistered') throw this.unregistered();
      if (v.verdict === 'rate') throw this.rateLimited(v.waitMs);
      if (v.verdict === 'cap') throw this.overCap(units);
      // No address held in Redis: the network may still give the sender a default one (email).
      if (v.from === undefined && p.senderAddress !== undefined) {
        const from = await p.senderAddress(sender);
        if (from === undefined && p.requireSenderAddress) throw this.unregistered();
        return { ...v, ...(from === undefined ? {} : { from }) };
      }
      return v;
    }
    const from = known === undefined ? await p.senderAddress?.(sender) : known.from;
    if (from === undefined && p.requireSenderAddress) throw this.unregistered();
    const waitMs = p.senderRate === undefined ? 0 : await p.senderRate.take(sender, now, units);
    if (waitMs > 0) throw this.rateLimited(waitMs);
    if (p.dailyCap !== undefined && !(await p.dailyCap.take(sender, now, units))) throw this.overCap(units);
    const slot = p.pacer !== undefined && from !== undefined ? await p.pacer.book(from, now) : undefined;
    return { ...(from === undefined ? {} : { from }), ...(slot === undefined ? {} : { slot }) };
  }

  private unregistered(): GatewayError {
    return new GatewayError(
      'REGISTRATION_REQUIRED',
      `you have no ${(this.policy.senderAddressName ?? 'a number').replace(/^an? /, '')} on ${this.componentDomain}: register one (in-band registration) or ask the administrator`,
    );
  }

  private rateLimited(waitMs: number): GatewayError {
    const rate = this.policy.senderRate;
    const unit = this.policy.unit === undefined ? '' : ` ${this.policy.unit}`;
    return new GatewayError(
      'RATE_LIMITED',
      `you are sending faster than ${this.componentDomain} allows (${rate?.perSecond}${unit}/s, bursts of ${rate?.burst}); send again in ${Math.ceil(waitMs / 1000)} s`,
      { retryAfterMs: waitMs },
    );
  }

  private overCap(units: number): GatewayError {
    const unit = this.policy.unit ?? 'messages';
    const limit = this.policy.dailyCap?.limit;
    return new GatewayError(
      'LIMIT_EXCEEDED',
      units > 1
        ? `this message needs ${units} ${unit} and would take you over the daily limit of ${limit} ${unit} on ${this.componentDomain}; it resets at 00:00 UTC`
        : `you have sent ${limit} ${unit} today, the daily limit on ${this.componentDomain}; it resets at 00:00 UTC`,
    );
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
    const units = this.policy.cost?.(req.body, req.attachments.map((a) => a.url)) ?? 1;
    const { from, slot } = await this.senderChecks(senderBare, address.address, now, units);
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
    // Stanzas from one client are handled in arrival order up to the booking, so booking at acceptance keeps that order.
    if (slot !== undefined) message.paced = { slot, attempt: 1 };
    const cap = this.policy.dailyCap;
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
