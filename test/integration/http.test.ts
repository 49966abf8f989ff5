/**
 * The HTTP surface of a real gateway (real Redis, no XMPP server), through
 * Fastify's inject(): health, readiness, metrics, admin auth, the sandbox
 * routes, and 503 while Redis is down.
 */
import { connect } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway, type Roles } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { freePort } from '../support/ports.js';
import { ensureRedis, uniquePrefix } from '../support/redis.js';
import { sleep } from '../support/waits.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

/** POST /sandbox/sms.localhost/inbound as an admin. */
const injectInbound = (gw: Gateway, payload: Record<string, unknown>) =>
  gw.http.inject({ method: 'POST', url: '/sandbox/sms.localhost/inbound', headers: auth, payload });

async function gatewayWith(redisUrl: string, httpExtra = '', roles: Roles = { component: false, worker: false, http: true }, moreComponents = ''): Promise<Gateway> {
  const config = parseConfig(
    `
xmpp: { host: 127.0.0.1, port: 1 }
redis: { url: "${redisUrl}", prefix: ${uniquePrefix('http')} }
http: { host: 127.0.0.1, port: 0, adminToken: ${TOKEN}${httpExtra} }
components:
  - { domain: sms.localhost, secret: s, network: sms, provider: sandbox, numbers: { "+15550001111": alice@localhost } }
${moreComponents}`,
    {},
  );
  const gateway = buildGateway({ config, logger: pino({ level: 'silent' }), roles });
  await gateway.start();
  return gateway;
}

async function redisReady(gw: Gateway): Promise<void> {
  for (let i = 0; i < 50 && (await gw.readiness()).checks.redis !== 'ok'; i++) await sleep(20);
}

