/**
 * The email codec against XEP-0106 (https://xmpp.org/extensions/xep-0106.html):
 * every row of the §3.2 escaping table and of the §5.1 examples table, read
 * as a mail address; then real addresses, internationalized domains, the
 * legacy `%` form, and what is refused.
 */
import { describe, expect, it } from 'vitest';
import { unescapeLocalpart } from '../../../src/addressing/index.js';
import { addressCodec } from '../../../src/networks/index.js';

const raw = String.raw;
const email = addressCodec('email');

describe('XEP-0106 §3.2 escaping table, as a character inside a mail address', () => {
  // [character, its escape, a valid mail address with it? (RFC 5322 atext), the reason when not]
  const table: Array<[string, string, string | undefined]> = [
    [' ', raw`\20`, 'an email address cannot contain spaces or control characters'],
    ['"', raw`\22`, 'the part before @ cannot contain "\\""'],
    ['&', raw`\26`, undefined],
    ["'", raw`\27`, undefined],
    ['/', raw`\2f`, undefined],
    [':', raw`\3a`, 'the part before @ cannot contain ":"'],
    ['<', raw`\3c`, 'the part before @ cannot contain "<"'],
    ['>', raw`\3e`, 'the part before @ cannot contain ">"'],
    ['@', raw`\40`, 'an email address has exactly one @ (quoted local parts such as "a@b"@example.net are not supported)'],
    ['\\', raw`\5c`, 'the part before @ cannot contain "\\\\"'],
  ];

  it.each(table)('%j (%s)', (char, escape, refusal) => {
    const address = `a${char}b@example.net`;
    const localpart = `a${escape}b${raw`\40`}example.net`;
    expect(unescapeLocalpart(localpart)).toBe(address);
    if (refusal === undefined) {
      expect(email.fromUserInput(address)).toEqual({ ok: true, address, localpart });
      expect(email.fromLocalpart(localpart)).toEqual({ ok: true, address, localpart });
      expect(email.toLocalpart(address)).toEqual({ ok: true, address, localpart });
    } else {
      expect(email.fromLocalpart(localpart)).toEqual({ ok: false, reason: refusal });
      expect(email.toLocalpart(address)).toEqual({ ok: false, reason: refusal });
    }
  });
});

describe('XEP-0106 §5.1 examples table, each user input as a mail address', () => {
  // [#, user input, escaped JID as in the XEP, the codec's verdict on the contact JID]
  const rows: Array<[number, string, string, { address: string } | { reason: string }]> = [
    [1, 'space cadet@example.com', raw`space\20cadet@example.com`, { reason: 'an email address cannot contain spaces or control characters' }],
    [2, 'call me "ishmael"@example.com', raw`call\20me\20\22ishmael\22@example.com`, { reason: 'an email address cannot contain spaces or control characters' }],
    [3, 'at&t guy@example.com', raw`at\26t\20guy@example.com`, { reason: 'an email address cannot contain spaces or control characters' }],
    [4, "d'artagnan@example.com", raw`d\27artagnan@example.com`, { address: "d'artagnan@example.com" }],
    [5, '/.fanboy@example.com', raw`\2f.fanboy@example.com`, { address: '/.fanboy@example.com' }],
    [6, '::foo::@example.com', raw`\3a\3afoo\3a\3a@example.com`, { reason: 'the part before @ cannot contain ":"' }],
    [7, '<foo>@example.com', raw`\3cfoo\3e@example.com`, { reason: 'the part before @ cannot contain "<"' }],
    [8, 'user@host@example.com', raw`user\40host@example.com`, { reason: 'an email address has exactly one @ (quoted local parts such as "a@b"@example.net are not supported)' }],
    [9, raw`c:\net@example.com`, raw`c\3a\5cnet@example.com`, { reason: 'the part before @ cannot contain ":"' }],
    [10, raw`c:\\net@example.com`, raw`c\3a\5c\5cnet@example.com`, { reason: 'the part before @ cannot contain ":"' }],
    [11, raw`c:\cool stuff@example.com`, raw`c\3a\5ccool\20stuff@example.com`, { reason: 'an email address cannot contain spaces or control characters' }],
    [12, raw`c:\5commas@example.com`, raw`c\3a\5c5commas@example.com`, { reason: 'the part before @ cannot contain ":"' }],
  ];

  it.each(rows)('row %i: %s', (_n, input, escapedJid, verdict) => {
    // The whole escaped JID stands for the address "<input>" on the gateway: its localpart is the escaped JID, @ escaped too.
    const localpart = escapedJid.replace('@', raw`\40`);
    expect(unescapeLocalpart(localpart)).toBe(input);
    const result = email.fromLocalpart(localpart);
    if ('reason' in verdict) expect(result).toEqual({ ok: false, reason: verdict.reason });
    else expect(result).toEqual({ ok: true, address: verdict.address, localpart });
    // What a user types gets the same verdict as the contact JID.
    expect(email.fromUserInput(input)).toEqual('reason' in verdict ? { ok: false, reason: verdict.reason } : { ok: true, address: verdict.address, localpart });
  });
});

