/**
 * SMSC delivery receipts (SMPP v3.4 Appendix B): a deliver_sm whose
 * esm_class says "SMSC Delivery Receipt" (or that carries the
 * receipted_message_id TLV), with a short_message such as
 *
 *   id:0123456789 sub:001 dlvrd:001 submit date:2405011200 done date:2405011201 stat:DELIVRD err:000 text:hello
 *
 * The format is "vendor specific" in the spec but this one is what SMSCs send.
 * The receipted_message_id and message_state TLVs (§5.3.2.12, §5.3.2.35), when
 * present, win over the text.
 */
import type { DeliveryStatus } from '../../types.js';

/** The fields of a receipt text; keys as in the text, lower case ('submit date', 'done date'). */
export type ReceiptFields = Partial<Record<'id' | 'sub' | 'dlvrd' | 'submit date' | 'done date' | 'stat' | 'err' | 'text', string>>;

/** Parses the receipt text; undefined when it has neither id nor stat. */
export function parseReceiptText(text: string): ReceiptFields | undefined {
  const fields: ReceiptFields = {};
  const textAt = text.search(/\btext:/i);
  const head = textAt >= 0 ? text.slice(0, textAt) : text;
  if (textAt >= 0) fields.text = text.slice(textAt + 5);
  for (const m of head.matchAll(/\b(id|sub|dlvrd|submit date|done date|stat|err):\s*(\S*)/gi)) {
    const key = (m[1] ?? '').toLowerCase().replace(/\s+/, ' ') as keyof ReceiptFields;
    fields[key] = m[2] ?? '';
  }
  return fields.id === undefined && fields.stat === undefined ? undefined : fields;
}

/** Final states (SMPP 3.4 §5.2.28 and Appendix B): DELIVRD is delivered, the rest failed, with a reason. */
const FINAL: Readonly<Record<string, { status: 'delivered' | 'failed'; meaning: string }>> = {
  DELIVRD: { status: 'delivered', meaning: 'delivered' },
  EXPIRED: { status: 'failed', meaning: 'the message expired before it could be delivered' },
  DELETED: { status: 'failed', meaning: 'the message was deleted by the SMS center' },
  UNDELIV: { status: 'failed', meaning: 'the message could not be delivered' },
  REJECTD: { status: 'failed', meaning: 'the message was rejected' },
  UNKNOWN: { status: 'failed', meaning: 'the message is in an unknown state' },
  SKIPPED: { status: 'failed', meaning: 'the message was skipped' },
};

/** Not final: nothing to report yet (ENROUTE, ACCEPTD, SCHEDLD). */
const INTERMEDIATE = new Set(['ENROUTE', 'ACCEPTD', 'SCHEDLD']);

/** message_state TLV values (SMPP 3.4 §5.2.28) -> the stat word of the text form. */
const MESSAGE_STATE: Readonly<Record<number, string>> = {
  0: 'SCHEDLD',
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
  9: 'SKIPPED',
};

export interface ReceiptInput {
  /** The decoded short_message text ('' if none). */
  text: string;
  receiptedMessageId?: string | undefined;
  messageState?: number | undefined;
}

export type ReceiptOutcome =
  | { kind: 'final'; event: DeliveryStatus }
  | { kind: 'intermediate'; providerMessageId: string; stat: string }
  | { kind: 'unreadable'; why: string };

/** What a receipt says about which message. */
export function readReceipt(input: ReceiptInput): ReceiptOutcome {
  const fields = parseReceiptText(input.text) ?? {};
  const providerMessageId = input.receiptedMessageId?.trim() || fields.id;
  if (!providerMessageId) return { kind: 'unreadable', why: 'no message id (neither receipted_message_id nor id:)' };
  const stat = (
    (input.messageState !== undefined ? MESSAGE_STATE[input.messageState] : undefined) ??
    fields.stat ??
    ''
  ).toUpperCase();
  if (INTERMEDIATE.has(stat)) return { kind: 'intermediate', providerMessageId, stat };
  const final = FINAL[stat];
  if (final === undefined) return { kind: 'unreadable', why: `unknown stat ${JSON.stringify(stat)}` };
  if (final.status === 'delivered') return { kind: 'final', event: { kind: 'status', providerMessageId, status: 'delivered' } };
  const err = fields.err !== undefined && /[^0]/.test(fields.err) ? `, error ${fields.err}` : '';
  return {
    kind: 'final',
    event: { kind: 'status', providerMessageId, status: 'failed', reason: `${final.meaning} (${stat}${err})` },
  };
}
