/** How Twilio Messages API failures become gateway errors (adapters/sms/twilio/errors.ts) and statuses become events. */
import { describe, expect, it } from 'vitest';
import { AccountError as TwilioAccountError } from '../../../../adapters/kit/account.js';
import { parseRetryAfter } from '../../../../adapters/kit/http-errors.js';
import { classifyApiError, classifyNetworkError, parseApiError } from '../../../../adapters/sms/twilio/errors.js';
import { deliveryStatusOf } from '../../../../adapters/sms/twilio/status.js';
import { GatewayError, PermanentDeliveryError, RateLimitedError, TransientDeliveryError } from '../../../../src/errors/registry.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');

describe('Twilio API error classification', () => {
  it.each([
    // [http status, twilio code, Retry-After, class, code, retryAfterMs, message contains]
    [400, 21610, null, PermanentDeliveryError, 'DELIVERY_REJECTED', undefined, 'the recipient has opted out (replied STOP)'],
    [400, 21211, null, PermanentDeliveryError, 'DELIVERY_REJECTED', undefined, "not a valid phone number (Twilio error 21211)"],
    [400, 21408, null, PermanentDeliveryError, 'DELIVERY_REJECTED', undefined, 'Twilio error 21408'],
    [400, 21606, null, PermanentDeliveryError, 'DELIVERY_REJECTED', undefined, 'Twilio error 21606'],
    [400, 21614, null, PermanentDeliveryError, 'DELIVERY_REJECTED', undefined, 'not a mobile number'],
    [400, 21612, null, PermanentDeliveryError, 'DELIVERY_REJECTED', undefined, 'Twilio error 21612'],
    [400, 29999, null, PermanentDeliveryError, 'DELIVERY_REJECTED', undefined, 'scripted text (Twilio error 29999)'],
    [413, undefined, null, PermanentDeliveryError, 'DELIVERY_REJECTED', undefined, 'HTTP 413'],
    [429, 20429, null, RateLimitedError, 'RATE_LIMITED', 1000, 'too many requests'],
    [429, 20429, '7', RateLimitedError, 'RATE_LIMITED', 7000, 'retrying in 7000 ms'],
    [429, undefined, 'Wed, 01 May 2024 12:00:30 GMT', RateLimitedError, 'RATE_LIMITED', 30_000, 'HTTP 429'],
    [400, 20429, null, RateLimitedError, 'RATE_LIMITED', 1000, 'code 20429'],
    [400, 21611, null, RateLimitedError, 'RATE_LIMITED', 60_000, 'too many messages queued'],
    [401, 20003, null, TwilioAccountError, 'PROVIDER_TRANSIENT', undefined, 'check twilio.accountSid and twilio.authToken'],
    [403, 20403, null, TwilioAccountError, 'PROVIDER_TRANSIENT', undefined, 'HTTP 403'],
    [404, 20404, null, TwilioAccountError, 'PROVIDER_TRANSIENT', undefined, 'twilio.apiBaseUrl'],
    [500, 20500, null, TransientDeliveryError, 'PROVIDER_TRANSIENT', undefined, 'HTTP 500'],
    [503, undefined, null, TransientDeliveryError, 'PROVIDER_TRANSIENT', undefined, 'HTTP 503'],
    [302, undefined, null, TransientDeliveryError, 'PROVIDER_TRANSIENT', undefined, 'HTTP 302'],
  ] as const)('HTTP %s, code %s, Retry-After %s', (status, code, retryAfter, cls, gwCode, waitMs, text) => {
    const err = classifyApiError(status, { ...(code === undefined ? {} : { code }), message: 'scripted text' }, retryAfter, NOW);
    expect(err).toBeInstanceOf(cls);
    expect(err.code).toBe(gwCode);
    expect(err.retryAfterMs).toBe(waitMs);
    expect(err.message).toContain(text);
  });

  it('retries credential problems (transient) rather than failing the messages', () => {
    const err = classifyApiError(401, { code: 20003, message: 'Authenticate' }, null);
    expect(err.spec.retryable).toBe(true);
    expect(err.message).toMatch(/waits and is retried/);
  });

  it('says plainly why a permanent failure happened, for the error stanza', () => {
    expect(classifyApiError(400, { code: 21610, message: 'Attempt to send to unsubscribed recipient' }, null).message).toBe(
      'not sent: the recipient has opted out (replied STOP) and receives nothing from this number until they text START (Twilio error 21610)',
    );
  });

  it('reads Retry-After as seconds or an HTTP date, ignoring junk', () => {
    expect(parseRetryAfter('3', NOW)).toBe(3000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('Wed, 01 May 2024 12:01:00 GMT', NOW)).toBe(60_000);
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('999999', NOW)).toBe(3_600_000);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(classifyApiError(429, {}, '0', NOW).retryAfterMs).toBeGreaterThan(0);
  });

  it("reads Twilio's error JSON and tolerates anything else", () => {
    expect(parseApiError('{"code":21211,"message":"Invalid","more_info":"https://www.twilio.com/docs/errors/21211","status":400}')).toEqual({
      code: 21211,
      message: 'Invalid',
      more_info: 'https://www.twilio.com/docs/errors/21211',
      status: 400,
    });
    expect(parseApiError('{"code":"21610"}')).toEqual({ code: 21610 });
    expect(parseApiError('<html>Bad gateway</html>')).toEqual({});
    expect(parseApiError('null')).toEqual({});
  });

  it('treats network failures and abandoned attempts as transient', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const err = classifyNetworkError(refused, new AbortController().signal);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.message).toBe('twilio: cannot reach the API (fetch failed: ECONNREFUSED)');
    const ac = new AbortController();
    ac.abort(new Error('attempt timed out'));
    const abandoned = classifyNetworkError(ac.signal.reason, ac.signal);
    expect(abandoned).toBeInstanceOf(GatewayError);
    expect(abandoned.spec.retryable).toBe(true);
    expect(abandoned.message).toMatch(/attempt timed out.*may or may not have accepted/);
  });
});

describe('Twilio status callbacks', () => {
  const sid = 'SM0123456789abcdef0123456789abcdef';

  it('reports delivered', () => {
    expect(deliveryStatusOf({ MessageSid: sid, MessageStatus: 'delivered' })).toEqual({
      kind: 'status',
      providerMessageId: sid,
      status: 'delivered',
    });
  });

  it.each([
    ['undelivered', '30003', 'the handset is unreachable (switched off, out of coverage, or cannot receive SMS) (Twilio error 30003)'],
    ['undelivered', '30005', 'the destination number is unknown or no longer in service (Twilio error 30005)'],
    ['failed', '30006', 'the number is a landline or its carrier cannot be reached (Twilio error 30006)'],
    ['undelivered', '30007', 'the carrier filtered the message (spam or content filtering) (Twilio error 30007)'],
    ['failed', '30999', 'no details given (Twilio error 30999)'],
    ['failed', undefined, 'Twilio reported the message failed without an error code'],
  ])('reports %s with ErrorCode %s as failed, explained', (status, code, reason) => {
    expect(deliveryStatusOf({ MessageSid: sid, MessageStatus: status, ...(code === undefined ? {} : { ErrorCode: code }) })).toEqual({
      kind: 'status',
      providerMessageId: sid,
      status: 'failed',
      reason,
    });
  });

  it.each(['accepted', 'scheduled', 'queued', 'sending', 'sent', 'read', 'receiving', 'received', 'partially_delivered', 'whatever'])(
    'ignores %s',
    (status) => {
      expect(deliveryStatusOf({ MessageSid: sid, MessageStatus: status })).toBeUndefined();
    },
  );
});
