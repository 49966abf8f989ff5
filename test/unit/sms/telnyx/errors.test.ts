/** How failed Telnyx Messaging API calls become the gateway's typed delivery errors. */
import { describe, expect, it } from 'vitest';
import { AccountError as TelnyxAccountError } from '../../../../adapters/kit/account.js';
import { parseRetryAfter } from '../../../../adapters/kit/http-errors.js';
import { classifyApiError, classifyNetworkError, parseApiErrors, type TelnyxApiError } from '../../../../adapters/sms/telnyx/errors.js';
import { GatewayError } from '../../../../src/errors/registry.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const err = (code: string, title = `title ${code}`, detail?: string): TelnyxApiError[] => [
  { code, title, ...(detail === undefined ? {} : { detail }) },
];

describe('classifyApiError', () => {
  it.each<[string, number, TelnyxApiError[], string | null, string, number | undefined, RegExp]>([
    // rate limits
    ['429 with Retry-After seconds', 429, err('10011', 'Too many requests'), '7', 'RATE_LIMITED', 7000, /too many requests/],
    ['429 with an HTTP-date', 429, [], 'Sun, 01 Jun 2025 12:00:30 GMT', 'RATE_LIMITED', 30_000, /retrying in 30000 ms/],
    ['429 without Retry-After', 429, [], null, 'RATE_LIMITED', 1000, /HTTP 429/],
    ['code 10011 under another status', 400, err('10011'), null, 'RATE_LIMITED', 1000, /code 10011/],
    ['40318 queue full', 400, err('40318', 'Message queue full'), null, 'RATE_LIMITED', 60_000, /too many messages queued/],
    // the message itself is refused: permanent
    ['40300 opted out (STOP)', 400, err('40300', 'Blocked due to STOP message', "Messages cannot be sent from '+1' to '+2'"), null, 'DELIVERY_REJECTED', undefined, /^not sent: the recipient has opted out \(replied STOP\).*\(Telnyx error 40300\)$/],
    ['40300 answered 403: the code wins over the status', 403, err('40300', 'Blocked due to STOP message'), null, 'DELIVERY_REJECTED', undefined, /opted out/],
    ['40310 invalid to', 400, err('40310', "Invalid 'to' address"), null, 'DELIVERY_REJECTED', undefined, /'to' address is not a valid phone number.*40310/],
    ['40316 no content', 400, err('40316'), null, 'DELIVERY_REJECTED', undefined, /no text and no media/],
    ['unknown 403xx code: Telnyx title and detail', 400, err('40399', 'Something new', 'more words'), null, 'DELIVERY_REJECTED', undefined, /^not sent: Something new: more words \(Telnyx error 40399\)$/],
    ['422 missing parameter', 422, err('10004', 'Missing required parameter'), null, 'DELIVERY_REJECTED', undefined, /required field is missing.*10004/],
    ['422 without a code', 422, [{ title: 'Unprocessable' }], null, 'DELIVERY_REJECTED', undefined, /^not sent: Unprocessable \(HTTP 422\)$/],
    ['400 with no body', 400, [], null, 'DELIVERY_REJECTED', undefined, /Telnyx refused the message \(HTTP 400\)/],
    // the account / key / profile / number: transient, waits for an admin
    ['401 bad key', 401, err('10009', 'Authentication failed'), null, 'PROVIDER_TRANSIENT', undefined, /refused the API key: check telnyx.apiKey.*waits and is retried/],
    ['401 without a body', 401, [], null, 'PROVIDER_TRANSIENT', undefined, /telnyx.apiKey/],
    ['403 not authorized', 403, err('10010', 'Authorization failed'), null, 'PROVIDER_TRANSIENT', undefined, /account or sending number/],
    ['403 without a code', 403, [], null, 'PROVIDER_TRANSIENT', undefined, /account or sending number/],
    ['404 wrong base URL', 404, [], null, 'PROVIDER_TRANSIENT', undefined, /telnyx.apiBaseUrl/],
    ['20100 insufficient funds', 402, err('20100', 'Insufficient funds'), null, 'PROVIDER_TRANSIENT', undefined, /Insufficient funds/],
    ['40305 from not on the account', 400, err('40305', "Invalid 'from' address"), null, 'PROVIDER_TRANSIENT', undefined, /sending number/],
    ['40312 profile disabled', 400, err('40312'), null, 'PROVIDER_TRANSIENT', undefined, /messaging profile/],
    // Telnyx failing
    ['500', 500, err('10007', 'Unexpected error'), null, 'PROVIDER_TRANSIENT', undefined, /provider error \(HTTP 500, code 10007/],
    ['503 without a body', 503, [], null, 'PROVIDER_TRANSIENT', undefined, /HTTP 503/],
    ['408', 408, [], null, 'PROVIDER_TRANSIENT', undefined, /HTTP 408/],
    ['10008 request timeout under 400', 400, err('10008'), null, 'PROVIDER_TRANSIENT', undefined, /code 10008/],
  ])('%s', (_name, status, errors, retryAfter, code, retryAfterMs, message) => {
    const e = classifyApiError(status, errors, retryAfter, NOW);
    expect(e).toBeInstanceOf(GatewayError);
    expect(e.code).toBe(code);
    expect(e.retryAfterMs).toBe(retryAfterMs);
    expect(e.message).toMatch(message);
    expect(e.spec.retryable).toBe(code !== 'DELIVERY_REJECTED');
  });

  it('marks account problems so the adapter can log them and report them in health', () => {
    const e = classifyApiError(401, err('10009'), null, NOW);
    expect(e).toBeInstanceOf(TelnyxAccountError);
    expect((e as TelnyxAccountError).httpStatus).toBe(401);
    expect(classifyApiError(400, err('40310'), null, NOW)).not.toBeInstanceOf(TelnyxAccountError);
    expect(classifyApiError(500, [], null, NOW)).not.toBeInstanceOf(TelnyxAccountError);
  });

  it('decides on the first error that carries a code', () => {
    expect(classifyApiError(400, [{ title: 'no code' }, { code: '40300' }], null, NOW).message).toMatch(/opted out/);
  });
});

describe('parseApiErrors', () => {
  it("reads Telnyx's errors array, codes as strings", () => {
    const body = JSON.stringify({ errors: [{ code: '40300', title: 'Blocked due to STOP message', detail: 'd', meta: {} }, { code: 10011 }, 'junk'] });
    expect(parseApiErrors(body)).toEqual([{ code: '40300', title: 'Blocked due to STOP message', detail: 'd' }, { code: '10011' }]);
  });

  it('yields nothing for other bodies', () => {
    expect(parseApiErrors('<html>Bad Gateway</html>')).toEqual([]);
    expect(parseApiErrors('{"message":"x"}')).toEqual([]);
    expect(parseApiErrors('null')).toEqual([]);
    expect(parseApiErrors('')).toEqual([]);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP-dates, caps at an hour, ignores garbage', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 12 ', NOW)).toBe(12_000);
    expect(parseRetryAfter('999999', NOW)).toBe(3_600_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:59:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
  });
});

describe('classifyNetworkError', () => {
  it('is transient; an abandoned request says the message may have gone out', () => {
    const ac = new AbortController();
    ac.abort(new Error('attempt timed out after 10000 ms'));
    const aborted = classifyNetworkError(new DOMException('aborted', 'AbortError'), ac.signal);
    expect(aborted.code).toBe('PROVIDER_TRANSIENT');
    expect(aborted.message).toMatch(/attempt timed out after 10000 ms.*may or may not have accepted/);

    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const net = classifyNetworkError(new TypeError('fetch failed', { cause: refused }), new AbortController().signal);
    expect(net.code).toBe('PROVIDER_TRANSIENT');
    expect(net.message).toBe('telnyx: cannot reach the API (fetch failed: ECONNREFUSED)');
  });
});
