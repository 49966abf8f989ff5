/**
 * Hostile HTTP against the built gateway (real Prosody, Redis, the Twilio and
 * Telnyx doubles, the sandbox): path tricks, admin and sandbox routes without
 * the token, and pacing of a burst. Every bad request must get a 4xx with a
 * JSON reason (where Node itself answers first, the counts say so), nothing
 * forged may be delivered, and the gateway stays up. The stack is in ./http-
 * stack.ts; the other attack kinds are in the sibling http-*.test.ts files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/gateway.js';
import { eventually, sleep } from '../support/waits.js';
import { xml } from '../support/xmpp-client.js';
import { admin, useHttpAbuseStack, type HttpAbuseParts, SMS, TW, PHONE, ALICE_TW_NUMBER } from './http-stack.js';
import { Tally, isJsonError, rawHttp } from './support.js';

describe('hostile HTTP (real Prosody + built gateway + provider doubles)', () => {
  const abuse = useHttpAbuseStack();
  const { post, judge } = abuse;
  let { gateway, twilio, alice, bob, port } = {} as HttpAbuseParts;

  beforeAll(() => void ({ gateway, twilio, alice, bob, port } = abuse.started));

  it('path tricks and unknown domains: 404 with JSON, never another route', async () => {
    const tally = new Tally('http-paths');
    const bad: string[] = [];
    const nodeLevel: string[] = [];
    const raw = async (what: string, line: string, headers = '', expectStatus: number | RegExp = 404) => {
      const answer = await rawHttp(port, `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers}\r\n`);
      if (answer.status === 200) bad.push(`${what}: 200 ${answer.body.slice(0, 80)}`);
      if (!isJsonError(answer.body) && answer.status >= 400) nodeLevel.push(`${what} -> ${answer.status} (no JSON: answered by Node's HTTP parser)`);
      judge(tally, what, { status: answer.status, text: isJsonError(answer.body) ? answer.body : JSON.stringify({ error: `HTTP ${answer.status}` }) }, bad, expectStatus);
    };
    await raw('/webhooks/../admin/queues', 'GET /webhooks/../admin/queues');
    await raw('/webhooks/%2e%2e/admin/queues', 'GET /webhooks/%2e%2e/admin/queues');
    await raw('/webhooks/tw/..%2f..%2fadmin/queues', `GET /webhooks/${TW}/..%2f..%2fadmin/queues`);
    await raw('/sandbox/<d>/../../admin/queues with token', `GET /sandbox/${SMS}/../../admin/queues`, `Authorization: Bearer ${ADMIN_TOKEN}\r\n`);
    await raw('/webhooks/<tw>/messages/../../../etc/passwd', `POST /webhooks/${TW}/messages/../../../etc/passwd`, 'Content-Length: 0\r\n');
    await raw('unknown domain under /webhooks', 'POST /webhooks/unknown.localhost/messages', 'Content-Length: 0\r\n');
    await raw('unknown domain under /sandbox (with token)', 'GET /sandbox/unknown.localhost/outbox', `Authorization: Bearer ${ADMIN_TOKEN}\r\n`);
    await raw('unknown domain under /sandbox (no token)', 'GET /sandbox/unknown.localhost/outbox');
    await raw('domain with a NUL', 'GET /sandbox/sms.localhost%00/outbox', `Authorization: Bearer ${ADMIN_TOKEN}\r\n`);
    await raw('upper-case domain', `GET /sandbox/SMS.LOCALHOST/outbox`, `Authorization: Bearer ${ADMIN_TOKEN}\r\n`);
    await raw('encoded slash in domain', `GET /sandbox/sms.localhost%2foutbox`, `Authorization: Bearer ${ADMIN_TOKEN}\r\n`);
    await raw('unknown queue name', `GET /admin/queues/out/..%2f..%2fetc/jobs`, `Authorization: Bearer ${ADMIN_TOKEN}\r\n`);
    await raw('8 KB path', `GET /webhooks/${'a'.repeat(8192)}`);
    await raw('absolute-form request target to another host', `GET http://evil.example/admin/queues`, '', /^(401|404)$/);
    await raw('asterisk target', 'OPTIONS *', '', /^(400|404)$/);
    await raw('20 KB path (over Node\'s 16 KB header limit)', `GET /${'a'.repeat(20_000)}`, '', 431);
    await raw('header of 20 KB', 'GET /healthz', `X-Junk: ${'j'.repeat(20_000)}\r\n`, 431);
    await raw('TRACE method', 'TRACE /webhooks/tw.localhost/messages', '', /^(404|405)$/);
    for (const n of nodeLevel) tally.note(n);
    await tally.print(gateway);
    expect(bad).toEqual([]);
  });

  it('admin and sandbox routes without the right token: 401 with a JSON reason, and nothing changes', async () => {
    const tally = new Tally('http-admin');
    const bad: string[] = [];
    await gateway.api('POST', `/sandbox/${SMS}/inbound`, { from: PHONE, to: 'alice@localhost', body: 'admin baseline' });
    const before = (await gateway.api<unknown[]>('GET', `/sandbox/${SMS}/outbox`)).body.length;
    const inboxBefore = (await gateway.api<unknown[]>('GET', `/sandbox/${SMS}/inbox`)).body.length;
    expect(inboxBefore).toBeGreaterThan(0);
    const tokens: Array<[string, Record<string, string>]> = [
      ['no token', {}],
      ['wrong token', { authorization: 'Bearer wrong' }],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['token prefix', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
      ['token plus a char', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
      // Basic with the token as the password is accepted (a browser opening /admin/); these are not.
      ['Basic, wrong password', { authorization: `Basic ${Buffer.from('admin:wrong-token-wrong-token').toString('base64')}` }],
      ['Basic, the token as the user name', { authorization: `Basic ${Buffer.from(`${ADMIN_TOKEN}:`).toString('base64')}` }],
      ['Basic, no colon', { authorization: `Basic ${Buffer.from(ADMIN_TOKEN).toString('base64')}` }],
      ['token as query', {}],
      ['8 KB token', { authorization: `Bearer ${'t'.repeat(8192)}` }],
    ];
    const routes: Array<[string, string, string | undefined]> = [
      ['GET', '/admin/queues', undefined],
      ['GET', `/admin/queues/out/${TW}/jobs`, undefined],
      ['POST', `/admin/queues/out/${TW}/retry`, '{}'],
      ['GET', `/sandbox/${SMS}/outbox`, undefined],
      ['DELETE', `/sandbox/${SMS}/outbox`, undefined],
      ['PUT', `/sandbox/${SMS}/faults`, '{"mode":"permanent"}'],
      ['POST', `/sandbox/${SMS}/inbound`, '{"from":"+15551234567","to":"alice@localhost","body":"unauthorized inject"}'],
      ['GET', `/sandbox/${SMS}/inbox`, undefined],
      ['DELETE', `/sandbox/${SMS}/inbox`, undefined],
      ['GET', '/sandbox/console/components', undefined],
    ];
    for (const [what, headers] of tokens) {
      for (const [method, path, body] of routes) {
        const url = what === 'token as query' ? `${path}?token=${ADMIN_TOKEN}&access_token=${ADMIN_TOKEN}` : path;
        judge(tally, `${what} ${method} ${path}`, await post(url, { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body, method), bad, 401);
      }
    }
    await sleep(300);
    expect((await gateway.api<unknown[]>('GET', `/sandbox/${SMS}/outbox`)).body.length).toBe(before);
    expect((await gateway.api<unknown[]>('GET', `/sandbox/${SMS}/inbox`)).body.length).toBe(inboxBefore);
    expect(alice.received.some((el) => el.getChildText('body') === 'unauthorized inject')).toBe(false);
    // The faults setting did not change: a message still goes through.
    await bob.send(xml('message', { type: 'chat', to: `${PHONE}@${SMS}`, id: 'after-admin' }, xml('body', {}, 'after admin abuse')));
    await eventually(async () => (await gateway.api<Array<{ body: string }>>('GET', `/sandbox/${SMS}/outbox`)).body.find((e) => e.body === 'after admin abuse'), 10_000, 'the outbox entry');
    await tally.print(gateway);
    expect(bad).toEqual([]);
  });

  // Regression test for a bug fixed in session 1: src/bridge/delivery.ts paces a number by moving each job that is not
  // yet allowed to send to the delayed set (`moveToDelayed(now + waitMs)`). Every waiting job of
  // that number gets (nearly) the same due time, they wake together, one wins and the rest are
  // delayed again, so the order they finally go out in is that of the random job ids: a burst
  // from one user reaches the phone shuffled (seen: 0,1,3,10,19,2,9,18,...), one message can lose
  // the race many times in a row, and the number sends at about half its configured rate.
  it('a burst above perNumberPerSecond reaches the provider in the order it was sent', async () => {
    const n = 20;
    for (let i = 0; i < n; i++) await alice.send(xml('message', { type: 'chat', to: `${PHONE}@${TW}`, id: `order-${i}` }, xml('body', {}, `order ${i}`)));
    const sent = await eventually(
      async () => {
        const got = twilio.messages.filter((m) => m.from === ALICE_TW_NUMBER && /^order \d+$/.test(m.body));
        return got.length === n ? got : undefined;
      },
      15_000,
      `all ${n} at the Twilio double`,
    );
    process.stdout.write(`hostile http order of a ${n}-message burst at the provider: ${sent.map((m) => m.body.slice(6)).join(',')}\n`);
    expect(sent.map((m) => m.body)).toEqual(Array.from({ length: n }, (_, i) => `order ${i}`));
  });
});
