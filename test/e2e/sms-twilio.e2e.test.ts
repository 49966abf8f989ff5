/**
 * SMS through Twilio, end to end: real Prosody, real Redis, the built
 * gateway, and a local double that speaks Twilio's REST and webhook wire
 * format (Basic auth, form fields, X-Twilio-Signature). What a user texting
 * a phone sees, and what an admin relies on.
 */
import { ADMIN_AUTH } from '../support/gateway.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioDouble } from '../doubles/twilio.js';
import { E2EStack, chat, smsComponent, errorFor, receiptRequest, receiptFor } from '../support/stack.js';
import { eventually, sleep } from '../support/waits.js';
import { xml, type TestClient } from '../support/xmpp-client.js';
import type { GatewayProcess } from '../support/gateway.js';

const SMS = 'sms.localhost';
const PHONE = '+15551234567';
const CONTACT = `${PHONE}@${SMS}`;
const ALICE_NUMBER = '+15550001111';
const POOL_NUMBER = '+15550002222';
/** The issue asks for a one-minute provider outage; XGW_OUTAGE_MS shortens it for quick local runs. */
const OUTAGE_MS = Number(process.env.XGW_OUTAGE_MS ?? 60_000);

describe('SMS via Twilio (e2e)', () => {
  let stack: E2EStack;
  let twilio: TwilioDouble;
  let gateway: GatewayProcess;
  let alice: TestClient;
  let bob: TestClient;

  const sentWith = (body: string) => eventually(async () => twilio.messages.find((m) => m.body === body), 20_000, `Twilio to receive "${body}"`);
  /** Waits until the worker has recorded the provider id (a status callback may otherwise overtake it). */
  const settled = () => stack.waitSettled(SMS);

  beforeAll(async () => {
    twilio = await TwilioDouble.start();
    stack = await E2EStack.withDouble(
      'twilio',
      ['alice', 'bob'],
      twilio,
      smsComponent(SMS, 'twilio', ALICE_NUMBER, [
        `numberPool: ["${POOL_NUMBER}"]`,
        'defaultRegion: US',
        'limits: { maxSegments: 3, perNumberPerSecond: 100 }',
        twilio.configSection(),
      ]),
    );
    gateway = stack.gateway;
    alice = await stack.login('alice');
    bob = await stack.login('bob');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('sends from the user\'s number with a status callback, and a receipt follows "delivered"', async () => {
    await alice.send(chat(CONTACT, 'tw-1', 'hello from xmpp', [receiptRequest()]));
    const sent = await sentWith('hello from xmpp');
    expect(sent).toMatchObject({ to: PHONE, from: ALICE_NUMBER, statusCallback: `${gateway.httpUrl}/webhooks/${SMS}/status` });
    await settled();
    expect((await twilio.sendStatus(gateway.httpUrl, gateway.httpUrl, SMS, sent.sid, 'sent')).status).toBeLessThan(300);
    expect((await twilio.sendStatus(gateway.httpUrl, gateway.httpUrl, SMS, sent.sid, 'delivered')).status).toBeLessThan(300);
    const receipt = await receiptFor(alice, 'tw-1');
    expect(receipt.attrs.from).toBe(CONTACT);
  });

  it('turns "undelivered" into an error stanza that explains the carrier code', async () => {
    await alice.send(chat(CONTACT, 'tw-2', 'to a dead phone'));
    const sent = await sentWith('to a dead phone');
    await settled();
    await twilio.sendStatus(gateway.httpUrl, gateway.httpUrl, SMS, sent.sid, 'undelivered', 30003);
    const error = await errorFor(alice, 'tw-2');
    expect(error.getChild('error')?.getChildText('text')).toMatch(/30003/);
  });

  it('answers STOP (21610) with a permanent error stanza and does not retry', async () => {
    twilio.failNext({ kind: 'error', httpStatus: 400, code: 21610 });
    const before = twilio.requests;
    await alice.send(chat(CONTACT, 'tw-stop', 'are you there?'));
    const error = await errorFor(alice, 'tw-stop');
    expect(error.getChild('error')?.getChildText('text')).toMatch(/opted out|STOP/);
    await sleep(500);
    expect(twilio.requests - before).toBe(1);
  });

  it('delivers inbound SMS and MMS to the number\'s owner, media as OOB', async () => {
    const res = await twilio.sendInbound(gateway.httpUrl, gateway.httpUrl, SMS, { from: PHONE, to: ALICE_NUMBER, body: 'hi alice' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/xml/);
    const msg = await alice.waitFor((el) => el.getChildText('body') === 'hi alice');
    expect(msg.attrs.from).toBe(CONTACT);

    const media = ['https://media.example.net/a.jpg', 'https://media.example.net/b.png'];
    await twilio.sendInbound(gateway.httpUrl, gateway.httpUrl, SMS, { from: PHONE, to: ALICE_NUMBER, body: 'look', mediaUrls: media });
    const mms = await alice.waitFor((el) => el.getChildText('body')?.startsWith('look') === true);
    expect(mms.getChildren('x', 'jabber:x:oob').map((x) => x.getChildText('url'))).toEqual(media);
    expect(mms.getChildText('body')).toContain(media[0]);
  });

  it('acknowledges texts to unowned numbers without delivering them', async () => {
    const res = await twilio.sendInbound(gateway.httpUrl, gateway.httpUrl, SMS, { from: PHONE, to: '+15559990000', body: 'nobody home' });
    expect(res.status).toBe(200);
    await sleep(500);
    expect([...alice.received, ...bob.received].some((el) => el.getChildText('body') === 'nobody home')).toBe(false);
    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`, ADMIN_AUTH)).text();
    expect(metrics).toMatch(/xgw_inbound_events_total\{domain="sms.localhost",kind="message",outcome="dropped"\} [1-9]/);
  });

  it('refuses webhooks with a bad or missing signature with 403 and delivers nothing', async () => {
    for (const signature of ['corrupt', 'omit'] as const) {
      const res = await twilio.sendInbound(gateway.httpUrl, gateway.httpUrl, SMS, { from: PHONE, to: ALICE_NUMBER, body: `forged ${signature}` }, { signature });
      expect(res.status).toBe(403);
    }
    const status = await twilio.sendStatus(gateway.httpUrl, gateway.httpUrl, SMS, 'SM00000000000000000000000000000000', 'delivered', undefined, { signature: 'corrupt' });
    expect(status.status).toBe(403);
    await sleep(500);
    expect(alice.received.some((el) => el.getChildText('body')?.startsWith('forged') === true)).toBe(false);
  });

  it('rides out a 429 storm and delivers exactly once', async () => {
    twilio.failNext({ kind: 'rate-limit', retryAfterSeconds: 1 }, 4);
    await alice.send(chat(CONTACT, 'tw-429', 'patience'));
    await sentWith('patience');
    await settled();
    expect(twilio.messages.filter((m) => m.body === 'patience')).toHaveLength(1);
    expect(alice.received.some((el) => el.attrs.id === 'tw-429' && el.attrs.type === 'error')).toBe(false);
  });

  it('refuses a text above the segment limit, saying how many it needs', async () => {
    await alice.send(chat(CONTACT, 'tw-long', 'x'.repeat(153 * 3 + 1)));
    const error = await errorFor(alice, 'tw-long');
    expect(error.getChild('error')?.getChildText('text')).toBe('the text needs 4 SMS segments; sms.localhost sends at most 3');
  });

  it('XEP-0077 and XEP-0100 as a client does them: registration-required, register, add a contact by typing', async () => {
    await bob.send(chat(CONTACT, 'bob-1', 'hi'));
    const refused = await errorFor(bob, 'bob-1');
    expect(refused.getChild('error')?.getChild('registration-required')).toBeDefined();

    const form = await bob.iq(xml('iq', { type: 'get', to: SMS }, xml('query', { xmlns: 'jabber:iq:register' })));
    const options = form.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === 'number')?.getChildren('option');
    expect(options?.map((o) => o.getChildText('value'))).toEqual([POOL_NUMBER]);
    await bob.iq(
      xml(
        'iq',
        { type: 'set', to: SMS },
        xml('query', { xmlns: 'jabber:iq:register' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'number' }, xml('value', {}, POOL_NUMBER)))),
      ),
    );

    const prompt = await bob.iq(xml('iq', { type: 'get', to: SMS }, xml('query', { xmlns: 'jabber:iq:gateway' })));
    expect(prompt.getChild('query')?.getChildText('prompt')).toMatch(/phone/i);
    const jid = await bob.iq(xml('iq', { type: 'set', to: SMS }, xml('query', { xmlns: 'jabber:iq:gateway' }, xml('prompt', {}, '(415) 555-2671'))));
    const contact = jid.getChild('query')?.getChildText('jid');
    expect(contact).toBe(`+14155552671@${SMS}`);

    await bob.send(chat(contact!, 'bob-2', 'registered now'));
    expect(await sentWith('registered now')).toMatchObject({ from: POOL_NUMBER, to: '+14155552671' });

    await bob.iq(xml('iq', { type: 'set', to: SMS }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
    await bob.send(chat(contact!, 'bob-3', 'after removing'));
    expect((await errorFor(bob, 'bob-3')).getChild('error')?.getChild('registration-required')).toBeDefined();
  });

  it(`survives a ${OUTAGE_MS / 1000} s provider outage: every message delivered exactly once afterwards`, { timeout: OUTAGE_MS + 60_000 }, async () => {
    twilio.failNext({ kind: 'server-error', httpStatus: 503 }, 1_000_000);
    const bodies = Array.from({ length: 5 }, (_, i) => `outage ${i}`);
    for (const [i, body] of bodies.entries()) await alice.send(chat(CONTACT, `out-${i}`, body));
    await sleep(OUTAGE_MS);
    expect(twilio.messages.filter((m) => m.body.startsWith('outage '))).toHaveLength(0);
    twilio.heal();
    for (const body of bodies) await sentWith(body);
    await settled();
    expect(twilio.messages.filter((m) => m.body.startsWith('outage ')).map((m) => m.body).sort()).toEqual(bodies);
    expect(alice.received.some((el) => String(el.attrs.id).startsWith('out-') && el.attrs.type === 'error')).toBe(false);
  });
});
