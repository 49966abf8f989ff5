/**
 * Account problems of HTTP-API providers (bad credentials, suspended account,
 * a sending number not on the account): what the adapter does around each
 * send. An attempt already aborted is refused (abort.ts); an account problem
 * is remembered until a send succeeds again, logged at error level and
 * reported as a health detail. Readiness stays ok on purpose: failing /readyz
 * would also turn away inbound webhooks, which still work.
 */
import type { Logger } from 'pino';
import { TransientDeliveryError } from '../../src/errors/registry.js';
import type { AdapterHealth } from '../types.js';
import { throwIfAborted } from './abort.js';
import type { ProviderName } from './provider.js';

/**
 * The provider refused the gateway's account settings, not the message.
 * Transient, so messages wait for an admin to fix the config; a class of its
 * own so the adapter can log it at error level and report it in health().
 */
export class AccountError extends TransientDeliveryError {
  constructor(
    message: string,
    /** The HTTP status the provider answered with. */
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

export class AccountWatch {
  private problem: string | undefined;

  constructor(private readonly provider: ProviderName) {}

  /** Runs one send: refused if the attempt is already aborted; an AccountError is remembered and logged, a success clears it. */
  async send<T>(signal: AbortSignal, logger: Logger | undefined, messageId: string, call: () => Promise<T>): Promise<T> {
    throwIfAborted(signal, this.provider.id);
    try {
      const result = await call();
      this.problem = undefined;
      return result;
    } catch (err) {
      if (err instanceof AccountError) {
        this.problem = `${new Date().toISOString()}: ${err.message}`;
        logger?.error(
          { id: messageId, httpStatus: err.httpStatus, err: err.message },
          `${this.provider.name} refused the account settings; messages wait until fixed`,
        );
      }
      throw err;
    }
  }

  health(started: boolean): AdapterHealth {
    if (!started) return { ok: false, detail: 'not started' };
    return this.problem === undefined ? { ok: true } : { ok: true, detail: this.problem };
  }
}
