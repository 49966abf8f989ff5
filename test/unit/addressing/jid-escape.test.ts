import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors/registry.js';
import { escapeLocalpart, unescapeLocalpart } from '../../../src/addressing/jid-escape.js';

const raw = String.raw;

/** Splits a bare JID (or an address written like one) at its last '@'. */
function localpartOf(jid: string): string {
  return jid.slice(0, jid.lastIndexOf('@'));
}

describe('XEP-0106 §3.2/§3.3 mapping table', () => {
  const table: Array<[string, string]> = [
    [' ', raw`\20`],
    ['"', raw`\22`],
    ['&', raw`\26`],
    ["'", raw`\27`],
    ['/', raw`\2f`],
    [':', raw`\3a`],
    ['<', raw`\3c`],
    ['>', raw`\3e`],
    ['@', raw`\40`],
  ];
  it.each(table)('escapes %j inside a localpart to %s and back', (char, escaped) => {
    expect(escapeLocalpart(`a${char}b`)).toBe(`a${escaped}b`);
    expect(unescapeLocalpart(`a${escaped}b`)).toBe(`a${char}b`);
  });
  it.each(table.filter(([char]) => char !== ' '))('escapes %j at either end', (char, escaped) => {
    expect(escapeLocalpart(char)).toBe(escaped);
    expect(escapeLocalpart(`${char}x${char}`)).toBe(`${escaped}x${escaped}`);
  });
  it(raw`unescapes \5c to a backslash`, () => {
    expect(unescapeLocalpart(raw`a\5cb`)).toBe(raw`a\b`);
  });
});

describe('XEP-0106 §5.1 JID examples table', () => {
  // [#, user input, escaped JID] exactly as in the XEP.
  const rows: Array<[number, string, string]> = [
    [1, 'space cadet@example.com', raw`space\20cadet@example.com`],
    [2, 'call me "ishmael"@example.com', raw`call\20me\20\22ishmael\22@example.com`],
    [3, 'at&t guy@example.com', raw`at\26t\20guy@example.com`],
    [4, "d'artagnan@example.com", raw`d\27artagnan@example.com`],
    [5, '/.fanboy@example.com', raw`\2f.fanboy@example.com`],
    [6, '::foo::@example.com', raw`\3a\3afoo\3a\3a@example.com`],
    [7, '<foo>@example.com', raw`\3cfoo\3e@example.com`],
    [8, 'user@host@example.com', raw`user\40host@example.com`],
    [9, raw`c:\net@example.com`, raw`c\3a\5cnet@example.com`],
    [10, raw`c:\\net@example.com`, raw`c\3a\5c\5cnet@example.com`],
    [11, raw`c:\cool stuff@example.com`, raw`c\3a\5ccool\20stuff@example.com`],
    [12, raw`c:\5commas@example.com`, raw`c\3a\5c5commas@example.com`],
  ];

  it.each(rows)('row %i: the escaped JID unescapes to the user input', (_n, input, escaped) => {
    expect(unescapeLocalpart(localpartOf(escaped))).toBe(localpartOf(input));
  });

  // Rows 9–11 escape backslashes that start no escape sequence, which §4.3
  // forbids ("foo\bar is not modified by escaping"); the normative rules win.
  const agreeing = rows.filter(([n]) => n <= 8 || n === 12);
  it.each(agreeing)('row %i: the user input escapes to the escaped JID', (_n, input, escaped) => {
    expect(escapeLocalpart(localpartOf(input))).toBe(localpartOf(escaped));
  });

  const backslashRows: Array<[number, string, string]> = [
    [9, raw`c:\net`, raw`c\3a\net`],
    [10, raw`c:\\net`, raw`c\3a\\net`],
    [11, raw`c:\cool stuff`, raw`c\3a\cool\20stuff`],
  ];
  it.each(backslashRows)('row %i: escapes only the backslashes §4.3 allows (%s -> %s)', (n, input, escaped) => {
    expect(escapeLocalpart(input)).toBe(escaped);
    // Both the XEP's form and ours display as the same user input.
    const xepForm = rows.find(([m]) => m === n)?.[2];
    expect(xepForm).toBeDefined();
    expect(unescapeLocalpart(localpartOf(xepForm ?? ''))).toBe(input);
    expect(unescapeLocalpart(escaped)).toBe(input);
  });
});

describe('XEP-0106 §4.2 and §5 address examples', () => {
  it('escapes a backslash that starts an escape sequence (Wireless Village example)', () => {
    expect(escapeLocalpart(raw`\3and\2is\5cool`)).toBe(raw`\5c3and\2is\5c5cool`);
    expect(unescapeLocalpart(raw`\5c3and\2is\5c5cool`)).toBe(raw`\3and\2is\5cool`);
  });
  it('maps the email example', () => {
    const mailbox = "here's_a_wild_&_/cr%zy/_address";
    const escaped = raw`here\27s_a_wild_\26_\2fcr%zy\2f_address`;
    expect(escapeLocalpart(mailbox)).toBe(escaped);
    expect(unescapeLocalpart(escaped)).toBe(mailbox);
    expect(escapeLocalpart(`${mailbox}@example.com`)).toBe(raw`${escaped}\40example.com`);
  });
  it('maps the IMPS example', () => {
    const address = `here's_a_wild_&_/cr%zy/_address_for:<wv>("IMPS")`;
    const escaped = raw`here\27s_a_wild_\26_\2fcr%zy\2f_address_for\3a\3cwv\3e(\22IMPS\22)`;
    expect(escapeLocalpart(address)).toBe(escaped);
    expect(unescapeLocalpart(escaped)).toBe(address);
  });
  it('escapes the examples of §3.2', () => {
    expect(escapeLocalpart("d'artagnan")).toBe(raw`d\27artagnan`);
    expect(unescapeLocalpart(raw`treville\40musketeers.lit`)).toBe('treville@musketeers.lit');
  });
});

