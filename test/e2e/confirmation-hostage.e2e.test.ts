/**
 * The "inbound confirmation hostage" (issue 8, item 6): inbound stanzas are
 * confirmed by a ping through the XMPP server, one per batch. When that ping
 * went to the first stanza's domain, a recipient on a stalled remote server
 * held the whole batch: no answer for 10 s, every job in it failed and was
 * sent again. A second component on the same Prosody that never answers
 * pings stands in for the stalled remote domain (its users are allowed).
 */
import { component as xmppComponent } from '@xmpp/component';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2EStack, component } from '../support/stack.js';
import { sleep } from '../support/waits.js';
import { xml, type Element, type TestClient } from '../support/xmpp-client.js';

const SMS = 'sms.localhost';
const STALLED = { domain: 'stalled.localhost', secret: 'stalled-secret' };

/** A component that takes every stanza and answers none (not even iq errors), like a remote server that froze. */
async function silentComponent(port: number): Promise<{ received: Element[]; stop(): Promise<void> }> {
  const entity = xmppComponent({ service: `xmpp://127.0.0.1:${port}`, domain: STALLED.domain, password: STALLED.secret });
  entity.reconnect.stop();
  entity.on('error', () => undefined);
  const received: Element[] = [];
  entity.on('stanza', (el: Element) => void received.push(el));
  await entity.start();
  // From here on it writes nothing: its iq callee's error replies are swallowed too.
  entity.send = async () => undefined;
  return { received, stop: async () => void (await entity.stop().catch(() => undefined)) };
}

describe('inbound confirmation with a stalled remote domain among the recipients', () => {
  let stack: E2EStack;
  let alice: TestClient;
  let stalled: Awaited<ReturnType<typeof silentComponent>>;

  beforeAll(async () => {
    stack = await E2EStack.start({
      label: 'hostage',
      components: [component(SMS, 'sms', 'sandbox', [`allow: [localhost, ${STALLED.domain}]`])],
      otherComponents: [STALLED],
      users: ['alice'],
    });
    stalled = await silentComponent(stack.prosody.componentPort);
    alice = await stack.login('alice');
  }, 60_000);
  afterAll(async () => {
    await stalled?.stop();
    await stack?.stop();
  });

  it('delivers to local users at once and to the stalled domain once, with no retries', async () => {
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      for (const to of [`u${i}@${STALLED.domain}`, 'alice@localhost']) {
        const res = await stack.gateway.api('POST', `/sandbox/${SMS}/inbound`, { id: `h-${i}-${to}`, from: '+15551234567', to, body: `hostage ${i} ${to}` });
        expect(res.status).toBe(202);
      }
    }
    for (let i = 0; i < 5; i++) {
      await alice.waitFor((el) => el.is('message') && el.getChildText('body') === `hostage ${i} alice@localhost`, 8000);
    }
    const aliceLatency = Date.now() - started;
    // Long enough for a hostage batch to time out (10 s) and be sent again.
    await sleep(13_000);
    const toAlice = alice.received.filter((el) => (el.getChildText('body') ?? '').startsWith('hostage '));
    const toStalled = stalled.received.filter((el) => el.is('message') && (el.getChildText('body') ?? '').startsWith('hostage '));
    expect(toAlice).toHaveLength(5);
    expect(toStalled).toHaveLength(5);
    expect(aliceLatency).toBeLessThan(8000);
    expect(stalled.received.filter((el) => el.is('iq'))).toEqual([]);
    const failed = stack.gateway.logs().filter((l) => l.msg === 'inbound job dropped after retries' || /confirm/.test(String(l.err ?? '')));
    expect(failed).toEqual([]);
  }, 60_000);
});
