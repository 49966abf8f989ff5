/**
 * Provider name -> adapter factory, by network. Explicit on purpose: no
 * discovery, every adapter is named here (STYLE.md rule 6).
 */
import type { ComponentConfig, ProviderConfig } from '../src/config/schema.js';
import { smtpEmailAdapter } from './email/smtp/index.js';
import { sandboxAdapter } from './sandbox/index.js';
import { smppAdapter } from './sms/smpp/index.js';
import { telnyxAdapter } from './sms/telnyx/index.js';
import { twilioAdapter } from './sms/twilio/index.js';
import type { Adapter } from './types.js';
import { httpWebhookAdapter } from './webhook/http/index.js';

/** Every provider the config accepts has a factory here, typed for its own settings. */
const FACTORIES: { [P in ComponentConfig['provider']]: (config: ProviderConfig<P>) => Adapter } = {
  sandbox: sandboxAdapter,
  twilio: twilioAdapter,
  telnyx: telnyxAdapter,
  smpp: smppAdapter,
  http: httpWebhookAdapter,
  smtp: smtpEmailAdapter,
};

export function createAdapter(config: ComponentConfig): Adapter {
  const factory = FACTORIES[config.provider] as (config: ComponentConfig) => Adapter;
  return factory(config);
}