describe('HTTP with Redis up', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await gatewayWith(await ensureRedis());
    await redisReady(gw);
  });
  afterAll(async () => gw.stop());

  it('is alive and, with no XMPP role here, ready when Redis and the adapter are', async () => {
    expect((await gw.http.inject({ url: '/healthz' })).json()).toEqual({ ok: true });
    const ready = await gw.http.inject({ url: '/readyz', headers: auth });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ ok: true, checks: { redis: 'ok', 'adapter:sms.localhost': 'ok' } });
  });

  it('exposes Prometheus metrics including job counts', async () => {
    const res = await gw.http.inject({ url: '/metrics', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(/xgw_jobs\{queue="out\/sms.localhost",state="waiting"\} \d+/);
    expect(res.body).toContain('# TYPE xgw_delivery_latency_seconds histogram');
  });

  it('keeps /metrics and /readyz behind the bearer token; /healthz stays open', async () => {
    for (const url of ['/metrics', '/readyz']) {
      const res = await gw.http.inject({ url });
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain('sms.localhost');
    }
    expect((await gw.http.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('keeps admin and sandbox routes behind the bearer token', async () => {
    for (const url of ['/admin/queues', '/sandbox/sms.localhost/outbox']) {
      expect((await gw.http.inject({ url })).statusCode).toBe(401);
      expect((await gw.http.inject({ url, headers: { authorization: 'Bearer wrong-token-wrong-token' } })).statusCode).toBe(401);
      expect((await gw.http.inject({ url, headers: auth })).statusCode).toBe(200);
    }
  });

  it('injects inbound messages: queued once, duplicates acknowledged, unroutable refused with a reason', async () => {
    const payload = { id: 'sbx-1', from: '+15551234567', to: '+15550001111', body: 'hi' };
    const first = await injectInbound(gw, payload);
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ outcome: 'queued' });
    const again = await injectInbound(gw, payload);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ outcome: 'duplicate', jobId: first.json<{ jobId: string }>().jobId });
    const lost = await injectInbound(gw, { from: '+15551234567', to: '+15559999999', body: 'hi' });
    expect(lost.statusCode).toBe(422);
    expect(lost.json()).toMatchObject({ error: 'UNROUTABLE', message: expect.stringContaining('+15559999999') });
  });

  it('validates bodies with a 400 that says what is wrong', async () => {
    const res = await injectInbound(gw, { from: 'x' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(/must have required property/);
    const status = await injectInbound(gw, { status: 'delivered', id: '1-0' });
    expect(status.statusCode).toBe(404);
  });

  it('lists queues and failed jobs for admins, 404 for unknown queues', async () => {
    const queues = await gw.http.inject({ url: '/admin/queues', headers: auth });
    expect(Object.keys(queues.json())).toEqual(['out/sms.localhost', 'in/sms.localhost']);
    expect((await gw.http.inject({ url: '/admin/queues/out/sms.localhost/jobs', headers: auth })).json()).toEqual([]);
    expect((await gw.http.inject({ url: '/admin/queues/out/nope.localhost/jobs', headers: auth })).statusCode).toBe(404);
  });
});

describe('a process without the http role', () => {
  const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  let smtpPort = 0;
  const withEmail = (port: number) =>
    `  - { domain: mail.localhost, secret: m, network: email, provider: smtp, smtp: { url: "smtp://127.0.0.1:1" }, inbound: { host: 127.0.0.1, port: ${port} } }\n`;

  beforeAll(async () => {
    smtpPort = await freePort();
  });

  it('serves no webhooks, sandbox or admin routes and opens no SMTP listener, yet answers health, readiness and metrics', async () => {
    const gw = await gatewayWith(await ensureRedis(), '', { component: false, worker: true, http: false }, withEmail(smtpPort));
    try {
      await redisReady(gw);
      for (const url of ['/admin/queues', '/sandbox/sms.localhost/outbox']) expect((await gw.http.inject({ url, headers: auth })).statusCode).toBe(404);
      expect((await injectInbound(gw, { id: 'no-http', from: '+15551234567', to: '+15550001111', body: 'hi' })).statusCode).toBe(404);
      expect((await gw.http.inject({ url: '/healthz' })).statusCode).toBe(200);
      expect((await gw.http.inject({ url: '/metrics', headers: auth })).statusCode).toBe(200);
      expect((await gw.http.inject({ url: '/readyz', headers: auth })).json()).toMatchObject({ checks: { redis: 'ok', 'adapter:sms.localhost': 'ok' } });
      expect(await listening(smtpPort)).toBe(false);
    } finally {
      await gw.stop();
    }
    // The same config with the http role takes mail in.
    const receiving = await gatewayWith(await ensureRedis(), '', { component: false, worker: false, http: true }, withEmail(smtpPort));
    try {
      await redisReady(receiving);
      expect(await listening(smtpPort)).toBe(true);
      expect((await receiving.http.inject({ url: '/sandbox/sms.localhost/outbox', headers: auth })).statusCode).toBe(200);
    } finally {
      await receiving.stop();
    }
  });
});

describe('the ops listener (http.opsPort)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await gatewayWith(await ensureRedis(), ', opsHost: 127.0.0.1, opsPort: 0');
  });
  afterAll(async () => gw.stop());

  it('serves /metrics, /readyz and /healthz without a token on its own address, and not on the main one', async () => {
    const ops = gw.opsAddress();
    expect(ops).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ops).not.toBe(gw.httpAddress());
    expect((await fetch(`${ops}/metrics`)).status).toBe(200);
    expect([200, 503]).toContain((await fetch(`${ops}/readyz`)).status);
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);
    expect((await gw.http.inject({ url: '/metrics', headers: auth })).statusCode).toBe(404);
    expect((await gw.http.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('HTTP with Redis down', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await gatewayWith('redis://127.0.0.1:1');
  });
  afterAll(async () => gw.stop());

  it('reports not ready, naming Redis', async () => {
    const res = await gw.http.inject({ url: '/readyz', headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json<{ down: string[] }>().down).toEqual(expect.arrayContaining([expect.stringMatching(/^redis: not connected/)]));
  });

  it('answers inbound traffic with 503 and Retry-After, so the sender retries', async () => {
    const res = await injectInbound(gw, { from: '+15551234567', to: 'alice@localhost', body: 'hi' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ error: 'QUEUE_UNAVAILABLE' });
  });
});
