/**
 * Retry policy for outbound deliveries: the gateway's backoff (`src/backoff.ts`)
 * and a maximum age after which the gateway gives up and tells the
 * sender.
 */

export { jitteredBackoff as backoffDelay, type BackoffPolicy } from '../backoff.js';

/** Whether a message accepted at `acceptedAt` is past its maximum age if retried after `nextDelayMs`. */
export function expiresBeforeRetry(acceptedAt: number, now: number, nextDelayMs: number, maxAgeMs: number): boolean {
  return now + nextDelayMs - acceptedAt > maxAgeMs;
}
