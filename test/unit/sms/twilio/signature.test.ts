/** X-Twilio-Signature (adapters/sms/twilio/signature.ts) against Twilio's published vectors and an independent computation. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedPayload, twilioSignature, urlVariants, verifyTwilioSignature } from '../../../../adapters/sms/twilio/signature.js';

// Twilio's documented example (webhooks security docs; the helper libraries test against it).
const TOKEN = '12345';
const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const DOCUMENTED = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';

describe('Twilio request signature', () => {
  it("reproduces Twilio's documented example", () => {
    expect(twilioSignature(TOKEN, URL_, PARAMS)).toBe(DOCUMENTED);
    expect(verifyTwilioSignature(TOKEN, URL_, PARAMS, DOCUMENTED)).toBe(true);
  });

  it('does not depend on the order the parameters arrive in', () => {
    const reversed = Object.fromEntries(Object.entries(PARAMS).reverse());
    expect(twilioSignature(TOKEN, URL_, reversed)).toBe(DOCUMENTED);
  });

  it("signs a repeated parameter's distinct values sorted, as Twilio's libraries do", () => {
    // Vector from Twilio's helper-library tests (Digits posted as 5678, 1234, 1234).
    const params = { Sid: 'CA123', SidAccount: 'AC123', Digits: ['5678', '1234', '1234'] };
    expect(signedPayload(URL_, params)).toBe(`${URL_}Digits1234Digits5678SidCA123SidAccountAC123`);
    expect(verifyTwilioSignature(TOKEN, URL_, params, 'IK+Dwps556ElfBT0I3Rgjkr1wJU=')).toBe(true);
  });

  it('matches an independent HMAC-SHA1 computation over url + sorted name/value pairs', () => {
    const token = 'f00dfacef00dfacef00dfacef00dface';
    const url = 'https://gw.example.org/webhooks/sms.example.org/messages';
    const params = { MessageSid: 'SM' + 'a'.repeat(32), Body: 'héllo wörld ✓ & = +', From: '+15551234567', To: '+15550001111', NumMedia: '0' };
    const keys = Object.keys(params).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let data = url;
    for (const k of keys) data = data.concat(k, params[k as keyof typeof params]);
    const independent = createHmac('sha1', Buffer.from(token)).update(Buffer.from(data, 'utf8')).digest().toString('base64');
    expect(twilioSignature(token, url, params)).toBe(independent);
    expect(verifyTwilioSignature(token, url, params, independent)).toBe(true);
  });

  it('accepts the URL with or without its port, as Twilio signs it as configured', () => {
    // Twilio library vectors: the same request signed with the default port written out.
    expect(verifyTwilioSignature(TOKEN, URL_, PARAMS, 'kvajT1Ptam85bY51eRf/AJRuM3w=')).toBe(true); // https :443
    expect(verifyTwilioSignature(TOKEN, URL_.replace('https', 'http'), PARAMS, '0ZXoZLH/DfblKGATFgpif+LLRf4=')).toBe(true); // http :80
    expect(verifyTwilioSignature(TOKEN, URL_.replace('.com', '.com:1234'), PARAMS, DOCUMENTED)).toBe(true);
    expect(urlVariants('http://127.0.0.1:1/x?a=1')).toEqual(['http://127.0.0.1:1/x?a=1', 'http://127.0.0.1/x?a=1']);
  });

  it.each([
    ['a tampered parameter', TOKEN, URL_, { ...PARAMS, Digits: '9999' }, DOCUMENTED],
    ['an added parameter', TOKEN, URL_, { ...PARAMS, Extra: '' }, DOCUMENTED],
    ['another URL', TOKEN, `${URL_}&baz=3`, PARAMS, DOCUMENTED],
    ['another path', TOKEN, 'https://mycompany.com/other.php?foo=1&bar=2', PARAMS, DOCUMENTED],
    ['the wrong auth token', 'wrong', URL_, PARAMS, DOCUMENTED],
    ['a signature of another length', TOKEN, URL_, PARAMS, 'RSOYDt4T1cUTdK1PDd93/VVr8B8'],
    ['a garbage signature', TOKEN, URL_, PARAMS, 'not base64 at all ✗'],
    ['an empty signature', TOKEN, URL_, PARAMS, ''],
    ['no signature', TOKEN, URL_, PARAMS, undefined],
  ])('rejects %s', (_what, token, url, params, signature) => {
    expect(verifyTwilioSignature(token, url, params, signature)).toBe(false);
  });
});
