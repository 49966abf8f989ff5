/**
 * SMPP v3.4 PDU handling for the SMSC double: what a submit_sm carried (read
 * from the raw octets, apart from the library's decoding), whole messages out
 * of concatenated parts, and the fields of the deliver_sm PDUs the double
 * sends. Written apart from the adapter's code on purpose.
 */
import smpp from 'smpp';

/** A submit_sm as the double received it. */
export interface RecordedSubmit {
  sequence: number;
  sourceAddr: string;
  sourceTon: number;
  destinationAddr: string;
  destTon: number;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  /** short_message exactly as on the wire. */
  shortMessage: Buffer;
  /** The user data header (with its length octet) when esm_class has UDHI. */
  udh: Buffer | undefined;
  /** Concatenation IE 00 03 (8-bit ref) if the UDH has one. */
  concat: { ref: number; total: number; seq: number } | undefined;
  /** The library's decoding of the text (GSM 03.38 / UCS-2). */
  text: string;
  /** message_id answered, when answered ESME_ROK. */
  messageId: string | undefined;
  /** command_status answered; undefined while unanswered (or never, for 'no-answer'). */
  answered: number | undefined;
  /** When the double read it (ms since epoch). */
  receivedAt: number;
}

/** A whole message the adapter sent: a single submit, or all parts of one concatenation. */
export interface SentSms {
  /** message_id of the last part. */
  id: string;
  /** '+digits' when TON was international. */
  from: string;
  to: string;
  body: string;
  dataCoding: number;
  parts: RecordedSubmit[];
}

/** How a scripted submit is answered: normally, with an error status, or not at all. */
export type SubmitFailure = { kind: 'accept' } | { kind: 'status'; status: number } | { kind: 'no-answer' };

export interface InboundSmsOptions {
  from: string;
  to: string;
  /** Default: GSM 03.38 when the library can encode the text so, else UCS-2. */
  dataCoding?: number;
}

/** The double's own GSM check: the library's default-alphabet matcher. */
export function gsmEncodable(text: string): boolean {
  return smpp.encodings.ASCII?.match(text) ?? false;
}

export function plus(addr: string, ton: number): string {
  return ton === 1 ? `+${addr}` : addr;
}

export function digits(address: string): string {
  return address.replace(/^\+/, '');
}

/** short_message octets of a raw submit_sm (SMPP 3.4 §4.4.1 field order). */
export function rawShortMessage(raw: Buffer): Buffer {
  let offset = 16;
  const cstring = (): void => {
    while (raw[offset] !== 0 && offset < raw.length) offset++;
    offset++;
  };
  cstring(); // service_type
  offset += 2; // source TON, NPI
  cstring(); // source_addr
  offset += 2; // dest TON, NPI
  cstring(); // destination_addr
  offset += 3; // esm_class, protocol_id, priority_flag
  cstring(); // schedule_delivery_time
  cstring(); // validity_period
  offset += 4; // registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
  const length = raw[offset] ?? 0;
  return raw.subarray(offset + 1, offset + 1 + length);
}

export function decodedText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (value && typeof value === 'object' && 'message' in value) return decodedText((value as { message: unknown }).message);
  return '';
}

export function smppTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

/** Whole messages sent, oldest first; concatenated ones once all parts are in. */
export function wholeMessages(submits: readonly RecordedSubmit[]): SentSms[] {
  const out: SentSms[] = [];
  const open = new Map<string, RecordedSubmit[]>();
  for (const s of submits) {
    if (s.messageId === undefined) continue;
    if (s.concat === undefined) {
      out.push(toSms([s]));
      continue;
    }
    const key = `${s.sourceAddr}|${s.destinationAddr}|${s.concat.ref}|${s.concat.total}`;
    const parts = [...(open.get(key) ?? []), s];
    if (parts.length < s.concat.total) {
      open.set(key, parts);
      continue;
    }
    open.delete(key);
    out.push(toSms(parts.sort((a, b) => (a.concat?.seq ?? 0) - (b.concat?.seq ?? 0))));
  }
  return out;
}

function toSms(parts: RecordedSubmit[]): SentSms {
  const last = parts[parts.length - 1] as RecordedSubmit;
  return {
    id: last.messageId ?? '',
    from: plus(last.sourceAddr, last.sourceTon),
    to: plus(last.destinationAddr, last.destTon),
    body: parts.map((p) => p.text).join(''),
    dataCoding: last.dataCoding,
    parts,
  };
}

/** What a submit_sm carried: the PDU's fields, and short_message and its UDH from the raw octets. */
export function recordSubmit(pdu: smpp.PDU, raw: Buffer): RecordedSubmit {
  const shortMessage = Buffer.from(rawShortMessage(raw));
  const esmClass = pdu.esm_class ?? 0;
  const udh = esmClass & 0x40 ? shortMessage.subarray(0, (shortMessage[0] ?? 0) + 1) : undefined;
  const concat =
    udh !== undefined && udh[1] === 0x00 && udh[2] === 0x03
      ? { ref: udh[3] ?? 0, total: udh[4] ?? 0, seq: udh[5] ?? 0 }
      : undefined;
  return {
    sequence: pdu.sequence_number,
    sourceAddr: pdu.source_addr ?? '',
    sourceTon: pdu.source_addr_ton ?? 0,
    destinationAddr: pdu.destination_addr ?? '',
    destTon: pdu.dest_addr_ton ?? 0,
    esmClass,
    dataCoding: pdu.data_coding ?? 0,
    registeredDelivery: pdu.registered_delivery ?? 0,
    shortMessage,
    udh,
    concat,
    text: decodedText(pdu.short_message),
    messageId: undefined,
    answered: undefined,
    receivedAt: Date.now(),
  };
}

/**
 * The deliver_sm fields of a delivery receipt (SMPP 3.4 Appendix B text,
 * esm_class 0x04) for `messageId`, addressed back from the submit it answers.
 */
export function receiptFields(
  messageId: string,
  stat: string,
  submit: RecordedSubmit | undefined,
  opts: { err?: string; tlv?: boolean; esmClass?: number } = {},
): smpp.PduFields {
  const now = new Date();
  const delivered = stat === 'DELIVRD' ? '001' : '000';
  const text =
    `id:${messageId} sub:001 dlvrd:${delivered} submit date:${smppTime(now)} done date:${smppTime(now)} ` +
    `stat:${stat} err:${opts.err ?? (stat === 'DELIVRD' ? '000' : '001')} text:${(submit?.text ?? '').slice(0, 20)}`;
  const states: Record<string, number> = { DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 };
  return {
    source_addr_ton: submit?.destTon ?? 1,
    source_addr_npi: 1,
    source_addr: submit?.destinationAddr ?? '15551234567',
    dest_addr_ton: submit?.sourceTon ?? 1,
    dest_addr_npi: 1,
    destination_addr: submit?.sourceAddr ?? '15550001111',
    esm_class: opts.esmClass ?? 0x04,
    data_coding: 0x00,
    short_message: text,
    ...(opts.tlv ? { receipted_message_id: messageId, message_state: states[stat] ?? 7 } : {}),
  };
}

/** The address fields of a deliver_sm from `opts.from` to `opts.to` (TON international for '+'). */
export function addressing(opts: InboundSmsOptions): smpp.PduFields {
  return {
    source_addr_ton: opts.from.startsWith('+') ? 1 : 0,
    source_addr_npi: 1,
    source_addr: digits(opts.from),
    dest_addr_ton: opts.to.startsWith('+') ? 1 : 0,
    dest_addr_npi: 1,
    destination_addr: digits(opts.to),
  };
}
