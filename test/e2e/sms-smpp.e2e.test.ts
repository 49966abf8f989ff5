/**
 * SMS over a direct SMPP v3.4 link, end to end: real Prosody and Redis, the
 * built gateway, and an SMSC double built on the `smpp` package's own server
 * (binds, submit_sm with UDH concatenation, deliver_sm, delivery receipts).
 */
import { ADMIN_AUTH } from '../support/gateway.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THROTTLE_RETRY_MS } from '../../adapters/sms/smpp/status.js';
import { SmscDouble } from '../doubles/smsc.js';
import { E2EStack, chat, smsComponent, errorFor, receiptRequest, receiptFor } from '../support/stack.js';
import { eventually, sleep } from '../support/waits.js';
import type { TestClient } from '../support/xmpp-client.js';
import type { GatewayProcess } from '../support/gateway.js';

const SMS = 'sms.localhost';
const PHONE = '+15551234567';
const CONTACT = `${PHONE}@${SMS}`;
const ALICE_NUMBER = '+15550001111';
const ESME_RTHROTTLED = 0x58;
const ESME_RSYSERR = 0x08;
/** The issue asks for a one-minute provider outage; XGW_OUTAGE_MS shortens it for quick local runs. */
const OUTAGE_MS = Number(process.env.XGW_OUTAGE_MS ?? 60_000);
const ESME_RINVDSTADR = 0x0b;

describe('SMS via SMPP (e2e)', () => {
  let stack: E2EStack;
  let smsc: SmscDouble;
  let gateway: GatewayProcess;
  let alice: TestClient;

  const sentWith = (body: string) => eventually(async () => smsc.messages.find((m) => m.body === body), 20_000, `the SMSC to receive "${body}"`);
  const settled = () => stack.waitSettled(SMS);

  beforeAll(async () => {
    smsc = await SmscDouble.start({ systemId: 'gateway', password: 'secret12' });
    stack = await E2EStack.withDouble(
      'smpp',
      ['alice'],
      smsc,
      smsComponent(SMS, 'smpp', ALICE_NUMBER, [
        'limits: { perNumberPerSecond: 100 }',
        `smpp: { host: 127.0.0.1, port: ${smsc.port}, systemId: gateway, password: secret12, submitTimeoutMs: 2000, reconnectInitialMs: 200, reconnectMaxMs: 1000 }`,
      ]),
    );
    gateway = stack.gateway;
    alice = await stack.login('alice');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('submits a long UCS-2 text in concatenated parts, and a DELIVRD receipt becomes an XEP-0184 receipt', async () => {
    const body = `Zażółć gęślą jaźń ${'ł'.repeat(120)}`;
    await alice.send(chat(CONTACT, 'sm-1', body, [receiptRequest()]));
    const sent = await sentWith(body);
    expect(sent).toMatchObject({ from: ALICE_NUMBER, to: PHONE });
    expect(sent.dataCoding).toBe(0x08);
    expect(sent.parts.length).toBeGreaterThan(1);
    await settled();
    await smsc.deliverReceipt(sent.id, 'DELIVRD');
    const receipt = await receiptFor(alice, 'sm-1');
    expect(receipt.attrs.from).toBe(CONTACT);
  });

  it('turns an UNDELIV receipt into an error stanza, and an invalid destination into an immediate one', async () => {
    await alice.send(chat(CONTACT, 'sm-2', 'nobody home'));
    const sent = await sentWith('nobody home');
    await settled();
    await smsc.deliverReceipt(sent.id, 'UNDELIV', { err: '001' });
    expect((await errorFor(alice, 'sm-2')).getChild('error')?.getChildText('text')).toMatch(/not delivered/);

    smsc.failNext({ kind: 'status', status: ESME_RINVDSTADR });
    await alice.send(chat(CONTACT, 'sm-3', 'bad destination'));
    expect((await errorFor(alice, 'sm-3')).getChild('error')?.getChild('recipient-unavailable')).toBeDefined();
  });

  it('delivers inbound deliver_sm, reassembling concatenated parts, to the number\'s owner', async () => {
    expect(await smsc.deliver({ from: PHONE, to: ALICE_NUMBER, text: 'short one' })).toBe(0);
    await alice.waitFor((el) => el.getChildText('body') === 'short one' && el.attrs.from === CONTACT);
    await smsc.deliverParts({ from: PHONE, to: ALICE_NUMBER, parts: ['first half, ', 'second half'], ref: 42, order: [2, 1] });
    await alice.waitFor((el) => el.getChildText('body') === 'first half, second half');
  });

  it('slows down on ESME_RTHROTTLED and re-binds after the link drops, delivering each text once', async () => {
    smsc.failNext({ kind: 'status', status: ESME_RTHROTTLED }, 3);
    await alice.send(chat(CONTACT, 'sm-4', 'throttled'));
    await sentWith('throttled');
    // Slowing down: each submit after a throttled one waits out the adapter's throttle pause.
    const tries = smsc.submits.filter((s) => s.text === 'throttled');
    expect(tries.map((s) => s.answered)).toEqual([ESME_RTHROTTLED, ESME_RTHROTTLED, ESME_RTHROTTLED, 0]);
    const gaps = tries.slice(1).map((s, i) => s.receivedAt - tries[i]!.receivedAt);
    expect(gaps.filter((gap) => gap < THROTTLE_RETRY_MS), `gaps between submits: ${gaps.join(', ')} ms`).toEqual([]);
    const binds = smsc.binds;
    smsc.dropConnections();
    await alice.send(chat(CONTACT, 'sm-5', 'after the drop'));
    await sentWith('after the drop');
    await smsc.waitForBinds(binds + 1, 15_000);
    await settled();
    expect(smsc.messages.filter((m) => m.body === 'throttled' || m.body === 'after the drop')).toHaveLength(2);
    expect(alice.received.some((el) => ['sm-4', 'sm-5'].includes(String(el.attrs.id)) && el.attrs.type === 'error')).toBe(false);
  });

  it(`survives a ${OUTAGE_MS / 1000} s SMSC outage (link down, binds refused): every text submitted exactly once afterwards`, { timeout: OUTAGE_MS + 60_000 }, async () => {
    smsc.refuseBinds = ESME_RSYSERR;
    smsc.dropConnections();
    await eventually(async () => ((await fetch(`${gateway.httpUrl}/readyz`, ADMIN_AUTH)).status === 503 ? true : undefined), 10_000, 'readyz 503');
    const bodies = Array.from({ length: 5 }, (_, i) => `outage ${i}`);
    for (const [i, body] of bodies.entries()) await alice.send(chat(CONTACT, `sm-out-${i}`, body));
    await sleep(OUTAGE_MS);
    expect(smsc.messages.filter((m) => m.body.startsWith('outage '))).toHaveLength(0);
    smsc.refuseBinds = undefined;
    for (const body of bodies) await sentWith(body);
    await settled();
    expect(smsc.messages.filter((m) => m.body.startsWith('outage ')).map((m) => m.body).sort()).toEqual(bodies);
    expect(alice.received.some((el) => String(el.attrs.id).startsWith('sm-out-') && el.attrs.type === 'error')).toBe(false);
  });
});