describe('real addresses', () => {
  it.each([
    ['bob+tag@example.net', raw`bob+tag\40example.net`],
    ['first.last@mail.example.co.uk', raw`first.last\40mail.example.co.uk`],
    ['x.y.z+a-b_c@sub.example.org', raw`x.y.z+a-b_c\40sub.example.org`],
    ["o'brien@example.ie", raw`o\27brien\40example.ie`],
    ['dev/null@example.org', raw`dev\2fnull\40example.org`],
    ['50%off@example.com', raw`50%off\40example.com`],
  ])('%s <-> %s', (address, localpart) => {
    expect(email.fromUserInput(address)).toEqual({ ok: true, address, localpart });
    expect(email.fromLocalpart(localpart)).toEqual({ ok: true, address, localpart });
  });
});

describe('internationalized domains: taken in U-label form, sent in A-label form', () => {
  it.each([
    ['bob@bücher.example', 'bob@xn--bcher-kva.example'],
    ['bob@BÜCHER.Example', 'bob@xn--bcher-kva.example'],
    ['info@例え.テスト', 'info@xn--r8jz45g.xn--zckzah'],
    ['bob@xn--bcher-kva.example', 'bob@xn--bcher-kva.example'],
  ])('typed %s -> %s, one contact', (input, address) => {
    expect(email.fromUserInput(input)).toEqual({ ok: true, address, localpart: address.replace('@', raw`\40`) });
  });

  it('a contact JID with the U-label domain is an alias of the A-label contact: the mail goes to the A-label address', () => {
    expect(email.fromLocalpart(raw`bob\40bücher.example`)).toEqual({ ok: true, address: 'bob@xn--bcher-kva.example', localpart: raw`bob\40bücher.example` });
    expect(email.fromLocalpart(raw`bob\40xn--bcher-kva.example`)).toEqual({ ok: true, address: 'bob@xn--bcher-kva.example', localpart: raw`bob\40xn--bcher-kva.example` });
  });

  it('refuses what is no domain name in either form', () => {
    expect(email.fromUserInput('bob@\u0378.example')).toEqual({ ok: false, reason: 'the domain "\u0378.example" is not a valid internationalized domain name' });
    expect(email.fromUserInput('bob@ex_ü.example')).toEqual({ ok: false, reason: 'the domain label "xn--ex_-joa" may only have letters, digits and inner hyphens' });
    expect(email.fromUserInput('jösé@example.net')).toEqual({ ok: false, reason: 'the part before @ must be plain ASCII (internationalized addresses are not supported)' });
  });
});

describe('the legacy % form', () => {
  it.each([
    ['bob%example.net', 'bob@example.net'],
    ['bob+tag%mail.example.org', 'bob+tag@mail.example.org'],
    ['50%off%example.com', '50%off@example.com'],
  ])('contact JID %s@gateway writes to %s', (localpart, address) => {
    expect(email.fromLocalpart(localpart)).toEqual({ ok: true, address, localpart });
    expect(email.fromUserInput(localpart)).toEqual({ ok: true, address, localpart: address.replace('@', raw`\40`) });
  });

  it.each([
    ['bob%', 'an email address needs an @ between the local part and the domain'],
    ['%example.net', 'an email address needs an @ between the local part and the domain'],
    ['bob%example', 'the domain "example" needs at least one dot (or must be localhost)'],
    [raw`bob%exa\20mple.net`, 'an email address cannot contain spaces or control characters'],
  ])('refuses %s: %s', (localpart, reason) => {
    expect(email.fromLocalpart(localpart)).toEqual({ ok: false, reason });
  });

  it('a % with an escaped @ is an ordinary address, not the legacy form', () => {
    expect(email.fromLocalpart(raw`a%b\40example.net`)).toEqual({ ok: true, address: 'a%b@example.net', localpart: raw`a%b\40example.net` });
  });
});

describe('refused, with a reason for the error stanza', () => {
  it.each([
    [raw`\22bob\22\40example.net`, 'quoted local parts ("...") are not supported'],
    [raw`\22bob\40home\22\40example.net`, 'an email address has exactly one @ (quoted local parts such as "a@b"@example.net are not supported)'],
    [raw`bob\40[192.0.2.1]`, 'address literals such as [192.0.2.1] are not supported; use a domain name'],
    [raw`bob\40localhost.`, 'the domain "localhost." cannot start or end with a dot, or have two dots in a row'],
    [raw`.bob\40example.net`, 'the part before @ cannot start or end with a dot, or have two dots in a row'],
  ])('%s: %s', (localpart, reason) => {
    expect(email.fromLocalpart(localpart)).toEqual({ ok: false, reason });
  });
});
