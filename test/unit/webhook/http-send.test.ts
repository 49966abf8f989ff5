/**
 * The http webhook adapter's send path against a receiver that verifies with
 * the `standardwebhooks` package: the signed request, and what each answer
 * becomes (receipt, reply, permanent refusal with the endpoint's text, 410
 * disabling the endpoint, Retry-After, redirects, private addresses).
 */
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpWebhookAdapter } from '../../../adapters/webhook/http/index.js';
import { isPrivateAddress, literalHostRefusal } from '../../../adapters/webhook/http/network-guard.js';
import { standardWebhookHeaders } from '../../../adapters/webhook/http/signing.js';
import type { OutboundMessage } from '../../../adapters/types.js';
import { GatewayError } from '../../../src/errors/registry.js';
import { buildServer, type GatewayServer } from '../../../src/http/server.js';
import { GatewayMetrics } from '../../../src/metrics.js';
import { WebhookReceiver } from '../../doubles/webhook-receiver.js';
import { adapterContext, noQueues, outboundMessage, providerConfig } from '../../support/fixtures.js';
import { ensureRedis, uniquePrefix } from '../../support/redis.js';

const DOMAIN = 'hooks.example.org';
const ADMIN_TOKEN = 'unit-admin-token-0123456789';
let receiver: WebhookReceiver;
let redis: Redis;
const prefix = uniquePrefix('webhook-send');

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  redis = new Redis(await ensureRedis());
});
afterAll(async () => {
  await receiver.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});
beforeEach(() => {
  receiver.reset();
  receiver.replyMode = { kind: 'none' };
});

async function started(endpoints: Record<string, unknown> = { svc: { url: receiver.url(), secret: receiver.secret, allowPrivateNetwork: true } }, http: Record<string, unknown> = {}) {
  const config = providerConfig('http', { domain: DOMAIN, network: 'webhook', endpoints, http });
  const adapter = new HttpWebhookAdapter(config);
  const app = buildServer({
    logger: pino({ level: 'silent' }),
    metrics: new GatewayMetrics(),
    adminToken: ADMIN_TOKEN,
    bodyLimitBytes: 65_536,
    readiness: async () => ({ ok: true, checks: {} }),
    admin: noQueues(),
  });
  const ctx = adapterContext(config, {
    redis,
    keyPrefix: `${prefix}:${crypto.randomUUID()}`,
    http: { webhooks: () => undefined, sandbox: () => undefined, admin: (plugin) => app.registerAdapterRoutes({ domain: DOMAIN, scope: 'admin', plugin }) },
  });
  await adapter.start(ctx);
  await app.ready();
  return { adapter, ctx, app };
}

const message = (overrides: Partial<OutboundMessage> = {}) =>
  outboundMessage({ componentDomain: DOMAIN, to: 'svc', contactJid: `svc@${DOMAIN}`, from: undefined, body: 'deploy main', ...overrides });
