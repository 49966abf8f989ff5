/**
 * XEP-0106 JID Escaping: https://xmpp.org/extensions/xep-0106.html
 *
 * Ten characters have an escape: the nine a JID localpart may not contain
 * (space " & ' / : < > @) and the escape character `\` itself (§3.2):
 *
 * | char | escape |   | char | escape |
 * |------|--------|---|------|--------|
 * | ` `  | `\20`  |   | `:`  | `\3a`  |
 * | `"`  | `\22`  |   | `<`  | `\3c`  |
 * | `&`  | `\26`  |   | `>`  | `\3e`  |
 * | `'`  | `\27`  |   | `@`  | `\40`  |
 * | `/`  | `\2f`  |   | `\`  | `\5c`  |
 *
 * Case is significant (§3.1): `\2F` is not an escape. A `\` is escaped only
 * where it starts one of these ten sequences (§4.1 rule 7, §4.2 step 3);
 * every other `\` is left alone (§4.3: "foo\bar" and "\2plus\2is\4" are not
 * modified by escaping or unescaping).
 *
 * Note on the XEP's own example table (§5.1): rows 9–11 show every backslash
 * escaped (`c:\net` -> `c\3a\5cnet`), which contradicts §4.3. This module
 * follows the normative rules, so it escapes `c:\net` to `c\3a\net`; both
 * forms unescape to `c:\net`. Email addresses (the only escaped foreign
 * addresses in this gateway) never contain a backslash, so the difference
 * never reaches a contact JID.
 *
 * @module
 */

import { GatewayError } from '../errors/registry.js';

const ESCAPES: ReadonlyMap<string, string> = new Map([
  [' ', '\\20'],
  ['"', '\\22'],
  ['&', '\\26'],
  ["'", '\\27'],
  ['/', '\\2f'],
  [':', '\\3a'],
  ['<', '\\3c'],
  ['>', '\\3e'],
  ['@', '\\40'],
]);

const UNESCAPES: ReadonlyMap<string, string> = new Map([
  ...[...ESCAPES].map(([char, seq]) => [seq, char] as const),
  ['\\5c', '\\'],
]);

/** Whether `s` has one of the ten escape sequences starting at index `i`. */
function escapeSequenceAt(s: string, i: number): string | undefined {
  const candidate = s.slice(i, i + 3);
  return UNESCAPES.has(candidate) ? candidate : undefined;
}

/**
 * Escapes a foreign address (or any string) into a JID localpart (XEP-0106 §4.2).
 *
 * @example escapeLocalpart('bob@example.net')      // 'bob\\40example.net'
 * @example escapeLocalpart("d'artagnan")           // 'd\\27artagnan'
 * @example escapeLocalpart('space cadet')          // 'space\\20cadet'
 * @example escapeLocalpart('c:\\5commas')          // 'c\\3a\\5c5commas' (the `\` starts `\5c`, so it is escaped)
 * @example escapeLocalpart('foo\\bar')             // 'foo\\bar' (`\ba` is no escape: left alone)
 *
 * @throws GatewayError `ADDRESS_INVALID` if `s` starts or ends with a space:
 *   XEP-0106 §4.1 rule 6 forbids `\20` at either end of a localpart, and
 *   silently trimming would change the address.
 */
export function escapeLocalpart(s: string): string {
  if (s.startsWith(' ') || s.endsWith(' ')) {
    throw new GatewayError('ADDRESS_INVALID', 'an address that starts or ends with a space cannot be a JID localpart (XEP-0106 §4.1)');
  }
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const char = s.charAt(i);
    if (char === '\\') {
      out += escapeSequenceAt(s, i) === undefined ? '\\' : '\\5c';
    } else {
      out += ESCAPES.get(char) ?? char;
    }
  }
  return out;
}

/**
 * Unescapes a JID localpart into the foreign address it stands for
 * (XEP-0106 §3.3). Only the ten escape sequences, in lower case, are
 * replaced; anything else, including a lone or trailing `\`, stays as it is
 * (§4.1 rule 3, §4.3).
 *
 * @example unescapeLocalpart('bob\\40example.net')  // 'bob@example.net'
 * @example unescapeLocalpart('c\\3a\\5c5commas')    // 'c:\\5commas'
 * @example unescapeLocalpart('foob\\41r')           // 'foob\\41r' (`\41` is no escape)
 * @example unescapeLocalpart('\\2F')                // '\\2F' (case is significant)
 */
export function unescapeLocalpart(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const seq = s.charAt(i) === '\\' ? escapeSequenceAt(s, i) : undefined;
    if (seq === undefined) {
      out += s.charAt(i);
      i += 1;
    } else {
      out += UNESCAPES.get(seq) ?? seq;
      i += seq.length;
    }
  }
  return out;
}
