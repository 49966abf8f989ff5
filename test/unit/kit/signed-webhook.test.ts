/**
 * The kit's signed-webhook route helper (adapters/kit/signed-webhook.ts) on
 * the gateway's real HTTP server (buildServer, its one error handler): with a
 * made-up HMAC-SHA256-over-the-body scheme, to show a new scheme is one
 * callback, and with the Twilio and Telnyx adapters for the 503 rule.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signedWebhookRoutes, type StoreInbound } from '../../../adapters/kit/signed-webhook.js';
import { telnyxAdapter } from '../../../adapters/sms/telnyx/index.js';
import { twilioAdapter } from '../../../adapters/sms/twilio/index.js';
import type { AdapterContext, InboundAcceptance, InboundEvent } from '../../../adapters/types.js';
import { GatewayError } from '../../../src/errors/registry.js';
import type { GatewayServer } from '../../../src/http/server.js';
import { inboundPayload, rawPublicKeyBase64, signTelnyxWebhook, telnyxEvent } from '../../doubles/telnyx.js';
import { inboundParams, signedWebhook } from '../../doubles/twilio.js';
import { adapterContext, redisDown, gatewayServer, providerConfig, recordingLogger, serverRoutes } from '../../support/fixtures.js';

const DOMAIN = 'hooks.example.org';
const SECRET = 'kit-test-secret';
const path = `/webhooks/${DOMAIN}/events`;

let app: GatewayServer;
let logLines: Array<Record<string, unknown>>;
let stored: InboundEvent[];
let emit: (event: InboundEvent) => Promise<InboundAcceptance>;
const logger = () => recordingLogger(logLines);

function server(): GatewayServer {
  return gatewayServer(logger(), 64 * 1024);
}

const emitInbound = async (event: InboundEvent) => {
  const result = await emit(event);
  stored.push(event);
  return result;
};

beforeEach(() => {
  logLines = [];
  stored = [];
  emit = async () => ({ outcome: 'queued', jobId: 'j1' });
});
afterEach(() => app.close());

const hmac = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
const nowSeconds = () => String(Math.floor(Date.now() / 1000));

describe('signedWebhookRoutes with a scheme of its own (HMAC-SHA256 over the raw body, a timestamp header)', () => {
  beforeEach(async () => {
    app = server();
    const plugin = signedWebhookRoutes({
      provider: { id: 'acme', name: 'Acme' },
      contentType: 'application/json',
      verify: (req) => (req.header('x-acme-signature') === hmac(req.raw.toString('utf8')) ? { ok: true } : { ok: false, reason: `x-acme-signature does not match, for ${req.url}` }),
      timestamp: { header: 'x-acme-timestamp', toleranceSeconds: 300 },
      logger: logger(),
      emitInbound,
      routes: (scoped, store: StoreInbound) => {
        scoped.post<{ Body: { id: string; text: string } }>(
          '/events',
          { schema: { body: { type: 'object', required: ['id', 'text'], properties: { id: { type: 'string' }, text: { type: 'string' } } } } },
          async (req) => {
            const result = await store({ kind: 'message', id: req.body.id, from: 'acme', to: 'alice@localhost', body: req.body.text });
            return { outcome: result.outcome };
          },
        );
      },
    });
    app.registerAdapterRoutes({ domain: DOMAIN, scope: 'webhooks', plugin });
    await app.ready();
  });

  const post = (body: string, headers: Record<string, string> = {}, url = path) =>
    app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/json', 'x-acme-signature': hmac(body), 'x-acme-timestamp': nowSeconds(), ...headers } });
  const event = JSON.stringify({ id: 'e1', text: 'deploy done' });
  const refusals = () => logLines.filter((l) => l.msg === 'Acme webhook refused: bad signature');

  it('stores a signed event and answers 2xx; a duplicate is answered 2xx too', async () => {
    const first = await post(event);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ outcome: 'queued' });
    emit = async () => ({ outcome: 'duplicate', jobId: 'j1' });
    const again = await post(event);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ outcome: 'duplicate' });
    expect(stored).toHaveLength(2);
  });

  it('refuses another media type with 415, before looking at the signature', async () => {
    const res = await post('id=e1&text=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ error: 'MEDIA_TYPE_UNSUPPORTED', message: 'Acme webhooks are application/json, not application/x-www-form-urlencoded' });
    expect(refusals()).toEqual([]);
    expect(stored).toEqual([]);
  });

  it('refuses a bad signature with 403, a JSON reason and one bounded log line', async () => {
    const longUrl = `${path}?${'q'.repeat(3000)}`;
    const res = await post(event, { 'x-acme-signature': 'sha256=00' }, longUrl);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'SIGNATURE_INVALID', message: expect.stringMatching(/^Acme webhook signature refused: x-acme-signature does not match/) });
    const lines = refusals();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, ip: expect.any(String) });
    expect(String(lines[0]?.url).length).toBeLessThan(350);
    expect(String(lines[0]?.reason).length).toBeLessThan(350);
    expect(stored).toEqual([]);
  });

  it('refuses a well-signed request whose timestamp is outside the window, or missing', async () => {
    const stale = await post(event, { 'x-acme-timestamp': String(Math.floor(Date.now() / 1000) - 301) });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().message).toMatch(/x-acme-timestamp is 30\d s old \(allowed: 300 s either way\)/);
    const missing = await app.inject({ method: 'POST', url: path, payload: event, headers: { 'content-type': 'application/json', 'x-acme-signature': hmac(event) } });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().message).toMatch(/x-acme-timestamp is missing/);
    expect(stored).toEqual([]);
  });

  it('checks the signature before the body: unsigned junk is 403, signed junk 400', async () => {
    expect((await post('{not json', { 'x-acme-signature': 'sha256=00' })).statusCode).toBe(403);
    const signedJunk = await post('{not json');
    expect(signedJunk.statusCode).toBe(400);
    expect(signedJunk.json()).toEqual({ error: 'BAD_REQUEST', message: 'the signed body is not JSON' });
  });

  it('answers 503 while the event cannot be stored, whatever the failure', async () => {
    emit = redisDown;
    const queue = await post(event);
    expect(queue.statusCode).toBe(503);
    expect(queue.json()).toMatchObject({ error: 'QUEUE_UNAVAILABLE' });
    emit = async () => {
      throw new Error('Connection is closed.');
    };
    const other = await post(event);
    expect(other.statusCode).toBe(503);
    expect(other.headers['retry-after']).toBe('5');
    expect(other.json()).toEqual({ error: 'SERVICE_UNAVAILABLE', message: 'cannot store the event right now; retry later' });
  });
});

describe('Twilio and Telnyx both answer 503 when the event cannot be stored', () => {
  const SMS = 'sms.example.org';
  const PUBLIC_URL = 'https://gw.example.org';

  function ctxFor(config: AdapterContext['config']): AdapterContext {
    return adapterContext(config, { logger: logger(), publicUrl: PUBLIC_URL, emitInbound, http: serverRoutes(app, SMS) });
  }

  const failures: Array<[string, () => Error, string]> = [
    ['the queue is unavailable', () => new GatewayError('QUEUE_UNAVAILABLE', 'Redis is down'), 'QUEUE_UNAVAILABLE'],
    ['storing fails otherwise', () => new Error('Connection is closed.'), 'SERVICE_UNAVAILABLE'],
  ];

  it.each(failures)('Twilio, when %s', async (_what, failure, code) => {
    app = server();
    const token = 'twilio-token-0123456789';
    const config = providerConfig('twilio', {
      domain: SMS,
      numbers: { '+15550001111': 'alice@localhost' },
      twilio: { accountSid: `AC${'0'.repeat(32)}`, authToken: token },
    });
    const adapter = twilioAdapter(config);
    await adapter.start(ctxFor(config));
    await app.ready();
    emit = async () => {
      throw failure();
    };
    const hook = signedWebhook(token, PUBLIC_URL, `/webhooks/${SMS}/messages`, inboundParams(`AC${'0'.repeat(32)}`, { from: '+15551234567', to: '+15550001111', body: 'hi' }));
    const res = await app.inject({ method: 'POST', url: hook.path, payload: hook.payload, headers: hook.headers });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: code });
    await adapter.stop();
  });

  it.each(failures)('Telnyx, when %s', async (_what, failure, code) => {
    app = server();
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const config = providerConfig('telnyx', {
      domain: SMS,
      numbers: { '+15550001111': 'alice@localhost' },
      telnyx: { apiKey: 'KEY0123', publicKey: rawPublicKeyBase64(publicKey) },
    });
    const adapter = telnyxAdapter(config);
    await adapter.start(ctxFor(config));
    await app.ready();
    emit = async () => {
      throw failure();
    };
    const payload = JSON.stringify(telnyxEvent('message.received', inboundPayload({ id: 'm-1', from: '+15551234567', to: '+15550001111', body: 'hi' })));
    const hook = signTelnyxWebhook(privateKey, payload);
    const res = await app.inject({ method: 'POST', url: `/webhooks/${SMS}/messages`, payload: hook.payload, headers: hook.headers });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: code });
    await adapter.stop();
  });
});
