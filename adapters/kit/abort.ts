/**
 * The one rule for an attempt whose signal is already aborted when the
 * adapter is asked to send (the gateway is shutting down, or the attempt's
 * time ran out before the adapter got to it): nothing is sent, and the
 * failure is transient, so the message is tried again later.
 */
import { TransientDeliveryError, type ErrorCode } from '../../src/errors/registry.js';

/** Why a signal was aborted, as text: its reason's message, else the reason itself. */
export function abortReason(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
}

/**
 * An attempt refused before anything went to the provider. A
 * TransientDeliveryError (retried with backoff) whose code is
 * SERVICE_UNAVAILABLE rather than PROVIDER_TRANSIENT: the gateway gave the
 * attempt up, the provider was never asked.
 */
export class AttemptAbortedError extends TransientDeliveryError {
  constructor(providerId: string, signal: AbortSignal) {
    super(`${providerId}: attempt aborted before sending (${abortReason(signal)})`, { cause: signal.reason });
    this.name = 'AttemptAbortedError';
    // GatewayError keeps `code` read-only for everyone else; this class alone names a different retryable code.
    (this as { code: ErrorCode }).code = 'SERVICE_UNAVAILABLE';
  }
}

/**
 * Throws {@link AttemptAbortedError} when `signal` is already aborted. Every
 * adapter calls it first thing in `send()`.
 *
 * @example throwIfAborted(opts.signal, 'smpp');
 */
export function throwIfAborted(signal: AbortSignal, providerId: string): void {
  if (signal.aborted) throw new AttemptAbortedError(providerId, signal);
}
