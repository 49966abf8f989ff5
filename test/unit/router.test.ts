/**
 * The stanza router against a fake connection: stanzas go in through the
 * @xmpp/component entity's 'element' event, replies are captured from send().
 * No network, no Redis.
 */
import { xml, type Element } from '@xmpp/component';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../adapters/types.js';
import { addressCodec } from '../../src/networks/index.js';
import { smsProfile } from '../../src/networks/sms/index.js';
import { OutboundBridge } from '../../src/bridge/outbound.js';
import type { ComponentConnection } from '../../src/component/connection.js';
import { registerRoutes } from '../../src/component/router.js';
import { GatewayError } from '../../src/errors/registry.js';
import { GatewayMetrics } from '../../src/metrics.js';
import { fakeConnection, type FakeConnection } from '../support/fake-connection.js';
import { componentConfig } from '../support/fixtures.js';
import { errorCondition } from '../support/stanza-errors.js';

const DOMAIN = 'sms.localhost';
const USER = 'alice@localhost/phone';

let fake: FakeConnection;
let queued: OutboundMessage[];
let connection: ComponentConnection;
let enqueueFails: boolean;
let draining: boolean;

beforeEach(() => {
  queued = [];
  enqueueFails = false;
  draining = false;
  const logger = pino({ level: 'silent' });
  const config = componentConfig({ domain: DOMAIN, maxBodyLength: 20 });
  fake = fakeConnection(DOMAIN, logger);
  connection = fake.connection;
  const codec = addressCodec('sms');
  const outbound = new OutboundBridge(config, codec, async (m) => {
    if (enqueueFails) throw new GatewayError('QUEUE_UNAVAILABLE', 'the gateway cannot store messages right now, try again shortly');
    if (queued.some((q) => q.id === m.id)) return 'duplicate';
    queued.push(m);
    return 'queued';
  });
  registerRoutes({
    domain: DOMAIN,
    identity: smsProfile.identity,
    codec,
    connection,
    outbound,
    metrics: new GatewayMetrics(),
    logger,
    software: { name: 'xmpp-gateway', version: '9.9.9' },
    isDraining: () => draining,
    isAllowed: (jid) => jid.endsWith('@localhost'),
    isAdmin: () => false,
  });
});

/** Feeds a stanza in and waits until the router has answered (or decided not to). */
const receive = (el: Element, replies = 1): Promise<Element[]> => fake.receive(el, replies);

const iq = (type: string, to: string, child: Element, id = 'iq1') => xml('iq', { type, to, from: USER, id }, child);

