/**
 * Stanza -> outbound job. Checks the sender, the address and the body, stores
 * the message in Redis, and only then is the message accepted. Never calls a
 * provider (DESIGN.md: a stanza handler validates, enqueues and returns).
 */
import type { Network, OutboundMessage } from '../../adapters/types.js';
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
  mediaUrls: string[];
  receiptRequested: boolean;
}

export type { OutboundPolicy };

export class OutboundBridge {
  readonly componentDomain: string;
  readonly network: Network;
  private readonly rules: string[];
  private readonly maxBody: number;

  constructor(
    config: ComponentConfig,
    private readonly codec: AddressCodec,
    private readonly enqueue: (m: OutboundMessage) => Promise<EnqueueOutcome>,
    private readonly policy: OutboundPolicy = {},
  ) {
    this.componentDomain = config.domain;
    this.network = config.network;
    this.rules = accessRules(config.domain, config.allow);
    this.maxBody = config.maxBodyLength ?? profileOf(config).defaults.maxBody;
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
    const address = this.codec.fromLocalpart(req.contactLocalpart);
    if (!address.ok) throw new GatewayError('ADDRESS_INVALID', address.reason);
    if (req.body.trim() === '' && req.mediaUrls.length === 0) {
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
        `you have no number on ${this.componentDomain}: register one (in-band registration) or ask the administrator`,
      );
    }
    const rate = this.policy.senderRate;
    const waitMs = rate === undefined ? 0 : await rate.take(senderBare, now);
    if (rate !== undefined && waitMs > 0) {
      throw new GatewayError(
        'RATE_LIMITED',
        `you are sending faster than ${this.componentDomain} allows (${rate.perSecond}/s, bursts of ${rate.burst}); send again in ${Math.ceil(waitMs / 1000)} s`,
        { retryAfterMs: waitMs },
      );
    }
    const cap = this.policy.dailyCap;
    if (cap !== undefined && !(await cap.take(senderBare, now))) {
      throw new GatewayError(
        'LIMIT_EXCEEDED',
        `you have sent ${cap.limit} messages today, the daily limit on ${this.componentDomain}; it resets at 00:00 UTC`,
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
      mediaUrls: req.mediaUrls,
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
      await cap?.giveBack(senderBare, now).catch(() => undefined);
      throw err;
    }
    // A retransmitted stanza was counted once already.
    if (outcome === 'duplicate') await cap?.giveBack(senderBare, now).catch(() => undefined);
    else this.policy.queued?.(facts);
    return { message, outcome, facts };
  }
}
