/**
 * An unsuccessful provider API answer -> the gateway's delivery error:
 * rate-limited (the queue pauses for Retry-After), account (transient, waits
 * for an admin), permanent (an error stanza, no retry) or transient (retried
 * with backoff until the message's maximum age). Each provider supplies its
 * codes in {@link FailureRules}; the order of the checks and the wording are
 * the same for all.
 */
import {
  PermanentDeliveryError,
  RateLimitedError,
  TransientDeliveryError,
  type GatewayError,
} from '../../src/errors/registry.js';
import { AccountError } from './account.js';
import { explainCode, type CodeMeanings } from './codes.js';
import { parseRetryAfter } from './http-errors.js';
import type { ProviderName } from './provider.js';

/** An unsuccessful answer, reduced to what classification reads. */
export interface ApiFailure {
  status: number;
  /** The provider's error code, as text (`20429`, `40300`). */
  code?: string;
  /** The provider's short text (Twilio `message`, Telnyx `title`). */
  title?: string;
  /** More text, where the provider gives it (Telnyx `detail`). */
  detail?: string;
  /** The Retry-After header, if any. */
  retryAfter?: string | null;
}

/** What a provider knows about its own codes. */
export interface FailureRules {
  /** Codes that mean "slow down" under any HTTP status (besides 429), e.g. Twilio 20429. */
  rateLimitCodes?: ReadonlySet<string>;
  /** Codes that mean the sending number's queue at the provider is full: slow down for longer. */
  queueFullCodes?: ReadonlySet<string>;
  /** Codes that mean the provider itself failed, whatever the status. */
  transientCodes?: ReadonlySet<string>;
  /** 4xx statuses that still mean "try again" (Telnyx 408). 5xx always do. */
  transientStatuses?: ReadonlySet<number>;
  /** When the failure is about the account, not the message: what the admin should check. */
  accountProblem(failure: ApiFailure): string | undefined;
  /** Meanings of the codes a refused message may carry, for the error stanza. */
  meanings: CodeMeanings;
  /** Words for an answer that is neither success nor a 4xx/5xx (a 3xx): default "unexpected answer". */
  unexpectedAnswer?: string;
}

/** Wait when the provider asks us to slow down without saying for how long. */
export const DEFAULT_RETRY_AFTER_MS = 1000;
/** A full sending queue drains at the number's send rate: wait longer. */
export const QUEUE_FULL_RETRY_AFTER_MS = 60_000;

/** "HTTP 400, code 21610: text": the failure for logs and messages. */
export function describeFailure(f: ApiFailure): string {
  const code = f.code === undefined ? '' : `, code ${f.code}`;
  const text = [f.title, f.detail].filter((t) => t !== undefined && t !== '').join(': ');
  return `HTTP ${f.status}${code}${text === '' ? '' : `: ${text}`}`;
}

/**
 * The gateway error for an unsuccessful answer, checked in this order:
 *
 * 1. 429 or a rate-limit code: rate-limited after Retry-After (seconds or HTTP-date), else 1 s.
 * 2. a queue-full code: rate-limited after Retry-After, else 60 s.
 * 3. 5xx, a transient status or code: transient.
 * 4. an account problem: transient {@link AccountError}, saying what to check.
 * 5. any other 4xx: permanent, the code explained from `meanings`.
 * 6. anything else: transient.
 */
export function classifyFailure(provider: ProviderName, f: ApiFailure, rules: FailureRules, now = Date.now()): GatewayError {
  const detail = describeFailure(f);
  const code = f.code;
  const has = (set: ReadonlySet<string> | undefined) => code !== undefined && set !== undefined && set.has(code);
  if (f.status === 429 || has(rules.rateLimitCodes)) {
    const wait = parseRetryAfter(f.retryAfter, now) ?? DEFAULT_RETRY_AFTER_MS;
    return new RateLimitedError(`${provider.id}: too many requests, retrying in ${wait} ms (${detail})`, Math.max(wait, 1));
  }
  if (has(rules.queueFullCodes)) {
    const wait = parseRetryAfter(f.retryAfter, now) ?? QUEUE_FULL_RETRY_AFTER_MS;
    return new RateLimitedError(
      `${provider.id}: the sending number has too many messages queued at ${provider.name}, retrying in ${wait} ms (${detail})`,
      Math.max(wait, 1),
    );
  }
  if (f.status >= 500 || rules.transientStatuses?.has(f.status) === true || has(rules.transientCodes)) {
    return new TransientDeliveryError(`${provider.id}: provider error (${detail})`);
  }
  const account = rules.accountProblem(f);
  if (account !== undefined) {
    return new AccountError(`${provider.id}: ${account} (${detail}); the message waits and is retried`, f.status);
  }
  if (f.status >= 400 && f.status < 500) {
    const providerText = [f.title, f.detail].filter((t): t is string => t !== undefined && t !== '').join(': ');
    const reason =
      code === undefined
        ? `${f.title ?? `${provider.name} refused the message`} (HTTP ${f.status})`
        : explainCode(provider.name, rules.meanings, code, providerText);
    return new PermanentDeliveryError(`not sent: ${reason}`);
  }
  return new TransientDeliveryError(`${provider.id}: ${rules.unexpectedAnswer ?? 'unexpected answer'} (${detail})`);
}
