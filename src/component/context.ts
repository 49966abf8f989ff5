/** What the stanza handlers of one component share. */
import type { IncomingContext } from '@xmpp/component';
import type { Logger } from 'pino';
import type { Network } from '../../adapters/types.js';
import type { AddressCodec } from '../addressing/index.js';
import type { OutboundBridge } from '../bridge/outbound.js';
import type { GatewayMetrics } from '../metrics.js';
import type { NumberStore } from '../store/numbers.js';
import type { ComponentConnection } from './connection.js';

export interface ComponentContext {
  domain: string;
  network: Network;
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
  /** sms: number ownership, which turns on XEP-0077 registration and the admin commands. */
  numbers?: NumberStore;
}

/** Human names and disco identities by network (XEP-0030 registry: gateway/sms, gateway/smtp, gateway/http). */
export const NETWORK_IDENTITY: Record<Network, { gatewayType: string; name: string; contactType: string }> = {
  sms: { gatewayType: 'sms', name: 'SMS gateway', contactType: 'sms' },
  email: { gatewayType: 'smtp', name: 'Email gateway', contactType: 'pc' },
  webhook: { gatewayType: 'http', name: 'Webhook gateway', contactType: 'bot' },
};

/**
 * The localpart of a stanza's `to`, exactly as sent ('' for the component
 * itself). Read from the raw attribute: the middleware context's `local` is
 * the sender's, and @xmpp/jid re-escapes what it parses.
 */
export function contactLocalpart(to: string | undefined): string {
  if (to === undefined) return '';
  const slash = to.indexOf('/');
  const bareJid = slash === -1 ? to : to.slice(0, slash);
  const at = bareJid.indexOf('@');
  return at === -1 ? '' : bareJid.slice(0, at);
}

/** The contact localpart a stanza is addressed to ('' for the component itself). */
export function toLocal(ctx: IncomingContext): string {
  return contactLocalpart(ctx.stanza.attrs.to as string | undefined);
}
