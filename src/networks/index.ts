/**
 * The network profiles, by name: the one place that maps a component's
 * `network` to what is particular to it (see `types.ts`).
 */
import type { AddressCodec, AddressCodecOptions } from '../addressing/index.js';
import type { ComponentConfig, Network } from '../config/schema.js';
import { GatewayError } from '../errors/registry.js';
import { normalizeRegion } from '../addressing/index.js';
import { emailCodec } from './email/codec.js';
import { emailProfile } from './email/index.js';
import { smsCodec } from './sms/codec.js';
import { smsProfile } from './sms/index.js';
import type { NetworkProfile } from './types.js';
import { webhookCodec } from './webhook/codec.js';
import { webhookProfile } from './webhook/index.js';

export type { ContactDirectory, NetworkDefaults, NetworkIdentity, NetworkProfile, OutboundPolicy, Ownership, OwnershipWording } from './types.js';

const PROFILES: { [N in Network]: NetworkProfile<Extract<ComponentConfig, { network: N }>> } = {
  sms: smsProfile,
  email: emailProfile,
  webhook: webhookProfile,
};

/** The profile of a component's network, typed for its config. */
export function profileOf<C extends ComponentConfig>(config: C): NetworkProfile<C> {
  return PROFILES[config.network] as unknown as NetworkProfile<C>;
}

const CODECS: Record<Network, (opts: AddressCodecOptions) => AddressCodec> = {
  sms: smsCodec,
  email: emailCodec,
  webhook: webhookCodec,
};

/**
 * The codec for one network. `opts` matter to sms only.
 *
 * @example
 * addressCodec('sms', { defaultRegion: 'US' }).fromUserInput('(415) 555-2671')
 *   // { ok: true, address: '+14155552671', localpart: '+14155552671' }
 * addressCodec('email').toLocalpart('bob@example.net')
 *   // { ok: true, address: 'bob@example.net', localpart: 'bob\\40example.net' }
 * addressCodec('webhook').fromLocalpart('ci')
 *   // { ok: true, address: 'ci', localpart: 'ci' }
 *
 * @throws GatewayError `CONFIG_INVALID` if `opts.defaultRegion`
 *   is not an ISO 3166 alpha-2 code libphonenumber knows (a configuration
 *   mistake; the config schema catches it first).
 */
export function addressCodec(network: Network, opts: AddressCodecOptions = {}): AddressCodec {
  if (opts.defaultRegion !== undefined && normalizeRegion(opts.defaultRegion) === undefined) {
    throw new GatewayError(
      'CONFIG_INVALID',
      `unknown default region "${opts.defaultRegion}" (expected an ISO 3166 alpha-2 code such as US)`,
    );
  }
  return CODECS[network](opts);
}
