/**
 * Texts and user data headers as SMPP carries them.
 *
 * Outbound, the adapter encodes itself and hands the library a Buffer (so the
 * library's own guessing stays out of the way): data_coding 0x00 with one
 * GSM 03.38 septet per octet (SMPP 3.4 §5.2.19: "SMSC Default Alphabet"; the
 * SMSC packs the septets for the air interface), or 0x08 with UTF-16BE.
 *
 * Inbound, the library has already decoded short_message / message_payload
 * into `{ udh, message }` by data_coding (0 and 1 as GSM 03.38, 3 as Latin-1,
 * 8 as UTF-16BE, anything else left a Buffer); `inboundText` finishes that:
 * IA5 (data_coding 1) mapped back from the GSM reading, escape pairs split
 * across parts resolved after joining.
 *
 * Concatenation (3GPP TS 23.040 §9.2.3.24.1 and .8): IE 0x00 `00 03 ref total seq`
 * (8-bit reference) and IE 0x08 `08 04 refHi refLo total seq` (16-bit), or the
 * SMPP sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs (§5.3.2.22-24).
 */
import type smpp from 'smpp';
import { GSM7_ESCAPE, GSM7_EXTENSION, gsm7BasicCode, type SmsEncoding } from '../../../src/networks/sms/segments.js';

/** data_coding for each encoding the adapter sends (SMPP 3.4 §5.2.19). */
export const DATA_CODING: Readonly<Record<SmsEncoding, number>> = { gsm7: 0x00, ucs2: 0x08 };

/** esm_class bit: short_message starts with a user data header (SMPP 3.4 §5.2.12). */
export const ESM_UDHI = 0x40;
/** esm_class message type bits (2-5); 0 is a normal message, 0x04 an SMSC delivery receipt. */
export const ESM_MESSAGE_TYPE = 0x3c;

/** One septet per octet; throws on a character outside GSM-7 (check with `isGsm7` first). */
export function encodeGsm7(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const basic = gsm7BasicCode(ch);
    if (basic !== undefined) {
      out.push(basic);
      continue;
    }
    const ext = GSM7_EXTENSION.get(ch);
    if (ext === undefined) throw new RangeError(`not a GSM-7 character: U+${ch.codePointAt(0)?.toString(16).toUpperCase()}`);
    out.push(GSM7_ESCAPE, ext);
  }
  return Buffer.from(out);
}

/** UTF-16 big-endian, surrogate pairs as they are. */
export function encodeUcs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

export function encodeText(text: string, encoding: SmsEncoding): Buffer {
  return encoding === 'gsm7' ? encodeGsm7(text) : encodeUcs2(text);
}

/** The 6-octet UDH of one part of a concatenated message, 8-bit reference. */
export function concatUdh(ref: number, total: number, seq: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]);
}

export interface ConcatInfo {
  ref: number;
  refBits: 8 | 16;
  total: number;
  seq: number;
}

function validConcat(info: ConcatInfo): ConcatInfo | undefined {
  return info.total >= 1 && info.seq >= 1 && info.seq <= info.total ? info : undefined;
}

/** Concatenation info from UDH information elements (each `[IEI, length, ...data]`). */
export function concatFromUdh(ies: readonly Buffer[]): ConcatInfo | undefined {
  for (const ie of ies) {
    const [iei, len] = [ie[0], ie[1]];
    if (iei === 0x00 && len === 3 && ie.length >= 5) {
      return validConcat({ ref: ie[2] ?? 0, refBits: 8, total: ie[3] ?? 0, seq: ie[4] ?? 0 });
    }
    if (iei === 0x08 && len === 4 && ie.length >= 6) {
      return validConcat({ ref: ie.readUInt16BE(2), refBits: 16, total: ie[4] ?? 0, seq: ie[5] ?? 0 });
    }
  }
  return undefined;
}

/** Concatenation info from the sar_* TLVs, when all three are there. */
export function concatFromSar(pdu: smpp.PDU): ConcatInfo | undefined {
  const { sar_msg_ref_num: ref, sar_total_segments: total, sar_segment_seqnum: seq } = pdu;
  if (ref === undefined || total === undefined || seq === undefined) return undefined;
  return validConcat({ ref, refBits: 16, total, seq });
}

/** The user data of a deliver_sm: short_message, or message_payload when short_message is empty. */
export function userData(pdu: smpp.PDU): smpp.DecodedMessage {
  const pick = (v: smpp.PDU['short_message']): smpp.DecodedMessage | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'string' || Buffer.isBuffer(v)) return { message: v };
    return v;
  };
  const short = pick(pdu.short_message);
  if (short && short.message.length > 0) return short;
  return pick(pdu.message_payload) ?? short ?? { message: '' };
}

const BASIC_CHAR_CODE = (ch: string): number | undefined => (ch === '\u001b' ? GSM7_ESCAPE : gsm7BasicCode(ch));
const EXTENSION_BY_CODE = new Map([...GSM7_EXTENSION].map(([ch, code]) => [code, ch]));

/**
 * A message's text from the library's decoding, or undefined for binary data
 * (8-bit data codings are not text: WAP push, SIM updates).
 */
export function inboundText(message: string | Buffer, dataCoding: number): string | undefined {
  if (Buffer.isBuffer(message)) return undefined;
  if (dataCoding === 0x01) {
    // The library reads IA5 octets through the GSM table; map each character back to its octet.
    const octets: number[] = [];
    for (const ch of message) {
      const basic = BASIC_CHAR_CODE(ch);
      if (basic !== undefined) octets.push(basic);
      else {
        const ext = GSM7_EXTENSION.get(ch);
        octets.push(...(ext === undefined ? [0x3f] : [GSM7_ESCAPE, ext]));
      }
    }
    return Buffer.from(octets).toString('latin1');
  }
  return message;
}

/**
 * Resolves GSM escape pairs the library could not (an ESC left at the end of
 * one part, its code at the start of the next) after parts are joined: ESC +
 * an extension code becomes that character; ESC + anything else shows the
 * default-table character (TS 23.038 §6.2.1.1); a trailing ESC is dropped.
 */
export function resolveGsmEscapes(text: string): string {
  if (!text.includes('\u001b')) return text;
  return text.replace(/\u001b([\s\S]?)/g, (_m, next: string) => {
    if (next === '') return '';
    const code = gsm7BasicCode(next);
    return (code === undefined ? undefined : EXTENSION_BY_CODE.get(code)) ?? next;
  });
}

/** Whether the library read the text through the GSM 03.38 table (data_coding 0x00, or low nibble 0/1 other than IA5). */
export function readAsGsm(dataCoding: number): boolean {
  const low = dataCoding & 0x0f;
  return dataCoding !== 0x01 && (low === 0 || low === 1);
}
