/**
 * What an HTTP-API adapter (Twilio, Telnyx) holds while it runs: its context,
 * its HTTP client (opened in start, closed in stop) and its account watch.
 * The adapter keeps only its config reading, its wire format and its
 * webhook routes.
 */
import type { FastifyPluginAsync } from 'fastify';
import { GatewayError } from '../../src/errors/registry.js';
import type { Adapter, AdapterContext, AdapterHealth, OutboundMessage, SendOptions, SendResult } from '../types.js';
import { AccountWatch } from './account.js';
import { ProviderHttpClient } from './http-client.js';
import type { ProviderName } from './provider.js';

export class HttpProviderRuntime {
  private ctx: AdapterContext | undefined;
  private http: ProviderHttpClient | undefined;
  /** The last time the provider refused the account settings, until a send succeeds again. */
  private readonly account: AccountWatch;

  constructor(
    private readonly provider: ProviderName,
    /** The provider's API base URL from the config. */
    private readonly apiBaseUrl: string,
  ) {
    this.account = new AccountWatch(provider);
  }

  /** Opens the HTTP client and registers the webhook routes `webhooks(ctx)` builds. */
  start(ctx: AdapterContext, webhooks: (ctx: AdapterContext) => FastifyPluginAsync): void {
    this.ctx = ctx;
    this.http = new ProviderHttpClient({ provider: this.provider, baseUrl: this.apiBaseUrl });
    ctx.http.webhooks(webhooks(ctx));
  }

  async stop(): Promise<void> {
    this.ctx = undefined;
    await this.http?.close();
    this.http = undefined;
  }

  /** Does not call the provider (/readyz runs often); a refused account is a detail. */
  health(): AdapterHealth {
    return this.account.health(this.ctx !== undefined);
  }

  /** Runs one send through the account watch (abort rule first); refused with SERVICE_UNAVAILABLE before start. */
  send<T>(messageId: string, signal: AbortSignal, call: (http: ProviderHttpClient, ctx: AdapterContext) => Promise<T>): Promise<T> {
    const ctx = this.ctx;
    const http = this.http;
    if (!ctx || !http) return Promise.reject(new GatewayError('SERVICE_UNAVAILABLE', `${this.provider.id} adapter not started`));
    return this.account.send(signal, ctx.logger, messageId, () => call(http, ctx));
  }
}

/**
 * The base of an HTTP-API SMS adapter: its identity, its runtime, stop and
 * health. A provider adds its settings, `start` (its webhook routes) and
 * `send` (its wire format).
 */
export abstract class HttpProviderAdapter implements Adapter {
  readonly network = 'sms' as const;
  readonly provider: string;
  readonly componentDomain: string;
  protected readonly runtime: HttpProviderRuntime;

  protected constructor(componentDomain: string, provider: ProviderName, apiBaseUrl: string) {
    this.provider = provider.id;
    this.componentDomain = componentDomain;
    this.runtime = new HttpProviderRuntime(provider, apiBaseUrl);
  }

  abstract start(ctx: AdapterContext): Promise<void>;
  abstract send(message: OutboundMessage, opts: SendOptions): Promise<SendResult>;

  stop(): Promise<void> {
    return this.runtime.stop();
  }

  /** Does not call the provider: /readyz runs often and the providers have no free ping. Reports a refused account as a detail. */
  async health(): Promise<AdapterHealth> {
    return this.runtime.health();
  }
}
