/**
 * Which networks and providers exist, as plain data: the config schema checks
 * `network` and `provider` against it; `adapters/registry.ts` maps each
 * provider to its factory.
 */
import { z } from 'zod';

export const NETWORKS = ['sms', 'email', 'webhook'] as const;
export type Network = (typeof NETWORKS)[number];

/** Providers named in DESIGN.md that a later version brings; named in config errors so admins know why. */
export const PLANNED_PROVIDERS: Record<Network, readonly string[]> = {
  sms: [],
  email: [],
  webhook: [],
};

/** The message for a provider that is not one of `known`: planned for a later version, or unknown. */
export function unknownProvider(network: Network) {
  return (provider: string, known: string[]): string =>
    PLANNED_PROVIDERS[network].includes(provider)
      ? `provider "${provider}" for network ${network} is not in this version yet (available: ${known.join(', ')})`
      : `unknown provider "${provider}" for network ${network} (available: ${known.join(', ')})`;
}

/** The `provider` key of one variant. */
export function providerName<P extends string>(name: P) {
  return z
    .literal(name)
    .describe('Which adapter carries the messages: sms: twilio, telnyx, smpp or sandbox; email: smtp or sandbox; webhook: http or sandbox.');
}
