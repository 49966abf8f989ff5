/**
 * How an SMS text is encoded and cut into segments (3GPP TS 23.038 §6.2.1 for
 * the GSM 7-bit default alphabet and its extension table; TS 23.040 §9.2.3.24.1
 * for concatenation). Pure code: every provider and the router can ask what a
 * text costs before it is sent.
 *
 * - GSM-7 when every character is in the default alphabet or its extension
 *   table; an extension character (`^ { } \ [ ~ ] | €` and form feed) is sent
 *   as ESC + code and takes 2 septets. One character outside both switches
 *   the whole text to UCS-2.
 * - A single message holds 160 septets (GSM-7) or 70 UTF-16 code units
 *   (UCS-2). A longer text is concatenated: the 6-octet user data header
 *   leaves 153 septets or 67 code units per part.
 * - A part never ends inside an escape pair or a surrogate pair (an emoji
 *   outside the BMP takes 2 code units): such a pair moves to the next part,
 *   which can leave a part one unit short.
 *
 * Examples:
 *   countSegments('')                 -> { encoding: 'gsm7', units: 0,   segments: 1 }
 *   countSegments('a'.repeat(160))    -> { encoding: 'gsm7', units: 160, segments: 1 }
 *   countSegments('a'.repeat(161))    -> { encoding: 'gsm7', units: 161, segments: 2 }  (153 + 8)
 *   countSegments('€'.repeat(80))     -> { encoding: 'gsm7', units: 160, segments: 1 }
 *   countSegments('é'.repeat(160))    -> { encoding: 'gsm7', units: 160, segments: 1 }  (é is GSM-7)
 *   countSegments('ł'.repeat(70))     -> { encoding: 'ucs2', units: 70,  segments: 1 }
 *   countSegments('a'.repeat(69)+'😀') -> { encoding: 'ucs2', units: 71,  segments: 2 }
 */

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SegmentCount {
  encoding: SmsEncoding;
  /** GSM-7 septets (extension characters count 2) or UTF-16 code units. */
  units: number;
  /** Messages the network bills and delivers; 1 for the empty text. */
  segments: number;
}

export interface SegmentSplit {
  encoding: SmsEncoding;
  /** The text of each part, in order; one part (the whole text) when it fits a single message. */
  parts: string[];
}

/** Units per message, by encoding: alone, and per part of a concatenated message. */
export const SEGMENT_LIMITS: Readonly<Record<SmsEncoding, { single: number; part: number }>> = {
  gsm7: { single: 160, part: 153 },
  ucs2: { single: 70, part: 67 },
};

/** The escape code (0x1B) that announces an extension-table character. */
export const GSM7_ESCAPE = 0x1b;

/**
 * The GSM 7-bit default alphabet, indexed by code (TS 23.038 §6.2.1). Index
 * 0x1B is the escape to the extension table, not a character.
 */
export const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅå' +
  'Δ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

/** The extension table (TS 23.038 §6.2.1.1): character -> code sent after ESC. */
export const GSM7_EXTENSION: ReadonlyMap<string, number> = new Map([
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
]);

const BASIC_CODE: ReadonlyMap<string, number> = new Map(
  [...GSM7_BASIC].flatMap((ch, code) => (code === GSM7_ESCAPE ? [] : [[ch, code] as const])),
);

/** Code of a default-alphabet character, or undefined (ESC itself is not a character). */
export function gsm7BasicCode(char: string): number | undefined {
  return BASIC_CODE.get(char);
}

/**
 * Septets per UTF-16 code unit: 1 (default alphabet), 2 (extension table), 0
 * (not GSM-7). Every GSM-7 character is one code unit, so a surrogate (half
 * of an emoji) is 0 like any other character outside the alphabets. Texts are
 * read by index, not by code point: every message is counted at acceptance,
 * and a string per character was most of what counting cost (bench profile).
 */
const SEPTETS = new Uint8Array(0x10000);
for (const [ch] of BASIC_CODE) SEPTETS[ch.charCodeAt(0)] = 1;
for (const [ch] of GSM7_EXTENSION) SEPTETS[ch.charCodeAt(0)] = 2;

/** Septets a character takes in GSM-7: 1 (default alphabet), 2 (extension table) or 0 (not GSM-7). */
export function gsm7Septets(char: string): 0 | 1 | 2 {
  return char.length === 1 ? (SEPTETS[char.charCodeAt(0)] as 0 | 1 | 2) : 0;
}

/** Whether the whole text can go as GSM-7. */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (SEPTETS[text.charCodeAt(i)] === 0) return false;
  return true;
}

/** GSM-7 when every character allows it, else UCS-2. */
export function chooseEncoding(text: string): SmsEncoding {
  return isGsm7(text) ? 'gsm7' : 'ucs2';
}

/** Units one character (a whole code point) takes in the encoding. */
function unitsOf(char: string, encoding: SmsEncoding): number {
  return encoding === 'gsm7' ? gsm7Septets(char) : char.length;
}

/** GSM-7 septets, or UTF-16 code units (what `for..of` over code points summed as `ch.length`). */
function unitCount(text: string, encoding: SmsEncoding): number {
  if (encoding === 'ucs2') return text.length;
  let units = 0;
  for (let i = 0; i < text.length; i++) units += SEPTETS[text.charCodeAt(i)] ?? 0;
  return units;
}

/**
 * Cuts the text into parts of at most `limit` units, never inside a code
 * point (`for..of` walks code points, so surrogate pairs stay whole) and never
 * inside an escape pair (an extension character is one string character).
 */
function pack(text: string, encoding: SmsEncoding, limit: number): string[] {
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const ch of text) {
    const units = unitsOf(ch, encoding);
    if (used + units > limit) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += units;
  }
  parts.push(current);
  return parts;
}

/** The encoding, size and number of segments of a text. */
export function countSegments(text: string): SegmentCount {
  const encoding = chooseEncoding(text);
  const units = unitCount(text, encoding);
  const limits = SEGMENT_LIMITS[encoding];
  const segments = units <= limits.single ? 1 : pack(text, encoding, limits.part).length;
  return { encoding, units, segments };
}

/** The text cut into the parts it is sent as (see the module comment for the rules). */
export function splitSegments(text: string): SegmentSplit {
  const encoding = chooseEncoding(text);
  const limits = SEGMENT_LIMITS[encoding];
  if (unitCount(text, encoding) <= limits.single) return { encoding, parts: [text] };
  return { encoding, parts: pack(text, encoding, limits.part) };
}
