/**
 * Addressing: how a foreign address (phone number, email address, webhook
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
 * @module
 */

import { emailCodec } from './email-codec.js';
import { GatewayError } from '../errors/registry.js';
import { normalizeRegion } from './phone.js';
import { smsCodec } from './sms-codec.js';
import type { AddressCodec, AddressCodecOptions, Network } from './types.js';
import { webhookCodec } from './webhook-codec.js';

export type { AddressCodec, AddressCodecOptions, AddressResult, Network } from './types.js';
export { escapeLocalpart, unescapeLocalpart } from './jid-escape.js';
export { isE164Shaped, isShortCodeShaped, isSupportedRegion, parsePhoneAddress, type PhoneParse, type PhoneParseOptions } from './phone.js';
export { parseEmailAddress, type EmailParse } from './email.js';
export { MAX_ENDPOINT_NAME_LENGTH, parseEndpointName, type EndpointParse } from './endpoint.js';

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
 *   mistake; the config schema should catch it first with isSupportedRegion).
 */
export function addressCodec(network: Network, opts: AddressCodecOptions = {}): AddressCodec {
  if (opts.defaultRegion !== undefined && normalizeRegion(opts.defaultRegion) === undefined) {
    throw new GatewayError(
      'CONFIG_INVALID',
      `unknown default region "${opts.defaultRegion}" (expected an ISO 3166 alpha-2 code such as US)`,
    );
  }
  switch (network) {
    case 'sms':
      return smsCodec(opts);
    case 'email':
      return emailCodec();
    case 'webhook':
      return webhookCodec();
  }
}

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
