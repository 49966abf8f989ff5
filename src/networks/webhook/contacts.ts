/**
 * The endpoints of a `provider: http` webhook component are its only
 * contacts: a message to any other name is refused at once, and disco on
 * `<name>@<domain>` describes the endpoint (its description, else where it
 * posts, host only: a URL's path or query may hold a token).
 */
import type { WebhookComponentConfig } from '../../config/schema.js';
import type { ContactDirectory } from '../types.js';

export function endpointDirectory(config: WebhookComponentConfig): ContactDirectory | undefined {
  if (!('endpoints' in config)) return undefined;
  const endpoints = new Map(Object.entries(config.endpoints));
  const names = [...endpoints.keys()];
  return {
    describe(address) {
      const endpoint = endpoints.get(address);
      if (endpoint === undefined) return undefined;
      return endpoint.description ?? `${address}: signed webhook to ${new URL(endpoint.url).host}`;
    },
    unknown(address) {
      const known = names.length === 0 ? 'none is configured' : `configured: ${names.join(', ')}`;
      return `no webhook endpoint named ${address} on ${config.domain} (${known})`;
    },
  };
}
