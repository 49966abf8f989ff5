/**
 * Inbound webhooks end to end: real Prosody, real Redis, the built gateway.
 * Services post to POST /webhooks/hooks.localhost/<name> as they really do
 * (a Standard Webhooks-signed script, Alertmanager with a bearer token,
 * GitHub with X-Hub-Signature-256, a script worded by a template hook) and the message lands in the user's chat
 * from <name>@hooks.localhost, once, also after the component reconnects;
 * forged, stale, replayed and malformed posts deliver nothing.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2EStack, component } from '../support/stack.js';
import { ADMIN_AUTH } from '../support/gateway.js';
import { sleep } from '../support/waits.js';
import type { TestClient } from '../support/xmpp-client.js';
import { HOOKS, postHook, signedJson, whsec } from './webhook-support.js';

const WHSEC = whsec(5);
const GH_SECRET = 'e2e-github-secret-0123';
const TOKEN = 'e2e-alertmanager-token-0123';

describe('webhooks: inbound (e2e)', () => {
  let stack: E2EStack;
  let alice: TestClient;

  const post = (hook: string, body: string, headers: Record<string, string>) => postHook(stack, hook, body, headers);
  const signed = (body: string, id: string, at?: number) => signedJson(WHSEC, id, body, at);
  const bodies = (client: TestClient, text: string) => client.received.filter((el) => el.getChildText('body') === text);

  beforeAll(async () => {
    stack = await E2EStack.start({
      label: 'webhook-in',
      users: ['alice'],
      components: [
        component(HOOKS, 'webhook', 'http', [
          'inbound:',
          `  notes: { secret: "${WHSEC}", to: [alice@localhost] }`,
          `  am: { verify: bearer, token: "${TOKEN}", format: alertmanager, to: [alice@localhost] }`,
          `  gh: { verify: github, secret: "${GH_SECRET}", format: github, to: [alice@localhost] }`,
          `  deploys: { secret: "${WHSEC}", format: template, template: "{{ service }} {{ version }} deployed by {{ user.name }}{% if url %}: {{ url }}{% endif %}", to: [alice@localhost] }`,
        ]),
      ],
    });
    alice = await stack.login('alice');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('delivers a signed post to the chat, from the hook, once however often it is replayed', async () => {
    const body = JSON.stringify({ text: 'nightly backup finished' });
    const headers = signed(body, 'msg_e2e_1');
    expect((await post('notes', body, headers)).status).toBe(202);
    const msg = await alice.waitFor((el) => el.getChildText('body') === 'nightly backup finished');
    expect(msg.attrs).toMatchObject({ from: `notes@${HOOKS}`, type: 'chat' });
    const replay = await post('notes', body, headers);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ outcome: 'duplicate' });
    await stack.waitSettled();
    await sleep(300);
    expect(bodies(alice, 'nightly backup finished')).toHaveLength(1);
  });

  it('delivers Alertmanager firing and resolved, each once, deduped without ids', async () => {
    const alert = (status: 'firing' | 'resolved') =>
      JSON.stringify({
        version: '4',
        status,
        receiver: 'xmpp',
        groupKey: '{}:{alertname="DiskFull"}',
        groupLabels: { alertname: 'DiskFull' },
        commonLabels: { alertname: 'DiskFull', host: 'db-1' },
        commonAnnotations: {},
        externalURL: 'http://alertmanager.example.org:9093',
        truncatedAlerts: 0,
        alerts: [{ status, labels: { alertname: 'DiskFull', host: 'db-1' }, annotations: { summary: '/var at 97%' }, fingerprint: 'f00d', generatorURL: 'http://prometheus.example.org/g' }],
      });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    expect((await post('am', alert('firing'), headers)).status).toBe(202);
    expect((await post('am', alert('firing'), headers)).status).toBe(200);
    // Alertmanager reports resolved minutes later; a resolved job that overtook its firing one would come as a new message.
    await alice.waitFor((el) => el.getChildText('body')?.startsWith('[FIRING:1] DiskFull') === true);
    expect((await post('am', alert('resolved'), headers)).status).toBe(202);
    const resolved = await alice.waitFor((el) => el.getChildText('body')?.startsWith('[RESOLVED] DiskFull') === true);
    const firing = alice.received.filter((el) => el.getChildText('body')?.startsWith('[FIRING:1] DiskFull') === true);
    expect(firing).toHaveLength(1);
    expect(firing[0]?.getChildText('body')).toContain('• DiskFull: /var at 97%');
    // The resolved notice corrects the firing one in place (XEP-0308).
    expect(resolved.getChild('replace', 'urn:xmpp:message-correct:0')?.attrs.id).toBe(firing[0]?.attrs.id);
  });

  it('delivers a signed GitHub push and refuses a forged one', async () => {
    const payload = JSON.stringify({ ref: 'refs/heads/main', compare: 'https://github.com/acme/app/compare/1...2', pusher: { name: 'carol' }, commits: [{ message: 'Ship it' }], repository: { full_name: 'acme/app' }, sender: { login: 'carol' } });
    const sign = (secret: string) => `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;
    const headers = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'e2e-delivery-1' };
    const forged = await post('gh', payload, { ...headers, 'x-github-delivery': 'e2e-delivery-2', 'x-hub-signature-256': sign('guessed-secret') });
    expect(forged.status).toBe(401);
    expect((await post('gh', payload, { ...headers, 'x-hub-signature-256': sign(GH_SECRET) })).status).toBe(202);
    const msg = await alice.waitFor((el) => el.getChildText('body')?.startsWith('[acme/app] carol pushed 1 commit to main') === true);
    expect(msg.attrs.from).toBe(`gh@${HOOKS}`);
    expect((await post('gh', payload, { ...headers, 'x-hub-signature-256': sign(GH_SECRET) })).status).toBe(200);
    await stack.waitSettled();
    expect(alice.received.filter((el) => el.getChildText('body')?.startsWith('[acme/app] carol pushed') === true)).toHaveLength(1);
  });

  it('delivers a signed post to a template hook as the text its template renders', async () => {
    const body = JSON.stringify({ service: 'api', version: '1.4.2', user: { name: 'carol' }, url: 'https://ci.example.net/runs/88' });
    expect((await post('deploys', body, signed(body, 'msg_e2e_tpl'))).status).toBe(202);
    const msg = await alice.waitFor((el) => el.getChildText('body') === 'api 1.4.2 deployed by carol: https://ci.example.net/runs/88');
    expect(msg.attrs).toMatchObject({ from: `deploys@${HOOKS}`, type: 'chat' });
  });

  it('answers each bad input with its status and a JSON reason, and delivers none of it', async () => {
    const text = (t: string) => JSON.stringify({ text: t });
    const cases: Array<[number, Promise<Response>]> = [
      [404, post('nosuch', text('bad-404'), signed(text('bad-404'), 'b1'))],
      [401, post('notes', text('bad-401'), { 'content-type': 'application/json' })],
      [400, post('notes', text('bad-400'), signed(text('bad-400'), 'b2', Math.floor(Date.now() / 1000) - 600))],
      [415, post('notes', '<x>bad-415</x>', { 'content-type': 'application/xml' })],
      [413, post('notes', text(`bad-413 ${'x'.repeat(70_000)}`), signed(text(`bad-413 ${'x'.repeat(70_000)}`), 'b3'))],
      [422, post('am', '{"text":"bad-422"}', { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` })],
    ];
    for (const [status, pending] of cases) {
      const res = await pending;
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ error: expect.any(String), message: expect.any(String) });
    }
    const metrics = await (await fetch(`${stack.gateway.httpUrl}/metrics`, ADMIN_AUTH)).text();
    for (const [hook, outcome] of [['unknown', 'unknown_hook'], ['notes', 'unauthorized'], ['notes', 'stale'], ['notes', 'unsupported_type'], ['notes', 'too_large'], ['am', 'invalid']]) {
      expect(metrics).toMatch(new RegExp(`xgw_webhook_requests_total\\{domain="${HOOKS}",hook="${hook}",outcome="${outcome}"\\} 1`));
    }
    await sleep(500);
    expect(alice.received.some((el) => el.getChildText('body')?.includes('bad-') === true)).toBe(false);
  });

  it('delivers again after the XMPP server restarts and the component reconnects', async () => {
    await stack.prosody.restart();
    // Logged in first: the test Prosody keeps no offline messages, so the user must be there to see it.
    const back = await stack.login('alice', { retryForMs: 20_000 });
    const body = JSON.stringify({ text: 'after the restart' });
    expect((await post('notes', body, signed(body, 'msg_e2e_after'))).status).toBe(202);
    const msg = await back.waitFor((el) => el.getChildText('body') === 'after the restart', 30_000);
    expect(msg.attrs.from).toBe(`notes@${HOOKS}`);
  });
});
