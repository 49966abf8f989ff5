/**
 * How Telnyx signs every webhook it sends (API v2): an Ed25519 signature by
 * Telnyx's key, checked with the account's public key from the portal.
 * https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks
 *
 *   telnyx-timestamp:         Unix seconds when Telnyx signed, e.g. `1700000000`
 *   telnyx-signature-ed25519: base64(Ed25519-sign(`${timestamp}|${raw body}`)), 64 bytes
 *
 * The body must be the exact bytes received (never re-serialized JSON). A
 * timestamp more than 5 minutes from now, either way, is refused so a
 * captured request cannot be replayed later.
 *
 * The portal shows the public key as the raw 32-byte key in base64; node:crypto
 * wants it wrapped as an X.509 SubjectPublicKeyInfo (RFC 8410 §4), done here.
 * A base64 SPKI DER key (44 bytes) is accepted as well.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { checkTimestampWindow, type SignatureCheck } from '../../kit/signed-webhook.js';

export type { SignatureCheck };

/** DER of an Ed25519 SubjectPublicKeyInfo up to the key: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits) }. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const RAW_KEY_BYTES = 32;
const SIGNATURE_BASE64 = /^[A-Za-z0-9+/]{86}==$/;

export const SIGNATURE_HEADER = 'telnyx-signature-ed25519';
export const TIMESTAMP_HEADER = 'telnyx-timestamp';
/** How far the signed timestamp may be from now, either way. */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

/**
 * The public key as node:crypto uses it, from the portal's base64 text.
 * Throws (a plain Error with the reason) when it is not an Ed25519 public key.
 */
export function telnyxPublicKey(base64: string): KeyObject {
  const bytes = Buffer.from(base64.trim(), 'base64');
  let der: Buffer;
  if (bytes.length === RAW_KEY_BYTES) der = Buffer.concat([ED25519_SPKI_PREFIX, bytes]);
  else if (bytes.length === ED25519_SPKI_PREFIX.length + RAW_KEY_BYTES && bytes.subarray(0, 12).equals(ED25519_SPKI_PREFIX)) der = bytes;
  else throw new Error(`not an Ed25519 public key: ${bytes.length} bytes after base64 decoding, expected ${RAW_KEY_BYTES}`);
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

export interface SignatureHeaders {
  signature: string | undefined;
  timestamp: string | undefined;
}

/**
 * Checks a webhook: both headers present, the signature valid for
 * `${timestamp}|${rawBody}`, and the timestamp within the tolerance of `nowMs`.
 * The reason says which check failed (for the log, not for the caller).
 */
export function checkTelnyxSignature(
  key: KeyObject,
  rawBody: Buffer | string,
  headers: SignatureHeaders,
  nowMs = Date.now(),
): SignatureCheck {
  const { signature, timestamp } = headers;
  if (signature === undefined || signature === '') return { ok: false, reason: `${SIGNATURE_HEADER} is missing` };
  if (timestamp === undefined || timestamp === '') return { ok: false, reason: `${TIMESTAMP_HEADER} is missing` };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `${TIMESTAMP_HEADER} is not a Unix time` };
  if (!SIGNATURE_BASE64.test(signature)) return { ok: false, reason: `${SIGNATURE_HEADER} is not a base64 Ed25519 signature` };
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`, 'utf8'), body]);
  if (!verify(null, signed, key, Buffer.from(signature, 'base64'))) {
    return { ok: false, reason: `${SIGNATURE_HEADER} does not verify with telnyx.publicKey over the timestamp and body` };
  }
  return checkTimestampWindow(TIMESTAMP_HEADER, timestamp, TIMESTAMP_TOLERANCE_SECONDS, nowMs);
}
