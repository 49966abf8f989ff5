/**
 * Retry policy for outbound deliveries: exponential backoff with full jitter,
 * capped, and a maximum age after which the gateway gives up and tells the
 * sender.
 */

export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before retry number `attempt` (1 = the first retry): a random value in
 * [d/2, d] where d = min(max, initial * 2^(attempt-1)). Half-jitter keeps the
 * spread while guaranteeing progress.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Whether a message accepted at `acceptedAt` is past its maximum age if retried after `nextDelayMs`. */
export function expiresBeforeRetry(acceptedAt: number, now: number, nextDelayMs: number, maxAgeMs: number): boolean {
  return now + nextDelayMs - acceptedAt > maxAgeMs;
}
