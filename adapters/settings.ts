/**
 * A provider's own config section. The config schema already requires it for
 * the provider (`src/config/sms.ts`); this guards code that builds an adapter
 * from a hand-made config, so the mistake is named, not a TypeError later.
 */
import type { ProviderConfig } from '../src/config/schema.js';
import { GatewayError } from '../src/errors/registry.js';

interface Sections {
  twilio: ProviderConfig<'twilio'>['twilio'];
  telnyx: ProviderConfig<'telnyx'>['telnyx'];
  smpp: ProviderConfig<'smpp'>['smpp'];
}

export function providerSettings<P extends keyof Sections>(config: ProviderConfig<P>, provider: P): Sections[P] {
  const settings = (config as unknown as Partial<Sections>)[provider];
  if (settings === undefined) {
    throw new GatewayError('CONFIG_INVALID', `components[${(config as { domain: string }).domain}].${provider} is required for provider ${provider}`);
  }
  return settings;
}
