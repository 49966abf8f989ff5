/**
 * What every HTTP-API provider shares when a request fails: reading
 * Retry-After, and typing a request that got no answer at all.
 */
import { TransientDeliveryError, type GatewayError } from '../../src/errors/registry.js';
import { abortReason } from './abort.js';
import type { ProviderName } from './provider.js';

/** Longest wait a provider's Retry-After may impose; beyond that the retry policy takes over. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable.
 *
 * @example parseRetryAfter('7') // 7000
 * @example parseRetryAfter('Wed, 01 May 2024 12:00:30 GMT', Date.parse('2024-05-01T12:00:00Z')) // 30000
 */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS);
}

/** The system or undici code of a transport failure (`ECONNREFUSED`, `UND_ERR_SOCKET`), on the error or its cause. */
function transportCode(err: unknown): string | undefined {
  for (const e of [err, err instanceof Error ? err.cause : undefined]) {
    if (e instanceof Error && 'code' in e && typeof e.code === 'string') return e.code;
  }
  return undefined;
}

/**
 * The gateway error for a request that got no HTTP answer: connection refused
 * or reset, DNS failure, or the attempt's signal (timeout, shutdown). All
 * transient. A timeout leaves it unknown whether the provider created the
 * message, so a retry may send it twice; the message says so.
 *
 * The text reads "cannot reach the API (fetch failed: ECONNREFUSED)", as it
 * did when the client was global fetch: operators and alerts know it.
 */
export function networkError(provider: ProviderName, err: unknown, signal: AbortSignal): GatewayError {
  if (signal.aborted) {
    return new TransientDeliveryError(
      `${provider.id}: request abandoned (${abortReason(signal)}); ${provider.name} may or may not have accepted the message`,
      { cause: err },
    );
  }
  const code = transportCode(err);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  const detail = code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  const text = detail === '' || detail === 'fetch failed' ? 'fetch failed' : `fetch failed: ${detail}`;
  return new TransientDeliveryError(`${provider.id}: cannot reach the API (${text})`, { cause: err });
}
