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
 * One address is one contact, whose localpart is canonical: XEP-0106
 * escaped, lower-case, the domain in its A-label (xn--) form, which no
 * server's string preparation can change. Two other ways to write to an
 * address are accepted as aliases; the result's `localpart` is then the
 * alias as received, so a receipt or an error comes from the JID the user
 * wrote to (a reply from the correspondent comes from the canonical one):
 *
 * - the legacy "percent hack" of older mail gateways: `bob%example.net`
 *   is `bob@example.net`; the last `%` separates the domain;
 * - an internationalized domain in its U-label form: `bob\40bücher.example`
 *   is `bob@xn--bcher-kva.example`.
 *
 * @example
 * const email = emailCodec()
 * email.fromUserInput('Bob <Bob@Example.NET>')  // { ok: true, address: 'Bob@example.net', localpart: 'bob\\40example.net' }
 * email.fromLocalpart('d\\27artagnan\\40example.net')  // { ok: true, address: "d'artagnan@example.net", localpart: 'd\\27artagnan\\40example.net' }
 * email.fromLocalpart('bob@example.net')        // { ok: false, reason: '... address it as bob\\40example.net' }
 * email.toLocalpart('alice@mail.localhost')     // { ok: true, address: 'alice@mail.localhost', localpart: 'alice\\40mail.localhost' }
 * email.fromLocalpart('bob%example.net')        // { ok: true, address: 'bob@example.net', localpart: 'bob%example.net' } (legacy alias)
 * email.fromLocalpart('bob\\40bücher.example')  // { ok: true, address: 'bob@xn--bcher-kva.example', localpart: 'bob\\40bücher.example' } (U-label alias)
 * email.fromLocalpart('\\22bob\\22\\40example.net') // { ok: false, reason: 'quoted local parts ("...") are not supported' }
 */
export function emailCodec(): AddressCodec {
  return {
    network: 'email',
    prompt: 'Email address',
    description: "Enter the contact's email address, such as bob@example.net.",
    fromUserInput(input) {
      const text = stripMailboxDecoration(input);
      return fromEmailParse(parseEmailAddress(percentHack(text) ?? text));
    },
    fromLocalpart(localpart) {
      const unescaped = unescapeLocalpart(localpart);
      const legacy = percentHack(unescaped);
      const parse = parseEmailAddress(legacy ?? unescaped);
      if (!parse.ok) return parse;
      const canonical = toEmailLocalpart(parse.address);
      const given = localpart.toLowerCase();
      if (canonical === given) return { ok: true, address: parse.address, localpart: canonical };
      // An alias is accepted only when it is itself written canonically (escaped, lower-case).
      const alias = (legacy !== undefined || /[^\x20-\x7e]/.test(unescaped)) && escapeLocalpart(unescaped).toLowerCase() === given;
      if (alias) return { ok: true, address: parse.address, localpart: given };
      return { ok: false, reason: `"${localpart}" is not the canonical form of this address; address it as ${canonical}` };
    },
    toLocalpart(address) {
      return fromEmailParse(parseEmailAddress(address));
    },
  };
}

/**
 * The legacy `user%domain` form -> `user@domain`, for text without an `@`;
 * undefined for anything else. The last `%` separates the domain, as a
 * relay would route it.
 *
 * @example percentHack('bob%example.net')     // 'bob@example.net'
 * @example percentHack('50%off%example.com')  // '50%off@example.com'
 * @example percentHack('bob@example.net')     // undefined
 */
function percentHack(text: string): string | undefined {
  if (text.includes('@')) return undefined;
  const cut = text.lastIndexOf('%');
  if (cut <= 0 || cut === text.length - 1) return undefined;
  return `${text.slice(0, cut)}@${text.slice(cut + 1)}`;
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
