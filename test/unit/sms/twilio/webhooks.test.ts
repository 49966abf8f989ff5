/**
 * The Twilio webhook routes on the gateway's real HTTP server (buildServer,
 * its one error handler), fed signed form posts as the Twilio double makes
 * them: signature checks, TwiML answers, status mapping.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TwilioAdapter } from '../../../../adapters/sms/twilio/index.js';
import { EMPTY_TWIML } from '../../../../adapters/sms/twilio/webhooks.js';
import type { InboundAcceptance, InboundEvent } from '../../../../adapters/types.js';
import { GatewayError } from '../../../../src/errors/registry.js';
import type { GatewayServer } from '../../../../src/http/server.js';
import { inboundParams, signedWebhook, statusParams, TwilioDouble, type SigningOptions } from '../../../doubles/twilio.js';
import { adapterContext, redisDown, answeredAndRecorded, gatewayServer, providerConfig, recordingLogger, serverRoutes } from '../../../support/fixtures.js';

const DOMAIN = 'sms.example.org';
const PUBLIC_URL = 'https://gw.example.org';
const ACCOUNT = 'AC' + '0'.repeat(32);
const TOKEN = 'test-auth-token-0123456789abcdef';
const SID = 'SM' + 'b'.repeat(32);

let app: GatewayServer;
let emitted: InboundEvent[];
let emit: (event: InboundEvent) => Promise<InboundAcceptance>;
let logLines: Array<Record<string, unknown>>;

beforeEach(async () => {
  emitted = [];
  logLines = [];
  emit = async () => ({ outcome: 'queued', jobId: `j${emitted.length}` });
  const logger = recordingLogger(logLines);
  app = gatewayServer(logger);
  const config = providerConfig('twilio', {
    domain: DOMAIN,
    numbers: { '+15550001111': 'alice@localhost' },
    twilio: { accountSid: ACCOUNT, authToken: TOKEN },
  });
  const ctx = adapterContext(config, {
    logger: logger.child({ domain: DOMAIN }),
    publicUrl: PUBLIC_URL,
    emitInbound: answeredAndRecorded(() => emit, emitted),
    http: serverRoutes(app, DOMAIN),
  });
  await new TwilioAdapter(config).start(ctx);
  app.post('/elsewhere', async () => ({ ok: true }));
  await app.ready();
});
afterEach(() => app.close());

function post(path: string, params: Array<[string, string]>, opts: SigningOptions & { signedFor?: string } = {}) {
  const hook = signedWebhook(TOKEN, opts.signedFor ?? PUBLIC_URL, path, params, opts);
  return app.inject({ method: 'POST', url: hook.path, payload: hook.payload, headers: hook.headers });
}
const inbound = (msg: { from?: string; to?: string; body?: string; mediaUrls?: string[] } = {}) =>
  inboundParams(ACCOUNT, { sid: SID, from: '+15551234567', to: '+15550001111', body: 'hi there', ...msg });
const messagesPath = `/webhooks/${DOMAIN}/messages`;
const statusPath = `/webhooks/${DOMAIN}/status`;

describe('Twilio webhook: incoming messages', () => {
  it('emits the message and answers 200 with empty TwiML', async () => {
    const res = await post(messagesPath, inbound());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.body).toBe(EMPTY_TWIML);
    expect(emitted).toEqual([{ kind: 'message', id: SID, from: '+15551234567', to: '+15550001111', body: 'hi there', mediaUrls: [] }]);
  });

  it('collects MediaUrl0..N of an MMS in order', async () => {
    const media = ['https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME1', 'https://example.org/b.png?x=1&y=2'];
    const res = await post(messagesPath, inbound({ body: '', mediaUrls: media }));
    expect(res.statusCode).toBe(200);
    expect(emitted).toEqual([expect.objectContaining({ body: '', mediaUrls: media })]);
  });

  it('keeps non-ASCII text, "+" and "&" intact through form encoding and signature', async () => {
    const body = 'Grüße + 5 & 6 = ✓ 🎉';
    expect((await post(messagesPath, inbound({ body }))).statusCode).toBe(200);
    expect(emitted[0]).toMatchObject({ body });
  });

  it('answers only after the event is stored', async () => {
    let store!: () => void;
    emit = () => new Promise((resolve) => (store = () => resolve({ outcome: 'queued', jobId: 'j' })));
    let answered = false;
    const pending = post(messagesPath, inbound()).then((res) => {
      answered = true;
      return res;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    store();
    expect((await pending).statusCode).toBe(200);
  });

  it('answers 503 (so Twilio retries) while the queue is unavailable', async () => {
    emit = redisDown;
    const res = await post(messagesPath, inbound());
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ error: 'QUEUE_UNAVAILABLE' });
  });

  it('answers 200 for a message to a number nobody owns (dropped, logged)', async () => {
    emit = async () => ({ outcome: 'dropped', reason: 'nobody receives messages for +15559999999' });
    const res = await post(messagesPath, inbound({ to: '+15559999999' }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(EMPTY_TWIML);
    expect(logLines.some((l) => l.msg === 'inbound SMS dropped')).toBe(true);
  });

  it('signs the query string too', async () => {
    expect((await post(`${messagesPath}?tenant=a&x=%20y`, inbound())).statusCode).toBe(200);
  });

  it('answers 400 to a signed form that lacks required fields', async () => {
    const res = await post(messagesPath, [['Body', 'no sid, no from']]);
    expect(res.statusCode).toBe(400);
    expect(emitted).toEqual([]);
  });
});

describe('Twilio webhook: signature', () => {
  it.each([
    ['missing', { signature: 'omit' }, /is missing/],
    ['made with another token', { signature: 'corrupt' }, /does not match/],
    ['made for another URL', { signedFor: 'https://attacker.example' }, /does not match/],
  ] as const)('refuses a signature that is %s: 403, warned, nothing emitted', async (_what, opts, message) => {
    for (const [path, params] of [
      [messagesPath, inbound()],
      [statusPath, statusParams(ACCOUNT, SID, 'delivered')],
    ] as const) {
      const res = await post(path, [...params], opts);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'SIGNATURE_INVALID', message: expect.stringMatching(message) });
    }
    expect(emitted).toEqual([]);
    expect(logLines.filter((l) => l.level === 40 && l.msg === 'Twilio webhook refused: bad signature')).toHaveLength(2);
  });

  it('logs a refused request once, bounded, however long its URL (issue 8)', async () => {
    const marker = 'Q'.repeat(40);
    const query = `?pad=${marker}${'x'.repeat(15_000)}`;
    const res = await post(`${messagesPath}${query}`, [...inbound()], { signature: 'corrupt' });
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain(marker);
    const logged = logLines.map((l) => JSON.stringify(l)).join('\n');
    expect(logged.split(marker).length - 1).toBe(1);
    expect(logged.length).toBeLessThan(3000);
  });

  it('refuses a signed request whose parameters were altered', async () => {
    const hook = signedWebhook(TOKEN, PUBLIC_URL, messagesPath, inbound());
    const res = await app.inject({
      method: 'POST',
      url: hook.path,
      payload: hook.payload.replace('hi+there', 'send+money'),
      headers: hook.headers,
    });
    expect(res.statusCode).toBe(403);
    expect(emitted).toEqual([]);
  });

  it('refuses a JSON body (Twilio posts forms)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: messagesPath,
      payload: { MessageSid: SID, From: '+15551234567', To: '+15550001111', Body: 'x', Nested: { a: 1 } },
      headers: { 'x-twilio-signature': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ error: 'MEDIA_TYPE_UNSUPPORTED' });
    expect(emitted).toEqual([]);
  });

  it('parses forms only on its own routes', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/elsewhere',
      payload: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(415);
  });
});

describe('Twilio webhook: status callbacks', () => {
  it('emits delivered', async () => {
    const res = await post(statusPath, statusParams(ACCOUNT, SID, 'delivered'));
    expect(res.statusCode).toBe(204);
    expect(emitted).toEqual([{ kind: 'status', providerMessageId: SID, status: 'delivered' }]);
  });

  it('emits undelivered and failed as failed, with the ErrorCode explained', async () => {
    await post(statusPath, statusParams(ACCOUNT, SID, 'undelivered', 30003));
    await post(statusPath, statusParams(ACCOUNT, SID, 'failed', 30007));
    expect(emitted).toEqual([
      { kind: 'status', providerMessageId: SID, status: 'failed', reason: expect.stringMatching(/handset is unreachable.*30003/) },
      { kind: 'status', providerMessageId: SID, status: 'failed', reason: expect.stringMatching(/carrier filtered.*30007/) },
    ]);
  });

  it.each(['queued', 'sending', 'sent', 'accepted'])('ignores %s (2xx, nothing emitted)', async (status) => {
    const res = await post(statusPath, statusParams(ACCOUNT, SID, status));
    expect(res.statusCode).toBe(204);
    expect(emitted).toEqual([]);
  });

  it('answers 503 while the queue is unavailable', async () => {
    emit = redisDown;
    expect((await post(statusPath, statusParams(ACCOUNT, SID, 'delivered'))).statusCode).toBe(503);
  });
});

describe('Twilio double calling a listening gateway', () => {
  it('delivers signed messages and statuses over real HTTP', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const double = await TwilioDouble.start({ accountSid: ACCOUNT, authToken: TOKEN });
    try {
      const res = await double.sendInbound(address, PUBLIC_URL, DOMAIN, { from: '+15551234567', to: '+15550001111', body: 'over http' });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(EMPTY_TWIML);
      expect((await double.sendStatus(address, PUBLIC_URL, DOMAIN, res.sid, 'delivered')).status).toBe(204);
      const bad = await double.sendInbound(address, PUBLIC_URL, DOMAIN, { from: '+15551234567', to: '+15550001111', body: 'x' }, { signature: 'corrupt' });
      expect(bad.status).toBe(403);
      expect(emitted).toEqual([
        expect.objectContaining({ kind: 'message', id: res.sid, body: 'over http' }),
        { kind: 'status', providerMessageId: res.sid, status: 'delivered' },
      ]);
    } finally {
      await double.close();
    }
  });
});
