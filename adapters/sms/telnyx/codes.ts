/**
 * Plain-language meanings of the Telnyx messaging error codes a user is most
 * likely to see, so an error stanza says why a text did not go out. Sources:
 * https://developers.telnyx.com/docs/messaging/messages/error-codes and
 * https://developers.telnyx.com/development/api-fundamentals/api-errors.
 * Codes not listed fall back to Telnyx's own title and detail (adapters/kit/codes.ts).
 *
 * Telnyx sends codes as strings ("40300"); the tables are keyed the same way.
 */
import type { CodeMeanings } from '../../kit/codes.js';

/** Errors the Messages API answers a send request with (HTTP 4xx, `errors[].code`). */
export const REST_ERROR_MEANINGS: CodeMeanings = {
  '10002': 'the phone number is not valid',
  '10004': 'a required field is missing from the request',
  '10015': 'Telnyx could not read the request',
  '10016': 'a phone number is not in +E.164 format',
  '40300': 'the recipient has opted out (replied STOP) and receives nothing from this number until they text START',
  '40301': 'the recipient cannot receive this type of message',
  '40302': 'the message is too large',
  '40304': 'the message combines text and media in a way Telnyx does not accept',
  '40308': "the gateway's sending number cannot send MMS",
  '40309': 'the destination region is not enabled for this messaging profile',
  '40310': "the 'to' address is not a valid phone number or short code",
  '40315': "the gateway's sending number is blocked for low deliverability",
  '40316': 'the message has no text and no media',
  '40317': 'the media is not acceptable (at most 10 URLs, each under 1 MB)',
  '40319': 'the recipient cannot receive this type of message',
  '40322': 'the message was blocked because of its content',
  '40329': "the gateway's toll-free number is not verified yet",
};

/** Errors a `message.finalized` webhook reports for a message that was sent but not delivered (400xx). */
export const DELIVERY_ERROR_MEANINGS: CodeMeanings = {
  '40001': 'the number is a landline or cannot receive texts',
  '40002': 'a carrier spam filter blocked the message (temporary)',
  '40003': "a carrier spam filter permanently blocked the gateway's sending number",
  '40004': "the recipient's carrier rejected the message",
  '40005': 'the message expired on its way to the recipient',
  '40006': "the recipient's carrier is not responding",
  '40008': 'the message could not be delivered',
  '40009': "the recipient's carrier rejected the message text",
  '40010': "the gateway's sending number is not registered for US A2P 10DLC messaging",
  '40011': "the gateway's sending number went over the carrier's rate limit",
  '40012': "the recipient's carrier rejected the destination number",
  '40013': "the carrier rejected the gateway's sending number",
  '40014': 'the message expired waiting in the queue',
  '40015': "Telnyx's spam filter blocked the message",
  '40016': "T-Mobile's daily 10DLC limit for the sending number was reached",
  '40017': 'AT&T rejected the message as spam',
  '40018': "AT&T's 10DLC rate limit for the sending number was reached",
  '40300': 'the recipient has opted out (replied STOP)',
};

/**
 * Codes that mean the gateway's Telnyx account, API key, messaging profile or
 * sending number is not set up, not that this message is wrong: an admin can
 * fix them, so the message waits rather than failing.
 */
export const ACCOUNT_ERROR_CODES: ReadonlySet<string> = new Set([
  '10009', // Authentication failed
  '10010', // Authorization failed
  '20002', // API key revoked
  '20006', // Expired access token
  '20012', // Account inactive
  '20013', // Account blocked
  '20014', // Account unverified
  '20015', // Feature not enabled
  '20016', // Account not level 1 verified
  '20017', // Account not level 2 verified
  '20100', // Insufficient funds
  '40100', // Number not messaging enabled
  '40305', // Invalid 'from' address (not on this account / profile)
  '40311', // Invalid messaging profile secret
  '40312', // Messaging profile is disabled
  '40313', // Missing messaging profile secret
  '40314', // Messaging disabled on account
  '40320', // 'from' address temporarily unusable (purchase pending)
  '40321', // No usable numbers on messaging profile
]);
