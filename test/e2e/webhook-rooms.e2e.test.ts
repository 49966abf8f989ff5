/**
 * Inbound hooks into group chat rooms (XEP-0045) end to end: real Prosody
 * with its MUC component, real Redis, the built gateway. The component joins
 * each hook's rooms as `<hook>@hooks.localhost` under the hook's nick; a
 * signed post lands in the room as a groupchat from that nick; a room that
 * refuses the component (nick taken) is logged and counted and the message
 * waits until the component gets in; after the XMPP server restarts (rooms
 * gone) the component joins again and posts still arrive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH } from '../support/gateway.js';
import { E2EStack, component } from '../support/stack.js';
import { eventually, sleep } from '../support/waits.js';
import { xml, type Element, type TestClient } from '../support/xmpp-client.js';
import { HOOKS, postHook, signedJson, whsec } from './webhook-support.js';

const MUC = 'muc.localhost';
const OPS = `ops@${MUC}`;
const LATE = `late@${MUC}`;
const WHSEC = whsec(7);
const NS_MUC = 'http://jabber.org/protocol/muc';
const TOKEN = 'e2e-rooms-alertmanager-token';

describe('webhooks: inbound into rooms (e2e)', () => {
  let stack: E2EStack;
  let alice: TestClient;
  let bob: TestClient;

  const post = (hook: string, text: string, id: string) => {
    const body = JSON.stringify({ text });
    return postHook(stack, hook, body, signedJson(WHSEC, id, body));
  };
  const groupchat = (room: string, text: string) => (el: Element) =>
    el.name === 'message' && el.attrs.type === 'groupchat' && String(el.attrs.from).startsWith(`${room}/`) && el.getChildText('body') === text;
  /** Joins `room` as `nick` and waits for the room's self-presence. */
  async function join(client: TestClient, room: string, nick: string): Promise<void> {
    await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: NS_MUC })));
    await client.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}` && el.attrs.type === undefined, 15_000);
  }
  const occupantSeen = (client: TestClient, room: string, nick: string) =>
    client.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}` && el.attrs.type === undefined, 20_000);

  beforeAll(async () => {
    stack = await E2EStack.start({
      label: 'webhook-rooms',
      users: ['alice', 'bob'],
      muc: MUC,
      gateway: false,
      components: [
        component(HOOKS, 'webhook', 'http', [
          'inbound:',
          `  ops: { secret: "${WHSEC}", rooms: [${OPS}], nick: Opsbot }`,
          `  late: { secret: "${WHSEC}", to: [alice@localhost], rooms: [${LATE}] }`,
          `  am: { verify: bearer, token: "${TOKEN}", format: alertmanager, rooms: [${OPS}], nick: Alerts }`,
        ]),
      ],
    });
    alice = await stack.login('alice');
    bob = await stack.login('bob');
    // bob sits in "late" under the nick the late hook wants: the room refuses the component (conflict).
    await join(alice, LATE, 'alice');
    await join(bob, LATE, 'late');
    await stack.startGateway();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('posts a signed hook message into the room as a groupchat from the hook nick', async () => {
    await join(alice, OPS, 'alice');
    await occupantSeen(alice, OPS, 'Opsbot');
    expect((await post('ops', 'deploy finished', 'room_1')).status).toBe(202);
    const msg = await alice.waitFor(groupchat(OPS, 'deploy finished'), 15_000);
    expect(msg.attrs.from).toBe(`${OPS}/Opsbot`);
  });

  it('corrects a firing alert in the room when it resolves (XEP-0308)', async () => {
    await occupantSeen(alice, OPS, 'Alerts');
    const alert = (status: 'firing' | 'resolved') =>
      JSON.stringify({
        version: '4', status, receiver: 'xmpp', groupKey: '{}:{alertname="QueueStuck"}', groupLabels: { alertname: 'QueueStuck' }, commonLabels: { alertname: 'QueueStuck' }, commonAnnotations: {},
        externalURL: 'http://alertmanager.example.org:9093', truncatedAlerts: 0,
        alerts: [{ status, labels: { alertname: 'QueueStuck' }, annotations: { summary: 'jobs waiting' }, fingerprint: 'beef', generatorURL: 'http://prometheus.example.org/g' }],
      });
    const send = (status: 'firing' | 'resolved') =>
      fetch(`${stack.gateway.httpUrl}/webhooks/${HOOKS}/am`, { method: 'POST', body: alert(status), headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
    expect((await send('firing')).status).toBe(202);
    const firing = await alice.waitFor((el) => el.attrs.type === 'groupchat' && el.getChildText('body')?.startsWith('[FIRING:1] QueueStuck') === true, 15_000);
    expect(firing.attrs.from).toBe(`${OPS}/Alerts`);
    expect((await send('resolved')).status).toBe(202);
    const resolved = await alice.waitFor((el) => el.attrs.type === 'groupchat' && el.getChildText('body')?.startsWith('[RESOLVED] QueueStuck') === true, 15_000);
    expect(resolved.getChild('replace', 'urn:xmpp:message-correct:0')?.attrs.id).toBe(firing.attrs.id);
  });

  it('a room that refuses the component: logged and counted, the message waits and arrives once it gets in', async () => {
    await eventually(async () => {
      const metrics = await (await fetch(`${stack.gateway.httpUrl}/metrics`, ADMIN_AUTH)).text();
      return /xgw_room_joins_total\{domain="hooks\.localhost",room="late@muc\.localhost",outcome="refused"\} [1-9]/.test(metrics) ? true : undefined;
    }, 15_000, 'the refused join to be counted');
    expect(stack.gateway.output()).toMatch(/room late@muc\.localhost refused the component \(conflict/);
    expect((await post('late', 'waiting for a seat', 'room_2')).status).toBe(202);
    // The chat recipient gets it at once; the room copy waits.
    await alice.waitFor((el) => el.attrs.type === 'chat' && el.getChildText('body') === 'waiting for a seat', 15_000);
    await sleep(1500);
    expect(alice.received.some(groupchat(LATE, 'waiting for a seat'))).toBe(false);
    // bob leaves: the component's next try gets in, and the message follows.
    await bob.send(xml('presence', { to: `${LATE}/late`, type: 'unavailable' }));
    await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${LATE}/late` && el.attrs.type === 'unavailable');
    await occupantSeen(alice, LATE, 'late');
    const msg = await alice.waitFor(groupchat(LATE, 'waiting for a seat'), 20_000);
    expect(msg.attrs.from).toBe(`${LATE}/late`);
  });

  it('joins again after the XMPP server restarts, and a new post arrives in the room', async () => {
    await stack.prosody.restart();
    // Rooms are not persistent in the test Prosody: alice recreates or rejoins it.
    const back = await stack.login('alice', { retryForMs: 20_000 });
    await join(back, OPS, 'alice');
    await occupantSeen(back, OPS, 'Opsbot');
    expect((await post('ops', 'after the restart', 'room_3')).status).toBe(202);
    const msg = await back.waitFor(groupchat(OPS, 'after the restart'), 30_000);
    expect(msg.attrs.from).toBe(`${OPS}/Opsbot`);
  });
});
