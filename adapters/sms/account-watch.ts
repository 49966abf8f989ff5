/**
 * What HTTP-API SMS adapters (Twilio, Telnyx) do around each send: refuse an
 * attempt already aborted, and remember an account problem (bad credentials,
 * unknown number) until a send succeeds again, logging it and reporting it as
 * a health detail. Readiness stays ok on purpose: failing /readyz would also
 * turn away inbound webhooks, which still work.
 */
import type { Logger } from 'pino';
import { GatewayError } from '../../src/errors/registry.js';
import type { AdapterHealth } from '../types.js';

/** An account-level refusal: retried (an admin can fix it) but worth an error log. */
export interface AccountError extends Error {
  httpStatus: number;
}

export class AccountWatch {
  private problem: string | undefined;

  constructor(
    private readonly provider: { id: string; name: string },
    private readonly isAccountError: (err: unknown) => err is AccountError,
  ) {}

  async send<T>(signal: AbortSignal, logger: Logger | undefined, messageId: string, call: () => Promise<T>): Promise<T> {
    if (signal.aborted) {
      const why = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
      throw new GatewayError('SERVICE_UNAVAILABLE', `${this.provider.id}: attempt aborted before sending (${why})`);
    }
    try {
      const result = await call();
      this.problem = undefined;
      return result;
    } catch (err) {
      if (this.isAccountError(err)) {
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
