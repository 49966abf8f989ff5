/**
 * The sandbox console's HTTP surface on a real gateway and Redis (no XMPP
 * server), through inject(): the page and its files are open and locked
 * down, the JSON routes need the admin token, the component list names only
 * sandbox components with who owns which address, outbox entries carry a
 * status, and the inbox records what was injected.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { QueueProducer } from '../../src/queue/producer.js';
import { producerConnection } from '../../src/queue/redis.js';
import { outboundMessage } from '../support/fixtures.js';
import { ensureRedis, uniquePrefix } from '../support/redis.js';
import { eventually } from '../support/waits.js';

const TOKEN = 'console-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const SMS = 'sms.localhost';

interface Outboxed {
  id: string;
  body: string;
  status: string;
  statusReason?: string;
}

describe('sandbox console routes', () => {
  let gw: Gateway;
  let producer: QueueProducer;
  let redis: ReturnType<typeof producerConnection>;
  const prefix = uniquePrefix('console');

  beforeAll(async () => {
    const url = await ensureRedis();
    const config = parseConfig(
      `
xmpp: { host: 127.0.0.1, port: 1 }
redis: { url: "${url}", prefix: ${prefix} }
http: { host: 127.0.0.1, port: 0, adminToken: ${TOKEN} }
components:
  - { domain: ${SMS}, secret: s, network: sms, provider: sandbox, numbers: { "+15550001111": alice@localhost }, numberPool: ["+15550002222"] }
  - { domain: mail.localhost, secret: s, network: email, provider: sandbox, addresses: { alice@mail.localhost: alice@localhost } }
  - { domain: hooks.localhost, secret: s, network: webhook, provider: sandbox }
  - domain: twilio.localhost
    secret: s
    network: sms
    provider: twilio
    numbers: { "+15550003333": bob@localhost }
    twilio: { accountSid: AC00000000000000000000000000000000, authToken: t, apiBaseUrl: "http://127.0.0.1:9" }
`,
      {},
    );
    // The worker role delivers what the test enqueues; there is no XMPP server.
    gw = buildGateway({ config, logger: pino({ level: 'silent' }), roles: { component: false, worker: true, http: true } });
    await gw.start();
    redis = producerConnection(url);
    producer = new QueueProducer(redis, prefix, [SMS]);
  });

  afterAll(async () => {
    await producer?.close();
    redis?.disconnect();
    await gw?.stop();
  });

  it('serves the page, its script and stylesheet without a token, locked to its own origin', async () => {
    const page = await gw.http.inject({ url: '/sandbox/console' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).toContain('<script src="/sandbox/console/console.js"');
    const script = await gw.http.inject({ url: '/sandbox/console/console.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.body).toContain('/sandbox/console/components');
    expect((await gw.http.inject({ url: '/sandbox/console/console.css' })).headers['content-type']).toMatch(/^text\/css/);
  });

  it('answers 401 on every data route without the right token', async () => {
    for (const url of ['/sandbox/console/components', `/sandbox/${SMS}/outbox`, `/sandbox/${SMS}/inbox`]) {
      const bare = await gw.http.inject({ url });
      expect(bare.statusCode, url).toBe(401);
      expect(bare.body).not.toContain('alice');
      expect((await gw.http.inject({ url, headers: { authorization: 'Bearer wrong-token-wrong-token' } })).statusCode, url).toBe(401);
    }
    const post = await gw.http.inject({ method: 'POST', url: `/sandbox/${SMS}/inbound`, payload: { from: '+15551234567', to: 'alice@localhost', body: 'x' } });
    expect(post.statusCode).toBe(401);
  });

  it('lists the sandbox components, not the others, with who owns which address', async () => {
    const res = await gw.http.inject({ url: '/sandbox/console/components', headers: auth });
    expect(res.statusCode).toBe(200);
    // Configured assignments reach Redis once it is connected.
    const components = await eventually(async () => {
      const list = (await gw.http.inject({ url: '/sandbox/console/components', headers: auth })).json<Array<{ addresses: Record<string, string> }>>();
      // Both networks' assignments: they are seeded one component after the other.
      return list.length === 3 && list.slice(0, 2).every((c) => Object.keys(c.addresses).length > 0) ? list : undefined;
    }, 5000, 'configured numbers in the component list');
    expect(components).toEqual([
      { domain: SMS, network: 'sms', name: 'SMS gateway', addressLabel: 'Phone number', addresses: { '+15550001111': 'alice@localhost' } },
      { domain: 'mail.localhost', network: 'email', name: 'Email gateway', addressLabel: 'Mail address', addresses: { 'alice@mail.localhost': 'alice@localhost' } },
      { domain: 'hooks.localhost', network: 'webhook', name: 'Webhook gateway', addresses: {} },
    ]);
  });

  it('gives each sent message a status: sent, then what the admin marked, with the reason', async () => {
    const first = outboundMessage({ body: 'first' });
    const second = outboundMessage({ body: 'second' });
    await producer.enqueueOutbound(first);
    await producer.enqueueOutbound(second);
    const outbox = () => gw.http.inject({ url: `/sandbox/${SMS}/outbox`, headers: auth }).then((r) => r.json<Outboxed[]>());
    // The worker delivers with concurrency, so the outbox may hold them in either order.
    const byBody = (box: Outboxed[]) => [...box].sort((x, y) => x.body.localeCompare(y.body));
    const sent = await eventually(async () => {
      const box = await outbox();
      return box.length === 2 ? byBody(box) : undefined;
    }, 10_000, 'both messages in the outbox');
    expect(sent.map((e) => [e.body, e.status])).toEqual([
      ['first', 'sent'],
      ['second', 'sent'],
    ]);
    const [a, b] = sent as [Outboxed, Outboxed];
    const mark = (payload: object) => gw.http.inject({ method: 'POST', url: `/sandbox/${SMS}/inbound`, headers: auth, payload });
    expect((await mark({ status: 'delivered', id: a.id })).statusCode).toBe(202);
    expect((await mark({ status: 'failed', id: b.id, reason: 'phone switched off' })).statusCode).toBe(202);
    expect(byBody(await outbox()).map((e) => [e.body, e.status, e.statusReason])).toEqual([
      ['first', 'delivered', undefined],
      ['second', 'failed', 'phone switched off'],
    ]);
    expect((await mark({ status: 'delivered', id: '9-9' })).statusCode).toBe(404);
  });

  it('records injected messages in the inbox, once per id, and not the unroutable ones', async () => {
    const inject = (payload: object) => gw.http.inject({ method: 'POST', url: `/sandbox/${SMS}/inbound`, headers: auth, payload });
    expect((await inject({ id: 'c-1', from: '+15551234567', to: '+15550001111', body: 'hello alice' })).statusCode).toBe(202);
    expect((await inject({ id: 'c-1', from: '+15551234567', to: '+15550001111', body: 'hello alice' })).statusCode).toBe(200);
    expect((await inject({ from: '+15551234567', to: '+15559999999', body: 'nobody' })).statusCode).toBe(422);
    const inbox = (await gw.http.inject({ url: `/sandbox/${SMS}/inbox`, headers: auth })).json<unknown[]>();
    expect(inbox).toEqual([
      { id: expect.stringMatching(/^\d+-\d+$/), messageId: 'c-1', from: '+15551234567', to: '+15550001111', body: 'hello alice', receivedAt: expect.any(String) },
    ]);
    expect((await gw.http.inject({ method: 'DELETE', url: `/sandbox/${SMS}/inbox`, headers: auth })).statusCode).toBe(204);
    expect((await gw.http.inject({ url: `/sandbox/${SMS}/inbox`, headers: auth })).json()).toEqual([]);
  });
});
