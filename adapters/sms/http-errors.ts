/**
 * What HTTP-API SMS providers (Twilio, Telnyx) share when a request fails:
 * reading Retry-After, and typing a request that got no answer at all.
 */
import { TransientDeliveryError, type GatewayError } from '../../src/errors/registry.js';

/** Longest wait a provider's Retry-After may impose; beyond that the retry policy takes over. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS);
}

/**
 * The gateway error for a request that got no HTTP answer: connection refused
 * or reset, DNS failure, or the attempt's signal (timeout, shutdown). All
 * transient. A timeout leaves it unknown whether the provider created the
 * message, so a retry may send it twice; the message says so.
 */
export function networkError(provider: { id: string; name: string }, err: unknown, signal: AbortSignal): GatewayError {
  if (signal.aborted) {
    const why = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
    return new TransientDeliveryError(
      `${provider.id}: request abandoned (${why}); ${provider.name} may or may not have accepted the message`,
      { cause: err },
    );
  }
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  const code = cause !== undefined && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  const text = [err instanceof Error ? err.message : String(err), code ?? cause?.message].filter(Boolean).join(': ');
  return new TransientDeliveryError(`${provider.id}: cannot reach the API (${text})`, { cause: err });
}
