/**
 * The contract every adapter passes (STYLE.md rule 6). Each adapter's suite
 * supplies a harness that knows how to make its provider (or the local double
 * speaking the provider's wire format) succeed, fail and send inbound traffic;
 * the assertions here are the same for all.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter, InboundEvent, OutboundMessage } from '../../adapters/types.js';
import type { ComponentConfig, ProviderConfig } from '../../src/config/schema.js';
import { GatewayError } from '../../src/errors/registry.js';
import { adapterContext, outbound as outboundTo, providerConfig } from '../support/fixtures.js';
import { ensureRedis, uniquePrefix } from '../support/redis.js';

export interface ContractHarness {
  /** Component config the adapter is built from. */
  config: ComponentConfig;
  create(config: ComponentConfig): Adapter;
  /** Make the next send fail the given way (for a double: answer as the real provider does). */
  failNext(app: FastifyInstance, kind: 'permanent' | 'transient' | 'rate-limited'): Promise<void>;
  /** Make sends succeed again. */
  heal(app: FastifyInstance): Promise<void>;
  /** What the provider recorded as sent, newest last. */
  sent(app: FastifyInstance): Promise<Array<{ id: string; to: string; body: string }>>;
  /** Deliver an inbound message the way the provider does (webhook, injection, ...). */
  injectMessage(app: FastifyInstance, msg: { id: string; from: string; to: string; body: string }): Promise<void>;
  /**
   * Deliver a delivery status for a sent message. Absent for a network that
   * confirms delivery in its answer (HTTP 2xx): its send() must then say so.
   */
  injectStatus?(app: FastifyInstance, providerMessageId: string, status: 'delivered' | 'failed'): Promise<void>;
  /** A foreign address valid on this network, and a gateway address/JID inbound messages go to. */
  foreignAddress: string;
  localAddress: string;
  /**
   * The sender's own address on the network that the core would put in
   * `from` (a mail address for email). Default: the fixtures' gateway number.
   */
  senderAddress?: string;
}

/** The two numbers an SMS provider's harness uses: a phone, and a gateway number alice owns (`numbers` for the config). */
export const SMS_PARTIES = {
  foreignAddress: '+15551234567',
  localAddress: '+15550001111',
  numbers: { '+15550001111': 'alice@localhost' },
} as const;

/** An SMS provider's config for its contract run: the provider's section, alice owning SMS_PARTIES' local number. */
export function smsContractConfig<P extends 'twilio' | 'telnyx' | 'smpp'>(provider: P, domain: string, section: Record<string, unknown>): ProviderConfig<P> {
  return providerConfig(provider, { domain, numbers: SMS_PARTIES.numbers, [provider]: section });
}

/** Posts a provider webhook to the adapter's routes and expects it taken (2xx). */
export async function postAccepted(app: FastifyInstance, path: string, payload: string | Buffer, headers: Record<string, string>): Promise<void> {
  const res = await app.inject({ method: 'POST', url: path, payload, headers });
  expect(res.statusCode, res.body).toBeLessThan(300);
}

