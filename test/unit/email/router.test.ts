/**
 * Email messages through the stanza router (fake connection, no Redis):
 * what the codec refuses comes back as modify / jid-malformed with the
 * original id and the reason; aliases and XEP-0172 nicknames reach the job;
 * a user without an address is told to register.
 */
import { xml, type Element } from '@xmpp/component';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../../adapters/types.js';
import { OutboundBridge, type OutboundPolicy } from '../../../src/bridge/outbound.js';
import { registerRoutes } from '../../../src/component/router.js';
import { GatewayMetrics } from '../../../src/metrics.js';
import { emailProfile } from '../../../src/networks/email/index.js';
import { addressCodec } from '../../../src/networks/index.js';
import { fakeConnection, type FakeConnection } from '../../support/fake-connection.js';
import { componentConfig } from '../../support/fixtures.js';
import { errorCondition, errorText, errorType } from '../../support/stanza-errors.js';

const MAIL = 'mail.localhost';
const USER = 'alice@localhost/laptop';
const raw = String.raw;

let fake: FakeConnection;
let queued: OutboundMessage[];
/** The address the policy gives alice (undefined: she has none). */
let aliceAddress: string | undefined;

beforeEach(() => {
  queued = [];
  aliceAddress = 'alice.localhost@mail.localhost';
  const logger = pino({ level: 'silent' });
  const config = componentConfig({ domain: MAIL, network: 'email', provider: 'sandbox' });
  fake = fakeConnection(MAIL, logger);
  const codec = addressCodec('email');
  // What assembly makes of an smtp component's ownership: a sender address is required.
  const policy: OutboundPolicy = { senderAddress: async () => aliceAddress, requireSenderAddress: true, senderAddressName: emailProfile.ownership?.wording.aNoun ?? '' };
  const outbound = new OutboundBridge(config, codec, async (m) => {
    queued.push(m);
    return 'queued';
  }, policy);
  registerRoutes({
    domain: MAIL,
    identity: emailProfile.identity,
    codec,
    connection: fake.connection,
    outbound,
    metrics: new GatewayMetrics(),
    logger,
    software: { name: 'xmpp-gateway', version: '9.9.9' },
    isDraining: () => false,
    isAllowed: (jid) => jid.endsWith('@localhost'),
    isAdmin: () => false,
  });
});

const msg = (to: string, id: string, extra: Element[] = []) => xml('message', { type: 'chat', to: `${to}@${MAIL}`, from: USER, id }, xml('body', {}, 'hi'), ...extra);

describe('a contact the codec refuses', () => {
  it.each([
    [raw`\22bob\22\40example.net`, 'quoted local parts ("...") are not supported'],
    [raw`bob\40example`, 'the domain "example" needs at least one dot (or must be localhost)'],
    [raw`bob\20smith\40example.net`, 'an email address cannot contain spaces or control characters'],
    ['bob', 'an email address needs an @ between the local part and the domain'],
  ])('%s: modify / jid-malformed, the original id, the reason', async (localpart, reason) => {
    const [reply] = await fake.receive(msg(localpart, 'orig-42'));
    expect(reply?.attrs).toMatchObject({ type: 'error', id: 'orig-42', to: USER, from: `${localpart}@${MAIL}` });
    expect(errorType(reply)).toBe('modify');
    expect(errorCondition(reply)).toBe('jid-malformed');
    expect(errorText(reply)).toBe(reason);
    expect(queued).toEqual([]);
  });
});

describe('accepted', () => {
  it('the legacy % form and a U-label domain go to the A-label address; receipts come from the JID written to', async () => {
    await fake.receive(msg('bob%example.net', 'p1'), 0);
    await fake.receive(msg(raw`bob\40bücher.example`, 'p2'), 0);
    expect(queued.map((m) => [m.to, m.contactJid])).toEqual([
      ['bob@example.net', `bob%example.net@${MAIL}`],
      ['bob@xn--bcher-kva.example', `bob\\40bücher.example@${MAIL}`],
    ]);
  });

  it("carries the sender's XEP-0172 nickname, subject and thread to the job, From their address", async () => {
    await fake.receive(msg(raw`bob\40example.net`, 'n1', [
      xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, ' Alice L. '),
      xml('subject', {}, 'Lunch'),
      xml('thread', {}, 'th-9'),
    ]), 0);
    expect(queued[0]).toMatchObject({ to: 'bob@example.net', from: 'alice.localhost@mail.localhost', nick: 'Alice L.', subject: 'Lunch', thread: 'th-9' });
  });

  it('no nick element, no nick', async () => {
    await fake.receive(msg(raw`bob\40example.net`, 'n2', [xml('nick', { xmlns: 'urn:other' }, 'not a nick')]), 0);
    expect(queued[0]).not.toHaveProperty('nick');
  });
});

describe('a sender without an address', () => {
  it('is told to register: auth / registration-required, naming the address', async () => {
    aliceAddress = undefined;
    const [reply] = await fake.receive(msg(raw`bob\40example.net`, 'r1'));
    expect(reply?.attrs).toMatchObject({ type: 'error', id: 'r1' });
    expect(errorType(reply)).toBe('auth');
    expect(errorCondition(reply)).toBe('registration-required');
    expect(errorText(reply)).toBe(`you have no address on ${MAIL}: register one (in-band registration) or ask the administrator`);
    expect(queued).toEqual([]);
  });
});
