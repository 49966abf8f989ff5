/**
 * Inbound hooks, POST /webhooks/<domain>/<name>, on the gateway's own HTTP
 * server: each verify scheme, each format, the dedupe id, and every bad-input
 * answer (404/401/400/415/413/422), each a JSON reason, a log line and a
 * metric, with nothing emitted.
 */
import { createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpWebhookAdapter } from '../../../adapters/webhook/http/index.js';
import { standardWebhookHeaders } from '../../../adapters/webhook/http/signing.js';
import { GatewayMetrics } from '../../../src/metrics.js';
import { adapterContext, gatewayServer, providerConfig, recordingLogger, serverRoutes, type RecordingContext } from '../../support/fixtures.js';

const DOMAIN = 'hooks.example.org';
const WHSEC = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const GH_SECRET = 'github-secret-0123456789';
const TOKEN = 'bearer-token-0123456789';

const alertmanager = (status: 'firing' | 'resolved') => ({
  receiver: 'xmpp',
  status,
  alerts: [
    {
      status,
      labels: { alertname: 'HighLatency', service: 'api', instance: 'api-1' },
      annotations: { summary: 'p99 above 2 s' },
      startsAt: '2026-11-30T10:00:00Z',
      endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-30T10:20:00Z',
      generatorURL: 'http://prometheus.example.org/graph?g0.expr=latency',
      fingerprint: '1a30ba71cca2921f',
    },
  ],
  groupLabels: { alertname: 'HighLatency' },
  commonLabels: { alertname: 'HighLatency', service: 'api', instance: 'api-1' },
  commonAnnotations: { summary: 'p99 above 2 s' },
  externalURL: 'http://alertmanager.example.org:9093',
  version: '4',
  groupKey: '{}:{alertname="HighLatency"}',
  truncatedAlerts: 0,
});

let logLines: Array<Record<string, unknown>>;
let metrics: GatewayMetrics;
let ctx: RecordingContext;
let post: (hook: string, body: string, headers: Record<string, string>) => Promise<{ statusCode: number; json(): unknown }>;

beforeEach(async () => {
  logLines = [];
  metrics = new GatewayMetrics();
  const config = providerConfig('http', {
    domain: DOMAIN,
    network: 'webhook',
    inbound: {
      notes: { secret: WHSEC, to: ['alice@localhost', 'bob@localhost'] },
      am: { verify: 'bearer', token: TOKEN, format: 'alertmanager', to: ['alice@localhost'] },
      grafana: { verify: 'basic', username: 'grafana', password: 'grafana-password', format: 'grafana', to: ['alice@localhost'] },
      gh: { verify: 'github', secret: GH_SECRET, format: 'github', to: ['alice@localhost'] },
    },
  });
  const logger = recordingLogger(logLines);
  const app = gatewayServer(logger, 4096);
  ctx = adapterContext(config, { logger, http: serverRoutes(app, DOMAIN), metrics });
  await new HttpWebhookAdapter(config).start(ctx);
  await app.ready();
  post = (hook, body, headers) => app.inject({ method: 'POST', url: `/webhooks/${DOMAIN}/${hook}`, payload: body, headers });
});

