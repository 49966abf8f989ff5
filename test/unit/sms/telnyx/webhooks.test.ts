/**
 * The Telnyx webhook routes on the gateway's real HTTP server (buildServer,
 * its one error handler), fed JSON events signed as the Telnyx double signs
 * them: signature checks, inbound mapping, status mapping, 503 while events
 * cannot be stored.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TelnyxAdapter } from '../../../../adapters/sms/telnyx/index.js';
import type { InboundAcceptance, InboundEvent } from '../../../../adapters/types.js';
import { GatewayError } from '../../../../src/errors/registry.js';
import type { GatewayServer } from '../../../../src/http/server.js';
import {
  inboundPayload,
  outboundPayload,
  telnyxEvent,
  TelnyxDouble,
  type SignedWebhook,
  type SigningOptions,
  type TelnyxDeliveryStatus,
} from '../../../doubles/telnyx.js';
import { adapterContext, redisDown, answeredAndRecorded, gatewayServer, outboundMessage, providerConfig, recordingLogger, serverRoutes } from '../../../support/fixtures.js';
import { freePort } from '../../../support/ports.js';

const DOMAIN = 'sms.example.org';
const MSG_ID = '7ee4241c-f127-47e5-9c34-3aac291f8058';
const messagesPath = `/webhooks/${DOMAIN}/messages`;
const statusPath = `/webhooks/${DOMAIN}/status`;

let double: TelnyxDouble;
let app: GatewayServer;
let emitted: InboundEvent[];
let emit: (event: InboundEvent) => Promise<InboundAcceptance>;
let logLines: Array<Record<string, unknown>>;

beforeAll(async () => {
  double = await TelnyxDouble.start();
});
afterAll(() => double.close());

beforeEach(async () => {
  emitted = [];
  logLines = [];
  emit = async () => ({ outcome: 'queued', jobId: `j${emitted.length}` });
  const logger = recordingLogger(logLines, 'debug');
  app = gatewayServer(logger);
  const config = providerConfig('telnyx', {
    domain: DOMAIN,
    numbers: { '+15550001111': 'alice@localhost', '+15550002222': 'bob@localhost' },
    telnyx: { apiKey: double.apiKey, publicKey: double.publicKey, apiBaseUrl: double.baseUrl },
  });
  const ctx = adapterContext(config, {
    logger: logger.child({ domain: DOMAIN }),
    publicUrl: 'https://gw.example.org',
    emitInbound: answeredAndRecorded(() => emit, emitted),
    http: serverRoutes(app, DOMAIN),
  });
  await new TelnyxAdapter(config).start(ctx);
  app.post('/elsewhere', async (req) => ({ echoed: req.body }));
  await app.ready();
});
afterEach(() => app.close());

function post(path: string, hook: SignedWebhook, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: path, payload: hook.payload, headers: { ...hook.headers, ...headers } });
}
const inbound = (msg: { from?: string; to?: string; body?: string; mediaUrls?: string[] } = {}, opts: SigningOptions = {}) =>
  double.inboundWebhook({ id: MSG_ID, from: '+15551234567', to: '+15550001111', body: 'hi there', ...msg }, opts);
const status = (s: TelnyxDeliveryStatus, errors?: Array<{ code: string; title: string; detail?: string }>, opts: SigningOptions = {}) =>
  double.statusWebhook(MSG_ID, s, errors, opts);
const warnings = () => logLines.filter((l) => l.level === 40 && l.msg === 'Telnyx webhook refused: bad signature');

describe('POST /webhooks/<domain>/messages (message.received)', () => {
  it('emits the message, normalized, and answers 200 once it is stored', async () => {
    const res = await post(messagesPath, inbound());
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ outcome: 'queued' });
    expect(emitted).toEqual([{ kind: 'message', id: MSG_ID, from: '+15551234567', to: '+15550001111', body: 'hi there', mediaUrls: [] }]);
  });

  it('maps MMS media, and a media-only message (text null) to an empty body', async () => {
    const urls = ['https://media.telnyx.example/1.jpg', 'https://media.telnyx.example/2.jpg'];
    await post(messagesPath, inbound({ mediaUrls: urls }));
    const payload = { ...inboundPayload({ id: 'mms-2', from: '+15551234567', to: '+15550001111', body: '', mediaUrls: urls.slice(0, 1) }), text: null };
    await post(messagesPath, double.sign(telnyxEvent('message.received', payload)));
    expect(emitted).toEqual([
      expect.objectContaining({ id: MSG_ID, body: 'hi there', mediaUrls: urls }),
      expect.objectContaining({ id: 'mms-2', body: '', mediaUrls: urls.slice(0, 1) }),
    ]);
  });

  it("takes the gateway's own number as `to` when a group MMS lists several recipients", async () => {
    const payload = inboundPayload({ id: 'grp-1', from: '+15551234567', to: '+15559990000', body: 'all of you' });
    payload.to = [{ phone_number: '+15559990000' }, { phone_number: '+15550002222' }];
    await post(messagesPath, double.sign(telnyxEvent('message.received', payload)));
    expect(emitted).toEqual([expect.objectContaining({ id: 'grp-1', to: '+15550002222' })]);
  });

  it('answers only after emitInbound has resolved', async () => {
    let release: (() => void) | undefined;
    emit = () => new Promise((resolve) => (release = () => resolve({ outcome: 'queued', jobId: 'j' })));
    let answered = false;
    const pending = post(messagesPath, inbound()).then((res) => {
      answered = true;
      return res;
    });
    for (let i = 0; i < 20 && release === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false);
    release?.();
    expect((await pending).statusCode).toBe(200);
  });

  it('answers a duplicate and an unroutable message 200 (Telnyx would only retry them); logs the drop', async () => {
    emit = async () => ({ outcome: 'duplicate', jobId: 'j0' });
    expect((await post(messagesPath, inbound())).json()).toEqual({ outcome: 'duplicate' });
    emit = async () => ({ outcome: 'dropped', reason: 'nobody owns +15550009999' });
    const res = await post(messagesPath, inbound({ to: '+15550009999' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ outcome: 'dropped' });
    expect(logLines).toContainEqual(expect.objectContaining({ msg: 'inbound SMS dropped', reason: 'nobody owns +15550009999' }));
  });

  it('answers 503 while the event cannot be stored, so Telnyx retries', async () => {
    emit = redisDown;
    const res = await post(messagesPath, inbound());
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    emit = async () => {
      throw new Error('socket closed');
    };
    const other = await post(messagesPath, inbound());
    expect(other.statusCode).toBe(503);
    expect(other.json()).toMatchObject({ error: 'SERVICE_UNAVAILABLE' });
  });

  it('accepts a charset parameter on the content type', async () => {
    expect((await post(messagesPath, inbound(), { 'content-type': 'application/json; charset=utf-8' })).statusCode).toBe(200);
  });
});

describe('signature checks: 403, logged, nothing emitted', () => {
  const now = () => Math.floor(Date.now() / 1000);
  it.each<[string, SigningOptions]>([
    ['a corrupted signature', { signature: 'corrupt' }],
    ['a signature by another key', { signature: 'wrong-key' }],
    ['no signature header', { signature: 'omit' }],
    ['no timestamp header', { omitTimestamp: true }],
    ['a stale timestamp (6 minutes old)', { timestamp: now() - 360 }],
    ['a timestamp 6 minutes in the future', { timestamp: now() + 360 }],
  ])('%s', async (_name, opts) => {
    for (const [path, hook] of [
      [messagesPath, inbound({}, opts)],
      [statusPath, status('delivered', undefined, opts)],
    ] as const) {
      const res = await post(path, hook);
      expect(res.statusCode, path).toBe(403);
      expect(res.json()).toMatchObject({ error: 'SIGNATURE_INVALID' });
    }
    expect(emitted).toEqual([]);
    expect(warnings()).toHaveLength(2);
    expect(warnings()[0]).toMatchObject({ url: messagesPath, reason: expect.any(String) });
  });

  it('refuses a body changed after signing', async () => {
    const hook = inbound();
    const res = await post(messagesPath, { ...hook, payload: hook.payload.replace('hi there', 'send money') });
    expect(res.statusCode).toBe(403);
    expect(emitted).toEqual([]);
  });

  it('checks the signature before the body: unsigned junk is 403, signed junk 400', async () => {
    const junk = '{"data": not json';
    expect((await app.inject({ method: 'POST', url: messagesPath, payload: junk, headers: { 'content-type': 'application/json' } })).statusCode).toBe(403);
    const res = await post(messagesPath, double.signText(junk));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'BAD_REQUEST' });
    expect(emitted).toEqual([]);
  });

  it('refuses a signed event without the fields the gateway needs (400), emitting nothing', async () => {
    const payload = inboundPayload({ from: '+15551234567', to: '+15550001111', body: 'x' });
    delete payload.from;
    const res = await post(messagesPath, double.sign(telnyxEvent('message.received', payload)));
    expect(res.statusCode).toBe(400);
    expect((await post(messagesPath, double.sign({ data: { event_type: 'message.received' } }))).statusCode).toBe(400);
    expect(emitted).toEqual([]);
  });

  it('leaves JSON parsing of other routes alone', async () => {
    const res = await app.inject({ method: 'POST', url: '/elsewhere', payload: { a: 1 } });
    expect(res.json()).toEqual({ echoed: { a: 1 } });
  });
});

describe('POST /webhooks/<domain>/status (message.sent, message.finalized)', () => {
  it('emits delivered', async () => {
    const res = await post(statusPath, status('delivered'));
    expect(res.statusCode).toBe(200);
    expect(emitted).toEqual([{ kind: 'status', providerMessageId: MSG_ID, status: 'delivered' }]);
  });

  it.each<[TelnyxDeliveryStatus, Array<{ code: string; title: string; detail?: string }> | undefined, RegExp]>([
    ['delivery_failed', [{ code: '40001', title: 'Not routable' }], /^the number is a landline or cannot receive texts \(Telnyx error 40001\)$/],
    ['delivery_failed', [{ code: '40099', title: 'Brand new failure', detail: 'details' }], /^Brand new failure: details \(Telnyx error 40099\)$/],
    ['sending_failed', [{ code: '40015', title: 'Blocked as spam - internal' }], /Telnyx's spam filter.*40015/],
    ['expired', [], /^the message expired before it could be delivered$/],
    ['delivery_failed', [], /^Telnyx reported the message delivery failed without an error code$/],
  ])('emits %s as failed with a reason (%#)', async (s, errors, reason) => {
    expect((await post(statusPath, status(s, errors))).statusCode).toBe(200);
    expect(emitted).toEqual([{ kind: 'status', providerMessageId: MSG_ID, status: 'failed', reason: expect.stringMatching(reason) }]);
  });

  it.each<TelnyxDeliveryStatus>(['queued', 'sending', 'sent', 'delivery_unconfirmed'])('ignores %s: 200, nothing emitted', async (s) => {
    const res = await post(statusPath, status(s));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ outcome: 'ignored' });
    expect(emitted).toEqual([]);
  });

  it('acts on the event type, not the route: a profile webhook pointed at /messages gets statuses right', async () => {
    await post(messagesPath, status('delivered'));
    await post(statusPath, inbound());
    expect(emitted.map((e) => e.kind)).toEqual(['status', 'message']);
  });

  it('ignores other event types with 200', async () => {
    const res = await post(statusPath, double.sign(telnyxEvent('number_order.complete', { id: 'x' })));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ outcome: 'ignored' });
    expect(emitted).toEqual([]);
  });

  it('reads the status of a message the double recorded as sent', async () => {
    const payload = outboundPayload({ id: 'sent-1', from: '+15550001111', to: '+15551234567', text: 'x' }, 'delivered');
    await post(statusPath, double.sign(telnyxEvent('message.finalized', payload)));
    expect(emitted).toEqual([{ kind: 'status', providerMessageId: 'sent-1', status: 'delivered' }]);
  });
});

describe('over real HTTP, as in the end-to-end tests', () => {
  it('the double posts an inbound text, and delivers a status to the webhook_url the adapter sent', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const live = gatewayServer(pino({ level: 'silent' }));
    const config = providerConfig('telnyx', {
      domain: DOMAIN,
      numbers: { '+15550001111': 'alice@localhost' },
      telnyx: { apiKey: double.apiKey, publicKey: double.publicKey, apiBaseUrl: double.baseUrl },
    });
    const adapter = new TelnyxAdapter(config);
    const ctx = adapterContext(config, { publicUrl: baseUrl, http: serverRoutes(live, DOMAIN) });
    const got = ctx.emitted;
    await adapter.start(ctx);
    await live.listen({ host: '127.0.0.1', port });
    try {
      const res = await double.sendInbound(baseUrl, DOMAIN, { from: '+15551234567', to: '+15550001111', body: 'over the wire' });
      expect(res.status).toBe(200);
      const outbound = outboundMessage({ componentDomain: DOMAIN, senderJid: 'alice@localhost/x', body: 'hi', receiptRequested: true });
      const { providerMessageId } = await adapter.send(outbound, { attempt: 1, signal: new AbortController().signal });
      expect((await double.deliver(providerMessageId, 'delivered')).status).toBe(200);
      expect(got).toEqual([
        expect.objectContaining({ kind: 'message', id: res.messageId, body: 'over the wire' }),
        { kind: 'status', providerMessageId, status: 'delivered' },
      ]);
    } finally {
      await live.close();
    }
  });
});