describe('XEP-0106 §4.3 exceptions: partial and unknown sequences are left alone', () => {
  const untouched = [
    raw`\2plus\2is\4`,
    raw`foo\bar`,
    raw`foob\41r`,
    '\\',
    'trailing\\',
    raw`\5`,
    raw`\2`,
    raw`\2F`, // case is significant (§3.1): not an escape
    raw`\3A`,
    raw`\5C`,
    raw`\21`, // '!' is allowed in a localpart, so has no escape
    raw`\7e`,
    raw`\00`,
    raw`\\`,
  ];
  it.each(untouched)('escape and unescape leave %s unchanged', (s) => {
    expect(escapeLocalpart(s)).toBe(s);
    expect(unescapeLocalpart(s)).toBe(s);
  });
});

describe('escapeLocalpart', () => {
  it.each([
    ['bob@example.net', raw`bob\40example.net`],
    ["d'artagnan", raw`d\27artagnan`],
    ['space cadet', raw`space\20cadet`],
    ['a  b', raw`a\20\20b`],
    ['', ''],
    ['plain', 'plain'],
    ['+15551234567', '+15551234567'],
    ['ünïcødé', 'ünïcødé'],
    ['emoji😀@x', raw`emoji😀\40x`],
    [raw`\20`, raw`\5c20`],
    [raw`\40\5c`, raw`\5c40\5c5c`],
    [raw`\\20`, raw`\\5c20`],
    [raw`a\@`, raw`a\\40`],
    [raw`\2\27`, raw`\2\5c27`],
    ['%', '%'],
  ])('%j -> %j', (input, expected) => {
    expect(escapeLocalpart(input)).toBe(expected);
  });

  it.each([' leading', 'trailing ', ' ', '  both  '])('refuses %j: \\20 cannot start or end a localpart (§4.1 rule 6)', (input) => {
    expect(() => escapeLocalpart(input)).toThrow(GatewayError);
    try {
      escapeLocalpart(input);
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('ADDRESS_INVALID');
    }
  });

  it('accepts other whitespace at the ends (only U+0020 has an escape)', () => {
    expect(escapeLocalpart('\ta')).toBe('\ta');
  });
});

describe('unescapeLocalpart', () => {
  it.each([
    [raw`bob\40example.net`, 'bob@example.net'],
    [raw`d\27artagnan`, "d'artagnan"],
    [raw`space\20cadet`, 'space cadet'],
    [raw`\5c5c`, raw`\5c`],
    [raw`\5c\5c`, raw`\\`],
    [raw`\5c40`, raw`\40`],
    [raw`\\40`, raw`\@`],
    [raw`\40\40`, '@@'],
    [raw`\2f\2F`, raw`/\2F`],
    ['', ''],
    ['+15551234567', '+15551234567'],
  ])('%s -> %j', (input, expected) => {
    expect(unescapeLocalpart(input)).toBe(expected);
  });

  it('does not refuse \\20 at the ends (it is liberal in what it reads)', () => {
    expect(unescapeLocalpart(raw`\20a\20`)).toBe(' a ');
  });
});

describe('round trips', () => {
  /** Deterministic PRNG (mulberry32) so a failure reproduces. */
  function prng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  // Characters that make escaping interesting: the ten escaped ones, the hex
  // digits that form sequences (both cases), and a few ordinary ones.
  const alphabet = [...' "&\'/:<>@\\', ...'0123456789abcdefABCDEF', ...'xyz.+_-%é'];
  const random = prng(106);
  const samples: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const length = 1 + Math.floor(random() * 12);
    let s = '';
    for (let j = 0; j < length; j++) s += alphabet[Math.floor(random() * alphabet.length)] ?? '';
    samples.push(s.trim() === s ? s : `x${s}x`);
  }

  it('unescape(escape(s)) === s for 3000 random strings', () => {
    for (const s of samples) expect(unescapeLocalpart(escapeLocalpart(s)), s).toBe(s);
  });

  it('escape output never contains a character a localpart disallows', () => {
    for (const s of samples) expect(escapeLocalpart(s), s).not.toMatch(/[ "&'/:<>@]/);
  });

  it('escape(unescape(e)) === e when e is escape output (canonical forms are fixed points)', () => {
    for (const s of samples) {
      const escaped = escapeLocalpart(s);
      expect(escapeLocalpart(unescapeLocalpart(escaped)), s).toBe(escaped);
    }
  });

  it('distinct inputs never share an escaped form', () => {
    const seen = new Map<string, string>();
    for (const s of samples) {
      const escaped = escapeLocalpart(s);
      const earlier = seen.get(escaped);
      if (earlier !== undefined) expect(earlier).toBe(s);
      seen.set(escaped, s);
    }
    expect(seen.size).toBeGreaterThan(2500);
  });
});
