/** What the stanza handlers of one component share. */
import type { Logger } from 'pino';
import type { Network } from '../../adapters/types.js';
import type { AddressCodec } from '../addressing/index.js';
import type { OutboundBridge } from '../bridge/outbound.js';
import type { GatewayMetrics } from '../metrics.js';
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
}

/** Human names and disco identities by network (XEP-0030 registry: gateway/sms, gateway/smtp, gateway/http). */
export const NETWORK_IDENTITY: Record<Network, { gatewayType: string; name: string; contactType: string }> = {
  sms: { gatewayType: 'sms', name: 'SMS gateway', contactType: 'sms' },
  email: { gatewayType: 'smtp', name: 'Email gateway', contactType: 'pc' },
  webhook: { gatewayType: 'http', name: 'Webhook gateway', contactType: 'bot' },
};
