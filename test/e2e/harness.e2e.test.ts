// Proves the test support itself, not the gateway (no gateway runs here): a
// private Prosody, a raw XEP-0114 component, c2s clients, and a Prosody
// restart on the same ports. The e2e files that follow stand on these.
import { component, xml as componentXml, type Component } from '@xmpp/component';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProsody, type ProsodyInstance } from '../support/prosody.js';
import { connectClient, xml, type Element, type TestClient } from '../support/xmpp-client.js';

const ECHO_DOMAIN = 'echo.localhost';
const ECHO_SECRET = 'echo-secret';
const users = [
  { username: 'alice', password: 'alice-pw' },
  { username: 'bob', password: 'bob-pw' },
];

/** A bare XEP-0114 component that sends every chat message back to its sender. */
async function startEchoComponent(port: number): Promise<Component> {
  const echo = component({ service: `xmpp://127.0.0.1:${port}`, domain: ECHO_DOMAIN, password: ECHO_SECRET });
  echo.reconnect.stop();
  echo.on('error', () => undefined);
  echo.on('stanza', (stanza: Element) => {
    if (!stanza.is('message') || stanza.attrs.type === 'error') return;
    const body = stanza.getChildText('body');
    void echo.send(
      componentXml(
        'message',
        { to: stanza.attrs.from, from: stanza.attrs.to, type: stanza.attrs.type, id: `echo-${String(stanza.attrs.id)}` },
        componentXml('body', {}, `echo: ${body ?? ''}`),
      ),
    );
  });
  await echo.start();
  return echo;
}

async function stopComponent(echo: Component | undefined): Promise<void> {
  if (!echo) return;
  if (echo.status !== 'offline' && echo.status !== 'disconnect' && echo.socket !== null) {
    await echo.stop().catch(() => undefined);
  }
  echo.socket?.destroy();
}

function isEchoOf(id: string) {
  return (el: Element): boolean => el.is('message') && el.attrs.id === `echo-${id}`;
}

describe('test support only, no gateway: Prosody + a raw component + clients', () => {
  let prosody: ProsodyInstance;
  let echo: Component | undefined;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    prosody = await startProsody({ components: [{ domain: ECHO_DOMAIN, secret: ECHO_SECRET }], users });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await stopComponent(echo);
    await prosody?.stop();
  });

  const login = async (username: string): Promise<TestClient> => {
    const password = users.find((u) => u.username === username)?.password ?? '';
    const c = await connectClient({ port: prosody.c2sPort, domain: prosody.domain, username, password });
    clients.push(c);
    return c;
  };

  it('routes a message from a client through the component and back', async () => {
    echo = await startEchoComponent(prosody.componentPort);
    const alice = await login('alice');
    expect(alice.bareJid).toBe('alice@localhost');

    await alice.send(xml('message', { to: `x@${ECHO_DOMAIN}`, type: 'chat', id: 'm1' }, xml('body', {}, 'hello')));
    const reply = await alice.waitFor(isEchoOf('m1'));
    expect(reply.attrs.from).toBe(`x@${ECHO_DOMAIN}`);
    expect(reply.getChildText('body')).toBe('echo: hello');
  });

  it('lets two users exchange messages and answers iq', async () => {
    const alice = clients[0] ?? (await login('alice'));
    const bob = await login('bob');
    await alice.send(xml('message', { to: bob.jid, type: 'chat', id: 'ab1' }, xml('body', {}, 'hi bob')));
    const got = await bob.waitFor((el) => el.is('message') && el.attrs.id === 'ab1');
    expect(got.getChildText('body')).toBe('hi bob');

    const roster = await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    expect(roster.attrs.type).toBe('result');
    const pong = await alice.iq(xml('iq', { type: 'get', to: prosody.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(pong.attrs.type).toBe('result');
  });

  it('rejects a component with the wrong secret', async () => {
    const impostor = component({ service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: ECHO_DOMAIN, password: 'wrong' });
    impostor.reconnect.stop();
    impostor.on('error', () => undefined);
    await expect(impostor.start()).rejects.toThrow();
    impostor.socket?.destroy();
  });

  it('comes back on the same ports after restart()', async () => {
    const { c2sPort, componentPort } = prosody;
    await prosody.restart();
    expect(prosody.c2sPort).toBe(c2sPort);
    expect(prosody.componentPort).toBe(componentPort);

    // Everyone was disconnected: reconnect the component and log in again.
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await stopComponent(echo);
    echo = await startEchoComponent(prosody.componentPort);
    const alice = await login('alice');

    await alice.send(xml('message', { to: `y@${ECHO_DOMAIN}`, type: 'chat', id: 'm2' }, xml('body', {}, 'again')));
    const reply = await alice.waitFor(isEchoOf('m2'));
    expect(reply.getChildText('body')).toBe('echo: again');
  });

  it('runs users registered while Prosody is up', async () => {
    await prosody.registerUser('carol', 'carol-pw');
    // SCRAM too, not only the helper's default PLAIN.
    const carol = await connectClient({
      port: prosody.c2sPort,
      domain: prosody.domain,
      username: 'carol',
      password: 'carol-pw',
      mechanism: 'SCRAM-SHA-1',
    });
    clients.push(carol);
    expect(carol.bareJid).toBe('carol@localhost');
    await expect(
      connectClient({ port: prosody.c2sPort, domain: prosody.domain, username: 'carol', password: 'nope', timeoutMs: 5_000 }),
    ).rejects.toThrow();
  });
});