describe('iq', () => {
  it('disco#info on the component names the gateway type and only served features', async () => {
    const [reply] = await receive(iq('get', DOMAIN, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(reply?.attrs).toMatchObject({ type: 'result', id: 'iq1', to: USER, from: DOMAIN });
    const q = reply?.getChild('query');
    expect(q?.getChild('identity')?.attrs).toMatchObject({ category: 'gateway', type: 'sms' });
    expect(q?.getChildren('feature').map((f) => f.attrs.var).sort()).toEqual(
      [
        'http://jabber.org/protocol/disco#info',
        'http://jabber.org/protocol/disco#items',
        'jabber:iq:gateway',
        'jabber:iq:version',
        'urn:xmpp:ping',
        'urn:xmpp:receipts',
      ].sort(),
    );
  });

  it('disco#info on a contact answers for valid addresses and item-not-found otherwise', async () => {
    const [ok] = await receive(iq('get', `+15551234567@${DOMAIN}`, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(ok?.attrs.type).toBe('result');
    expect(ok?.getChild('query')?.getChild('identity')?.attrs).toMatchObject({ category: 'client', name: '+15551234567' });
    const [bad] = await receive(iq('get', `not-a-number@${DOMAIN}`, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'iq2'));
    expect(bad?.attrs).toMatchObject({ type: 'error', id: 'iq2' });
    expect(errorCondition(bad)).toBe('item-not-found');
  });

  it('answers ping and version', async () => {
    const [pong] = await receive(iq('get', DOMAIN, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(pong?.attrs).toMatchObject({ type: 'result', id: 'iq1' });
    const [version] = await receive(iq('get', DOMAIN, xml('query', { xmlns: 'jabber:iq:version' })));
    expect(version?.getChild('query')?.getChildText('version')).toBe('9.9.9');
  });

  it('answers an unknown payload with exactly one service-unavailable', async () => {
    const replies = await receive(iq('get', DOMAIN, xml('query', { xmlns: 'urn:example:unknown' })), 2);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.attrs).toMatchObject({ type: 'error', id: 'iq1' });
    expect(errorCondition(replies[0])).toBe('service-unavailable');
  });

  it('answers an iq set it does not serve with service-unavailable too', async () => {
    const [reply] = await receive(iq('set', DOMAIN, xml('query', { xmlns: 'jabber:iq:version' })));
    expect(errorCondition(reply)).toBe('service-unavailable');
  });

  it('XEP-0100: prompt, and what the user typed turned into a JID', async () => {
    const [prompt] = await receive(iq('get', DOMAIN, xml('query', { xmlns: 'jabber:iq:gateway' })));
    expect(prompt?.getChild('query')?.getChildText('prompt')).toMatch(/phone/i);
    const [jid] = await receive(iq('set', DOMAIN, xml('query', { xmlns: 'jabber:iq:gateway' }, xml('prompt', {}, '+1 555 123 4567'))));
    expect(jid?.getChild('query')?.getChildText('jid')).toBe(`+15551234567@${DOMAIN}`);
    const [bad] = await receive(iq('set', DOMAIN, xml('query', { xmlns: 'jabber:iq:gateway' }, xml('prompt', {}, 'hello'))));
    expect(bad?.attrs.type).toBe('error');
    expect(errorCondition(bad)).toBe('jid-malformed');
  });

  it('ignores iq results and errors (no reply to a reply)', async () => {
    const replies = await receive(xml('iq', { type: 'result', to: DOMAIN, from: USER, id: 'x' }), 1);
    expect(replies).toHaveLength(0);
  });
});

describe('message', () => {
  const msg = (to: string, body: string | null, id = 'm1', extra: Element[] = []) =>
    xml('message', { type: 'chat', to, from: USER, id }, ...(body === null ? [] : [xml('body', {}, body)]), ...extra);

  it('queues a valid message with its receipt request and sends nothing back', async () => {
    const replies = await receive(msg(`+15551234567@${DOMAIN}`, 'hi', 'm1', [xml('request', { xmlns: 'urn:xmpp:receipts' })]), 1);
    expect(replies).toEqual([]);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ to: '+15551234567', body: 'hi', stanzaId: 'm1', receiptRequested: true, senderJid: USER });
  });

  it('queues a retransmitted stanza once', async () => {
    await receive(msg(`+15551234567@${DOMAIN}`, 'hi', 'same'), 0);
    await receive(msg(`+15551234567@${DOMAIN}`, 'hi', 'same'), 0);
    expect(queued).toHaveLength(1);
  });

  it.each([
    ['an invalid address', `12ab@${DOMAIN}`, 'hi', 'jid-malformed', 'modify'],
    ['a body over the limit', `+15551234567@${DOMAIN}`, 'x'.repeat(21), 'not-acceptable', 'modify'],
    ['an empty body', `+15551234567@${DOMAIN}`, '   ', 'not-acceptable', 'modify'],
    ['the component itself', DOMAIN, 'hi', 'item-not-found', 'cancel'],
  ])('answers %s with an error stanza carrying the original id', async (_what, to, body, cond, type) => {
    const [reply] = await receive(msg(to, body, 'orig-7'));
    expect(reply?.attrs).toMatchObject({ type: 'error', id: 'orig-7', to: USER, from: to });
    expect(reply?.getChild('error')?.attrs.type).toBe(type);
    expect(errorCondition(reply)).toBe(cond);
    expect(reply?.getChild('error')?.getChildText('text')).toBeTruthy();
    expect(queued).toHaveLength(0);
  });

  it('refuses senders outside the access rule', async () => {
    const [reply] = await receive(xml('message', { type: 'chat', to: `+15551234567@${DOMAIN}`, from: 'eve@evil.example/x', id: 'e1' }, xml('body', {}, 'hi')));
    expect(errorCondition(reply)).toBe('forbidden');
  });

  it('tells the sender to wait when Redis cannot take the message', async () => {
    enqueueFails = true;
    const [reply] = await receive(msg(`+15551234567@${DOMAIN}`, 'hi', 'r1'));
    expect(reply?.attrs).toMatchObject({ type: 'error', id: 'r1' });
    expect(reply?.getChild('error')?.attrs.type).toBe('wait');
    expect(errorCondition(reply)).toBe('resource-constraint');
  });

  it('refuses new messages while draining for shutdown', async () => {
    draining = true;
    const [reply] = await receive(msg(`+15551234567@${DOMAIN}`, 'hi', 'd1'));
    expect(errorCondition(reply)).toBe('service-unavailable');
    expect(reply?.getChild('error')?.attrs.type).toBe('wait');
  });

  it('ignores messages with no body (chat states, receipts) and error messages', async () => {
    const a = await receive(msg(`+15551234567@${DOMAIN}`, null, 'c1', [xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })]), 1);
    const b = await receive(xml('message', { type: 'error', to: `+15551234567@${DOMAIN}`, from: USER, id: 'e' }, xml('body', {}, 'x')), 1);
    expect([...a, ...b]).toEqual([]);
    expect(queued).toEqual([]);
  });

  it('carries XEP-0066 OOB URLs as media', async () => {
    await receive(msg(`+15551234567@${DOMAIN}`, 'look', 'o1', [xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, 'https://example.org/a.jpg'))]), 0);
    expect(queued[0]?.attachments.map((a) => a.url)).toEqual(['https://example.org/a.jpg']);
  });

  it('carries the subject, the thread and each OOB description as the attachment name', async () => {
    const oob = (url: string, desc?: string) =>
      xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url), desc === undefined ? null : xml('desc', {}, desc));
    await receive(
      msg(`+15551234567@${DOMAIN}`, 'see both', 'o2', [
        xml('subject', {}, ' Quarterly report '),
        xml('thread', {}, 'th-42'),
        oob('https://example.org/r.pdf', 'report.pdf'),
        oob('https://example.org/b.png'),
      ]),
      0,
    );
    expect(queued[0]).toMatchObject({
      subject: 'Quarterly report',
      thread: 'th-42',
      attachments: [{ url: 'https://example.org/r.pdf', name: 'report.pdf' }, { url: 'https://example.org/b.png' }],
    });
    expect(queued[0]?.attachments[1]).not.toHaveProperty('name');
  });

  it('leaves subject and thread off a message that has none', async () => {
    await receive(msg(`+15551234567@${DOMAIN}`, 'plain', 'o3'), 0);
    expect(queued[0]).not.toHaveProperty('subject');
    expect(queued[0]).not.toHaveProperty('thread');
  });
});

