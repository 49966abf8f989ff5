/**
 * X-Twilio-Signature: how Twilio signs every webhook request it makes.
 * https://www.twilio.com/docs/usage/webhooks/webhooks-security
 *
 * signature = base64(HMAC-SHA1(authToken, url + k1 + v1 + k2 + v2 + ...))
 *
 * where `url` is the full URL Twilio called (scheme, host, port if any, path,
 * query string) and the POST parameters are sorted by name. A name that
 * appears more than once (`a=2&a=1&a=1`) contributes each distinct value once,
 * values sorted, as Twilio's own helper libraries do.
 *
 * Example (Twilio's documented vector): token `12345`, URL
 * `https://mycompany.com/myapp.php?foo=1&bar=2`, params CallSid=CA1234567890ABCDE,
 * Caller=+14158675309, Digits=1234, From=+14158675309, To=+18005551212
 * -> `RSOYDt4T1cUTdK1PDd93/VVr8B8=`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Form parameters as a form-body parser yields them: a repeated name gives an array. */
export type FormParams = Record<string, string | string[] | undefined>;

/** The string Twilio signs: the URL followed by every parameter name and value, sorted by name. */
export function signedPayload(url: string, params: FormParams): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    if (value === undefined) continue;
    const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
    for (const v of values) data += name + v;
  }
  return data;
}

export function twilioSignature(authToken: string, url: string, params: FormParams): string {
  return createHmac('sha1', authToken).update(signedPayload(url, params), 'utf8').digest('base64');
}

/**
 * The URL with its port written and without it: Twilio signs the URL exactly
 * as it was configured, which may or may not carry the default port, so its
 * helper libraries accept either form. Returns the URL first.
 */
export function urlVariants(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const defaultPort = parsed.protocol === 'https:' ? '443' : parsed.protocol === 'http:' ? '80' : '';
  const variants = [url];
  if (defaultPort === '') return variants;
  const authority = `${parsed.username}${parsed.password ? `:${parsed.password}` : ''}${parsed.username ? '@' : ''}`;
  const rest = `${parsed.pathname}${parsed.search}${parsed.hash}`;
  const withoutPort = `${parsed.protocol}//${authority}${parsed.hostname}${rest}`;
  const withPort = `${parsed.protocol}//${authority}${parsed.hostname}:${parsed.port || defaultPort}${rest}`;
  for (const v of [withoutPort, withPort]) if (!variants.includes(v)) variants.push(v);
  return variants;
}

/** Constant-time comparison of a received signature with the one expected for `url` and `params`. */
export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: FormParams,
  received: string | undefined,
): boolean {
  if (received === undefined || received === '') return false;
  const got = Buffer.from(received, 'utf8');
  let ok = false;
  for (const candidate of urlVariants(url)) {
    const expected = Buffer.from(twilioSignature(authToken, candidate, params), 'utf8');
    // timingSafeEqual needs equal lengths; a length mismatch reveals only the (public) signature length.
    if (expected.length === got.length && timingSafeEqual(expected, got)) ok = true;
  }
  return ok;
}
