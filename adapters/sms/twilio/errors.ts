/**
 * Classification of failed Twilio Messages API calls into the gateway's
 * delivery errors: permanent (an error stanza, no retry), rate-limited (the
 * queue pauses for Retry-After), transient (retried with backoff until the
 * message's maximum age).
 *
 * Error bodies: `{ code, message, more_info, status }`
 * (https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions).
 */
import {
  GatewayError,
  PermanentDeliveryError,
  RateLimitedError,
  TransientDeliveryError,
} from '../../../src/errors/registry.js';
import { REST_ERROR_MEANINGS, explainCode } from './codes.js';
import { networkError, parseRetryAfter } from '../http-errors.js';

export { parseRetryAfter };

/** The JSON Twilio answers an unsuccessful request with. */
export interface TwilioApiError {
  code?: number;
  message?: string;
  more_info?: string;
  status?: number;
}

/** Wait when Twilio asks us to slow down without saying for how long. */
export const DEFAULT_RETRY_AFTER_MS = 1000;
/** 21611 (the sending number's queue at Twilio is full) drains at the number's send rate: wait longer. */
export const QUEUE_FULL_RETRY_AFTER_MS = 60_000;

/** HTTP statuses that mean the gateway's Twilio settings are wrong, not the message. */
const CONFIG_STATUSES = new Set([401, 403, 404]);

/**
 * Twilio refused the gateway's account settings (401, 403, 404). Transient,
 * so messages wait for an admin to fix the config; a class of its own so the
 * adapter can log it at error level and report it in health().
 */
export class TwilioAccountError extends TransientDeliveryError {
  constructor(
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = 'TwilioAccountError';
  }
}


/** Reads Twilio's error JSON from a response body; anything else yields {}. */
export function parseApiError(body: string): TwilioApiError {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed === null || typeof parsed !== 'object') return {};
    const o = parsed as Record<string, unknown>;
    const code = typeof o.code === 'number' ? o.code : typeof o.code === 'string' && /^\d+$/.test(o.code) ? Number(o.code) : undefined;
    return {
      ...(code === undefined ? {} : { code }),
      ...(typeof o.message === 'string' ? { message: o.message } : {}),
      ...(typeof o.more_info === 'string' ? { more_info: o.more_info } : {}),
      ...(typeof o.status === 'number' ? { status: o.status } : {}),
    };
  } catch {
    return {};
  }
}

function describe(httpStatus: number, err: TwilioApiError): string {
  const code = err.code === undefined ? '' : `, code ${err.code}`;
  const message = err.message === undefined || err.message === '' ? '' : `: ${err.message}`;
  return `HTTP ${httpStatus}${code}${message}`;
}

/**
 * The gateway error for an unsuccessful Messages API response.
 *
 * - 429, or code 20429: rate-limited, after Retry-After (else 1 s).
 * - code 21611 (the From number's queue at Twilio is full): rate-limited, after Retry-After (else 60 s).
 * - 401, 403, 404: transient. These mean the account SID, auth token or API base URL
 *   are wrong (or the account is suspended); an admin can fix that without the messages
 *   being lost, so they wait and are retried until their maximum age. The message says
 *   which setting to check, and the adapter logs it at error level.
 * - any other 4xx: permanent, with the Twilio code explained (21610 opted out, 21211 invalid To, ...).
 * - 5xx and anything else: transient.
 */
export function classifyApiError(httpStatus: number, err: TwilioApiError, retryAfter: string | null, now = Date.now()): GatewayError {
  const detail = describe(httpStatus, err);
  if (httpStatus === 429 || err.code === 20429) {
    const wait = parseRetryAfter(retryAfter, now) ?? DEFAULT_RETRY_AFTER_MS;
    return new RateLimitedError(`twilio: too many requests, retrying in ${wait} ms (${detail})`, Math.max(wait, 1));
  }
  if (err.code === 21611) {
    const wait = parseRetryAfter(retryAfter, now) ?? QUEUE_FULL_RETRY_AFTER_MS;
    return new RateLimitedError(
      `twilio: the sending number has too many messages queued at Twilio, retrying in ${wait} ms (${detail})`,
      Math.max(wait, 1),
    );
  }
  if (CONFIG_STATUSES.has(httpStatus)) {
    const what =
      httpStatus === 404
        ? 'the account was not found: check twilio.accountSid and twilio.apiBaseUrl'
        : 'Twilio refused the credentials: check twilio.accountSid and twilio.authToken, and that the account is active';
    return new TwilioAccountError(`twilio: ${what} (${detail}); the message waits and is retried`, httpStatus);
  }
  if (httpStatus >= 400 && httpStatus < 500) {
    const reason =
      err.code === undefined
        ? `${err.message ?? 'Twilio refused the message'} (HTTP ${httpStatus})`
        : explainCode(REST_ERROR_MEANINGS, err.code, err.message);
    return new PermanentDeliveryError(`not sent: ${reason}`);
  }
  return new TransientDeliveryError(`twilio: provider error (${detail})`);
}

/** A request that got no HTTP answer: always transient (see networkError). */
export function classifyNetworkError(err: unknown, signal: AbortSignal): GatewayError {
  return networkError({ id: 'twilio', name: 'Twilio' }, err, signal);
}
