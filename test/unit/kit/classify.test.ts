/** The kit's classification of unsuccessful provider answers (adapters/kit/classify.ts), with a made-up provider's rules. */
import { describe, expect, it } from 'vitest';
import { AccountError } from '../../../adapters/kit/account.js';
import { classifyFailure, describeFailure, type FailureRules } from '../../../adapters/kit/classify.js';
import { parseRetryAfter } from '../../../adapters/kit/http-errors.js';
import { PermanentDeliveryError, RateLimitedError, TransientDeliveryError } from '../../../src/errors/registry.js';

const NOW = Date.parse('2025-03-01T10:00:00Z');
const ACME = { id: 'acme', name: 'Acme' };
const RULES: FailureRules = {
  rateLimitCodes: new Set(['900']),
  queueFullCodes: new Set(['901']),
  transientCodes: new Set(['902']),
  transientStatuses: new Set([408]),
  accountProblem: ({ status }) => (status === 401 ? 'Acme refused the key: check acme.key' : undefined),
  meanings: { '100': 'the number is not valid' },
};

describe('classifyFailure', () => {
  it('rate-limits a 429 for Retry-After in seconds', () => {
    const err = classifyFailure(ACME, { status: 429, retryAfter: '12' }, RULES, NOW);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfterMs).toBe(12_000);
    expect(err.message).toBe('acme: too many requests, retrying in 12000 ms (HTTP 429)');
  });

  it('rate-limits a 429 for Retry-After as an HTTP-date, and 1 s without one', () => {
    expect(classifyFailure(ACME, { status: 429, retryAfter: 'Sat, 01 Mar 2025 10:00:45 GMT' }, RULES, NOW).retryAfterMs).toBe(45_000);
    expect(classifyFailure(ACME, { status: 429, retryAfter: 'Sat, 01 Mar 2025 09:00:00 GMT' }, RULES, NOW).retryAfterMs).toBe(1);
    expect(classifyFailure(ACME, { status: 429 }, RULES, NOW).retryAfterMs).toBe(1000);
  });

  it('rate-limits a provider rate-limit code under any status, and a queue-full code for 60 s', () => {
    const code = classifyFailure(ACME, { status: 400, code: '900', title: 'slow down' }, RULES, NOW);
    expect(code).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 1000, message: expect.stringContaining('HTTP 400, code 900: slow down') });
    const full = classifyFailure(ACME, { status: 400, code: '901' }, RULES, NOW);
    expect(full).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 60_000, message: expect.stringContaining('too many messages queued at Acme') });
  });

  it('retries 5xx, transient statuses and codes', () => {
    for (const failure of [{ status: 500 }, { status: 503, code: '1' }, { status: 408 }, { status: 400, code: '902' }]) {
      const err = classifyFailure(ACME, failure, RULES, NOW);
      expect(err, JSON.stringify(failure)).toBeInstanceOf(TransientDeliveryError);
      expect(err.message).toMatch(/^acme: provider error \(HTTP \d+/);
    }
  });

  it('makes an account problem a transient AccountError saying what to check', () => {
    const err = classifyFailure(ACME, { status: 401 }, RULES, NOW);
    expect(err).toBeInstanceOf(AccountError);
    expect(err).toMatchObject({ code: 'PROVIDER_TRANSIENT', httpStatus: 401 });
    expect(err.message).toBe('acme: Acme refused the key: check acme.key (HTTP 401); the message waits and is retried');
  });

  it('refuses other 4xx for good, explaining the code from the table, else the provider’s text', () => {
    const known = classifyFailure(ACME, { status: 400, code: '100', title: 'Invalid' }, RULES, NOW);
    expect(known).toBeInstanceOf(PermanentDeliveryError);
    expect(known.message).toBe('not sent: the number is not valid (Acme error 100)');
    expect(classifyFailure(ACME, { status: 400, code: '7', title: 'New', detail: 'words' }, RULES, NOW).message).toBe('not sent: New: words (Acme error 7)');
    expect(classifyFailure(ACME, { status: 422 }, RULES, NOW).message).toBe('not sent: Acme refused the message (HTTP 422)');
  });

  it('retries an answer that is neither success nor 4xx/5xx, in the provider’s words', () => {
    expect(classifyFailure(ACME, { status: 302 }, RULES, NOW).message).toBe('acme: unexpected answer (HTTP 302)');
    expect(classifyFailure(ACME, { status: 302 }, { ...RULES, unexpectedAnswer: 'provider error' }, NOW).message).toBe('acme: provider error (HTTP 302)');
  });

  it('describes a failure with its code and texts', () => {
    expect(describeFailure({ status: 400, code: '5', title: 'a', detail: '' })).toBe('HTTP 400, code 5: a');
    expect(describeFailure({ status: 500 })).toBe('HTTP 500');
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP-dates, caps at an hour, ignores the unreadable', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('Sat, 01 Mar 2025 10:02:00 GMT', NOW)).toBe(120_000);
    expect(parseRetryAfter('86400', NOW)).toBe(3_600_000);
    expect(parseRetryAfter('in a minute', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});
