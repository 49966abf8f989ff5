/**
 * Provider name -> adapter factory, by network. Explicit on purpose: no
 * discovery, every adapter is named here (STYLE.md rule 6).
 */
import type { ComponentConfig } from '../src/config/schema.js';
import { GatewayError } from '../src/errors/registry.js';
import { sandboxAdapter } from './sandbox/index.js';
import { smppAdapter } from './sms/smpp/index.js';
import { telnyxAdapter } from './sms/telnyx/index.js';
import { twilioAdapter } from './sms/twilio/index.js';
import type { Adapter, AdapterFactory, Network } from './types.js';

const FACTORIES: Record<Network, Record<string, AdapterFactory>> = {
  sms: { sandbox: sandboxAdapter, twilio: twilioAdapter, telnyx: telnyxAdapter, smpp: smppAdapter },
  email: { sandbox: sandboxAdapter },
  webhook: { sandbox: sandboxAdapter },
};

export function createAdapter(config: ComponentConfig): Adapter {
  const factory = FACTORIES[config.network][config.provider];
  if (factory === undefined) {
    throw new GatewayError('CONFIG_INVALID', `no provider ${config.provider} for network ${config.network}`);
  }
  return factory(config);
}
