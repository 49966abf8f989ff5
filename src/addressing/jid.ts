/**
 * JID helpers (RFC 7622), on the raw strings stanzas carry: every place that
 * splits a JID uses these. They do not re-escape or normalise (a stanza's
 * `to` localpart is compared exactly as the server delivered it).
 *
 * @example bare('alice@example.org/phone')      // 'alice@example.org'
 * @example domainOf('alice@example.org/phone')  // 'example.org'
 * @example localpartOf('+1555@sms.example.org') // '+1555'
 * @example localpartOf('sms.example.org')       // ''
 * @example isBareJid('alice@example.org')       // true
 */

/** The JID without its resource. */
export function bare(jid: string): string {
  const slash = jid.indexOf('/');
  return slash === -1 ? jid : jid.slice(0, slash);
}

/** The domain part: whom to ask about a JID's server. */
export function domainOf(jid: string): string {
  const b = bare(jid);
  return b.slice(b.indexOf('@') + 1);
}

/** The localpart exactly as written ('' for a domain JID). */
export function localpartOf(jid: string): string {
  const b = bare(jid);
  const at = b.indexOf('@');
  return at === -1 ? '' : b.slice(0, at);
}

/** `user@domain` with no resource, no whitespace and one `@`. */
export function isBareJid(jid: string): boolean {
  return /^[^@/\s]+@[^@/\s]+$/.test(jid);
}