export function adapterContract(name: string, harness: ContractHarness): void {
  describe(`adapter contract: ${name}`, () => {
    let redis: Redis;
    let app: FastifyInstance;
    let adapter: Adapter;
    let emitted: InboundEvent[];
    const prefix = uniquePrefix('contract');

    beforeAll(async () => {
      redis = new Redis(await ensureRedis(), { lazyConnect: false });
    });
    afterAll(async () => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    });

    beforeEach(async () => {
      app = Fastify();
      adapter = harness.create(harness.config);
      const ctx = adapterContext(harness.config, {
        http: {
          webhooks: (plugin) => void app.register(plugin, { prefix: `/webhooks/${harness.config.domain}` }),
          sandbox: (plugin) => void app.register(plugin, { prefix: `/sandbox/${harness.config.domain}` }),
        },
        redis,
        keyPrefix: `${prefix}:${crypto.randomUUID()}`,
      });
      emitted = ctx.emitted;
      await adapter.start(ctx);
      await app.ready();
    });
    afterEach(async () => {
      await adapter.stop();
      await app.close();
    });

    const send = (m: OutboundMessage, signal = new AbortController().signal) => adapter.send(m, { attempt: 1, signal });
    /** A message to `to` as the core hands it over, from the harness's sender address where it names one. */
    const outbound = (domain: string, to: string, body?: string): OutboundMessage => ({
      ...outboundTo(domain, to, body),
      ...(harness.senderAddress === undefined ? {} : { from: harness.senderAddress }),
    });

    it('names its network, provider and component domain', () => {
      expect(adapter.network).toBe(harness.config.network);
      expect(adapter.provider).toBe(harness.config.provider);
      expect(adapter.componentDomain).toBe(harness.config.domain);
    });

    it('reports healthy once started', async () => {
      await expect(adapter.health()).resolves.toMatchObject({ ok: true });
    });

    it('sends a message and returns a distinct provider id per message', async () => {
      const a = await send(outbound(harness.config.domain, harness.foreignAddress, 'first'));
      const b = await send(outbound(harness.config.domain, harness.foreignAddress, 'second'));
      expect(a.providerMessageId).not.toBe('');
      expect(a.providerMessageId).not.toBe(b.providerMessageId);
      const sent = await harness.sent(app);
      expect(sent.slice(-2).map((s) => [s.id, s.to, s.body])).toEqual([
        [a.providerMessageId, harness.foreignAddress, 'first'],
        [b.providerMessageId, harness.foreignAddress, 'second'],
      ]);
    });

    it('sends a message that carries a subject, a thread and an attachment (each network uses what it can)', async () => {
      const m = {
        ...outbound(harness.config.domain, harness.foreignAddress, 'with extras'),
        subject: 'Report',
        thread: 'th-1',
        attachments: [{ url: 'https://files.example.org/report.pdf', name: 'report.pdf', type: 'application/pdf', size: 1024 }],
      };
      const result = await send(m);
      expect(result.providerMessageId).not.toBe('');
      const sent = await harness.sent(app);
      expect(sent.at(-1)).toMatchObject({ id: result.providerMessageId, to: harness.foreignAddress, body: 'with extras' });
    });

    it('refuses to send once the attempt is aborted', async () => {
      const ac = new AbortController();
      ac.abort(new Error('shutting down'));
      const before = (await harness.sent(app)).length;
      const err = await send(outbound(harness.config.domain, harness.foreignAddress, 'aborted'), ac.signal).catch((e: unknown) => e);
      // Nothing went out, and the message is tried again later (adapters/kit/abort.ts).
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe('SERVICE_UNAVAILABLE');
      expect((err as GatewayError).spec.retryable).toBe(true);
      expect((err as GatewayError).message).toMatch(/aborted before sending \(shutting down\)/);
      expect((await harness.sent(app)).length).toBe(before);
    });

    it.each([
      ['permanent', 'DELIVERY_REJECTED', false],
      ['transient', 'PROVIDER_TRANSIENT', true],
      ['rate-limited', 'RATE_LIMITED', true],
    ] as const)('types a %s provider failure', async (kind, code, retryable) => {
      await harness.failNext(app, kind);
      const err = await send(outbound(harness.config.domain, harness.foreignAddress)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe(code);
      expect((err as GatewayError).spec.retryable).toBe(retryable);
      if (kind === 'rate-limited') expect((err as GatewayError).retryAfterMs).toBeGreaterThan(0);
      await harness.heal(app);
      await expect(send(outbound(harness.config.domain, harness.foreignAddress))).resolves.toHaveProperty('providerMessageId');
    });

    it('emits an inbound message, normalized', async () => {
      await harness.injectMessage(app, { id: 'in-1', from: harness.foreignAddress, to: harness.localAddress, body: 'reply' });
      expect(emitted).toEqual([
        expect.objectContaining({ kind: 'message', from: harness.foreignAddress, to: harness.localAddress, body: 'reply' }),
      ]);
    });

    const injectStatus = harness.injectStatus;
    if (injectStatus === undefined) {
      it('confirms delivery in its answer to send() (no later statuses)', async () => {
        await expect(send(outbound(harness.config.domain, harness.foreignAddress))).resolves.toMatchObject({ delivered: true });
        expect(emitted.filter((e) => e.kind === 'status')).toEqual([]);
      });
    } else it('emits delivery statuses for sent messages', async () => {
      const { providerMessageId } = await send(outbound(harness.config.domain, harness.foreignAddress));
      await injectStatus(app, providerMessageId, 'delivered');
      await injectStatus(app, providerMessageId, 'failed');
      expect(emitted).toEqual([
        expect.objectContaining({ kind: 'status', providerMessageId, status: 'delivered' }),
        expect.objectContaining({ kind: 'status', providerMessageId, status: 'failed' }),
      ]);
    });
  });
}
