/**
 * Stanza -> outbound job. Checks the sender, the address and the body, stores
 * the message in Redis, and only then is the message accepted. Never calls a
 * provider (DESIGN.md: a stanza handler validates, enqueues and returns).
 */
import type { Network, OutboundMessage } from '../../adapters/types.js';
import { contactJid as joinJid, type AddressCodec } from '../addressing/index.js';
import type { ComponentConfig } from '../config/schema.js';
import { DEFAULT_MAX_BODY } from '../config/schema.js';
import { GatewayError } from '../errors/registry.js';
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

export class OutboundBridge {
  readonly componentDomain: string;
  readonly network: Network;
  private readonly rules: string[];
  private readonly maxBody: number;

  constructor(
    config: ComponentConfig,
    private readonly codec: AddressCodec,
    private readonly enqueue: (m: OutboundMessage) => Promise<EnqueueOutcome>,
  ) {
    this.componentDomain = config.domain;
    this.network = config.network;
    this.rules = accessRules(config.domain, config.allow);
    this.maxBody = config.maxBodyLength ?? DEFAULT_MAX_BODY[config.network];
  }

  /** Validates and stores; throws GatewayError with a user-facing message when the message cannot go. */
  async accept(req: OutboundRequest, now = Date.now()): Promise<{ message: OutboundMessage; outcome: EnqueueOutcome }> {
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
    const contactJid = joinJid(address.localpart, this.componentDomain);
    const message: OutboundMessage = {
      id: outboundJobId(senderBare, contactJid, req.stanzaId),
      componentDomain: this.componentDomain,
      senderJid: req.senderJid,
      contactJid,
      to: address.address,
      body: req.body,
      mediaUrls: req.mediaUrls,
      stanzaId: req.stanzaId,
      receiptRequested: req.receiptRequested && req.stanzaId !== '',
      acceptedAt: now,
    };
    return { message, outcome: await this.enqueue(message) };
  }
}

export function bare(jid: string): string {
  const slash = jid.indexOf('/');
  return slash === -1 ? jid : jid.slice(0, slash);
}
