/**
 * What an operator reads: /metrics after a known run of traffic, value by
 * value, and the logs of that run, which must not carry any configured
 * secret or token (component secrets, provider credentials, the admin token),
 * even when requests present them wrongly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioDouble } from '../doubles/twilio.js';
import { ADMIN_AUTH, configuredSecrets, type GatewayProcess } from '../support/gateway.js';
import { chat, errorFor, receiptFor, receiptRequest, smsStack, type E2EStack } from '../support/stack.js';
import { eventually } from '../support/waits.js';
import { xml, type TestClient } from '../support/xmpp-client.js';

const SMS = 'sms.localhost';
const PHONE = '+15551234567';
const CONTACT = `${PHONE}@${SMS}`;
const ALICE_NUMBER = '+15550001111';

/** One sample of /metrics: the value of `name` with exactly these labels, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const have = (m[2] ?? '').split(/,(?=[a-z_]+=")/).filter((p) => p !== '').sort().join(',');
    if (have === want) return Number(m[3]);
  }
  return undefined;
}

describe('metrics and logs after known traffic (e2e)', () => {
  let stack: E2EStack;
  let twilio: TwilioDouble;
  let gateway: GatewayProcess;
  let alice: TestClient;
  let metrics: string;

  beforeAll(async () => {
    twilio = await TwilioDouble.start();
    stack = await smsStack({ label: 'observability', double: twilio, number: ALICE_NUMBER, domain: SMS });
    gateway = stack.gateway;
    alice = await stack.login('alice');

    // The run: one 429 then three texts (GSM-7 1 segment, GSM-7 2 segments with a receipt, UCS-2 1 segment),
    // the first retransmitted, one to an invalid address, one inbound text, one status callback.
    twilio.failNext({ kind: 'rate-limit', retryAfterSeconds: 1 });
    await alice.send(chat(CONTACT, 'ob-1', 'ob one'));
    await alice.send(chat(CONTACT, 'ob-2', `ob two ${'x'.repeat(200)}`, [receiptRequest()]));
    await alice.send(chat(CONTACT, 'ob-3', 'ob three 😀'));
    // A retransmission, as a client sends one: after the first was accepted.
    await gateway.waitForLog((l) => l.msg === 'outbound message accepted' && l.stanzaId === 'ob-1');
    await alice.send(chat(CONTACT, 'ob-1', 'ob one'));
    await alice.send(chat(`not-a-number@${SMS}`, 'ob-bad', 'ob bad'));
    await errorFor(alice, 'ob-bad');
    await eventually(() => (twilio.messages.length === 3 ? true : undefined), 20_000, 'three texts at the provider');
    await stack.waitSettled(SMS);
    const two = twilio.messages.find((m) => m.body.startsWith('ob two'))!;
    expect((await twilio.sendStatus(gateway.httpUrl, gateway.httpUrl, SMS, two.sid, 'delivered')).status).toBeLessThan(300);
    await receiptFor(alice, 'ob-2');
    expect((await twilio.sendInbound(gateway.httpUrl, gateway.httpUrl, SMS, { from: PHONE, to: ALICE_NUMBER, body: 'ob reply' })).status).toBe(200);
    await alice.waitFor((el) => el.getChildText('body') === 'ob reply');
    // The gateway counts the stanza once the server has confirmed it, just after alice has it.
    await gateway.waitForLog((l) => l.msg === 'inbound message delivered to XMPP');
    metrics = await (await fetch(`${gateway.httpUrl}/metrics`, ADMIN_AUTH)).text();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('counts stanzas in and out by kind', () => {
    const d = { domain: SMS };
    expect(sample(metrics, 'xgw_stanzas_in_total', { ...d, stanza: 'message' })).toBe(5);
    expect(sample(metrics, 'xgw_stanzas_out_total', { ...d, kind: 'error' })).toBe(1);
    expect(sample(metrics, 'xgw_stanzas_out_total', { ...d, kind: 'receipt' })).toBe(1);
    expect(sample(metrics, 'xgw_stanzas_out_total', { ...d, kind: 'message' })).toBe(1);
  });

  it('counts accepted, duplicate and rejected outbound messages', () => {
    expect(sample(metrics, 'xgw_outbound_accepted_total', { domain: SMS, result: 'queued' })).toBe(3);
    expect(sample(metrics, 'xgw_outbound_accepted_total', { domain: SMS, result: 'duplicate' })).toBe(1);
    expect(sample(metrics, 'xgw_outbound_rejected_total', { domain: SMS, code: 'ADDRESS_INVALID' })).toBe(1);
  });

  it('counts deliveries by result, and observes one latency per message sent', () => {
    expect(sample(metrics, 'xgw_deliveries_total', { domain: SMS, result: 'sent' })).toBe(3);
    expect(sample(metrics, 'xgw_deliveries_total', { domain: SMS, result: 'rate_limited' })).toBe(1);
    expect(sample(metrics, 'xgw_deliveries_total', { domain: SMS, result: 'failed' })).toBeUndefined();
    expect(sample(metrics, 'xgw_delivery_latency_seconds_count', { domain: SMS })).toBe(3);
    expect(sample(metrics, 'xgw_delivery_latency_seconds_bucket', { domain: SMS, le: '+Inf' })).toBe(3);
    // The rate-limited message waited out its Retry-After of 1 s before it was sent.
    expect(sample(metrics, 'xgw_delivery_latency_seconds_bucket', { domain: SMS, le: '0.5' })).toBeLessThanOrEqual(2);
    expect(sample(metrics, 'xgw_delivery_latency_seconds_sum', { domain: SMS })).toBeGreaterThanOrEqual(1);
  });

  it('counts the SMS segments of the messages sent, once each, by encoding', () => {
    expect(sample(metrics, 'xgw_sms_segments_total', { domain: SMS, encoding: 'gsm7' })).toBe(3);
    expect(sample(metrics, 'xgw_sms_segments_total', { domain: SMS, encoding: 'ucs2' })).toBe(1);
  });

  it('counts inbound events by kind and outcome, and shows the XMPP connection up', () => {
    expect(sample(metrics, 'xgw_inbound_events_total', { domain: SMS, kind: 'message', outcome: 'queued' })).toBe(1);
    expect(sample(metrics, 'xgw_inbound_events_total', { domain: SMS, kind: 'status', outcome: 'queued' })).toBe(1);
    expect(sample(metrics, 'xgw_xmpp_connected', { domain: SMS })).toBe(1);
    expect(sample(metrics, 'xgw_jobs', { queue: `out/${SMS}`, state: 'waiting' })).toBe(0);
  });

  it('shows Redis up and no pending job (the alert rules read these)', () => {
    expect(sample(metrics, 'xgw_redis_up', {})).toBe(1);
    expect(sample(metrics, 'xgw_queue_oldest_pending_seconds', { queue: `out/${SMS}` })).toBe(0);
  });

  it('never writes a configured secret or token to its log, even when a request presents one wrongly', async () => {
    const secrets = await configuredSecrets(gateway.configPath);
    expect(secrets.length).toBeGreaterThanOrEqual(3); // component secret, Twilio auth token, admin token
    const [adminToken] = secrets.filter((s) => s.startsWith('e2e-admin-token'));
    // A token in the wrong scheme, in the query string, and a forged webhook signature.
    await fetch(`${gateway.httpUrl}/admin/queues`, { headers: { authorization: `Basic ${adminToken}` } });
    await fetch(`${gateway.httpUrl}/admin/queues?token=${adminToken}`);
    await twilio.sendInbound(gateway.httpUrl, gateway.httpUrl, SMS, { from: PHONE, to: ALICE_NUMBER, body: 'ob forged' }, { signature: 'corrupt' });
    await alice.send(xml('iq', { type: 'get', to: SMS, id: 'ob-version' }, xml('query', { xmlns: 'jabber:iq:version' })));
    await alice.waitFor((el) => el.attrs.id === 'ob-version');
    const output = gateway.output();
    expect(output).toContain('outbound message accepted');
    expect(secrets.filter((secret) => output.includes(secret))).toEqual([]);
  });
});
