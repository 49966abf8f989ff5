/**
 * Twilio's side of failure classification (the rules are the kit's,
 * adapters/kit/classify.ts): how to read its error body and which of its
 * codes and statuses mean what.
 *
 * Error bodies: `{ code, message, more_info, status }`
 * (https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions).
 */
import type { GatewayError } from '../../../src/errors/registry.js';
import { classifyFailure, type FailureRules } from '../../kit/classify.js';
import { networkError } from '../../kit/http-errors.js';
import { REST_ERROR_MEANINGS } from './codes.js';

export const TWILIO = { id: 'twilio', name: 'Twilio' } as const;

/** The JSON Twilio answers an unsuccessful request with. */
export interface TwilioApiError {
  code?: number;
  message?: string;
  more_info?: string;
  status?: number;
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

/**
 * - 429, or code 20429: rate-limited, after Retry-After (else 1 s).
 * - code 21611 (the From number's queue at Twilio is full): rate-limited, after Retry-After (else 60 s).
 * - 401, 403, 404: the account SID, auth token or API base URL are wrong (or the account
 *   is suspended): an AccountError, transient, so the messages wait for an admin.
 * - any other 4xx: permanent, with the Twilio code explained (21610 opted out, 21211 invalid To, ...).
 * - 5xx and anything else: transient.
 */
const RULES: FailureRules = {
  rateLimitCodes: new Set(['20429']),
  queueFullCodes: new Set(['21611']),
  accountProblem: ({ status }) =>
    status === 404
      ? 'the account was not found: check twilio.accountSid and twilio.apiBaseUrl'
      : status === 401 || status === 403
        ? 'Twilio refused the credentials: check twilio.accountSid and twilio.authToken, and that the account is active'
        : undefined,
  meanings: REST_ERROR_MEANINGS,
  unexpectedAnswer: 'provider error',
};

/** The gateway error for an unsuccessful Messages API response. */
export function classifyApiError(httpStatus: number, err: TwilioApiError, retryAfter: string | null | undefined, now = Date.now()): GatewayError {
  return classifyFailure(
    TWILIO,
    {
      status: httpStatus,
      ...(err.code === undefined ? {} : { code: String(err.code) }),
      ...(err.message === undefined ? {} : { title: err.message }),
      retryAfter,
    },
    RULES,
    now,
  );
}

/** A request that got no HTTP answer: always transient (see the kit's networkError). */
export function classifyNetworkError(err: unknown, signal: AbortSignal): GatewayError {
  return networkError(TWILIO, err, signal);
}
