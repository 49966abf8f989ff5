/**
 * Which providers exist for which network, as plain data so that the config
 * schema can check `provider` without loading any adapter code. The factories
 * themselves live in `registry.ts`.
 */
export const NETWORKS = ['sms', 'email', 'webhook'] as const;
export type Network = (typeof NETWORKS)[number];

/** Providers implemented in this version, by network. */
export const PROVIDERS: Record<Network, readonly string[]> = {
  sms: ['sandbox', 'twilio', 'telnyx', 'smpp'],
  email: ['sandbox'],
  webhook: ['sandbox'],
};

/** Providers named in DESIGN.md that a later version brings; named in config errors so admins know why. */
export const PLANNED_PROVIDERS: Record<Network, readonly string[]> = {
  sms: [],
  email: ['smtp'],
  webhook: ['http'],
};
