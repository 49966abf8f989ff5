/**
 * Outbound webhooks end to end: real Prosody, real Redis, the built gateway,
 * and a local service that verifies each call with the `standardwebhooks`
 * package. A user writes to <name>@hooks.localhost; the service is called,
 * signed, and its answer comes back as a receipt, a reply, a retry or an
 * error with the service's own words.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../doubles/webhook-receiver.js';
import { E2EStack, chat, component, errorFor, receiptFor, receiptRequest } from '../support/stack.js';
import { eventually } from '../support/waits.js';
import { xml, type TestClient } from '../support/xmpp-client.js';

const HOOKS = 'hooks.localhost';
const SVC = `svc@${HOOKS}`;

describe('webhooks: outbound (e2e)', () => {
  let stack: E2EStack;
  let receiver: WebhookReceiver;
  let alice: TestClient;

  const received = (body: string, count = 1) =>
    eventually(async () => {
      const calls = receiver.messages.filter((m) => m.data.body === body);
      return calls.length >= count ? calls : undefined;
    }, 20_000, `the service to receive "${body}" ${count} time(s)`);

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    stack = await E2EStack.withDouble(
      'webhook-out',
      ['alice'],
      receiver,
      component(HOOKS, 'webhook', 'http', [
        'endpoints:',
        `  ${receiver.configSection(receiver.url('/svc'), 'svc')}`,
        `  gone: { url: "${receiver.url('/gone')}", secret: "${receiver.secret}", allowPrivateNetwork: true, description: "A retired service" }`,
        `  private: { url: "${receiver.url('/private')}", secret: "${receiver.secret}" }`,
        // Short waits instead of Svix's hours, with the same shape: a schedule, then an error.
        'http: { retryScheduleSeconds: [0, 1, 1], retryJitter: 0.1 }',
      ]),
    );
    alice = await stack.login('alice');
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach(() => {
    receiver.heal();
    receiver.replyMode = { kind: 'none' };
  });

  it('calls the endpoint signed, sends the receipt on 2xx, and brings the reply back threaded', async () => {
    receiver.replyMode = { kind: 'json', reply: (e) => `deploying ${e.data.body}` };
    await alice.send(chat(SVC, 'wh-1', 'main', [receiptRequest(), xml('thread', {}, 'deploys')]));
    const [call] = await received('main');
    expect(call).toMatchObject({ type: 'message.created', path: '/svc', data: { from: 'alice@localhost', to: 'svc', body: 'main', thread: 'deploys' } });
    expect(receiver.forged).toEqual([]);
    expect((await receiptFor(alice, 'wh-1')).attrs.from).toBe(SVC);
    const reply = await alice.waitFor((el) => el.getChildText('body') === 'deploying main');
    expect(reply.attrs).toMatchObject({ from: SVC, type: 'chat' });
    expect(reply.getChildText('thread')).toBe('deploys');
  });

  it('retries after a 5xx and delivers once', async () => {
    receiver.failNext({ kind: 'server-error', httpStatus: 502 }, 2);
    await alice.send(chat(SVC, 'wh-5xx', 'flaky', [receiptRequest()]));
    await receiptFor(alice, 'wh-5xx', 20_000);
    expect(await received('flaky')).toHaveLength(1);
    expect(receiver.requests).toBeGreaterThanOrEqual(3);
  });

  it('waits out a 429 with Retry-After, then delivers', async () => {
    receiver.failNext({ kind: 'rate-limit', retryAfterSeconds: 1 });
    const before = Date.now();
    await alice.send(chat(SVC, 'wh-429', 'slow down', [receiptRequest()]));
    await receiptFor(alice, 'wh-429', 20_000);
    const [call] = await received('slow down');
    expect((call?.at.getTime() ?? 0) - before).toBeGreaterThanOrEqual(1000);
  });

  it('gives up after the schedule and tells the sender why', async () => {
    receiver.failNext({ kind: 'server-error', httpStatus: 500 }, 10);
    await alice.send(chat(SVC, 'wh-down', 'anyone?'));
    const error = await errorFor(alice, 'wh-down', 30_000);
    expect(error.getChild('error')?.getChildText('text')).toMatch(/not delivered after 4 attempts \(no retries left\)/);
  });

  it('quotes a 4xx refusal in the error stanza, without retrying', async () => {
    receiver.failNext({ kind: 'status', httpStatus: 422, text: 'no such branch: mian' });
    const before = receiver.requests;
    await alice.send(chat(SVC, 'wh-422', 'mian'));
    const error = await errorFor(alice, 'wh-422');
    expect(error.getChild('error')?.getChildText('text')).toBe('not sent: endpoint svc refused the message (HTTP 422): no such branch: mian');
    await stack.waitSettled(HOOKS);
    expect(receiver.requests - before).toBe(1);
  });

  it('disables an endpoint that answers 410, tells later senders, and calls it again once an admin re-enables it', async () => {
    receiver.failNext({ kind: 'status', httpStatus: 410, text: 'retired' });
    await alice.send(chat(`gone@${HOOKS}`, 'wh-410', 'hello?'));
    expect((await errorFor(alice, 'wh-410')).getChild('error')?.getChildText('text')).toMatch(/endpoint gone is gone \(it answered 410 Gone: retired\)/);
    const calls = receiver.received.length;
    await alice.send(chat(`gone@${HOOKS}`, 'wh-410b', 'still there?'));
    expect((await errorFor(alice, 'wh-410b')).getChild('error')?.getChildText('text')).toMatch(/endpoint gone is disabled since .*an administrator must re-enable it/);
    expect(receiver.received.length).toBe(calls);
    const enabled = await stack.gateway.api('POST', `/admin/components/${HOOKS}/endpoints/gone/enable`);
    expect(enabled).toEqual({ status: 200, body: { name: 'gone', state: 'enabled', wasDisabled: true } });
    await alice.send(chat(`gone@${HOOKS}`, 'wh-410c', 'back?', [receiptRequest()]));
    await receiptFor(alice, 'wh-410c');
  });

  it('never calls an endpoint on a private address the config did not allow', async () => {
    await alice.send(chat(`private@${HOOKS}`, 'wh-priv', 'sneaky'));
    expect((await errorFor(alice, 'wh-priv')).getChild('error')?.getChildText('text')).toMatch(/127\.0\.0\.1 is a loopback or private address/);
    expect(receiver.received.some((r) => r.path === '/private')).toBe(false);
  });

  it('refuses unconfigured endpoint names at once, and describes configured ones in disco', async () => {
    await alice.send(chat(`nosuch@${HOOKS}`, 'wh-none', 'hi'));
    const error = await errorFor(alice, 'wh-none');
    expect(error.getChild('error')?.getChild('item-not-found')).toBeDefined();
    expect(error.getChild('error')?.getChildText('text')).toBe(`no webhook endpoint named nosuch on ${HOOKS} (configured: svc, gone, private)`);
    const info = await alice.iq(xml('iq', { type: 'get', to: `gone@${HOOKS}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(info.getChild('query')?.getChild('identity')?.attrs).toMatchObject({ category: 'client', type: 'bot', name: 'A retired service' });
    const svc = await alice.iq(xml('iq', { type: 'get', to: SVC }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(svc.getChild('query')?.getChild('identity')?.attrs.name).toBe(`svc: signed webhook to ${new URL(receiver.baseUrl).host}`);
    await expect(alice.iq(xml('iq', { type: 'get', to: `nosuch@${HOOKS}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).rejects.toThrow(/item-not-found/);
  });
});
