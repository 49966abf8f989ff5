/**
 * SMS body rules: count segments the way carriers bill them (GSM-7 160/153,
 * UCS-2 70/67, one non-GSM character switching the whole text) and refuse
 * texts above the configured maximum with a reason the user can act on.
 */
import type { SmsComponentConfig } from '../../config/schema.js';
import { GatewayError } from '../../errors/registry.js';
import type { GatewayMetrics } from '../../metrics.js';
import { countSegments } from './segments.js';

export function smsBodyCheck(c: SmsComponentConfig) {
  const max = c.limits.maxSegments;
  return (body: string): Record<string, unknown> => {
    const { encoding, segments, units } = countSegments(body);
    if (segments > max) {
      const why = encoding === 'ucs2' ? ' (it contains characters outside the GSM alphabet, so each segment holds 67)' : '';
      throw new GatewayError('BODY_INVALID', `the text needs ${segments} SMS segments${why}; ${c.domain} sends at most ${max}`);
    }
    return { segments, encoding, units };
  };
}

/**
 * What a message costs against the daily cap and the send rate, as the
 * provider bills it: a text, one unit per segment; an MMS (media attached),
 * one unit, since Twilio and Telnyx bill an MMS per message, body included.
 */
export function smsCost(body: string, mediaUrls: readonly string[]): number {
  return mediaUrls.length > 0 ? 1 : countSegments(body).segments;
}

/**
 * Counts the segments of a message stored for sending, from smsBodyCheck's
 * facts. Counted at checkBody, a message refused afterwards (daily cap, rate,
 * no number) or retransmitted was counted as if it would be sent.
 */
export function countQueuedSegments(c: SmsComponentConfig, metrics: GatewayMetrics) {
  return (facts: Record<string, unknown>): void => {
    if (typeof facts.segments !== 'number' || typeof facts.encoding !== 'string') return;
    metrics.at(metrics.smsSegments, c.domain, facts.encoding).inc(facts.segments);
  };
}
