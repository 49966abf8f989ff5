/** SMS encoding and segment counting (3GPP TS 23.038 / 23.040), against known real-world counts. */
import { describe, expect, it } from 'vitest';
import {
  chooseEncoding,
  countSegments,
  GSM7_BASIC,
  GSM7_EXTENSION,
  gsm7Septets,
  isGsm7,
  SEGMENT_LIMITS,
  splitSegments,
} from '../../src/networks/sms/segments.js';

const a = (n: number) => 'a'.repeat(n);

describe('GSM 03.38 alphabet', () => {
  it('has 128 default codes with ESC at 0x1B and 10 extension characters', () => {
    expect([...GSM7_BASIC]).toHaveLength(128);
    expect(GSM7_BASIC[0x1b]).toBe('\u001b');
    expect([GSM7_BASIC[0x00], GSM7_BASIC[0x40], GSM7_BASIC[0x60], GSM7_BASIC[0x7f]]).toEqual(['@', '¡', '¿', 'à']);
    expect([...GSM7_EXTENSION.keys()].join('')).toBe('\f^{}\\[~]|€');
  });

  it.each([
    ['a', 1],
    ['@', 1],
    ['£', 1],
    ['$', 1],
    ['é', 1],
    ['Ç', 1],
    ['ß', 1],
    ['Δ', 1],
    ['\n', 1],
    ['\r', 1],
    ['¤', 1],
    ['€', 2],
    ['^', 2],
    ['{', 2],
    ['}', 2],
    ['\\', 2],
    ['[', 2],
    ['~', 2],
    [']', 2],
    ['|', 2],
    ['\f', 2],
    ['ç', 0], // only the capital Ç is in the table
    ['ł', 0],
    ['你', 0],
    ['’', 0], // typographic apostrophe: the classic accidental UCS-2
    ['`', 0],
    ['\t', 0],
    ['\u001b', 0], // ESC is no character of its own
    ['😀', 0],
  ])('%j takes %i septets', (ch, septets) => {
    expect(gsm7Septets(ch)).toBe(septets);
  });

  it('one non-GSM character switches the whole text to UCS-2', () => {
    expect(isGsm7(`${a(200)}{€}`)).toBe(true);
    expect(chooseEncoding(`${a(200)}ł`)).toBe('ucs2');
    expect(chooseEncoding("It's fine")).toBe('gsm7');
    expect(chooseEncoding('It’s fine')).toBe('ucs2');
  });
});

describe('countSegments', () => {
  it.each([
    ['', 'gsm7', 0, 1],
    [a(1), 'gsm7', 1, 1],
    [a(160), 'gsm7', 160, 1],
    [a(161), 'gsm7', 161, 2],
    [a(300), 'gsm7', 300, 2],
    [a(306), 'gsm7', 306, 2],
    [a(307), 'gsm7', 307, 3],
    [a(459), 'gsm7', 459, 3],
    [a(460), 'gsm7', 460, 4],
    ['é'.repeat(160), 'gsm7', 160, 1],
    ['€'.repeat(80), 'gsm7', 160, 1],
    ['€'.repeat(81), 'gsm7', 162, 2],
    [`${a(159)}€`, 'gsm7', 161, 2],
    [`${a(152)}€${a(10)}`, 'gsm7', 164, 2],
    ['^{}\\[~]|€', 'gsm7', 18, 1],
    ['ł'.repeat(70), 'ucs2', 70, 1],
    ['ł'.repeat(71), 'ucs2', 71, 2],
    ['ł'.repeat(134), 'ucs2', 134, 2],
    ['ł'.repeat(135), 'ucs2', 135, 3],
    ['你'.repeat(70), 'ucs2', 70, 1],
    [`${a(159)}ł`, 'ucs2', 160, 3],
    ['😀'.repeat(35), 'ucs2', 70, 1],
    ['😀'.repeat(36), 'ucs2', 72, 2],
    [`${a(69)}😀`, 'ucs2', 71, 2],
    ['Hello 你好', 'ucs2', 8, 1],
    ['Your verification code is 123456. Do not share it with anyone.', 'gsm7', 62, 1],
  ] as const)('%j -> %s, %i units, %i segments', (text, encoding, units, segments) => {
    expect(countSegments(text)).toEqual({ encoding, units, segments });
  });

  it('agrees with splitSegments on every count', () => {
    for (const text of [a(161), a(460), '€'.repeat(81), `${a(152)}€${a(10)}`, 'ł'.repeat(135), '😀'.repeat(36), `${a(66)}😀${a(10)}`]) {
      expect(splitSegments(text).parts).toHaveLength(countSegments(text).segments);
    }
  });
});

describe('splitSegments', () => {
  const units = (part: string, encoding: 'gsm7' | 'ucs2') =>
    encoding === 'gsm7' ? [...part].reduce((n, ch) => n + gsm7Septets(ch), 0) : part.length;

  it('keeps a text that fits one message whole, the empty text included', () => {
    expect(splitSegments('')).toEqual({ encoding: 'gsm7', parts: [''] });
    expect(splitSegments(a(160))).toEqual({ encoding: 'gsm7', parts: [a(160)] });
    expect(splitSegments('ł'.repeat(70))).toEqual({ encoding: 'ucs2', parts: ['ł'.repeat(70)] });
  });

  it('cuts GSM-7 at 153 septets', () => {
    expect(splitSegments(a(307)).parts.map((p) => p.length)).toEqual([153, 153, 1]);
  });

  it('never splits an escape pair: the extension character moves to the next part', () => {
    const { parts } = splitSegments(`${a(152)}€${a(10)}`);
    expect(parts).toEqual([a(152), `€${a(10)}`]);
    const euros = splitSegments('€'.repeat(81)).parts;
    expect(euros.map((p) => [...p].length)).toEqual([76, 5]);
  });

  it('cuts UCS-2 at 67 code units and never splits a surrogate pair', () => {
    expect(splitSegments('ł'.repeat(135)).parts.map((p) => p.length)).toEqual([67, 67, 1]);
    const { parts } = splitSegments(`${a(66)}😀${a(10)}`);
    expect(parts).toEqual([a(66), `😀${a(10)}`]);
    const emoji = splitSegments('😀'.repeat(36)).parts;
    expect(emoji.map((p) => p.length)).toEqual([66, 6]);
  });

  it('puts every character in exactly one part, within the limits', () => {
    const samples = [
      a(1000),
      '€'.repeat(400),
      `${'{x}'.repeat(120)}`,
      'ł'.repeat(500),
      '😀a'.repeat(150),
      `Zażółć gęślą jaźń 🎉 ${'x'.repeat(200)}`,
    ];
    for (const text of samples) {
      const { encoding, parts } = splitSegments(text);
      expect(parts.join('')).toBe(text);
      const limit = parts.length === 1 ? SEGMENT_LIMITS[encoding].single : SEGMENT_LIMITS[encoding].part;
      for (const part of parts) {
        expect(units(part, encoding)).toBeLessThanOrEqual(limit);
        expect(part).not.toMatch(/[\uD800-\uDBFF]$/); // no part ends in a high surrogate
      }
    }
  });
});