const json = { 'content-type': 'application/json' };
const signed = (body: string, id = 'msg_1', at = Math.floor(Date.now() / 1000), secret = WHSEC) => ({ ...json, ...standardWebhookHeaders([secret], id, at, body) });
const github = (event: string, payload: unknown, secret = GH_SECRET) => {
  const body = JSON.stringify(payload);
  return { body, headers: { ...json, 'x-github-event': event, 'x-github-delivery': 'd-1', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` } };
};
const counted = async (hook: string, outcome: string) =>
  (await metrics.registry.getSingleMetric('xgw_webhook_requests_total')?.get())?.values.find((v) => v.labels.hook === hook && v.labels.outcome === outcome)?.value ?? 0;
const refusals = () => logLines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('inbound webhook') && l.msg.includes('refused'));

describe('inbound hooks', () => {
  it('takes a Standard Webhooks post to every recipient, with webhook-id as the dedupe id', async () => {
    const body = JSON.stringify({ text: 'backup finished' });
    const res = await post('notes', body, signed(body, 'msg_42'));
    expect(res.statusCode).toBe(202);
    expect(ctx.emitted).toEqual([
      {
        kind: 'message',
        id: 'hook:notes:msg_42',
        from: 'notes',
        to: 'alice@localhost',
        recipients: [{ jid: 'alice@localhost', type: 'chat' }, { jid: 'bob@localhost', type: 'chat' }],
        body: 'backup finished',
      },
    ]);
    expect(await counted('notes', 'queued')).toBe(1);
  });

  it.each([
    ['a forged signature', 'notes', () => ({ ...signed('{"text":"x"}', 'msg_1', undefined, `whsec_${Buffer.alloc(32, 1).toString('base64')}`) }), '{"text":"x"}', 401, 'unauthorized'],
    ['no signature', 'notes', () => json, '{"text":"x"}', 401, 'unauthorized'],
    ['a stale timestamp', 'notes', () => signed('{"text":"x"}', 'msg_1', Math.floor(Date.now() / 1000) - 301), '{"text":"x"}', 400, 'stale'],
    ['an unknown hook', 'nosuch', () => signed('{"text":"x"}'), '{"text":"x"}', 404, 'unknown_hook'],
    ['a media type the gateway never takes', 'notes', () => ({ 'content-type': 'application/xml' }), '<x/>', 415, 'unsupported_type'],
    ['text/plain to an alertmanager hook', 'am', () => ({ 'content-type': 'text/plain', authorization: `Bearer ${TOKEN}` }), 'hi', 415, 'unsupported_type'],
    ['a body over the limit', 'notes', () => signed('{"text":"' + 'x'.repeat(5000) + '"}'), '{"text":"' + 'x'.repeat(5000) + '"}', 413, 'too_large'],
    ['a wrong bearer token', 'am', () => ({ ...json, authorization: 'Bearer nope-nope-nope-nope' }), JSON.stringify(alertmanager('firing')), 401, 'unauthorized'],
    ['a payload that is not Alertmanager', 'am', () => ({ ...json, authorization: `Bearer ${TOKEN}` }), '{"hello":"world"}', 422, 'invalid'],
    ['JSON that does not parse', 'am', () => ({ ...json, authorization: `Bearer ${TOKEN}` }), '{"status":', 422, 'invalid'],
    ['plain JSON without text', 'notes', () => signed('{"msg":"x"}'), '{"msg":"x"}', 422, 'invalid'],
  ])('refuses %s with a JSON reason, a log line and a metric, delivering nothing', async (_what, hook, headers, body, status, outcome) => {
    const res = await post(hook, body, headers());
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ error: expect.any(String), message: expect.any(String) });
    expect(ctx.emitted).toEqual([]);
    expect(refusals()).toHaveLength(1);
    expect(await counted(hook === 'nosuch' ? 'unknown' : hook, outcome)).toBe(1);
  });

  it('renders Alertmanager firing and resolved, deduped on group, status and fingerprints', async () => {
    const headers = { ...json, authorization: `Bearer ${TOKEN}` };
    await post('am', JSON.stringify(alertmanager('firing')), headers);
    await post('am', JSON.stringify(alertmanager('firing')), headers);
    await post('am', JSON.stringify(alertmanager('resolved')), headers);
    const [first, again, resolved] = ctx.emitted as Array<{ id: string; body: string }>;
    expect(first?.body).toBe(
      '[FIRING:1] HighLatency\n• HighLatency: p99 above 2 s\n  http://prometheus.example.org/graph?g0.expr=latency\nhttp://alertmanager.example.org:9093',
    );
    expect(again?.id).toBe(first?.id);
    expect(resolved?.id).not.toBe(first?.id);
    expect(resolved?.body).toMatch(/^\[RESOLVED\] HighLatency\n/);
  });

  it('renders Grafana alerts behind HTTP Basic, with their title', async () => {
    const payload = { ...alertmanager('firing'), title: '[FIRING:1] High memory usage', orgId: 1, alerts: [{ ...alertmanager('firing').alerts[0], panelURL: 'https://grafana.example.org/d/x?viewPanel=2' }] };
    const auth = `Basic ${Buffer.from('grafana:grafana-password').toString('base64')}`;
    expect((await post('grafana', JSON.stringify(payload), { ...json, authorization: auth })).statusCode).toBe(202);
    expect((ctx.emitted[0] as { body: string }).body).toMatch(/^\[FIRING:1\] High memory usage\n• HighLatency: p99 above 2 s\n {2}https:\/\/grafana\.example\.org\/d\/x\?viewPanel=2/);
    const wrong = `Basic ${Buffer.from('grafana:guess').toString('base64')}`;
    expect((await post('grafana', JSON.stringify(payload), { ...json, authorization: wrong })).statusCode).toBe(401);
  });

  it('renders signed GitHub events, one line for events it does not render, and refuses forged ones', async () => {
    const push = github('push', {
      ref: 'refs/heads/main',
      compare: 'https://github.com/acme/app/compare/a...b',
      pusher: { name: 'carol' },
      commits: [{ message: 'Fix login\n\nlong text' }, { message: 'Bump version' }],
      repository: { full_name: 'acme/app' },
      sender: { login: 'carol' },
    });
    expect((await post('gh', push.body, push.headers)).statusCode).toBe(202);
    const star = github('star', { action: 'created', repository: { full_name: 'acme/app' }, sender: { login: 'dave' } });
    await post('gh', star.body, star.headers);
    expect(ctx.emitted.map((e) => (e as { body: string }).body)).toEqual([
      '[acme/app] carol pushed 2 commits to main: Bump version\nhttps://github.com/acme/app/compare/a...b',
      '[acme/app] unsupported event star',
    ]);
    expect((ctx.emitted[0] as { id: string }).id).toBe('hook:gh:d-1');
    const forged = github('push', { ref: 'refs/heads/main' }, 'not-the-secret-0123');
    expect((await post('gh', forged.body, forged.headers)).statusCode).toBe(401);
    expect(ctx.emitted).toHaveLength(2);
  });

  it('takes GitHub form posts (payload=...) too', async () => {
    const payload = JSON.stringify({ action: 'opened', number: 7, pull_request: { number: 7, title: 'Add SSO', html_url: 'https://github.com/acme/app/pull/7' }, repository: { full_name: 'acme/app' }, sender: { login: 'erin' } });
    const body = new URLSearchParams({ payload }).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'pull_request', 'x-hub-signature-256': `sha256=${createHmac('sha256', GH_SECRET).update(body).digest('hex')}` };
    expect((await post('gh', body, headers)).statusCode).toBe(202);
    expect((ctx.emitted[0] as { body: string }).body).toBe('[acme/app] erin opened PR #7: Add SSO\nhttps://github.com/acme/app/pull/7');
  });
});
