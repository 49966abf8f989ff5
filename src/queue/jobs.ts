/**
 * Shapes of the inbound queue's jobs. The outbound queue's data is
 * `OutboundMessage` (adapters/types.ts).
 */
import type { ErrorCode } from '../errors/registry.js';

/** The outbound queue's data is the Adapter contract's message: the component reaches it only through here. */
export type { Attachment, OutboundMessage } from '../../adapters/types.js';

/** Enough of an outbound message to answer its sender later. */
export interface MessageRef {
  outboundId: string;
  senderJid: string;
  contactJid: string;
  stanzaId: string;
  receiptRequested: boolean;
}

/** A message for one local recipient, addressing already resolved. */
export interface InboundMessageJob {
  type: 'message';
  /** Contact JID the message comes from. */
  from: string;
  /** Local user's (or room's) JID. */
  to: string;
  /** Set for a room (XEP-0045): the stanza is a `groupchat`. Absent: `chat`. */
  groupchat?: true;
  /** XEP-0308: record this message's stanza id under key, or send it as a correction of the one recorded. */
  correction?: { key: string; mode: 'record' | 'replace' };
  body: string;
  subject?: string;
  thread?: string;
  /** Links offered with the message (XEP-0066). */
  mediaUrls: string[];
  receivedAt: number;
}

/** A provider's delivery status, still to be matched to the message it is about. */
export interface InboundStatusJob {
  type: 'status';
  providerMessageId: string;
  status: 'delivered' | 'failed';
  reason?: string;
}

/** The final word on an outbound message: a receipt or an error stanza for its sender. */
export interface OutcomeJob {
  type: 'outcome';
  ref: MessageRef;
  status: 'delivered' | 'failed';
  code?: ErrorCode;
  /** What the sender reads. */
  reason?: string;
  /** For operators only (the log, the admin job view): the provider's or library's own words. */
  detail?: string;
}

export type InboundJob = InboundMessageJob | InboundStatusJob | OutcomeJob;
