/**
 * Exponential backoff with half jitter, capped: the one delay rule for every
 * retry in the gateway — XMPP and SMPP reconnects, outbound delivery retries.
 */

export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before try number `attempt` (1 = the first retry): a random value in
 * [d/2, d] where d = min(max, initial * 2^(attempt-1)). Half jitter keeps the
 * spread (no thundering herd after an outage) while guaranteeing progress.
 */
export function jitteredBackoff(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
