/**
 * SMPP command_status values (SMPP v3.4 §5.1.3, names as there; the v5.0
 * additions 0x100.. where SMSCs use them) and what a failed submit_sm means
 * for the gateway: rate-limited (retry after a pause, not counted as a
 * failure), transient (retried with backoff) or permanent (an error stanza to
 * the sender).
 */
import {
  GatewayError,
  PermanentDeliveryError,
  RateLimitedError,
  TransientDeliveryError,
} from '../../../src/errors/registry.js';

export const ESME_ROK = 0x00;
export const ESME_RINVBNDSTS = 0x04;
export const ESME_RSYSERR = 0x08;
export const ESME_RINVDSTADR = 0x0b;
export const ESME_RBINDFAIL = 0x0d;
export const ESME_RINVPASWD = 0x0e;
export const ESME_RINVSYSID = 0x0f;
export const ESME_RMSGQFUL = 0x14;
export const ESME_RSUBMITFAIL = 0x45;
export const ESME_RTHROTTLED = 0x58;
export const ESME_RX_T_APPN = 0x64;
export const ESME_RDELIVERYFAILURE = 0xfe;
export const ESME_RUNKNOWNERR = 0xff;

/** command_status -> [name, meaning]. */
const STATUS: ReadonlyMap<number, readonly [string, string]> = new Map([
  [0x00, ['ESME_ROK', 'no error']],
  [0x01, ['ESME_RINVMSGLEN', 'message length is invalid']],
  [0x02, ['ESME_RINVCMDLEN', 'command length is invalid']],
  [0x03, ['ESME_RINVCMDID', 'invalid command ID']],
  [0x04, ['ESME_RINVBNDSTS', 'incorrect bind status for the command']],
  [0x05, ['ESME_RALYBND', 'already bound']],
  [0x06, ['ESME_RINVPRTFLG', 'invalid priority flag']],
  [0x07, ['ESME_RINVREGDLVFLG', 'invalid registered delivery flag']],
  [0x08, ['ESME_RSYSERR', 'system error in the SMS center']],
  [0x0a, ['ESME_RINVSRCADR', 'invalid source address']],
  [0x0b, ['ESME_RINVDSTADR', 'invalid destination address']],
  [0x0c, ['ESME_RINVMSGID', 'message ID is invalid']],
  [0x0d, ['ESME_RBINDFAIL', 'bind failed']],
  [0x0e, ['ESME_RINVPASWD', 'invalid password']],
  [0x0f, ['ESME_RINVSYSID', 'invalid system ID']],
  [0x11, ['ESME_RCANCELFAIL', 'cancel_sm failed']],
  [0x13, ['ESME_RREPLACEFAIL', 'replace_sm failed']],
  [0x14, ['ESME_RMSGQFUL', 'message queue full']],
  [0x15, ['ESME_RINVSERTYP', 'invalid service type']],
  [0x33, ['ESME_RINVNUMDESTS', 'invalid number of destinations']],
  [0x34, ['ESME_RINVDLNAME', 'invalid distribution list name']],
  [0x40, ['ESME_RINVDESTFLAG', 'destination flag is invalid']],
  [0x42, ['ESME_RINVSUBREP', "invalid 'submit with replace' request"]],
  [0x43, ['ESME_RINVESMCLASS', 'invalid esm_class field data']],
  [0x44, ['ESME_RCNTSUBDL', 'cannot submit to distribution list']],
  [0x45, ['ESME_RSUBMITFAIL', 'submit_sm failed']],
  [0x48, ['ESME_RINVSRCTON', 'invalid source address TON']],
  [0x49, ['ESME_RINVSRCNPI', 'invalid source address NPI']],
  [0x50, ['ESME_RINVDSTTON', 'invalid destination address TON']],
  [0x51, ['ESME_RINVDSTNPI', 'invalid destination address NPI']],
  [0x53, ['ESME_RINVSYSTYP', 'invalid system_type field']],
  [0x54, ['ESME_RINVREPFLAG', 'invalid replace_if_present flag']],
  [0x55, ['ESME_RINVNUMMSGS', 'invalid number of messages']],
  [0x58, ['ESME_RTHROTTLED', 'throttling error: too many messages']],
  [0x61, ['ESME_RINVSCHED', 'invalid scheduled delivery time']],
  [0x62, ['ESME_RINVEXPIRY', 'invalid message validity period']],
  [0x63, ['ESME_RINVDFTMSGID', 'predefined message invalid or not found']],
  [0x64, ['ESME_RX_T_APPN', 'ESME receiver temporary application error']],
  [0x65, ['ESME_RX_P_APPN', 'ESME receiver permanent application error']],
  [0x66, ['ESME_RX_R_APPN', 'ESME receiver rejected the message']],
  [0x67, ['ESME_RQUERYFAIL', 'query_sm failed']],
  [0xc0, ['ESME_RINVOPTPARSTREAM', 'error in the optional part of the PDU body']],
  [0xc1, ['ESME_ROPTPARNOTALLWD', 'optional parameter not allowed']],
  [0xc2, ['ESME_RINVPARLEN', 'invalid parameter length']],
  [0xc3, ['ESME_RMISSINGOPTPARAM', 'expected optional parameter missing']],
  [0xc4, ['ESME_RINVOPTPARAMVAL', 'invalid optional parameter value']],
  [0xfe, ['ESME_RDELIVERYFAILURE', 'delivery failure']],
  [0xff, ['ESME_RUNKNOWNERR', 'unknown error']],
  [0x100, ['ESME_RSERTYPUNAUTH', 'not authorised to use the service type']],
  [0x101, ['ESME_RPROHIBITED', 'prohibited from using this operation']],
  [0x102, ['ESME_RSERTYPUNAVAIL', 'service type unavailable']],
  [0x103, ['ESME_RSERTYPDENIED', 'service type denied']],
  [0x104, ['ESME_RINVDCS', 'invalid data coding scheme']],
]);

