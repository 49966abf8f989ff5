/**
 * End to end: a real Prosody, the machine's Redis, the built gateway as a
 * child process with the sandbox provider, and real c2s clients. What a user
 * and an admin would do, checked from the outside.
 */
import { ADMIN_AUTH } from '../support/gateway.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayProcess } from '../support/gateway.js';
import { E2EStack, chat, receiptFor } from '../support/stack.js';
import { eventually, sleep } from '../support/waits.js';
import type { ProsodyInstance } from '../support/prosody.js';
import { xml, type TestClient } from '../support/xmpp-client.js';

const SMS = 'sms.localhost';
const MAIL = 'mail.localhost';
const CONTACT = `+15551234567@${SMS}`;

interface OutboxEntry {
  id: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
}

describe('gateway e2e (sandbox)', () => {
  let stack: E2EStack;
  let prosody: ProsodyInstance;
  let gateway: GatewayProcess;
  let alice: TestClient;

  const login = () => stack.login('alice');
  const outbox = async (domain = SMS) => (await gateway.api<OutboxEntry[]>('GET', `/sandbox/${domain}/outbox`)).body;
  const waitOutbox = (pred: (e: OutboxEntry) => boolean, domain = SMS) =>
    eventually(async () => (await outbox(domain)).find(pred), 15_000, 'an outbox entry');

  beforeAll(async () => {
    stack = await E2EStack.start({
      label: 'e2e',
      users: ['alice'],
      components: [
        { domain: SMS, secret: 'sms-secret', network: 'sms' },
        { domain: MAIL, secret: 'mail-secret', network: 'email' },
      ],
    });
    ({ prosody, gateway } = stack);
    alice = await login();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers disco#info on the component and on a contact, and ping', async () => {
    const info = await alice.iq(xml('iq', { type: 'get', to: SMS }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const query = info.getChild('query');
    expect(query?.getChild('identity')?.attrs).toMatchObject({ category: 'gateway', type: 'sms' });
    expect(query?.getChildren('feature').map((f) => f.attrs.var)).toContain('urn:xmpp:receipts');
    const contact = await alice.iq(xml('iq', { type: 'get', to: CONTACT }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(contact.getChild('query')?.getChild('identity')?.attrs.category).toBe('client');
    const pong = await alice.iq(xml('iq', { type: 'get', to: SMS }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(pong.attrs.type).toBe('result');
    const mailInfo = await alice.iq(xml('iq', { type: 'get', to: MAIL }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(mailInfo.getChild('query')?.getChild('identity')?.attrs.type).toBe('smtp');
  });

  it('answers an unknown iq with service-unavailable', async () => {
    const err = await alice
      .iq(xml('iq', { type: 'get', to: SMS }, xml('query', { xmlns: 'urn:example:nothing' })))
      .catch((e: unknown) => e as { condition?: string });
    expect(err).toMatchObject({ condition: 'service-unavailable' });
  });

  it('accepts a roster subscription to a contact', async () => {
    // As a real client does: fetch the roster first, which makes this resource "interested" (RFC 6121 §2.1.6).
    await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    await alice.send(xml('presence', { type: 'subscribe', to: CONTACT }));
    const subscribed = await alice.waitFor((el) => el.is('presence') && el.attrs.type === 'subscribed' && el.attrs.from === CONTACT);
    expect(subscribed.attrs.from).toBe(CONTACT);
    const roster = await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    const item = roster.getChild('query')?.getChildren('item').find((i) => i.attrs.jid === CONTACT);
    expect(item?.attrs.subscription).toBe('to');
  });

  it('carries a message to the outbox, and a receipt back after "delivered"', async () => {
    await alice.send(chat(CONTACT, 'out-1', 'hello phone', [xml('request', { xmlns: 'urn:xmpp:receipts' })]));
    const entry = await waitOutbox((e) => e.body === 'hello phone');
    expect(entry).toMatchObject({ to: '+15551234567', from: 'alice@localhost' });
    expect(alice.received.some((el) => el.getChild('received', 'urn:xmpp:receipts'))).toBe(false);

    const res = await gateway.api('POST', `/sandbox/${SMS}/inbound`, { status: 'delivered', id: entry.id });
    expect(res.status).toBe(202);
    const receipt = await receiptFor(alice, 'out-1');
    expect(receipt.attrs.from).toBe(CONTACT);
  });

  it('turns an injected "failed" into an error stanza carrying the original id and the reason', async () => {
    await alice.send(chat(CONTACT, 'out-2', 'this will bounce'));
    const entry = await waitOutbox((e) => e.body === 'this will bounce');
    await gateway.api('POST', `/sandbox/${SMS}/inbound`, { status: 'failed', id: entry.id, reason: 'handset unreachable' });
    const error = await alice.waitFor((el) => el.is('message') && el.attrs.type === 'error' && el.attrs.id === 'out-2');
    expect(error.attrs.from).toBe(CONTACT);
    expect(error.getChild('error')?.getChildText('text')).toMatch(/not delivered: handset unreachable/);
  });

  it('delivers an injected reply to the user, once even if injected twice', async () => {
    const payload = { id: 'reply-1', from: '+15551234567', to: 'alice@localhost', body: 'hi from the phone' };
    expect((await gateway.api('POST', `/sandbox/${SMS}/inbound`, payload)).status).toBe(202);
    expect((await gateway.api('POST', `/sandbox/${SMS}/inbound`, payload)).status).toBe(200);
    const msg = await alice.waitFor((el) => el.is('message') && el.getChildText('body') === 'hi from the phone');
    expect(msg.attrs).toMatchObject({ from: CONTACT, type: 'chat' });
    await sleep(500);
    expect(alice.received.filter((el) => el.getChildText('body') === 'hi from the phone')).toHaveLength(1);
  });

  it('refuses an invalid address with an error stanza (modify) and the original id', async () => {
    await alice.send(chat(`not-a-number@${SMS}`, 'bad-1', 'hello'));
    const error = await alice.waitFor((el) => el.attrs.type === 'error' && el.attrs.id === 'bad-1');
    expect(error.getChild('error')?.attrs.type).toBe('modify');
    expect(error.getChild('error')?.getChild('jid-malformed')).toBeDefined();
  });

  it('bridges email addresses with XEP-0106 escaping, both ways', async () => {
    await alice.send(chat(`bob\\40example.net@${MAIL}`, 'mail-1', 'hello bob'));
    const entry = await waitOutbox((e) => e.body === 'hello bob', MAIL);
    expect(entry.to).toBe('bob@example.net');
    await gateway.api('POST', `/sandbox/${MAIL}/inbound`, { from: 'bob@example.net', to: 'alice@localhost', body: 'hello alice' });
    const reply = await alice.waitFor((el) => el.getChildText('body') === 'hello alice');
    expect(reply.attrs.from).toBe(`bob\\40example.net@${MAIL}`);
  });

  it('answers a provider\'s permanent refusal with an error stanza carrying its reason', async () => {
    await gateway.api('PUT', `/sandbox/${SMS}/faults`, { mode: 'permanent' });
    await alice.send(chat(CONTACT, 'perm-1', 'refused'));
    const error = await alice.waitFor((el) => el.attrs.type === 'error' && el.attrs.id === 'perm-1');
    expect(error.getChild('error')?.getChildText('text')).toMatch(/simulated rejection/);
    await gateway.api('PUT', `/sandbox/${SMS}/faults`, { mode: 'none' });
  });

  it('reconnects after Prosody restarts and delivers what was injected during the outage', async () => {
    await alice.stop();
    await prosody.stop();
    await eventually(async () => ((await fetch(`${gateway.httpUrl}/readyz`, ADMIN_AUTH)).status === 503 ? true : undefined), 10_000, 'readyz 503');
    const injected = ['while-down-1', 'while-down-2', 'while-down-3'];
    for (const body of injected) {
      const res = await gateway.api('POST', `/sandbox/${SMS}/inbound`, { from: '+15551234567', to: 'alice@localhost', body });
      expect(res.status).toBe(202);
    }
    await prosody.start();
    await gateway.waitReady(20_000);
    alice = await login();
    for (const body of injected) {
      await alice.waitFor((el) => el.is('message') && el.getChildText('body') === body, 15_000);
    }
    expect(gateway.logs().some((l) => l.msg === 'reconnecting to XMPP server')).toBe(true);
  });
});
