/**
 * An endpoint's unsuccessful answer -> the gateway's delivery error. The
 * kit's order (classify.ts) with webhook rules: 429 and 503 honour
 * Retry-After; 410 disables the endpoint (the adapter does that); 408 and
 * 5xx are retried; a redirect is not followed; any other 4xx is permanent and
 * the endpoint's own text reaches the sender.
 */
import { GatewayError, PermanentDeliveryError } from '../../../src/errors/registry.js';
import { classifyFailure, type FailureRules } from '../../kit/classify.js';
import type { ProviderResponse } from '../../kit/http-client.js';
import { parseRetryAfter } from '../../kit/http-errors.js';


/** Longest piece of an endpoint's answer quoted to the sender. */
const MAX_QUOTED_CHARS = 300;

/** The answer's text, one line, bounded. */
export function quoted(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= MAX_QUOTED_CHARS ? line : `${line.slice(0, MAX_QUOTED_CHARS)}…`;
}

const RULES: FailureRules = {
  transientStatuses: new Set([408, 425]),
  accountProblem: () => undefined,
  meanings: {},
  unexpectedAnswer: 'unexpected answer',
};

/** The error for an unsuccessful answer from endpoint `name` (never 2xx, never 410: the adapter handles those). */
export function endpointFailure(name: string, res: ProviderResponse, now = Date.now()): GatewayError {
  const text = quoted(res.text);
  if (res.status >= 300 && res.status < 400) {
    const to = res.header('location');
    return new PermanentDeliveryError(`not sent: endpoint ${name} answered a redirect (HTTP ${res.status}${to ? ` to ${quoted(to)}` : ''}); the gateway does not follow redirects, so its URL must be fixed in the config`);
  }
  if (res.status === 503) {
    const wait = parseRetryAfter(res.header('retry-after'), now);
    if (wait !== undefined) {
      return new GatewayError('PROVIDER_TRANSIENT', `webhook: endpoint ${name} is unavailable (HTTP 503), retrying in ${wait} ms as it asked`, { retryAfterMs: Math.max(wait, 1) });
    }
  }
  if (res.status >= 400 && res.status < 500 && res.status !== 429 && !RULES.transientStatuses?.has(res.status)) {
    return new PermanentDeliveryError(`not sent: endpoint ${name} refused the message (HTTP ${res.status})${text === '' ? '' : `: ${text}`}`);
  }
  return classifyFailure(
    { id: 'webhook', name: `Endpoint ${name}` },
    { status: res.status, ...(text === '' ? {} : { title: text }), retryAfter: res.header('retry-after') ?? null },
    RULES,
    now,
  );
}