/** Statuses after which the same submit may succeed later. */
const TRANSIENT = new Set([
  ESME_RINVBNDSTS,
  ESME_RSYSERR,
  ESME_RSUBMITFAIL,
  ESME_RX_T_APPN,
  ESME_RDELIVERYFAILURE,
  ESME_RUNKNOWNERR,
]);

/** Statuses that ask the ESME to slow down. */
const RATE_LIMITED = new Set([ESME_RTHROTTLED, ESME_RMSGQFUL]);

/** How long to wait after ESME_RTHROTTLED / ESME_RMSGQFUL (SMPP carries no retry-after). */
export const THROTTLE_RETRY_MS = 1000;

/** The status's name, e.g. `ESME_RINVDSTADR`, or `0x000000NN` when unknown. */
export function statusName(status: number): string {
  return STATUS.get(status)?.[0] ?? `0x${status.toString(16).padStart(8, '0')}`;
}

/** Name and meaning, e.g. `ESME_RINVDSTADR (invalid destination address)`. */
export function describeStatus(status: number): string {
  const known = STATUS.get(status);
  return known ? `${known[0]} (${known[1]})` : `command_status 0x${status.toString(16).padStart(8, '0')} (not defined by SMPP 3.4)`;
}

/** Looks up a status by name, e.g. for config values. */
export function statusByName(name: string): number | undefined {
  for (const [code, [n]] of STATUS) if (n === name) return code;
  return undefined;
}

/** The typed error a failed submit_sm becomes. */
export function submitError(status: number): GatewayError {
  const what = `the SMS center refused the message: ${describeStatus(status)}`;
  if (RATE_LIMITED.has(status)) return new RateLimitedError(what, THROTTLE_RETRY_MS);
  if (TRANSIENT.has(status)) return new TransientDeliveryError(what);
  return new PermanentDeliveryError(what);
}
