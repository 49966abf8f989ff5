/**
 * The number an SMS goes out from. The gateway core resolves it when it
 * accepts the message (config `numbers`, numbers claimed through XEP-0077,
 * admin assignments) and refuses senders without one, so an adapter only
 * reads it; a message queued before its sender lost the number still fails
 * cleanly.
 */
import type { OutboundMessage } from '../types.js';
import { GatewayError } from '../../src/errors/registry.js';

export function senderNumber(message: OutboundMessage): string {
  if (message.from === undefined || message.from === '') {
    throw new GatewayError('REGISTRATION_REQUIRED', 'you have no number on this gateway; register one first');
  }
  return message.from;
}
