/** The inbound hooks of a `provider: http` webhook component, as configured. */
import type { ProviderConfig } from '../../../../src/config/schema.js';

export type Hook = ProviderConfig<'http'>['inbound'][string];
