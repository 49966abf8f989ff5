/** The SMSC double (./smsc/server.ts) and its PDU handling (./smsc/pdu.ts), from one import. */
export { SmscDouble } from './smsc/server.js';
export type { InboundSmsOptions, RecordedSubmit, SentSms, SubmitFailure } from './smsc/pdu.js';
