/** What the stanza handlers of one component share. */
import type { IncomingContext } from '@xmpp/component';
import type { Logger } from 'pino';
import { localpartOf, type AddressCodec, type AddressResult } from '../addressing/index.js';
import type { OutboundBridge } from '../bridge/outbound.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ContactDirectory, NetworkIdentity, OwnershipWording } from '../networks/index.js';
import type { DailyCap } from '../store/limits.js';
import type { OwnershipStore } from '../store/ownership.js';
import type { ComponentConnection } from './connection.js';
import type { GatewayOperations } from './iq/operations.js';
import type { Rooms } from './rooms.js';

/** Gateway addresses users own on this component (SMS numbers, mail addresses), in the network's words. */
export interface ComponentOwnership {
  store: OwnershipStore;
  wording: OwnershipWording;
  /** An address as an admin typed it -> canonical form. */
  parse(input: string): AddressResult;
  /** Limits on claiming a pool address oneself (XEP-0077); absent = anyone allowed, no limit. */
  claims?: ClaimLimits;
}

/** Who may claim a pool address through XEP-0077, and how many times a day. */
export interface ClaimLimits {
  /** May this bare JID claim one itself? (Others ask an admin.) */
  mayClaim(bareJid: string): boolean;
  /** Claims per user per UTC day. */
  perDay?: DailyCap;
}

export interface ComponentContext {
  domain: string;
  /** The network's disco identities. */
  identity: NetworkIdentity;
  codec: AddressCodec;
  connection: ComponentConnection;
  outbound: OutboundBridge;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Software name and version for XEP-0092. */
  software: { name: string; version: string };
  /** While draining at shutdown, new outbound messages are refused with `wait`. */
  isDraining(): boolean;
  /** The access rule: may this bare JID use the component? */
  isAllowed(bareJid: string): boolean;
  /** Gateway admins (config `admins`) may run XEP-0050 commands. */
  isAdmin(bareJid: string): boolean;
  /** The whole gateway as admins' commands see it (queues, metrics, every component); absent: no such commands. */
  operations?: GatewayOperations;
  /** Address ownership, which turns on XEP-0077 registration and the admin commands. */
  ownership?: ComponentOwnership;
  /** Where only configured contacts exist (webhook endpoints): who they are and how they are described. */
  contacts?: ContactDirectory;
  /** Group chat rooms the component sits in (their presences and traffic stop there). */
  rooms?: Rooms;
}

/**
 * The localpart of a stanza's `to`, exactly as sent ('' for the component
 * itself). Read from the raw attribute: the middleware context's `local` is
 * the sender's, and @xmpp/jid re-escapes what it parses.
 */
export function contactLocalpart(to: string | undefined): string {
  return to === undefined ? '' : localpartOf(to);
}

/** The contact localpart a stanza is addressed to ('' for the component itself). */
export function toLocal(ctx: IncomingContext): string {
  return contactLocalpart(ctx.stanza.attrs.to as string | undefined);
}