describe('presence', () => {
  it('accepts a subscription to a contact and shows it available', async () => {
    const replies = await receive(xml('presence', { type: 'subscribe', to: `+15551234567@${DOMAIN}`, from: 'alice@localhost', id: 'p1' }), 2);
    expect(replies.map((r) => [r.attrs.type, r.attrs.from, r.attrs.to])).toEqual([
      ['subscribed', `+15551234567@${DOMAIN}`, 'alice@localhost'],
      [undefined, `+15551234567@${DOMAIN}`, 'alice@localhost'],
    ]);
  });

  it('answers a subscription to an invalid address with a presence error', async () => {
    const [reply] = await receive(xml('presence', { type: 'subscribe', to: `nope@${DOMAIN}`, from: 'alice@localhost', id: 'p2' }));
    expect(reply?.attrs).toMatchObject({ type: 'error', id: 'p2' });
  });

  it('answers probes and unsubscribes', async () => {
    const [probe] = await receive(xml('presence', { type: 'probe', to: `+15551234567@${DOMAIN}`, from: 'alice@localhost' }));
    expect(probe?.attrs.type).toBeUndefined();
    const [unsub] = await receive(xml('presence', { type: 'unsubscribe', to: `+15551234567@${DOMAIN}`, from: 'alice@localhost' }));
    expect(unsub?.attrs.type).toBe('unsubscribed');
  });
  it('obeys the access rules: a refused JID gets one refusal per subscription, nothing else', async () => {
    const contact = `+15551234567@${DOMAIN}`;
    const sub = await receive(xml('presence', { type: 'subscribe', to: contact, from: 'eve@evil.example/x', id: 'p3' }), 2);
    expect(sub.map((r) => [r.attrs.type, r.attrs.from, r.attrs.to])).toEqual([['unsubscribed', contact, 'eve@evil.example']]);
    expect(await receive(xml('presence', { type: 'probe', to: contact, from: 'eve@evil.example/x' }), 1)).toEqual([]);
    expect(await receive(xml('presence', { type: 'unsubscribe', to: contact, from: 'eve@evil.example/x' }), 1)).toEqual([]);
    expect(await receive(xml('presence', { type: 'subscribe', to: `nope@${DOMAIN}`, from: 'eve@evil.example/x', id: 'p4' }), 2)).toHaveLength(1);
  });
});
