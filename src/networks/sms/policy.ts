/**
 * SMS body rules: count segments the way carriers bill them (GSM-7 160/153,
 * UCS-2 70/67, one non-GSM character switching the whole text) and refuse
 * texts above the configured maximum with a reason the user can act on.
 */
import type { SmsComponentConfig } from '../../config/schema.js';
import { GatewayError } from '../../errors/registry.js';
import type { GatewayMetrics } from '../../metrics.js';
import { countSegments as segmentsOf } from './segments.js';

export function smsBodyCheck(c: SmsComponentConfig) {
  const max = c.limits.maxSegments;
  return (body: string): Record<string, unknown> => {
    const { encoding, segments, units } = segmentsOf(body);
    if (segments > max) {
      const why = encoding === 'ucs2' ? ' (it contains characters outside the GSM alphabet, so each segment holds 67)' : '';
      throw new GatewayError('BODY_INVALID', `the text needs ${segments} SMS segments${why}; ${c.domain} sends at most ${max}`);
    }
    return { segments, encoding, units };
  };
}

/**
 * Counts the segments of a message stored for sending, from smsBodyCheck's
 * facts. Counted at checkBody, a message refused afterwards (daily cap, rate,
 * no number) or retransmitted was counted as if it would be sent.
 */
export function countSegments(c: SmsComponentConfig, metrics: GatewayMetrics) {
  return (facts: Record<string, unknown>): void => {
    if (typeof facts.segments !== 'number' || typeof facts.encoding !== 'string') return;
    metrics.smsSegments.inc({ domain: c.domain, encoding: facts.encoding }, facts.segments);
  };
}
