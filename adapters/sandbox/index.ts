/**
 * The sandbox provider: a real provider for any network that records what it
 * sends (a Redis stream per component, so every process sees one outbox) and
 * lets an admin inject inbound messages and delivery statuses over HTTP. For
 * trying the gateway without an account anywhere, and for tests.
 *
 * Routes (behind the admin token), under /sandbox/<domain>/:
 *   GET    outbox   sent messages, oldest first
 *   DELETE outbox   empty it
 *   POST   inbound  {from,to,body[,id,mediaUrls]} or {status,id[,reason]}
 *   PUT    faults   {mode: none|transient|permanent|rate-limited[,count,retryAfterMs]}
 */
import type { FastifyPluginAsync } from 'fastify';
import type { RedisClient } from '../../src/queue/redis.js';
import type { ProviderConfig } from '../../src/config/schema.js';
import { bare } from '../../src/addressing/index.js';
import { GatewayError } from '../../src/errors/registry.js';
import type { Adapter, AdapterContext, AdapterHealth, OutboundMessage, SendOptions, SendResult } from '../types.js';
import { throwIfAborted } from '../kit/abort.js';
import { FAULT_MODES, SandboxFaults, type FaultSetting } from './faults.js';

/** One sent message as the outbox shows it. */
export interface OutboxEntry {
  id: string;
  /** The sender's gateway number/address if they own one, else their bare JID. */
  from: string;
  to: string;
  body: string;
  /** The attachments' URLs (the outbox's shape since 0.1). */
  mediaUrls: string[];
  subject?: string;
  thread?: string;
  senderJid: string;
  attempt: number;
  sentAt: string;
}

type InjectBody =
  | { from: string; to: string; body: string; id?: string; mediaUrls?: string[] }
  | { status: 'delivered' | 'failed'; id: string; reason?: string };

const injectSchema = {
  oneOf: [
    {
      type: 'object',
      required: ['from', 'to', 'body'],
      additionalProperties: false,
      properties: {
        from: { type: 'string', minLength: 1, maxLength: 320 },
        to: { type: 'string', minLength: 1, maxLength: 320 },
        body: { type: 'string', maxLength: 100_000 },
        id: { type: 'string', minLength: 1, maxLength: 200 },
        mediaUrls: { type: 'array', maxItems: 10, items: { type: 'string', format: 'uri' } },
      },
    },
    {
      type: 'object',
      required: ['status', 'id'],
      additionalProperties: false,
      properties: {
        status: { type: 'string', enum: ['delivered', 'failed'] },
        id: { type: 'string', minLength: 1, maxLength: 200 },
        reason: { type: 'string', maxLength: 1000 },
      },
    },
  ],
} as const;

const faultSchema = {
  type: 'object',
  required: ['mode'],
  additionalProperties: false,
  properties: {
    mode: { type: 'string', enum: FAULT_MODES },
    count: { type: 'integer', minimum: 1 },
    retryAfterMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
  },
} as const;

export class SandboxAdapter implements Adapter {
  readonly provider = 'sandbox';
  /** A trial and test provider: an admin injects messages for any local user. */
  readonly namesLocalRecipients = true;
  readonly network;
  readonly componentDomain: string;
  private ctx: AdapterContext | undefined;
  private faults: SandboxFaults | undefined;

  constructor(private readonly config: ProviderConfig<'sandbox'>) {
    this.network = config.network;
    this.componentDomain = config.domain;
  }

  private get redis(): RedisClient {
    if (!this.ctx) throw new GatewayError('SERVICE_UNAVAILABLE', 'sandbox adapter not started');
    return this.ctx.redis;
  }

  private get outboxKey(): string {
    return `${this.ctx?.keyPrefix ?? ''}:outbox`;
  }

  async start(ctx: AdapterContext): Promise<void> {
    this.ctx = ctx;
    this.faults = new SandboxFaults(ctx.redis, `${ctx.keyPrefix}:faults`);
    ctx.http.sandbox(this.routes());
  }

  async stop(): Promise<void> {
    this.ctx = undefined;
  }

  async health(): Promise<AdapterHealth> {
    return this.ctx ? { ok: true } : { ok: false, detail: 'not started' };
  }

  async send(message: OutboundMessage, opts: SendOptions): Promise<SendResult> {
    throwIfAborted(opts.signal, this.provider);
    await this.faults?.apply();
    const senderBare = bare(message.senderJid);
    const entry: Omit<OutboxEntry, 'id'> = {
      from: message.from ?? senderBare,
      to: message.to,
      body: message.body,
      mediaUrls: message.attachments.map((a) => a.url),
      ...(message.subject === undefined ? {} : { subject: message.subject }),
      ...(message.thread === undefined ? {} : { thread: message.thread }),
      senderJid: message.senderJid,
      attempt: opts.attempt,
      sentAt: new Date().toISOString(),
    };
    const streamId = await this.redis.xadd(
      this.outboxKey,
      'MAXLEN',
      '~',
      String(this.config.sandbox.outboxLimit),
      '*',
      'entry',
      JSON.stringify(entry),
    );
    if (streamId === null) throw new Error('sandbox outbox refused the entry');
    return { providerMessageId: streamId, delivered: this.config.sandbox.autoDeliver };
  }

  async outbox(): Promise<OutboxEntry[]> {
    const rows = await this.redis.xrange(this.outboxKey, '-', '+');
    return rows.map(([id, fields]) => ({ id, ...(JSON.parse(fields[1] ?? '{}') as Omit<OutboxEntry, 'id'>) }));
  }

  private async isInOutbox(id: string): Promise<boolean> {
    if (!/^\d+-\d+$/.test(id)) return false;
    return (await this.redis.xrange(this.outboxKey, id, id)).length > 0;
  }

  private routes(): FastifyPluginAsync {
    return async (app) => {
      app.get('/outbox', async () => this.outbox());

      app.delete('/outbox', async (_req, reply) => {
        await this.redis.del(this.outboxKey);
        return reply.code(204).send();
      });

      app.put<{ Body: FaultSetting }>('/faults', { schema: { body: faultSchema } }, async (req) => {
        await this.faults?.set(req.body);
        return { ok: true, ...req.body };
      });

      // Bodies up to 100,000 characters: more than the global limit, and only for admins (auth runs before parsing).
      app.post<{ Body: InjectBody }>('/inbound', { schema: { body: injectSchema }, bodyLimit: 1024 * 1024 }, async (req, reply) => {
        const ctx = this.ctx;
        if (!ctx) throw new GatewayError('SERVICE_UNAVAILABLE', 'sandbox adapter not started');
        const body = req.body;
        if ('status' in body) {
          if (!(await this.isInOutbox(body.id))) throw new GatewayError('NOT_FOUND', `no message ${body.id} in the outbox`);
          const result = await ctx.emitInbound({
            kind: 'status',
            providerMessageId: body.id,
            status: body.status,
            ...(body.reason === undefined ? {} : { reason: body.reason }),
          });
          return reply.code(result.outcome === 'queued' ? 202 : 200).send(result);
        }
        const result = await ctx.emitInbound({
          kind: 'message',
          id: body.id ?? crypto.randomUUID(),
          from: body.from,
          to: body.to,
          body: body.body,
          mediaUrls: body.mediaUrls ?? [],
        });
        if (result.outcome === 'dropped') {
          return reply.code(422).send({ error: 'UNROUTABLE', message: result.reason });
        }
        return reply.code(result.outcome === 'queued' ? 202 : 200).send(result);
      });
    };
  }
}

export function sandboxAdapter(config: ProviderConfig<'sandbox'>): Adapter {
  return new SandboxAdapter(config);
}
