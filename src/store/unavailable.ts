/**
 * Redis failures in stores surface as QUEUE_UNAVAILABLE: the sender is told
 * to retry (XMPP `wait`, HTTP 503) rather than shown an internal error.
 */
import { GatewayError } from '../errors/registry.js';

export async function stored<T>(op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('QUEUE_UNAVAILABLE', 'the gateway cannot reach its store right now, try again shortly', { cause: err });
  }
}
