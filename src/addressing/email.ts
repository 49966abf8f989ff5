/**
 * Email addresses as foreign addresses: a pragmatic subset of the RFC 5321
 * §4.1.2 `Mailbox` (https://www.rfc-editor.org/rfc/rfc5321#section-4.1.2):
 *
 * - local part: a `Dot-string` of RFC 5322 `atext` (letters, digits and
 *   ! # $ % & ' * + - / = ? ^ _ ` { | } ~), dots only between atoms, at most
 *   64 octets (§4.5.3.1.1). Quoted strings ("john doe"@…) are not accepted:
 *   almost no real mailbox uses them and they cannot cross most relays.
 * - domain: dot-separated labels of ASCII letters, digits and inner hyphens,
 *   1–63 octets each, at most 255 octets (§4.5.3.1.2), at least one dot
 *   (or exactly `localhost`), last label not all digits. No address literals
 *   ([192.0.2.1]). An internationalized domain is taken in either form and
 *   kept in its A-label (xn--) form, the one every relay accepts (UTS #46
 *   mapping by node:url domainToASCII: `bücher.example` ->
 *   `xn--bcher-kva.example`).
 * - US-ASCII only: no SMTPUTF8 (RFC 6531) local parts, since JID
 *   normalization (PRECIS, RFC 7613) could change non-ASCII characters and
 *   the address would no longer round-trip through a contact JID.
 *
 * The domain is lower-cased (domains are case-insensitive, RFC 5321 §2.4);
 * the local part keeps its case, since in principle only its own server
 * may interpret it.
 *
 * @module
 */

import { domainToASCII } from 'node:url';

/** Result of {@link parseEmailAddress}. */
export type EmailParse = { ok: true; address: string } | { ok: false; reason: string };

const MAX_LOCAL_OCTETS = 64;
const MAX_DOMAIN_OCTETS = 255;
const MAX_LABEL_OCTETS = 63;
/** RFC 5322 §3.2.3 atext. */
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Checks and normalizes an email address. Surrounding whitespace is ignored.
 * Never throws.
 *
 * @example parseEmailAddress('bob@example.net')           // { ok: true, address: 'bob@example.net' }
 * @example parseEmailAddress('Bob.Smith@Example.NET')     // { ok: true, address: 'Bob.Smith@example.net' }
 * @example parseEmailAddress("d'artagnan+tag@mx.example") // { ok: true, address: "d'artagnan+tag@mx.example" }
 * @example parseEmailAddress('alice@localhost')           // { ok: true, address: 'alice@localhost' }
 * @example parseEmailAddress('bob@Bücher.example')        // { ok: true, address: 'bob@xn--bcher-kva.example' }
 * @example parseEmailAddress('bob@example')               // { ok: false, reason: 'the domain "example" needs at least one dot (or must be localhost)' }
 * @example parseEmailAddress('a@b@example.net')           // { ok: false, reason: 'an email address has exactly one @ ...' }
 * @example parseEmailAddress('bob smith@example.net')     // { ok: false, reason: 'an email address cannot contain spaces or control characters' }
 */
export function parseEmailAddress(input: string): EmailParse {
  const text = input.trim();
  if (text === '') return fail('an email address cannot be empty');
  if (/[\s\u0000-\u001f\u007f]/u.test(text)) return fail('an email address cannot contain spaces or control characters');
  const at = text.indexOf('@');
  if (at === -1) return fail('an email address needs an @ between the local part and the domain');
  if (text.indexOf('@', at + 1) !== -1) {
    return fail('an email address has exactly one @ (quoted local parts such as "a@b"@example.net are not supported)');
  }
  const local = text.slice(0, at);
  const given = text.slice(at + 1);
  const domain = /[^\x20-\x7e]/.test(given) ? domainToASCII(given) : given;
  if (domain === '' && given !== '') return fail(`the domain "${given}" is not a valid internationalized domain name`);
  return checkLocal(local) ?? checkDomain(domain) ?? { ok: true, address: `${local}@${domain.toLowerCase()}` };
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function checkLocal(local: string): { ok: false; reason: string } | undefined {
  if (local === '') return fail('the part before @ is empty');
  if (/[^\x20-\x7e]/.test(local)) return fail('the part before @ must be plain ASCII (internationalized addresses are not supported)');
  if (local.length > MAX_LOCAL_OCTETS) return fail(`the part before @ is longer than ${MAX_LOCAL_OCTETS} characters`);
  if (local.startsWith('"')) return fail('quoted local parts ("...") are not supported');
  for (const char of local) {
    if (char !== '.' && !ATEXT.test(char)) return fail(`the part before @ cannot contain ${JSON.stringify(char)}`);
  }
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return fail('the part before @ cannot start or end with a dot, or have two dots in a row');
  }
  return undefined;
}

function checkDomain(rawDomain: string): { ok: false; reason: string } | undefined {
  if (rawDomain === '') return fail('the domain after @ is empty');
  if (rawDomain.startsWith('[')) return fail('address literals such as [192.0.2.1] are not supported; use a domain name');
  // A U-label domain reaches here converted; anything still not ASCII is a bug upstream.
  if (/[^\x20-\x7e]/.test(rawDomain)) return fail('the domain must be ASCII once converted to its xn-- form');
  const domain = rawDomain.toLowerCase();
  if (domain.length > MAX_DOMAIN_OCTETS) return fail(`the domain is longer than ${MAX_DOMAIN_OCTETS} characters`);
  const labels = domain.split('.');
  for (const label of labels) {
    if (label === '') return fail(`the domain "${domain}" cannot start or end with a dot, or have two dots in a row`);
    if (label.length > MAX_LABEL_OCTETS) return fail(`the domain label "${label}" is longer than ${MAX_LABEL_OCTETS} characters`);
    if (!LABEL.test(label)) {
      return fail(`the domain label "${label}" may only have letters, digits and inner hyphens`);
    }
  }
  if (labels.length === 1 && domain !== 'localhost') {
    return fail(`the domain "${domain}" needs at least one dot (or must be localhost)`);
  }
  const last = labels[labels.length - 1] ?? '';
  if (/^[0-9]+$/.test(last)) return fail(`the domain "${domain}" cannot end in an all-digit label`);
  return undefined;
}
