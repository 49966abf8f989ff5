/**
 * Telnyx webhook signatures (Ed25519 over `${timestamp}|${raw body}`), checked
 * against requests signed by the double's independent signing code.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkTelnyxSignature, telnyxPublicKey, TIMESTAMP_TOLERANCE_SECONDS } from '../../../../adapters/sms/telnyx/signature.js';
import { rawPublicKeyBase64, signTelnyxWebhook, type SigningOptions } from '../../../doubles/telnyx.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const portalKey = rawPublicKeyBase64(publicKey);
const key = telnyxPublicKey(portalKey);
const NOW = 1_750_000_000_000;
const nowSeconds = NOW / 1000;
const body = '{"data":{"event_type":"message.received","payload":{"id":"7ee4241c","text":"héllo ✓"}}}';

function check(opts: SigningOptions = {}, rawBody: string | Buffer = body, now = NOW) {
  const hook = signTelnyxWebhook(privateKey, body, { timestamp: nowSeconds, ...opts });
  return checkTelnyxSignature(key, rawBody, {
    signature: hook.headers['telnyx-signature-ed25519'],
    timestamp: hook.headers['telnyx-timestamp'],
  }, now);
}

describe('Telnyx public key', () => {
  it('takes the raw 32-byte key as the portal shows it, and the SPKI DER form', () => {
    expect(Buffer.from(portalKey, 'base64')).toHaveLength(32);
    const der = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(telnyxPublicKey(der).equals(key)).toBe(true);
    expect(telnyxPublicKey(` ${portalKey}\n`).equals(key)).toBe(true);
  });

  it('refuses anything else, saying why', () => {
    expect(() => telnyxPublicKey(Buffer.alloc(31).toString('base64'))).toThrow(/31 bytes after base64 decoding, expected 32/);
    expect(() => telnyxPublicKey('')).toThrow(/0 bytes/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' });
    expect(() => telnyxPublicKey(rsa.toString('base64'))).toThrow(/not an Ed25519 public key/);
  });
});

describe('checkTelnyxSignature', () => {
  it('accepts a request signed by the account key over the exact bytes, as string or Buffer', () => {
    expect(check()).toEqual({ ok: true });
    expect(check({}, Buffer.from(body, 'utf8'))).toEqual({ ok: true });
  });

  it('refuses a corrupted signature', () => {
    expect(check({ signature: 'corrupt' })).toEqual({ ok: false, reason: expect.stringMatching(/does not verify/) });
  });

  it('refuses a signature made with another key', () => {
    expect(check({ signature: 'wrong-key' })).toEqual({ ok: false, reason: expect.stringMatching(/does not verify with telnyx.publicKey/) });
  });

  it('refuses a body changed after signing, even one that parses to the same JSON', () => {
    expect(check({}, body.replace('héllo', 'hello')).ok).toBe(false);
    expect(check({}, JSON.stringify(JSON.parse(body), null, 1)).ok).toBe(false);
  });

  it('refuses missing headers', () => {
    expect(check({ signature: 'omit' })).toEqual({ ok: false, reason: 'telnyx-signature-ed25519 is missing' });
    expect(check({ omitTimestamp: true })).toEqual({ ok: false, reason: 'telnyx-timestamp is missing' });
    expect(checkTelnyxSignature(key, body, { signature: '', timestamp: '' }, NOW).ok).toBe(false);
  });

  it('refuses malformed headers without trying to verify', () => {
    const good = signTelnyxWebhook(privateKey, body, { timestamp: nowSeconds }).headers;
    const signature = good['telnyx-signature-ed25519'];
    expect(checkTelnyxSignature(key, body, { signature, timestamp: '17e8' }, NOW)).toEqual({ ok: false, reason: 'telnyx-timestamp is not a Unix time' });
    expect(checkTelnyxSignature(key, body, { signature: 'not base64!', timestamp: String(nowSeconds) }, NOW)).toEqual({
      ok: false,
      reason: 'telnyx-signature-ed25519 is not a base64 Ed25519 signature',
    });
    expect(checkTelnyxSignature(key, body, { signature: Buffer.alloc(32).toString('base64'), timestamp: String(nowSeconds) }, NOW).ok).toBe(false);
  });

  it('allows the timestamp 5 minutes either way of now, and no more', () => {
    const at = (offset: number) => check({ timestamp: nowSeconds + offset });
    expect(TIMESTAMP_TOLERANCE_SECONDS).toBe(300);
    expect(at(-300)).toEqual({ ok: true });
    expect(at(300)).toEqual({ ok: true });
    expect(at(-301)).toEqual({ ok: false, reason: 'telnyx-timestamp is 301 s old (allowed: 300 s either way)' });
    expect(at(301)).toEqual({ ok: false, reason: 'telnyx-timestamp is 301 s in the future (allowed: 300 s either way)' });
    expect(at(-86_400).ok).toBe(false);
  });

  it('binds the signature to its timestamp: a valid signature replayed with a fresh timestamp fails', () => {
    const old = signTelnyxWebhook(privateKey, body, { timestamp: nowSeconds - 3600 }).headers;
    expect(
      checkTelnyxSignature(key, body, { signature: old['telnyx-signature-ed25519'], timestamp: String(nowSeconds) }, NOW),
    ).toEqual({ ok: false, reason: expect.stringMatching(/does not verify/) });
  });
});
