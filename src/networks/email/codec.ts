import { parseEmailAddress, type EmailParse } from '../../addressing/index.js';
import { escapeLocalpart, unescapeLocalpart } from '../../addressing/index.js';
import type { AddressCodec, AddressResult } from '../../addressing/index.js';

/**
 * The email codec. The localpart is the XEP-0106 escaped address
 * (`bob@example.net` -> `bob\40example.net`), in lower case.
 *
 * JID localparts are case-insensitive: the server case-folds them (nodeprep,
 * PRECIS UsernameCaseMapped), so `Bob\40Example.net@mail.example.org` reaches
 * the gateway as `bob\40example.net`. The local part of an email address
 * therefore arrives lower-cased when a user writes to it. That is fine for
 * nearly all mail systems, which treat local parts case-insensitively
 * (RFC 5321 §2.4 allows, but discourages relying on, case-sensitive ones).
 * The `address` this codec returns keeps whatever case it was given.
 *
 * @example
 * const email = emailCodec()
 * email.fromUserInput('Bob <Bob@Example.NET>')  // { ok: true, address: 'Bob@example.net', localpart: 'bob\\40example.net' }
 * email.fromLocalpart('d\\27artagnan\\40example.net')  // { ok: true, address: "d'artagnan@example.net", localpart: 'd\\27artagnan\\40example.net' }
 * email.fromLocalpart('bob@example.net')        // { ok: false, reason: '... address it as bob\\40example.net' }
 * email.toLocalpart('alice@mail.localhost')     // { ok: true, address: 'alice@mail.localhost', localpart: 'alice\\40mail.localhost' }
 */
export function emailCodec(): AddressCodec {
  return {
    network: 'email',
    prompt: 'Email address',
    description: "Enter the contact's email address, such as bob@example.net.",
    fromUserInput(input) {
      return fromEmailParse(parseEmailAddress(stripMailboxDecoration(input)));
    },
    fromLocalpart(localpart) {
      const parse = parseEmailAddress(unescapeLocalpart(localpart));
      if (!parse.ok) return parse;
      const canonical = toEmailLocalpart(parse.address);
      if (canonical !== localpart.toLowerCase()) {
        return { ok: false, reason: `"${localpart}" is not the canonical form of this address; address it as ${canonical}` };
      }
      return { ok: true, address: parse.address, localpart: canonical };
    },
    toLocalpart(address) {
      return fromEmailParse(parseEmailAddress(address));
    },
  };
}

function toEmailLocalpart(address: string): string {
  // Safe to lower-case after escaping: escapes are lower-case hex already,
  // and an email address has no backslash whose case could make a new escape.
  return escapeLocalpart(address).toLowerCase();
}

function fromEmailParse(parse: EmailParse): AddressResult {
  return parse.ok ? { ok: true, address: parse.address, localpart: toEmailLocalpart(parse.address) } : parse;
}

/**
 * What people paste besides a bare address: `mailto:` URIs (RFC 6068; the
 * scheme and any `?headers` removed, percent-escapes decoded, as XEP-0106
 * §4.2 steps 1–2 require) and `Display Name <address>`.
 */
function stripMailboxDecoration(input: string): string {
  let text = input.trim();
  const angle = /<([^<>]*)>$/.exec(text);
  if (angle?.[1] !== undefined) text = angle[1].trim();
  if (/^mailto:/i.test(text)) {
    text = text.slice('mailto:'.length).replace(/\?.*$/s, '');
    try {
      text = decodeURIComponent(text);
    } catch {
      // A malformed %-escape: keep the text undecoded and let parseEmailAddress judge it ('%' is valid atext).
    }
  }
  return text;
}
