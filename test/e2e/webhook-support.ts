/** What the webhook e2e files share: the hooks component's domain, its keys, and a signed post to one of its hooks. */
import { standardWebhookHeaders } from '../../adapters/webhook/http/signing.js';
import type { E2EStack } from '../support/stack.js';

export const HOOKS = 'hooks.localhost';

/** A Standard Webhooks key (`whsec_` + 32 bytes of `fill`, base64). */
export const whsec = (fill: number): string => `whsec_${Buffer.alloc(32, fill).toString('base64')}`;

/** The headers of a JSON body signed per Standard Webhooks with `secret`. */
export function signedJson(secret: string, id: string, body: string, at = Math.floor(Date.now() / 1000)): Record<string, string> {
  return { 'content-type': 'application/json', ...standardWebhookHeaders([secret], id, at, body) };
}

/** POST /webhooks/<HOOKS>/<hook> on the stack's gateway. */
export function postHook(stack: E2EStack, hook: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${stack.gateway.httpUrl}/webhooks/${HOOKS}/${hook}`, { method: 'POST', body, headers });
}
