/**
 * Addressing: the pure parts of how a foreign address (phone number, email address, webhook
 * endpoint name) maps to and from the localpart of a contact JID on a
 * component domain. Pure code: no I/O, no logging, no config loading.
 *
 * | network | foreign address           | contact JID                              |
 * |---------|---------------------------|------------------------------------------|
 * | sms     | `+15551234567`            | `+15551234567@sms.example.org`           |
 * | sms     | `12345` (short code)      | `12345@sms.example.org`                  |
 * | email   | `bob@example.net`         | `bob\40example.net@mail.example.org`     |
 * | webhook | `ci`                      | `ci@hooks.example.org`                   |
 *
 * Each network's codec, built from these parts, lives with its profile
 * (`src/networks/<network>/codec.ts`); `addressCodec(network)` is there too.
 *
 * @module
 */

import { GatewayError } from '../errors/registry.js';

export type { AddressCodec, AddressCodecOptions, AddressResult, Network } from './types.js';
export { escapeLocalpart, unescapeLocalpart } from './jid-escape.js';
export { isE164Shaped, isShortCodeShaped, isSupportedRegion, normalizeRegion, parsePhoneAddress, type PhoneParse, type PhoneParseOptions } from './phone.js';
export { parseEmailAddress, type EmailParse } from './email.js';
export { bare, domainOf, isBareJid, localpartOf } from './jid.js';
export { MAX_ENDPOINT_NAME_LENGTH, parseEndpointName, type EndpointParse } from './endpoint.js';

/** RFC 7622 §3.3.1: a localpart is 1 to 1023 octets. */
const MAX_LOCALPART_OCTETS = 1023;
/** The characters XEP-0106 escapes, which a localpart cannot contain raw (RFC 7622 §3.3.1). */
const DISALLOWED_IN_LOCALPART = /[\s"&'/:<>@]/u;

/**
 * Joins a localpart (already in escaped form, as every codec returns it)
 * and a component domain into a bare contact JID.
 *
 * @example contactJid('+15551234567', 'sms.example.org')        // '+15551234567@sms.example.org'
 * @example contactJid('bob\\40example.net', 'mail.example.org') // 'bob\\40example.net@mail.example.org'
 *
 * @throws GatewayError `ADDRESS_INVALID` if the localpart is empty, longer
 *   than 1023 octets or holds a character that must be escaped (pass it
 *   through a codec or escapeLocalpart first); `CONFIG_INVALID` if the
 *   domain is empty or holds `@`, `/` or whitespace.
 */
export function contactJid(localpart: string, componentDomain: string): string {
  if (localpart === '' || utf8Length(localpart) > MAX_LOCALPART_OCTETS || DISALLOWED_IN_LOCALPART.test(localpart)) {
    throw new GatewayError('ADDRESS_INVALID', `not a valid (escaped) JID localpart: ${JSON.stringify(localpart)}`);
  }
  if (componentDomain === '' || /[\s@/]/u.test(componentDomain)) {
    throw new GatewayError('CONFIG_INVALID', `not a valid component domain: ${JSON.stringify(componentDomain)}`);
  }
  return `${localpart}@${componentDomain}`;
}

const utf8 = new TextEncoder();

function utf8Length(s: string): number {
  return utf8.encode(s).length;
}
