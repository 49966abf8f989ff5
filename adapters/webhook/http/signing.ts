/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/, spec
 * "Signature scheme"): HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>`
 * with the key that is the base64 after `whsec_`, sent as `v1,<base64>`;
 * several keys (rotation) give several signatures, space-separated.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The raw HMAC key of a `whsec_...` secret. */
export function whsecKeyBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/** `v1,<base64>` for one key. */
export function signatureV1(secret: string, id: string, timestamp: string, body: string | Buffer): string {
  const mac = createHmac('sha256', whsecKeyBytes(secret)).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/**
 * The three request headers for one delivery, signed with every key.
 *
 * @example standardWebhookHeaders(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')
 *   // { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330',
 *   //   'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }
 */
export function standardWebhookHeaders(secrets: readonly string[], id: string, unixSeconds: number, body: string): Record<string, string> {
  const timestamp = String(unixSeconds);
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': secrets.map((s) => signatureV1(s, id, timestamp, body)).join(' '),
  };
}

/** Whether one of the `v1,` signatures in a webhook-signature header matches one of the keys (constant-time compare). */
export function verifyStandardSignature(secrets: readonly string[], id: string, timestamp: string, body: Buffer, header: string): boolean {
  const offered = header
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  for (const secret of secrets) {
    const expected = Buffer.from(signatureV1(secret, id, timestamp, body).slice(3), 'base64');
    if (offered.some((sig) => sig.length === expected.length && timingSafeEqual(sig, expected))) return true;
  }
  return false;
}
