/**
 * The sandbox provider: a real provider for any network that records what it
 * sends (a Redis stream per component, so every process sees one outbox) and
 * lets an admin inject inbound messages and delivery statuses over HTTP. For
 * trying the gateway without an account anywhere, and for tests.
 *
 * Routes (behind the admin token), under /sandbox/<domain>/:
 *   GET    outbox   sent messages, oldest first, each with its status
 *   DELETE outbox   empty it
 *   GET    inbox    messages injected as the foreign side, oldest first
 *   DELETE inbox    empty it
 *   POST   inbound  {from,to,body[,id,mediaUrls]} or {status,id[,reason]}
 *   PUT    faults   {mode: none|transient|permanent|rate-limited[,count,retryAfterMs]}
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ProviderConfig } from '../../src/config/schema.js';
import { bare } from '../../src/addressing/index.js';
import { GatewayError } from '../../src/errors/registry.js';
import type { Adapter, AdapterContext, AdapterHealth, OutboundMessage, SendOptions, SendResult } from '../types.js';
import { throwIfAborted } from '../kit/abort.js';
import { FAULT_MODES, SandboxFaults, type FaultSetting } from './faults.js';
import { SandboxRecords, type OutboxEntry } from './records.js';

export type { InboxEntry, OutboxEntry, OutboxStatus } from './records.js';

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
  private store: SandboxRecords | undefined;

  constructor(private readonly config: ProviderConfig<'sandbox'>) {
    this.network = config.network;
    this.componentDomain = config.domain;
  }

  private get records(): SandboxRecords {
    if (!this.store) throw new GatewayError('SERVICE_UNAVAILABLE', 'sandbox adapter not started');
    return this.store;
  }

  async start(ctx: AdapterContext): Promise<void> {
    this.ctx = ctx;
    this.faults = new SandboxFaults(ctx.redis, `${ctx.keyPrefix}:faults`);
    this.store = new SandboxRecords(ctx.redis, ctx.keyPrefix, this.config.sandbox.outboxLimit);
    ctx.http.sandbox(this.routes());
  }

  async stop(): Promise<void> {
    this.ctx = undefined;
    this.store = undefined;
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
      status: this.config.sandbox.autoDeliver ? 'delivered' : 'sent',
    };
    const providerMessageId = await this.records.send(entry);
    return { providerMessageId, delivered: this.config.sandbox.autoDeliver };
  }

  async outbox(): Promise<OutboxEntry[]> {
    return this.records.outbox();
  }

  private routes(): FastifyPluginAsync {
    return async (app) => {
      app.get('/outbox', async () => this.records.outbox());

      app.delete('/outbox', async (_req, reply) => {
        await this.records.clearOutbox();
        return reply.code(204).send();
      });

      app.get('/inbox', async () => this.records.inbox());

      app.delete('/inbox', async (_req, reply) => {
        await this.records.clearInbox();
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
          if (!(await this.records.has(body.id))) throw new GatewayError('NOT_FOUND', `no message ${body.id} in the outbox`);
          const result = await ctx.emitInbound({
            kind: 'status',
            providerMessageId: body.id,
            status: body.status,
            ...(body.reason === undefined ? {} : { reason: body.reason }),
          });
          await this.records.setStatus(body.id, body.status, body.reason);
          return reply.code(result.outcome === 'queued' ? 202 : 200).send(result);
        }
        const messageId = body.id ?? crypto.randomUUID();
        const result = await ctx.emitInbound({
          kind: 'message',
          id: messageId,
          from: body.from,
          to: body.to,
          body: body.body,
          mediaUrls: body.mediaUrls ?? [],
        });
        if (result.outcome === 'dropped') {
          return reply.code(422).send({ error: 'UNROUTABLE', message: result.reason });
        }
        if (result.outcome === 'queued') {
          await this.records.receive({ messageId, from: body.from, to: body.to, body: body.body, receivedAt: new Date().toISOString() });
        }
        return reply.code(result.outcome === 'queued' ? 202 : 200).send(result);
      });
    };
  }
}

export function sandboxAdapter(config: ProviderConfig<'sandbox'>): Adapter {
  return new SandboxAdapter(config);
}
