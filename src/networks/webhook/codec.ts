import { parseEndpointName, type EndpointParse } from '../../addressing/index.js';
import type { AddressCodec, AddressResult } from '../../addressing/index.js';

/**
 * The webhook codec. The localpart is the endpoint name itself (`ci` ->
 * `ci@hooks.example.org`). Whether an endpoint of that name is configured
 * is not an addressing question: the router answers that.
 *
 * @example
 * const hooks = webhookCodec()
 * hooks.fromUserInput(' CI ')   // { ok: true, address: 'ci', localpart: 'ci' }
 * hooks.fromLocalpart('ci')     // { ok: true, address: 'ci', localpart: 'ci' }
 * hooks.fromLocalpart('-ci')    // { ok: false, reason: 'an endpoint name must start with a letter or a digit' }
 */
export function webhookCodec(): AddressCodec {
  return {
    network: 'webhook',
    prompt: 'Endpoint name',
    description: 'Enter the name of the webhook endpoint, such as ci.',
    fromUserInput(input) {
      return fromEndpointParse(parseEndpointName(input));
    },
    fromLocalpart(localpart) {
      const parse = parseEndpointName(localpart);
      // Case differences are the same JID; surrounding whitespace is not a localpart at all.
      if (parse.ok && parse.name !== localpart.toLowerCase()) {
        return { ok: false, reason: `"${localpart}" is not the canonical form of this endpoint name; address it as ${parse.name}` };
      }
      return fromEndpointParse(parse);
    },
    toLocalpart(address) {
      return fromEndpointParse(parseEndpointName(address));
    },
  };
}

function fromEndpointParse(parse: EndpointParse): AddressResult {
  return parse.ok ? { ok: true, address: parse.name, localpart: parse.name } : parse;
}
