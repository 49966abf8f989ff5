/**
 * The http webhook provider: a message to `<name>@<domain>` is POSTed to the
 * endpoint configured under that name, signed per Standard Webhooks
 * (signing.ts), and the endpoint's answer decides what the sender sees:
 * 2xx a receipt (and its reply, if any, as a message back in the thread),
 * 410 the endpoint disabled until an admin re-enables it, other 4xx an error
 * with the endpoint's text, 429/503/5xx/no answer a retry on the configured
 * schedule (Svix's by default, with jitter; Retry-After honoured).
 *
 * Inbound: `POST /webhooks/<domain>/<name>` for each configured hook
 * (inbound/routes.ts), verified per hook, rendered by its format, delivered
 * to its `to` JIDs.
 *
 * Only configured URLs are called; redirects are not followed; loopback and
 * private addresses are refused unless the endpoint allows them
 * (network-guard.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ProviderConfig } from '../../../src/config/schema.js';
import { bare } from '../../../src/addressing/index.js';
import { GatewayError, PermanentDeliveryError } from '../../../src/errors/registry.js';
import type { Adapter, AdapterContext, AdapterHealth, OutboundMessage, SendOptions, SendResult } from '../../types.js';
import { throwIfAborted } from '../../kit/abort.js';
import { ProviderHttpClient, type ProviderResponse } from '../../kit/http-client.js';
import { DisabledEndpoints } from './disabled.js';
import { endpointFailure, quoted } from './errors.js';
import { PRIVATE_ADDRESS_CODE, guardedLookup, literalHostRefusal } from './network-guard.js';
import { messageCreated, replyOf, threadOf } from './payload.js';
import { standardWebhookHeaders } from './signing.js';
import { hookRoutes } from './inbound/routes.js';

type HttpWebhookConfig = ProviderConfig<'http'>;
type EndpointConfig = HttpWebhookConfig['endpoints'][string];

interface Endpoint {
  name: string;
  url: URL;
  secrets: string[];
  client: ProviderHttpClient;
  /** Why the URL itself is refused (a private address literal without allowPrivateNetwork). */
  refusal: string | undefined;
}

function openEndpoint(name: string, config: EndpointConfig): Endpoint {
  const url = new URL(config.url);
  return {
    name,
    url,
    secrets: Array.isArray(config.secret) ? config.secret : [config.secret],
    client: new ProviderHttpClient({
      provider: { id: 'webhook', name: `Endpoint ${name}` },
      baseUrl: url.origin,
      timeoutMs: config.timeoutMs,
      connections: 10,
      ...(config.allowPrivateNetwork ? {} : { connect: { lookup: guardedLookup } }),
    }),
    refusal: config.allowPrivateNetwork ? undefined : literalHostRefusal(url),
  };
}

export class HttpWebhookAdapter implements Adapter {
  readonly network = 'webhook' as const;
  readonly provider = 'http';
  readonly componentDomain: string;
  private ctx: AdapterContext | undefined;
  private disabled: DisabledEndpoints | undefined;
  private endpoints = new Map<string, Endpoint>();

  constructor(private readonly config: HttpWebhookConfig) {
    this.componentDomain = config.domain;
  }

  async start(ctx: AdapterContext): Promise<void> {
    this.ctx = ctx;
    this.disabled = new DisabledEndpoints(ctx.redis, `${ctx.keyPrefix}:disabled`);
    this.endpoints = new Map(Object.entries(this.config.endpoints).map(([name, c]) => [name, openEndpoint(name, c)]));
    for (const e of this.endpoints.values()) {
      if (e.refusal !== undefined) ctx.logger.error({ endpoint: e.name }, `endpoint ${e.name} will not be called: ${e.refusal} (set allowPrivateNetwork: true to allow it)`);
    }
    ctx.http.admin?.(this.adminRoutes());
    const hooks = new Map(Object.entries(this.config.inbound));
    if (hooks.size > 0) {
      ctx.http.webhooks(
        hookRoutes({ domain: this.componentDomain, hooks, logger: ctx.logger, emitInbound: (event) => ctx.emitInbound(event), ...(ctx.metrics ? { metrics: ctx.metrics } : {}) }),
      );
    }
  }

  async stop(): Promise<void> {
    this.ctx = undefined;
    await Promise.all([...this.endpoints.values()].map((e) => e.client.close()));
  }

  async health(): Promise<AdapterHealth> {
    return this.ctx ? { ok: true } : { ok: false, detail: 'not started' };
  }

  /** Svix's schedule (or the configured one), each wait spread by ±retryJitter. */
  retryDelayMs(attempt: number, random: () => number = Math.random): number | undefined {
    const seconds = this.config.http.retryScheduleSeconds[attempt - 1];
    if (seconds === undefined) return undefined;
    const spread = 1 + (2 * random() - 1) * this.config.http.retryJitter;
    return Math.max(0, Math.round(seconds * 1000 * spread));
  }

