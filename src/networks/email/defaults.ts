/**
 * Default mail addresses: a user of a domain the component serves who holds
 * no address sends and receives as `<user>.<their domain>@<mail domain>`
 * (`alice@example.org` -> `alice.example.org@mail.example.org`), so mail
 * works for everyone without registering. Computed both ways, never stored.
 */
import { parseEmailAddress } from '../../addressing/index.js';
import type { DefaultAddresses } from '../../store/ownership.js';

/**
 * @param mailDomain the domain of the addresses (its MX points at the listener)
 * @param rules the component's access rules: domains, and bare JIDs
 * @example
 * const d = defaultAddresses('mail.example.org', ['example.org'])
 * d.addressOf('alice@example.org')                   // 'alice.example.org@mail.example.org'
 * d.ownerOf('alice.example.org@mail.example.org')    // 'alice@example.org'
 * d.addressOf('bob@elsewhere.net')                   // undefined (not served)
 */
export function defaultAddresses(mailDomain: string, rules: readonly string[]): DefaultAddresses {
  const suffix = `@${mailDomain.toLowerCase()}`;
  const domains = rules.filter((r) => !r.includes('@')).map((r) => r.toLowerCase());
  const users = new Set(rules.filter((r) => r.includes('@')).map((r) => r.toLowerCase()));
  // Longest domain first, so `a.b.example.org` is read against `b.example.org` before `example.org`.
  const byLength = [...new Set([...domains, ...[...users].map((u) => u.slice(u.indexOf('@') + 1))])].sort((a, b) => b.length - a.length);
  const served = (jid: string) => users.has(jid) || domains.includes(jid.slice(jid.indexOf('@') + 1));

  function addressOf(ownerBareJid: string): string | undefined {
    const jid = ownerBareJid.toLowerCase();
    const at = jid.indexOf('@');
    if (at <= 0 || !served(jid)) return undefined;
    const candidate = `${jid.slice(0, at)}.${jid.slice(at + 1)}${suffix}`;
    const parsed = parseEmailAddress(candidate);
    // A JID localpart an address cannot carry (spaces, quotes, escapes) has no default address.
    return parsed.ok && parsed.address === candidate ? candidate : undefined;
  }

  return {
    addressOf,
    ownerOf(address) {
      const a = address.trim().toLowerCase();
      if (!a.endsWith(suffix)) return undefined;
      const local = a.slice(0, -suffix.length);
      for (const domain of byLength) {
        if (!local.endsWith(`.${domain}`)) continue;
        const jid = `${local.slice(0, -(domain.length + 1))}@${domain}`;
        if (addressOf(jid) === a) return jid;
      }
      return undefined;
    },
  };
}
