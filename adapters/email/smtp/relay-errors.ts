/**
 * A failed hand-over to the relay -> the gateway's delivery error, the way an
 * MTA reads SMTP replies (RFC 5321 §4.2.1): a 5yz reply is permanent (the
 * relay's own words reach the sender), a 4yz reply and a lost or refused
 * connection are transient (retried until the message's maximum age). 503
 * (bad sequence of commands) is a session problem, not a verdict on the
 * mail: nodemailer marks it not permanent, and so does this.
 * A 4yz that says the relay is throttling the gateway ("too much mail",
 * "rate limit", the words Postfix, Gmail, SendGrid and Mailgun use) pauses
 * the component's queue for a minute rather than spending an attempt.
 * Only a reply to MAIL FROM, RCPT TO or DATA judges the mail. A refused
 * login or a failed STARTTLS (even a 5yz) is the gateway's problem, not the
 * message's: it waits for the admin (AccountError), as with the HTTP
 * providers; a refused greeting or EHLO is retried.
 */
import { PermanentDeliveryError, RateLimitedError, TransientDeliveryError, type GatewayError } from '../../../src/errors/registry.js';
import { AccountError } from '../../kit/account.js';

/** The relay's reply as one line, without the CRLFs of a multi-line reply. */
export function relayReply(response: string): string {
  return response
    .split(/\r?\n/)
    .map((line) => line.replace(/^(\d{3})[- ]/, '').trim())
    .filter((line) => line !== '')
    .join(' ')
    .slice(0, 500);
}

/** What nodemailer attaches to the errors it rejects with (its NodemailerError), as far as this reads it. */
export interface RelayError extends Error {
  code?: string;
  /** The relay's reply code, where it answered. */
  responseCode?: number;
  /** The relay's reply text, code included. */
  response?: string;
  /** The SMTP command the reply answered (`RCPT TO`, `DATA`). */
  command?: string;
  /** nodemailer's reading of the reply class: true for a 5yz other than 503. */
  permanent?: boolean;
}

/** Failures of the session's setup, not of the mail: the admin must act (credentials, TLS settings). */
const SESSION_SETUP: ReadonlyMap<string, string> = new Map([
  ['EAUTH', "the relay refused the gateway's login"],
  ['ENOAUTH', 'the relay wants a login and smtp.url has none'],
  ['ETLS', 'TLS with the relay failed'],
  ['EREQUIRETLS', 'the relay does not support REQUIRETLS'],
]);

/** A relay's deferral that is about the gateway sending too fast, not about this mail. */
const THROTTLED = /\brate[- ]?limit|too (many|much) (mail|messages|connections)|throttl|slow down|sending rate/i;
/** Relays name no wait: a minute, then the queue tries again. */
export const RELAY_THROTTLE_WAIT_MS = 60_000;

function asRelayError(err: unknown): RelayError {
  return err instanceof Error ? (err as RelayError) : new Error(String(err));
}

/**
 * @param relay how the logs name the relay (`smtp://relay.example.org:587`, without credentials)
 * @example relayFailure({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 <bob@example.net>: no such user' }, r)
 *   // PermanentDeliveryError 'not sent: the mail relay refused it: 550 5.1.1 <bob@example.net>: no such user'
 * @example relayFailure({ code: 'EMESSAGE', responseCode: 451, response: '451 4.3.0 try later' }, r)
 *   // TransientDeliveryError (retried)
 * @example relayFailure({ code: 'ECONNECTION' }, r)   // TransientDeliveryError (retried)
 */
export function relayFailure(thrown: unknown, relay: string): GatewayError {
  const err = asRelayError(thrown);
  const code = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const reply = err.response === undefined || err.response === '' ? undefined : relayReply(err.response);
  const said = reply === undefined ? err.message : `${code ?? ''} ${reply}`.trim();
  if (err.code !== undefined && SESSION_SETUP.has(err.code)) {
    return new AccountError(`${relay}: ${SESSION_SETUP.get(err.code)} (${said}); check smtp.url, the message waits and is retried`, code ?? 0);
  }
  // Only a reply to MAIL FROM, RCPT TO or DATA is a verdict on this mail; a refused greeting or EHLO is the relay refusing the gateway.
  const aboutTheMail = err.command === undefined || /^(MAIL|RCPT|DATA)/i.test(err.command) || err.code === 'EENVELOPE' || err.code === 'EMESSAGE';
  if (code !== undefined && aboutTheMail) {
    const permanent = err.permanent ?? (code >= 500 && code !== 503);
    if (permanent) return new PermanentDeliveryError(`not sent: the mail relay refused it: ${reply === undefined ? code : `${code} ${reply}`}`, { cause: err });
    if (THROTTLED.test(said)) {
      return new RateLimitedError(`${relay}: the relay asks to slow down (${said}); sending again in ${RELAY_THROTTLE_WAIT_MS / 1000} s`, RELAY_THROTTLE_WAIT_MS, { cause: err });
    }
    return new TransientDeliveryError(`${relay}: the relay deferred the mail (${said}, during ${err.command ?? 'the session'})`, { cause: err });
  }
  if (code !== undefined) return new TransientDeliveryError(`${relay}: the relay refused the session (${said}, during ${err.command})`, { cause: err });
  return new TransientDeliveryError(`${relay}: ${err.code === undefined ? '' : `${err.code} `}${err.message}`, { cause: err });
}