  async send(message: OutboundMessage, opts: SendOptions): Promise<SendResult> {
    throwIfAborted(opts.signal, 'webhook');
    const ctx = this.ctx;
    const disabled = this.disabled;
    if (!ctx || !disabled) throw new GatewayError('SERVICE_UNAVAILABLE', 'webhook adapter not started');
    const endpoint = this.endpoints.get(message.to);
    if (endpoint === undefined) throw new PermanentDeliveryError(`not sent: no webhook endpoint named ${message.to} on ${this.componentDomain}`);
    if (endpoint.refusal !== undefined) {
      throw new PermanentDeliveryError(`not sent: endpoint ${endpoint.name} is not called: ${endpoint.refusal}; an administrator must allow it (allowPrivateNetwork)`);
    }
    const off = await disabled.get(endpoint.name);
    if (off !== undefined) {
      throw new PermanentDeliveryError(`not sent: endpoint ${endpoint.name} is disabled since ${off.since} (${off.reason}); an administrator must re-enable it`);
    }
    const res = await this.post(endpoint, message, opts.signal);
    if (res.status === 410) {
      const reason = `it answered 410 Gone${res.text.trim() === '' ? '' : `: ${quoted(res.text)}`}`;
      await disabled.disable(endpoint.name, reason);
      ctx.logger.warn({ endpoint: endpoint.name, id: message.id }, `endpoint ${endpoint.name} answered 410 Gone: disabled until an administrator re-enables it`);
      throw new PermanentDeliveryError(`not sent: endpoint ${endpoint.name} is gone (${reason}); it is disabled until an administrator re-enables it`);
    }
    if (res.status < 200 || res.status > 299) throw endpointFailure(endpoint.name, res);
    const reply = replyOf(res);
    if (reply !== undefined) {
      const sender = bare(message.senderJid).toLowerCase();
      const outcome = await ctx.emitInbound({
        kind: 'message',
        id: `reply-${message.id}`,
        from: endpoint.name,
        to: sender,
        recipients: [{ jid: sender, type: 'chat' }],
        body: reply,
        thread: threadOf(message),
      });
      if (outcome.outcome === 'dropped') ctx.logger.warn({ endpoint: endpoint.name, id: message.id, reason: outcome.reason }, 'reply dropped');
    }
    return { providerMessageId: message.id, delivered: true };
  }

  /** One signed POST; a name that resolves to a private address is a permanent refusal, not a network error. */
  private async post(endpoint: Endpoint, message: OutboundMessage, signal: AbortSignal): Promise<ProviderResponse> {
    const body = JSON.stringify(messageCreated(message));
    try {
      return await endpoint.client.request({
        method: 'POST',
        path: `${endpoint.url.pathname}${endpoint.url.search}`,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'xmpp-gateway (Standard Webhooks)',
          ...standardWebhookHeaders(endpoint.secrets, message.id, Math.floor(Date.now() / 1000), body),
        },
        body,
        signal,
      });
    } catch (err) {
      const cause = err instanceof Error ? err.cause : undefined;
      if (cause instanceof Error && (cause as NodeJS.ErrnoException).code === PRIVATE_ADDRESS_CODE) {
        throw new PermanentDeliveryError(`not sent: endpoint ${endpoint.name} is not called: ${cause.message}`);
      }
      throw err;
    }
  }

  /** `GET endpoints` (state of each), `POST endpoints/<name>/enable` (after a 410). */
  private adminRoutes(): FastifyPluginAsync {
    return async (app) => {
      app.get('/endpoints', async () => {
        const off = await this.disabled?.all() ?? {};
        return [...this.endpoints.values()].map((e) => ({
          name: e.name,
          host: e.url.host,
          state: off[e.name] === undefined ? (e.refusal === undefined ? 'enabled' : 'refused') : 'disabled',
          ...(off[e.name] === undefined ? {} : { disabled: off[e.name] }),
          ...(e.refusal === undefined ? {} : { refusal: e.refusal }),
        }));
      });
      app.post<{ Params: { name: string } }>('/endpoints/:name/enable', async (req) => {
        const name = req.params.name.toLowerCase();
        if (!this.endpoints.has(name)) throw new GatewayError('NOT_FOUND', `no webhook endpoint named ${name} on ${this.componentDomain}`);
        const was = (await this.disabled?.enable(name)) ?? false;
        this.ctx?.logger.info({ endpoint: name }, was ? `endpoint ${name} re-enabled by an administrator` : `endpoint ${name} was not disabled`);
        return { name, state: 'enabled', wasDisabled: was };
      });
    };
  }
}

export function httpWebhookAdapter(config: ProviderConfig<'http'>): Adapter {
  return new HttpWebhookAdapter(config);
}
