/**
 * SMS through Telnyx, end to end: real Prosody and Redis, the built gateway,
 * and a local double speaking Telnyx's v2 Messages API and Ed25519-signed
 * webhooks. Provider-independent flows (registration, XEP-0100, segment
 * limits, the one-minute outage) are covered in sms-twilio.e2e.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelnyxDouble } from '../doubles/telnyx.js';
import { E2EStack, chat, smsComponent, errorFor, receiptRequest, receiptFor } from '../support/stack.js';
import { eventually, sleep } from '../support/waits.js';
import type { TestClient } from '../support/xmpp-client.js';
import type { GatewayProcess } from '../support/gateway.js';

const SMS = 'sms.localhost';
const PHONE = '+15551234567';
const CONTACT = `${PHONE}@${SMS}`;
const ALICE_NUMBER = '+15550001111';
/** The issue asks for a one-minute provider outage; XGW_OUTAGE_MS shortens it for quick local runs. */
const OUTAGE_MS = Number(process.env.XGW_OUTAGE_MS ?? 60_000);

describe('SMS via Telnyx (e2e)', () => {
  let stack: E2EStack;
  let telnyx: TelnyxDouble;
  let gateway: GatewayProcess;
  let alice: TestClient;

  const sentWith = (text: string) => eventually(async () => telnyx.messages.find((m) => m.text === text), 20_000, `Telnyx to receive "${text}"`);
  const settled = () => stack.waitSettled(SMS);

  beforeAll(async () => {
    telnyx = await TelnyxDouble.start({ numbers: [ALICE_NUMBER] });
    stack = await E2EStack.withDouble(
      'telnyx',
      ['alice'],
      telnyx,
      smsComponent(SMS, 'telnyx', ALICE_NUMBER, [
        'limits: { perNumberPerSecond: 100 }',
        telnyx.configSection(),
      ]),
    );
    gateway = stack.gateway;
    alice = await stack.login('alice');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('sends with the status webhook URL, and "delivered" becomes a receipt', async () => {
    await alice.send(chat(CONTACT, 'tx-1', 'hello telnyx', [receiptRequest()]));
    const sent = await sentWith('hello telnyx');
    expect(sent).toMatchObject({ from: ALICE_NUMBER, to: PHONE, webhookUrl: `${gateway.httpUrl}/webhooks/${SMS}/status` });
    await settled();
    expect((await telnyx.deliver(sent.id, 'delivered')).status).toBe(200);
    const receipt = await receiptFor(alice, 'tx-1');
    expect(receipt.attrs.from).toBe(CONTACT);
  });

  it('turns delivery_failed into an error stanza with the explained code', async () => {
    await alice.send(chat(CONTACT, 'tx-2', 'to a landline'));
    const sent = await sentWith('to a landline');
    await settled();
    await telnyx.deliver(sent.id, 'delivery_failed');
    const error = await errorFor(alice, 'tx-2');
    expect(error.getChild('error')?.getChildText('text')).toMatch(/40001/);
  });

  it('answers STOP (40300) with a permanent error stanza', async () => {
    telnyx.failNext({ kind: 'error', httpStatus: 400, code: '40300', title: 'Blocked due to STOP message' });
    await alice.send(chat(CONTACT, 'tx-stop', 'still there?'));
    expect((await errorFor(alice, 'tx-stop')).getChild('error')?.getChildText('text')).toMatch(/opted out|STOP/);
  });

  it('delivers inbound SMS and MMS to the owner, media as OOB', async () => {
    const media = ['https://media.example.net/c.jpg'];
    const res = await telnyx.sendInbound(gateway.httpUrl, SMS, { from: PHONE, to: ALICE_NUMBER, body: 'pic', mediaUrls: media });
    expect(res.status).toBe(200);
    const mms = await alice.waitFor((el) => el.getChildText('body')?.startsWith('pic') === true);
    expect(mms.attrs.from).toBe(CONTACT);
    expect(mms.getChildren('x', 'jabber:x:oob').map((x) => x.getChildText('url'))).toEqual(media);
  });

  it('refuses unsigned, forged and stale webhooks with 403 and delivers nothing', async () => {
    const attempts = [{ signature: 'omit' as const }, { signature: 'corrupt' as const }, { signature: 'wrong-key' as const }, { timestamp: Math.floor(Date.now() / 1000) - 600 }];
    for (const opts of attempts) {
      const res = await telnyx.sendInbound(gateway.httpUrl, SMS, { from: PHONE, to: ALICE_NUMBER, body: 'forged' }, opts);
      expect(res.status).toBe(403);
    }
    await sleep(500);
    expect(alice.received.some((el) => el.getChildText('body') === 'forged')).toBe(false);
  });

  it('rides out a 429 storm and a short outage, delivering each message exactly once', async () => {
    telnyx.failNext({ kind: 'rate-limit', retryAfterSeconds: 1 }, 3);
    telnyx.failNext({ kind: 'server-error', httpStatus: 503 }, 3);
    telnyx.failNext({ kind: 'close' }, 2);
    const bodies = ['storm 1', 'storm 2', 'storm 3'];
    for (const [i, body] of bodies.entries()) await alice.send(chat(CONTACT, `storm-${i}`, body));
    for (const body of bodies) await sentWith(body);
    await settled();
    expect(telnyx.messages.filter((m) => m.text?.startsWith('storm')).map((m) => m.text).sort()).toEqual(bodies);
    expect(alice.received.some((el) => String(el.attrs.id).startsWith('storm-') && el.attrs.type === 'error')).toBe(false);
  });

  it(`survives a ${OUTAGE_MS / 1000} s API outage: every message sent exactly once afterwards`, { timeout: OUTAGE_MS + 60_000 }, async () => {
    telnyx.failNext({ kind: 'server-error', httpStatus: 503 }, 1_000_000);
    const bodies = Array.from({ length: 5 }, (_, i) => `outage ${i}`);
    for (const [i, body] of bodies.entries()) await alice.send(chat(CONTACT, `tx-out-${i}`, body));
    await sleep(OUTAGE_MS);
    expect(telnyx.messages.filter((m) => m.text?.startsWith('outage '))).toHaveLength(0);
    telnyx.heal();
    for (const body of bodies) await sentWith(body);
    await settled();
    expect(telnyx.messages.filter((m) => m.text?.startsWith('outage ')).map((m) => m.text).sort()).toEqual(bodies);
    expect(alice.received.some((el) => String(el.attrs.id).startsWith('tx-out-') && el.attrs.type === 'error')).toBe(false);
  });
});
