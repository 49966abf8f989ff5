/**
 * Plain-language meanings of the Twilio error codes a user is most likely to
 * see, so an error stanza says why a text did not go out. Sources: Twilio's
 * error dictionary, https://www.twilio.com/docs/api/errors/<code>. Codes not
 * listed fall back to Twilio's own message (adapters/kit/codes.ts explainCode).
 */
import type { CodeMeanings } from '../../kit/codes.js';

/** Errors the Messages API answers a create request with (HTTP 4xx). */
export const REST_ERROR_MEANINGS: CodeMeanings = {
  21211: "the 'To' number is not a valid phone number",
  21265: 'the recipient is a short code, which cannot be texted from here',
  21266: 'the recipient is the sending number itself',
  21408: 'the Twilio account is not permitted to send SMS to this region',
  21602: 'the message has no text and no media',
  21606: "the gateway's sending number cannot send messages to this destination",
  21610: 'the recipient has opted out (replied STOP) and receives nothing from this number until they text START',
  21612: 'Twilio cannot connect this sender and recipient by SMS',
  21614: "the 'To' number is not a mobile number that can receive SMS",
  21617: 'the message is longer than the 1600 characters Twilio accepts',
  21620: 'a media URL is not valid',
  21623: 'the message has more media files than Twilio allows (10)',
  21660: "the sending number does not belong to the gateway's Twilio account",
};

/** Errors a status callback reports for a message that was sent but not delivered (30xxx). */
export const DELIVERY_ERROR_MEANINGS: CodeMeanings = {
  30001: "Twilio's queue for the sending number overflowed",
  30002: 'the Twilio account is suspended',
  30003: 'the handset is unreachable (switched off, out of coverage, or cannot receive SMS)',
  30004: 'the message was blocked (by the recipient, their carrier, or a block list)',
  30005: 'the destination number is unknown or no longer in service',
  30006: 'the number is a landline or its carrier cannot be reached',
  30007: 'the carrier filtered the message (spam or content filtering)',
  30008: 'the carrier reported an unknown error',
  30034: 'the sending number is not registered for US A2P 10DLC messaging',
};
