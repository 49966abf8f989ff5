/**
 * An outbound text -> the submit_sm PDUs that carry it (SMPP 3.4 §4.4.1).
 * GSM-7 (data_coding 0x00) when the text allows it, else UCS-2 (0x08);
 * a text longer than one message goes as parts with a concatenation UDH
 * (esm_class 0x40, IE 00 03 ref total seq). Only the last part asks for a
 * delivery receipt (registered_delivery 0x01): its message_id is the
 * provider id the gateway keeps, and receipts for the other parts would
 * name ids nobody knows.
 */
import type smpp from 'smpp';
import { GatewayError } from '../../../src/errors/registry.js';
import { splitSegments, type SmsEncoding } from '../../../src/networks/sms/segments.js';
import { concatUdh, DATA_CODING, encodeText, ESM_UDHI } from './codec.js';

/** registered_delivery: SMSC delivery receipt on final outcome, success or failure (§5.2.17). */
export const RECEIPT_ON_FINAL = 0x01;
/** TON/NPI for a short code (no '+'): network specific, unknown plan. */
const SHORT_CODE_TON = 3;
const SHORT_CODE_NPI = 0;
/** A concatenation UDH counts parts in one octet. */
const MAX_PARTS = 255;

export interface NumberingPlan {
  ton: number;
  npi: number;
}

export interface SmppAddress {
  addr: string;
  ton: number;
  npi: number;
}

/** `+15551234567` -> digits with the configured TON/NPI; a short code -> TON 3, NPI 0. */
export function smppAddress(number: string, plan: NumberingPlan): SmppAddress {
  if (number.startsWith('+')) return { addr: number.slice(1), ton: plan.ton, npi: plan.npi };
  return { addr: number, ton: SHORT_CODE_TON, npi: SHORT_CODE_NPI };
}

export interface SubmitPlan {
  encoding: SmsEncoding;
  /** One submit_sm field set per part, in order. */
  parts: smpp.PduFields[];
}

/** The submit_sm fields for a text; `ref` is the concatenation reference (used when there are several parts). */
export function planSubmits(text: string, source: SmppAddress, destination: SmppAddress, ref: number): SubmitPlan {
  const { encoding, parts } = splitSegments(text);
  if (parts.length > MAX_PARTS) {
    throw new GatewayError('BODY_INVALID', `the text needs ${parts.length} SMS parts; at most ${MAX_PARTS} can be joined`);
  }
  const total = parts.length;
  return {
    encoding,
    parts: parts.map((part, i) => {
      const seq = i + 1;
      const payload = encodeText(part, encoding);
      return {
        service_type: '',
        source_addr_ton: source.ton,
        source_addr_npi: source.npi,
        source_addr: source.addr,
        dest_addr_ton: destination.ton,
        dest_addr_npi: destination.npi,
        destination_addr: destination.addr,
        esm_class: total > 1 ? ESM_UDHI : 0,
        registered_delivery: seq === total ? RECEIPT_ON_FINAL : 0,
        data_coding: DATA_CODING[encoding],
        short_message: total > 1 ? Buffer.concat([concatUdh(ref, total, seq), payload]) : payload,
      };
    }),
  };
}
