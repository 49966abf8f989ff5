/**
 * The queue dashboard at /admin/ (bull-board) on a real gateway (real Redis,
 * no XMPP server), through inject(): the admin token as Bearer or as a Basic
 * password, the Basic challenge on a refusal, the page, its JSON API, and the
 * gateway's own queues and jobs in it.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { ensureRedis, uniquePrefix } from '../support/redis.js';
import { sleep } from '../support/waits.js';

const TOKEN = 'test-admin-token-0123456789';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  jobs: Array<{ id: string; data: unknown }>;
}

describe('queue dashboard at /admin/', () => {
  let gw: Gateway;
  beforeAll(async () => {
    const config = parseConfig(
      `
xmpp: { host: 127.0.0.1, port: 1 }
redis: { url: "${await ensureRedis()}", prefix: ${uniquePrefix('board')} }
http: { host: 127.0.0.1, port: 0, adminToken: ${TOKEN} }
components:
  - { domain: sms.localhost, secret: s, network: sms, provider: sandbox, numbers: { "+15550001111": alice@localhost } }
  - { domain: hooks.localhost, secret: s, network: webhook, provider: http, endpoints: { ci: { url: "http://127.0.0.1:1/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw } } }
`,
      {},
    );
    // No worker and no XMPP link in this process: what the gateway queues stays in its queue.
    gw = buildGateway({ config, logger: pino({ level: 'silent' }), roles: { component: false, worker: false, http: true } });
    await gw.start();
    for (let i = 0; i < 100 && (await gw.readiness()).checks.redis !== 'ok'; i++) await sleep(20);
  });
  afterAll(async () => gw?.stop());

  it('refuses without the token, or with a wrong one, with a Basic challenge', async () => {
    const wrong = [{}, bearer('wrong-token-wrong-token'), basic('admin', 'wrong-token-wrong-token'), basic(TOKEN, ''), { authorization: TOKEN }];
    for (const url of ['/admin/', '/admin/api/queues', '/admin/queue/out%2Fsms.localhost']) {
      for (const headers of wrong) {
        const res = await gw.http.inject({ url, headers });
        expect(res.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Basic realm="xmpp-gateway admin", charset="UTF-8"');
        expect(res.body).not.toContain('sms.localhost');
      }
    }
  });

  it('serves the page and its assets with the token as Bearer or as a Basic password (any user)', async () => {
    for (const headers of [bearer(TOKEN), basic('anyone', TOKEN), basic('', TOKEN)]) {
      const page = await gw.http.inject({ url: '/admin/', headers });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.body).toContain('<base href="/admin/" />');
      // The stylesheet the page links is served under the same token.
      const css = /href="(static\/css\/[^"]+\.css)"/.exec(page.body)?.[1];
      expect(css).toBeDefined();
      expect((await gw.http.inject({ url: `/admin/${css}`, headers })).statusCode).toBe(200);
      expect((await gw.http.inject({ url: `/admin/${css}` })).statusCode).toBe(401);
    }
    // A queue's own page (the name holds a '/', so it is encoded).
    expect((await gw.http.inject({ url: '/admin/queue/out%2Fsms.localhost', headers: bearer(TOKEN) })).statusCode).toBe(200);
  });

  it("lists exactly the gateway's queues, outbound and inbound per component", async () => {
    const res = await gw.http.inject({ url: '/admin/api/queues', headers: basic('ops', TOKEN) });
    expect(res.statusCode).toBe(200);
    const names = (res.json() as { queues: BoardQueue[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['in/hooks.localhost', 'in/sms.localhost', 'out/hooks.localhost', 'out/sms.localhost']);
  });

  it('shows a job the gateway queued', async () => {
    const queued = await gw.http.inject({
      method: 'POST',
      url: '/sandbox/sms.localhost/inbound',
      headers: bearer(TOKEN),
      payload: { id: 'board-1', from: '+15551234567', to: '+15550001111', body: 'seen on the board' },
    });
    expect(queued.statusCode).toBe(202);
    const { jobId } = queued.json() as { jobId: string };
    const res = await gw.http.inject({
      url: `/admin/api/queues?activeQueue=${encodeURIComponent('in/sms.localhost')}&status=waiting&page=1&jobsPerPage=50`,
      headers: bearer(TOKEN),
    });
    expect(res.statusCode).toBe(200);
    const inbound = (res.json() as { queues: BoardQueue[] }).queues.find((q) => q.name === 'in/sms.localhost');
    expect(inbound?.counts.waiting).toBe(1);
    expect(inbound?.jobs).toEqual([expect.objectContaining({ id: jobId, data: expect.objectContaining({ body: 'seen on the board', to: 'alice@localhost' }) })]);
    // And the job on its own.
    const one = await gw.http.inject({ url: `/admin/api/queues/${encodeURIComponent('in/sms.localhost')}/${jobId}`, headers: bearer(TOKEN) });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ job: { id: jobId } });
  });

  it('keeps the JSON admin routes beside it', async () => {
    const res = await gw.http.inject({ url: '/admin/queues', headers: basic('ops', TOKEN) });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json() as object).sort()).toEqual(['in/hooks.localhost', 'in/sms.localhost', 'out/hooks.localhost', 'out/sms.localhost']);
  });
});
