import { describe, expect, it } from 'vitest';
import { parseEmailAddress } from '../../../src/addressing/email.js';

describe('parseEmailAddress: accepted', () => {
  const accepted: Array<[string, string]> = [
    ['bob@example.net', 'bob@example.net'],
    ['  bob@example.net  ', 'bob@example.net'],
    ['Bob@Example.NET', 'Bob@example.net'], // domain lower-cased, local part kept
    ['Bob.Smith@MAIL.Example.org', 'Bob.Smith@mail.example.org'],
    ["d'artagnan@musketeers.lit", "d'artagnan@musketeers.lit"],
    ["here's_a_wild_&_/cr%zy/_address@example.com", "here's_a_wild_&_/cr%zy/_address@example.com"], // XEP-0106 §5.2
    ['user+tag@example.net', 'user+tag@example.net'],
    ["!#$%&'*+-/=?^_`{|}~@example.net", "!#$%&'*+-/=?^_`{|}~@example.net"], // every atext special
    ['a@b.co', 'a@b.co'],
    ['alice@localhost', 'alice@localhost'],
    ['alice@LOCALHOST', 'alice@localhost'],
    ['alice@mail.localhost', 'alice@mail.localhost'],
    ['x@xn--bcher-kva.example', 'x@xn--bcher-kva.example'],
    ['x@bücher.example', 'x@xn--bcher-kva.example'], // U-label -> A-label (UTS #46)
    ['x@\u212aelvin.example', 'x@kelvin.example'], // KELVIN SIGN maps to 'k' under UTS #46
    ['x@a-b.c-d.example', 'x@a-b.c-d.example'],
    ['x@123.example', 'x@123.example'],
    ['x@example.co.uk', 'x@example.co.uk'],
    ['1234567890@example.net', '1234567890@example.net'],
    [`${'a'.repeat(64)}@example.net`, `${'a'.repeat(64)}@example.net`],
    [`x@${'a'.repeat(63)}.example`, `x@${'a'.repeat(63)}.example`],
    [`x@${'abcdefghi.'.repeat(24)}example.com`, `x@${'abcdefghi.'.repeat(24)}example.com`], // 251 octets
  ];
  it.each(accepted)('%j -> %j', (input, address) => {
    expect(parseEmailAddress(input)).toEqual({ ok: true, address });
  });
});

describe('parseEmailAddress: refused, with a reason', () => {
  const refused: Array<[string, string]> = [
    ['', 'an email address cannot be empty'],
    ['   ', 'an email address cannot be empty'],
    ['bob', 'an email address needs an @ between the local part and the domain'],
    ['bob.example.net', 'an email address needs an @ between the local part and the domain'],
    ['a@b@example.net', 'an email address has exactly one @ (quoted local parts such as "a@b"@example.net are not supported)'],
    ['"a@b"@example.net', 'an email address has exactly one @ (quoted local parts such as "a@b"@example.net are not supported)'],
    ['bob smith@example.net', 'an email address cannot contain spaces or control characters'],
    ['bob@exa mple.net', 'an email address cannot contain spaces or control characters'],
    ['bob\t@example.net', 'an email address cannot contain spaces or control characters'],
    ['bob\u0000@example.net', 'an email address cannot contain spaces or control characters'],
    ['bob\u007f@example.net', 'an email address cannot contain spaces or control characters'],
    ['bob@example.net\nBcc: x@y.z', 'an email address cannot contain spaces or control characters'],
    ['bob\u00a0x@example.net', 'an email address cannot contain spaces or control characters'],
    ['@example.net', 'the part before @ is empty'],
    ['"bob"@example.net', 'quoted local parts ("...") are not supported'],
    [`${'a'.repeat(65)}@example.net`, 'the part before @ is longer than 64 characters'],
    ['jösé@example.net', 'the part before @ must be plain ASCII (internationalized addresses are not supported)'],
    ['bob<x>@example.net', 'the part before @ cannot contain "<"'],
    ['bob(comment)@example.net', 'the part before @ cannot contain "("'],
    ['b,ob@example.net', 'the part before @ cannot contain ","'],
    ['bo\\b@example.net', 'the part before @ cannot contain "\\\\"'],
    ['bob:x@example.net', 'the part before @ cannot contain ":"'],
    ['bob;x@example.net', 'the part before @ cannot contain ";"'],
    ['bob[x]@example.net', 'the part before @ cannot contain "["'],
    ['bob"x@example.net', 'the part before @ cannot contain "\\""'],
    ['.bob@example.net', 'the part before @ cannot start or end with a dot, or have two dots in a row'],
    ['bob.@example.net', 'the part before @ cannot start or end with a dot, or have two dots in a row'],
    ['bo..b@example.net', 'the part before @ cannot start or end with a dot, or have two dots in a row'],
    ['bob@', 'the domain after @ is empty'],
    ['bob@[192.0.2.1]', 'address literals such as [192.0.2.1] are not supported; use a domain name'],
    ['bob@[IPv6:2001:db8::1]', 'address literals such as [192.0.2.1] are not supported; use a domain name'],
    ['bob@\u0378.example', 'the domain "\u0378.example" is not a valid internationalized domain name'], // unassigned code point
    [`bob@${'abcdefghi.'.repeat(25)}example.com`, 'the domain is longer than 255 characters'], // 261 octets
    [`bob@${'a'.repeat(64)}.example`, `the domain label "${'a'.repeat(64)}" is longer than 63 characters`],
    ['bob@example', 'the domain "example" needs at least one dot (or must be localhost)'],
    ['bob@com', 'the domain "com" needs at least one dot (or must be localhost)'],
    ['bob@.example.net', 'the domain ".example.net" cannot start or end with a dot, or have two dots in a row'],
    ['bob@example.net.', 'the domain "example.net." cannot start or end with a dot, or have two dots in a row'],
    ['bob@example..net', 'the domain "example..net" cannot start or end with a dot, or have two dots in a row'],
    ['bob@-example.net', 'the domain label "-example" may only have letters, digits and inner hyphens'],
    ['bob@example-.net', 'the domain label "example-" may only have letters, digits and inner hyphens'],
    ['bob@exa_mple.net', 'the domain label "exa_mple" may only have letters, digits and inner hyphens'],
    ['bob@example.net:25', 'the domain label "net:25" may only have letters, digits and inner hyphens'],
    ['bob@192.0.2.1', 'the domain "192.0.2.1" cannot end in an all-digit label'],
  ];
  it.each(refused)('%j: %s', (input, reason) => {
    expect(parseEmailAddress(input)).toEqual({ ok: false, reason });
  });
});

describe('parseEmailAddress: output is canonical', () => {
  it.each(['Bob@Example.NET', '  x@LOCALHOST', "d'artagnan@Musketeers.lit"])('parsing the result of %j gives it back', (input) => {
    const first = parseEmailAddress(input);
    expect(first.ok).toBe(true);
    if (first.ok) expect(parseEmailAddress(first.address)).toEqual(first);
  });
});
