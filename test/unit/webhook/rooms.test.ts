/**
 * Hooks into group chat rooms: the `rooms`/`nick` config, the groupchat
 * recipients a hook's post becomes, the seats the webhook profile asks the
 * component to take, and the component's room membership (XEP-0045): join on
 * online, joined on self-presence, refused once logged and counted, rejoin
 * after a kick, room traffic swallowed.
 */
import { xml } from '@xmpp/component';
import { describe, expect, it } from 'vitest';
import { HttpWebhookAdapter } from '../../../adapters/webhook/http/index.js';
import { standardWebhookHeaders } from '../../../adapters/webhook/http/signing.js';
import { Rooms } from '../../../src/component/rooms.js';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { GatewayMetrics } from '../../../src/metrics.js';
import { webhookProfile } from '../../../src/networks/webhook/index.js';
import type { WebhookComponentConfig } from '../../../src/config/schema.js';
import { fakeConnection } from '../../support/fake-connection.js';
import { adapterContext, gatewayServer, providerConfig, recordingLogger, serverRoutes } from '../../support/fixtures.js';
import { sleep } from '../../support/waits.js';

const DOMAIN = 'hooks.example.org';
const WHSEC = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
const ROOM = 'ops@conference.example.org';

function parseHooks(inbound: string) {
  return parseConfig(`components:\n  - { domain: ${DOMAIN}, secret: s3cret, network: webhook, provider: http, inbound: ${inbound} }\n`, {});
}
function problems(inbound: string): string[] {
  try {
    parseHooks(inbound);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('config was accepted');
}

describe('rooms and nick config', () => {
  it('takes rooms without to, and the profile seats each hook in its rooms under its nick or its name', () => {
    const c = parseHooks(`{ ops: { secret: "${WHSEC}", rooms: [${ROOM}], nick: Opsbot }, am: { secret: "${WHSEC}", to: [alice@example.org], rooms: [${ROOM}, team@conference.example.org] } }`);
    expect(webhookProfile.rooms?.(c.components[0] as WebhookComponentConfig)).toEqual([
      { localpart: 'ops', room: ROOM, nick: 'Opsbot' },
      { localpart: 'am', room: ROOM, nick: 'am' },
      { localpart: 'am', room: 'team@conference.example.org', nick: 'am' },
    ]);
  });

  it('needs to or rooms, refuses a nick without rooms and a nick with / or @', () => {
    expect(problems(`{ ops: { secret: "${WHSEC}" } }`)).toEqual(['components[0].inbound.ops.to: a hook needs recipients: local JIDs in to, rooms (MUC JIDs) in rooms, or both']);
    expect(problems(`{ ops: { secret: "${WHSEC}", to: [alice@example.org], nick: Bot } }`)).toEqual(['components[0].inbound.ops.nick: only used with rooms']);
    expect(problems(`{ ops: { secret: "${WHSEC}", rooms: [${ROOM}], nick: "a/b" } }`)).toEqual([expect.stringMatching(/^components\[0\]\.inbound\.ops\.nick: must be a room nickname/)]);
  });
});

describe('a hook with rooms', () => {
  it('emits the rooms as groupchat recipients next to the chat ones', async () => {
    const config = providerConfig('http', { domain: DOMAIN, network: 'webhook', inbound: { ops: { secret: WHSEC, to: ['alice@localhost'], rooms: [ROOM] } } });
    const logger = recordingLogger([]);
    const app = gatewayServer(logger, 4096);
    const ctx = adapterContext(config, { logger, http: serverRoutes(app, DOMAIN) });
    await new HttpWebhookAdapter(config).start(ctx);
    await app.ready();
    const body = JSON.stringify({ text: 'hello room' });
    const res = await app.inject({ method: 'POST', url: `/webhooks/${DOMAIN}/ops`, payload: body, headers: { 'content-type': 'application/json', ...standardWebhookHeaders([WHSEC], 'm1', Math.floor(Date.now() / 1000), body) } });
    expect(res.statusCode).toBe(202);
    expect(ctx.emitted[0]).toMatchObject({ recipients: [{ jid: 'alice@localhost', type: 'chat' }, { jid: ROOM, type: 'groupchat' }] });
  });
});

describe('Rooms (component side)', () => {
  const OCCUPANT = `ops@${DOMAIN}`;
  function setup() {
    const fake = fakeConnection(DOMAIN);
    const metrics = new GatewayMetrics();
    const lines: Array<Record<string, unknown>> = [];
    const rooms = new Rooms({ connection: fake.connection, seats: [{ occupant: OCCUPANT, room: ROOM, nick: 'Opsbot' }], metrics, logger: recordingLogger(lines), retryMs: 20, maxRetryMs: 40 });
    fake.connection.entity.middleware.use(rooms.middleware());
    const online = (on: boolean) => (fake.connection as unknown as { setOnline(b: boolean): void }).setOnline(on);
    const joins = () => fake.sent.filter((el) => el.name === 'presence' && el.attrs.to === `${ROOM}/Opsbot` && el.getChild('x', 'http://jabber.org/protocol/muc') !== undefined);
    const counted = async (outcome: string) => (await metrics.registry.getSingleMetric('xgw_room_joins_total')?.get())?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    const self = (type?: string) => xml('presence', { from: `${ROOM}/Opsbot`, to: OCCUPANT, ...(type ? { type } : {}) }, xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }, xml('status', { code: '110' })));
    return { fake, rooms, online, joins, counted, self, lines };
  }

  it('joins on online from the hook JID, is joined on its self-presence, and joins again after a reconnect', async () => {
    const { fake, rooms, online, joins, self } = setup();
    online(true);
    await sleep(5);
    expect(joins()).toHaveLength(1);
    expect(joins()[0]?.attrs.from).toBe(OCCUPANT);
    expect(rooms.isJoined(OCCUPANT, ROOM)).toBe(false);
    await fake.receive(self(), 0);
    expect(rooms.isJoined(OCCUPANT, ROOM)).toBe(true);
    online(false);
    expect(rooms.isJoined(OCCUPANT, ROOM)).toBe(false);
    online(true);
    await sleep(5);
    expect(joins()).toHaveLength(2);
  });

  it('a refusal is logged once and counted, and retried until the room lets it in', async () => {
    const { fake, rooms, online, joins, counted, self, lines } = setup();
    online(true);
    const refusal = () => xml('presence', { from: `${ROOM}/Opsbot`, to: OCCUPANT, type: 'error' }, xml('error', { type: 'cancel' }, xml('registration-required', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));
    await fake.receive(refusal(), 0);
    await sleep(40);
    await fake.receive(refusal(), 0);
    await sleep(60);
    expect(joins().length).toBeGreaterThanOrEqual(3);
    expect(await counted('refused')).toBe(2);
    expect(lines.filter((l) => String(l.msg).includes('refused the component (registration-required)'))).toHaveLength(1);
    expect(rooms.isJoined(OCCUPANT, ROOM)).toBe(false);
    await fake.receive(self(), 0);
    expect(rooms.isJoined(OCCUPANT, ROOM)).toBe(true);
    expect(await counted('joined')).toBe(1);
    online(false);
  });

  it('after a kick it joins again; room groupchat traffic gets no answer', async () => {
    const { fake, rooms, online, joins, counted, self } = setup();
    online(true);
    await fake.receive(self(), 0);
    expect(await fake.receive(xml('message', { from: `${ROOM}/alice`, to: OCCUPANT, type: 'groupchat' }, xml('body', {}, 'hi')), 1)).toEqual([]);
    await fake.receive(self('unavailable'), 0);
    expect(rooms.isJoined(OCCUPANT, ROOM)).toBe(false);
    expect(await counted('left')).toBe(1);
    await sleep(60);
    expect(joins()).toHaveLength(2);
    online(false);
  });
});
