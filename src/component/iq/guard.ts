/**
 * Wraps an iq handler so that a thrown GatewayError becomes the matching
 * stanza error: the iq callee then replies with exactly one error iq carrying
 * the original id. Unknown errors become internal-server-error.
 */
import type { Element, IncomingContext } from '@xmpp/component';
import { asGatewayError } from '../../errors/registry.js';
import { errorElement } from '../stanzas.js';

export type IqContext = IncomingContext & { element: Element };
export type IqHandler = (ctx: IqContext) => Promise<Element | true> | Element | true;

export function guard(handler: IqHandler, onError?: (err: unknown) => void) {
  return async (ctx: IqContext): Promise<Element | true> => {
    try {
      return await handler(ctx);
    } catch (err) {
      onError?.(err);
      return errorElement(asGatewayError(err));
    }
  };
}
