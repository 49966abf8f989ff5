/**
 * Telnyx's side of failure classification (the rules are the kit's,
 * adapters/kit/classify.ts): how to read its error body and which of its
 * codes and statuses mean what.
 *
 * Error bodies: `{ errors: [{ code, title, detail, source?, meta? }] }`
 * (https://developers.telnyx.com/development/api-fundamentals/api-errors).
 */
import type { GatewayError } from '../../../src/errors/registry.js';
import { classifyFailure, type ApiFailure, type FailureRules } from '../../kit/classify.js';
import { networkError } from '../../kit/http-errors.js';
import { ACCOUNT_ERROR_CODES, REST_ERROR_MEANINGS } from './codes.js';

export const TELNYX = { id: 'telnyx', name: 'Telnyx' } as const;

/** One entry of the `errors` array Telnyx answers an unsuccessful request with. */
export interface TelnyxApiError {
  code?: string;
  title?: string;
  detail?: string;
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

/** A 400xx/403xx code about this message (not about the account). */
function isMessageCode(code: string | undefined): boolean {
  return code !== undefined && /^40\d{3}$/.test(code) && !ACCOUNT_ERROR_CODES.has(code);
}

/**
 * Account codes (ACCOUNT_ERROR_CODES: 10009 auth failed, 20100 no funds, 40305 the number
 * is not on the account, 40312 profile disabled, ...), and 401/403/404 without a code about
 * the message. (Telnyx answers an opted-out recipient, 40300, with 4xx too, possibly 403:
 * the code wins over the status.)
 */
function accountProblem({ status, code }: ApiFailure): string | undefined {
  const accountCode = code !== undefined && ACCOUNT_ERROR_CODES.has(code);
  if (!accountCode && !((status === 401 || status === 403 || status === 404) && !isMessageCode(code))) return undefined;
  if (status === 404 && !accountCode) return 'the Messages API was not found: check telnyx.apiBaseUrl';
  if (status === 401 || code === '10009' || code === '20002' || code === '20006') return 'Telnyx refused the API key: check telnyx.apiKey';
  return "Telnyx refused the account or sending number: check the account, the messaging profile and that the sender's number is on it";
}

/**
 * - 429, or code 10011: rate-limited, after Retry-After (else 1 s).
 * - code 40318 (the sending number's queue is full): rate-limited, after Retry-After (else 60 s).
 * - 5xx, 408, codes 10007 (unexpected error) / 10008 (request timeout): transient.
 * - account problems (above): transient AccountError; the messages wait for an admin.
 * - any other 4xx: permanent, with the code explained (40300 opted out, 40310 invalid 'to', ...).
 */
const RULES: FailureRules = {
  rateLimitCodes: new Set(['10011']),
  queueFullCodes: new Set(['40318']),
  transientCodes: new Set(['10007', '10008']),
  transientStatuses: new Set([408]),
  accountProblem,
  meanings: REST_ERROR_MEANINGS,
};

/** The gateway error for an unsuccessful Messages API response. The first entry of `errors` with a code decides. */
export function classifyApiError(
  httpStatus: number,
  errors: TelnyxApiError[],
  retryAfter: string | null | undefined,
  now = Date.now(),
): GatewayError {
  const first = errors.find((e) => e.code !== undefined) ?? errors[0];
  return classifyFailure(TELNYX, { status: httpStatus, ...first, retryAfter }, RULES, now);
}

/** A request that got no HTTP answer: always transient (see the kit's networkError). */
export function classifyNetworkError(err: unknown, signal: AbortSignal): GatewayError {
  return networkError(TELNYX, err, signal);
}
