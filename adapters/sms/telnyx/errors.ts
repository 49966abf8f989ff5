/**
 * Classification of failed Telnyx Messages API calls into the gateway's
 * delivery errors: permanent (an error stanza, no retry), rate-limited (the
 * queue pauses for Retry-After), transient (retried with backoff until the
 * message's maximum age).
 *
 * Error bodies: `{ errors: [{ code, title, detail, source?, meta? }] }`
 * (https://developers.telnyx.com/development/api-fundamentals/api-errors).
 */
import {
  GatewayError,
  PermanentDeliveryError,
  RateLimitedError,
  TransientDeliveryError,
} from '../../../src/errors/registry.js';
import { ACCOUNT_ERROR_CODES, REST_ERROR_MEANINGS, explainCode } from './codes.js';
import { networkError, parseRetryAfter } from '../http-errors.js';

export { parseRetryAfter };

/** One entry of the `errors` array Telnyx answers an unsuccessful request with. */
export interface TelnyxApiError {
  code?: string;
  title?: string;
  detail?: string;
}

/** Wait when Telnyx asks us to slow down without saying for how long. */
export const DEFAULT_RETRY_AFTER_MS = 1000;
/** 40318 (the message queue of the sending number is full) drains at the number's send rate: wait longer. */
export const QUEUE_FULL_RETRY_AFTER_MS = 60_000;

/** Codes that mean Telnyx itself failed, whatever the HTTP status. */
const TRANSIENT_CODES = new Set(['10007' /* Unexpected error */, '10008' /* Request timeout */]);

/**
 * Telnyx refused the gateway's account settings (API key, account state,
 * messaging profile, sending number). Transient, so messages wait for an
 * admin to fix the config; a class of its own so the adapter can log it at
 * error level and report it in health().
 */
export class TelnyxAccountError extends TransientDeliveryError {
  constructor(
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = 'TelnyxAccountError';
  }
}


/** Reads Telnyx's `errors` array from a response body; anything else yields []. Numeric codes become strings. */
export function parseApiErrors(body: string): TelnyxApiError[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const list = (parsed as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(list)) return [];
  return list
    .filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object')
    .map((e) => {
      const code = typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code) : undefined;
      return {
        ...(code === undefined || code === '' ? {} : { code }),
        ...(typeof e.title === 'string' ? { title: e.title } : {}),
        ...(typeof e.detail === 'string' ? { detail: e.detail } : {}),
      };
    });
}

function describe(httpStatus: number, err: TelnyxApiError | undefined): string {
  const code = err?.code === undefined ? '' : `, code ${err.code}`;
  const text = [err?.title, err?.detail].filter((t) => t !== undefined && t !== '').join(': ');
  return `HTTP ${httpStatus}${code}${text === '' ? '' : `: ${text}`}`;
}

/** A 400xx/403xx code about this message (not about the account). */
function isMessageCode(code: string | undefined): boolean {
  return code !== undefined && /^40\d{3}$/.test(code) && !ACCOUNT_ERROR_CODES.has(code);
}

/**
 * The gateway error for an unsuccessful Messages API response. The first
 * entry of `errors` decides; the HTTP status where it carries no code.
 *
 * - 429, or code 10011: rate-limited, after Retry-After (else 1 s).
 * - code 40318 (the sending number's queue is full): rate-limited, after Retry-After (else 60 s).
 * - account codes (ACCOUNT_ERROR_CODES: 10009 auth failed, 20100 no funds, 40305 the
 *   number is not on the account, 40312 profile disabled, ...), and 401/403/404 without a
 *   code about the message: transient TelnyxAccountError. An admin can fix these without the
 *   messages being lost, so they wait and are retried until their maximum age; the adapter
 *   logs them at error level. (Telnyx answers an opted-out recipient, 40300, with 4xx too,
 *   possibly 403: the code wins over the status.)
 * - 5xx, 408, codes 10007/10008: transient.
 * - any other 4xx: permanent, with the code explained (40300 opted out, 40310 invalid 'to', ...).
 */
export function classifyApiError(
  httpStatus: number,
  errors: TelnyxApiError[],
  retryAfter: string | null,
  now = Date.now(),
): GatewayError {
  const first = errors.find((e) => e.code !== undefined) ?? errors[0];
  const code = first?.code;
  const detail = describe(httpStatus, first);
  if (httpStatus === 429 || code === '10011') {
    const wait = parseRetryAfter(retryAfter, now) ?? DEFAULT_RETRY_AFTER_MS;
    return new RateLimitedError(`telnyx: too many requests, retrying in ${wait} ms (${detail})`, Math.max(wait, 1));
  }
  if (code === '40318') {
    const wait = parseRetryAfter(retryAfter, now) ?? QUEUE_FULL_RETRY_AFTER_MS;
    return new RateLimitedError(
      `telnyx: the sending number has too many messages queued at Telnyx, retrying in ${wait} ms (${detail})`,
      Math.max(wait, 1),
    );
  }
  if (httpStatus >= 500 || httpStatus === 408 || (code !== undefined && TRANSIENT_CODES.has(code))) {
    return new TransientDeliveryError(`telnyx: provider error (${detail})`);
  }
  const accountCode = code !== undefined && ACCOUNT_ERROR_CODES.has(code);
  if (accountCode || ((httpStatus === 401 || httpStatus === 403 || httpStatus === 404) && !isMessageCode(code))) {
    const what =
      httpStatus === 404 && !accountCode
        ? 'the Messages API was not found: check telnyx.apiBaseUrl'
        : httpStatus === 401 || code === '10009' || code === '20002' || code === '20006'
          ? 'Telnyx refused the API key: check telnyx.apiKey'
          : "Telnyx refused the account or sending number: check the account, the messaging profile and that the sender's number is on it";
    return new TelnyxAccountError(`telnyx: ${what} (${detail}); the message waits and is retried`, httpStatus);
  }
  if (httpStatus >= 400 && httpStatus < 500) {
    const reason =
      code === undefined
        ? `${first?.title ?? 'Telnyx refused the message'} (HTTP ${httpStatus})`
        : explainCode(REST_ERROR_MEANINGS, code, first);
    return new PermanentDeliveryError(`not sent: ${reason}`);
  }
  return new TransientDeliveryError(`telnyx: unexpected answer (${detail})`);
}

/** A request that got no HTTP answer: always transient (see networkError). */
export function classifyNetworkError(err: unknown, signal: AbortSignal): GatewayError {
  return networkError({ id: 'telnyx', name: 'Telnyx' }, err, signal);
}