const admin = (app: GatewayServer, method: 'GET' | 'POST', path: string) =>
  app.inject({ method, url: `/admin/components/${DOMAIN}/${path}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
const send = (adapter: HttpWebhookAdapter, m: OutboundMessage) => adapter.send(m, { attempt: 1, signal: new AbortController().signal });
const failure = (p: Promise<unknown>) => p.then(() => expect.fail('send succeeded'), (e: unknown) => e as GatewayError);

describe('http webhook adapter: sending', () => {
  it('signs per Standard Webhooks (the spec test vector)', () => {
    expect(standardWebhookHeaders(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('POSTs message.created, verified by the standardwebhooks package, and reports it delivered', async () => {
    const { adapter } = await started();
    const m = message({ thread: 't-1', attachments: [{ url: 'https://files.example.org/a.png' }] });
    await expect(send(adapter, m)).resolves.toEqual({ providerMessageId: m.id, delivered: true });
    expect(receiver.forged).toEqual([]);
    expect(receiver.messages).toEqual([
      expect.objectContaining({
        webhookId: m.id,
        type: 'message.created',
        data: { id: m.id, from: 'alice@localhost', to: 'svc', body: 'deploy main', thread: 't-1', attachments: [{ url: 'https://files.example.org/a.png' }] },
      }),
    ]);
  });

  it('signs with every key of a rotation list, so either key verifies', async () => {
    const next = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const { adapter } = await started({ svc: { url: receiver.url(), secret: [receiver.secret, next], allowPrivateNetwork: true } });
    receiver.acceptedSecrets = [next];
    try {
      await send(adapter, message());
      expect(receiver.messages).toHaveLength(1);
      expect(receiver.received[0]?.headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    } finally {
      receiver.acceptedSecrets = [receiver.secret];
    }
  });

  it.each([
    ['json', { kind: 'json', reply: (e: { data: { body: string } }) => `done: ${e.data.body}` }],
    ['text/plain', { kind: 'text', reply: (e: { data: { body: string } }) => `done: ${e.data.body}` }],
  ] as const)('turns a %s reply into a message back to the sender, in the thread', async (_kind, mode) => {
    const { adapter, ctx } = await started();
    receiver.replyMode = mode;
    const m = message({ senderJid: 'Alice@localhost/laptop' });
    await send(adapter, m);
    expect(ctx.emitted).toEqual([
      { kind: 'message', id: `reply-${m.id}`, from: 'svc', to: 'alice@localhost', recipients: [{ jid: 'alice@localhost', type: 'chat' }], body: 'done: deploy main', thread: m.id },
    ]);
  });

  it('makes a 4xx permanent, quoting the endpoint', async () => {
    const { adapter } = await started();
    receiver.failNext({ kind: 'status', httpStatus: 422, text: 'unknown branch "mian"' });
    const err = await failure(send(adapter, message()));
    expect(err.code).toBe('DELIVERY_REJECTED');
    expect(err.message).toBe('not sent: endpoint svc refused the message (HTTP 422): unknown branch "mian"');
  });

  it('retries 5xx, and 429 and 503 after their Retry-After', async () => {
    const { adapter } = await started();
    receiver.failNext({ kind: 'server-error', httpStatus: 500 });
    expect((await failure(send(adapter, message()))).code).toBe('PROVIDER_TRANSIENT');
    receiver.failNext({ kind: 'rate-limit', retryAfterSeconds: 7 });
    expect(await failure(send(adapter, message()))).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 7000 });
    receiver.failNext({ kind: 'status', httpStatus: 503, retryAfterSeconds: 9 });
    expect(await failure(send(adapter, message()))).toMatchObject({ code: 'PROVIDER_TRANSIENT', retryAfterMs: 9000 });
  });

  it('disables an endpoint that answers 410 until an admin re-enables it', async () => {
    const { adapter, app } = await started();
    receiver.failNext({ kind: 'status', httpStatus: 410, text: 'this hook was deleted' });
    expect((await failure(send(adapter, message()))).message).toMatch(/endpoint svc is gone \(it answered 410 Gone: this hook was deleted\); it is disabled/);
    const later = await failure(send(adapter, message()));
    expect(later.code).toBe('DELIVERY_REJECTED');
    expect(later.message).toMatch(/endpoint svc is disabled since .* \(it answered 410 Gone: this hook was deleted\); an administrator must re-enable it/);
    expect(receiver.requests).toBe(1);
    expect((await admin(app, 'GET', 'endpoints')).json()).toEqual([
      expect.objectContaining({ name: 'svc', state: 'disabled' }),
    ]);
    const enabled = await admin(app, 'POST', 'endpoints/svc/enable');
    expect(enabled.json()).toEqual({ name: 'svc', state: 'enabled', wasDisabled: true });
    await expect(send(adapter, message())).resolves.toMatchObject({ delivered: true });
    expect((await admin(app, 'POST', 'endpoints/nope/enable')).statusCode).toBe(404);
  });

  it('does not follow redirects', async () => {
    const target = await WebhookReceiver.start();
    try {
      const { adapter } = await started();
      receiver.failNext({ kind: 'status', httpStatus: 307 });
      const err = await failure(send(adapter, message()));
      expect(err.message).toMatch(/answered a redirect \(HTTP 307\); the gateway does not follow redirects/);
      expect(target.received).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it('refuses loopback and private endpoints unless allowed, without calling them', async () => {
    const { adapter } = await started({
      literal: { url: receiver.url(), secret: receiver.secret },
      named: { url: receiver.url().replace('127.0.0.1', 'localhost'), secret: receiver.secret },
    });
    const literal = await failure(send(adapter, message({ to: 'literal' })));
    expect(literal.message).toMatch(/endpoint literal is not called: 127\.0\.0\.1 is a loopback or private address/);
    const named = await failure(send(adapter, message({ to: 'named' })));
    expect(named).toMatchObject({ code: 'DELIVERY_REJECTED', message: expect.stringMatching(/endpoint named is not called: localhost resolves to (127\.0\.0\.1|::1), a loopback or private address/) });
    expect(receiver.received).toEqual([]);
    expect([isPrivateAddress('10.1.2.3'), isPrivateAddress('::ffff:192.168.0.1'), isPrivateAddress('fd00::1'), isPrivateAddress('93.184.216.34')]).toEqual([true, true, true, false]);
    expect(literalHostRefusal(new URL('http://[::1]:8080/x'))).toBe('::1 is a loopback or private address');
  });

  it('follows the Svix schedule with jitter, then gives up', async () => {
    const { adapter } = await started(undefined, { retryJitter: 0.2 });
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => adapter.retryDelayMs(n, () => 0.5))).toEqual([5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(adapter.retryDelayMs(1, () => 0)).toBe(4000);
    expect(adapter.retryDelayMs(1, () => 1)).toBe(6000);
    expect(adapter.retryDelayMs(8)).toBeUndefined();
  });
});
