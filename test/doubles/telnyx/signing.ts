/**
 * Telnyx webhook signing (https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks):
 * Ed25519 over `${telnyx-timestamp}|${body}`, the signature base64 in
 * `telnyx-signature-ed25519`. Written independently of the adapter's check, on purpose.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface SigningOptions {
  /** 'valid' (default), 'corrupt' (one byte flipped), 'wrong-key' (signed by another key), or 'omit' (no header). */
  signature?: 'valid' | 'corrupt' | 'wrong-key' | 'omit';
  /** Unix seconds to sign with; default now. */
  timestamp?: number;
  /** Leave out the telnyx-timestamp header (the signature still covers the timestamp used). */
  omitTimestamp?: boolean;
}

/** A webhook request as Telnyx would send it: JSON body text and headers. */
export interface SignedWebhook {
  payload: string;
  headers: Record<string, string>;
}

const OTHER_KEY = generateKeyPairSync('ed25519').privateKey;

/** The raw 32-byte Ed25519 key in base64: what the Telnyx portal shows as the account's public key. */
export function rawPublicKeyBase64(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an Ed25519 public key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

/** Signs `body` as Telnyx does: base64(Ed25519(`${timestamp}|${body}`)). */
export function signTelnyxWebhook(privateKey: KeyObject, payload: string, opts: SigningOptions = {}): SignedWebhook {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'telnyx-webhooks',
  };
  if (!opts.omitTimestamp) headers['telnyx-timestamp'] = timestamp;
  const mode = opts.signature ?? 'valid';
  if (mode !== 'omit') {
    const key = mode === 'wrong-key' ? OTHER_KEY : privateKey;
    const signature = sign(null, Buffer.from(`${timestamp}|${payload}`, 'utf8'), key);
    if (mode === 'corrupt') signature[0] = (signature[0] ?? 0) ^ 0xff;
    headers['telnyx-signature-ed25519'] = signature.toString('base64');
  }
  return { payload, headers };
}
