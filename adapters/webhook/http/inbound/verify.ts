/**
 * Checks one inbound hook request with the hook's scheme, before anything in
 * the body is read:
 *
 * - standard-webhooks (https://www.standardwebhooks.com/): `webhook-signature`
 *   over `id.timestamp.body`; a bad or missing signature is 401, a timestamp
 *   outside 5 minutes 400; the delivery id is `webhook-id`.
 * - github (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries):
 *   `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`; the delivery
 *   id is `X-GitHub-Delivery`.
 * - bearer: `Authorization: Bearer <token>`; basic: HTTP Basic (RFC 7617).
 *   Neither carries a delivery id: `Idempotency-Key` or `webhook-id` is used
 *   when the sender sets one, else the format derives one from the payload
 *   (deliveryIdOf).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SignatureCheck, SignedRequest } from '../../../kit/signed-webhook.js';
import { checkTimestampWindow } from '../../../kit/signed-webhook.js';
import { verifyStandardSignature } from '../signing.js';
import type { Hook } from './hooks.js';

/** Standard Webhooks' replay window. */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

export type HookCheck = SignatureCheck;

const unauthorized = (reason: string): HookCheck => ({ ok: false, code: 'UNAUTHORIZED', reason, what: 'bad credentials' });

function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The sender's id for this delivery, where it gives one: the dedupe key of a verified request. */
export function deliveryIdOf(hook: Hook, header: (name: string) => string | undefined): string | undefined {
  if (hook.verify === 'standard-webhooks') return header('webhook-id');
  if (hook.verify === 'github') return header('x-github-delivery');
  return header('idempotency-key') ?? header('webhook-id');
}

export function checkHook(hook: Hook, req: SignedRequest, nowMs: number): HookCheck {
  switch (hook.verify) {
    case 'standard-webhooks': {
      const id = req.header('webhook-id');
      const timestamp = req.header('webhook-timestamp');
      const signature = req.header('webhook-signature');
      if (!id || !timestamp || !signature) return unauthorized('webhook-id, webhook-timestamp and webhook-signature are required');
      if (!verifyStandardSignature(hook.secrets, id, timestamp, req.raw, signature)) return unauthorized('webhook-signature does not match');
      const window = checkTimestampWindow('webhook-timestamp', timestamp, TIMESTAMP_TOLERANCE_SECONDS, nowMs);
      if (!window.ok) return { ...window, code: 'BAD_REQUEST', what: 'stale timestamp' };
      return { ok: true };
    }
    case 'github': {
      const signature = req.header('x-hub-signature-256');
      if (!signature?.startsWith('sha256=')) return unauthorized('X-Hub-Signature-256 is missing');
      const ok = hook.secrets.some((secret) => equalText(signature, `sha256=${createHmac('sha256', secret).update(req.raw).digest('hex')}`));
      if (!ok) return unauthorized('X-Hub-Signature-256 does not match');
      return { ok: true };
    }
    case 'bearer': {
      const auth = req.header('authorization') ?? '';
      const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
      if (token === undefined) return unauthorized('Authorization: Bearer <token> is required');
      if (!equalText(token, hook.token ?? '')) return unauthorized('the bearer token is wrong');
      return { ok: true };
    }
    case 'basic': {
      const auth = req.header('authorization') ?? '';
      const encoded = /^Basic\s+(\S+)$/i.exec(auth)?.[1];
      if (encoded === undefined) return unauthorized('Authorization: Basic <credentials> is required');
      const expected = Buffer.from(`${hook.username ?? ''}:${hook.password ?? ''}`).toString('base64');
      if (!equalText(encoded, expected)) return unauthorized('the user name or password is wrong');
      return { ok: true };
    }
  }
}
