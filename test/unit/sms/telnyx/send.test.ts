/**
 * The Telnyx adapter's send path against the local Telnyx double: the
 * Messaging API request it makes (fields, auth) and how each failure surfaces.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountError as TelnyxAccountError } from '../../../../adapters/kit/account.js';
import { TelnyxAdapter } from '../../../../adapters/sms/telnyx/index.js';
import type { OutboundMessage } from '../../../../adapters/types.js';
import type { ProviderConfig } from '../../../../src/config/schema.js';
import { GatewayError } from '../../../../src/errors/registry.js';
import { TelnyxDouble } from '../../../doubles/telnyx.js';
import { adapterContext, componentConfig, outboundMessage, providerConfig, recordingLogger } from '../../../support/fixtures.js';
import { freePort } from '../../../support/ports.js';

const DOMAIN = 'sms.example.org';
const PUBLIC_URL = 'https://gw.example.org/';
const PROFILE = '4001767e-ce0f-4cae-9d5f-0d5e636e7809';

let double: TelnyxDouble;
beforeAll(async () => {
  double = await TelnyxDouble.start({ numbers: ['+15550001111', '+15550002222', '+15550003333'] });
});
afterAll(() => double.close());
beforeEach(() => double.reset());

function adapterWith(telnyx: Record<string, unknown> = {}, logLines: Array<Record<string, unknown>> = [], numbers?: Record<string, string>) {
  const config = providerConfig('telnyx', {
    domain: DOMAIN,
    numbers: numbers ?? { '+15550001111': 'alice@localhost', '+15550002222': 'Bob@Localhost', '+15550003333': 'bob@localhost' },
    telnyx: { apiKey: double.apiKey, publicKey: double.publicKey, apiBaseUrl: `${double.baseUrl}/`, ...telnyx },
  });
  const adapter = new TelnyxAdapter(config);
  const ctx = adapterContext(config, { logger: recordingLogger(logLines), publicUrl: PUBLIC_URL });
  return { adapter, start: () => adapter.start(ctx) };
}

const message = (overrides: Partial<OutboundMessage> = {}) => outboundMessage({ componentDomain: DOMAIN, body: 'hello there', ...overrides });

const opts = (signal = new AbortController().signal) => ({ attempt: 1, signal });

async function started(telnyx: Record<string, unknown> = {}, logLines: Array<Record<string, unknown>> = []) {
  const a = adapterWith(telnyx, logLines);
  await a.start();
  return a.adapter;
}

describe('TelnyxAdapter.send: the request', () => {
  it("posts JSON with Bearer auth: from = the sender's number, webhook_url = the status route; returns data.id", async () => {
    const adapter = await started();
    const result = await adapter.send(message(), opts());
    expect(double.messages).toHaveLength(1);
    const sent = double.messages[0];
    expect(result).toEqual({ providerMessageId: sent?.id });
    expect(sent?.body).toEqual({
      from: '+15550001111',
      to: '+15551234567',
      text: 'hello there',
      webhook_url: `https://gw.example.org/webhooks/${DOMAIN}/status`,
    });
  });

  it('sends media_urls with the text, and media alone without an empty text', async () => {
    const adapter = await started();
    const urls = ['https://files.example.org/a.jpg', 'https://files.example.org/b.png'];
    await adapter.send(message({ attachments: urls.map((url) => ({ url })) }), opts());
    await adapter.send(message({ body: '', attachments: urls.map((url) => ({ url })) }), opts());
    expect(double.messages[0]?.body).toMatchObject({ text: 'hello there', media_urls: urls });
    expect(double.messages[1]?.body).toMatchObject({ media_urls: urls });
    expect(double.messages[1]?.body).not.toHaveProperty('text');
  });

  it('adds messaging_profile_id when configured', async () => {
    const adapter = await started({ messagingProfileId: PROFILE });
    await adapter.send(message(), opts());
    expect(double.messages[0]?.body).toMatchObject({ from: '+15550001111', messaging_profile_id: PROFILE });
    expect(double.messages[0]?.messagingProfileId).toBe(PROFILE);
  });

  it('sends from the number resolved when the message was accepted', async () => {
    const adapter = await started();
    await adapter.send(message({ senderJid: 'BOB@localhost/laptop', from: '+15550002222' }), opts());
    expect(double.messages[0]?.from).toBe('+15550002222');
  });

  it('refuses a message that carries no sender number, without calling Telnyx', async () => {
    const adapter = await started();
    const err = await adapter.send(message({ senderJid: 'mallory@localhost/x', from: undefined }), opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'REGISTRATION_REQUIRED', message: 'you have no number on this gateway; register one first' });
    expect(double.requests).toBe(0);
  });

  it('does nothing once the attempt is aborted, and refuses before start', async () => {
    const ac = new AbortController();
    ac.abort(new Error('shutting down'));
    const adapter = await started();
    await expect(adapter.send(message(), opts(ac.signal))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/shutting down/) });
    await expect(adapterWith().adapter.send(message(), opts())).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(double.requests).toBe(0);
  });
});

describe('TelnyxAdapter.send: failures as the double answers them', () => {
  it('an opted-out recipient (40300) is permanent, with the reason for the user', async () => {
    const adapter = await started();
    double.failNext({ kind: 'error', code: '40300', title: 'Blocked due to STOP message' });
    await expect(adapter.send(message(), opts())).rejects.toMatchObject({
      code: 'DELIVERY_REJECTED',
      message: expect.stringMatching(/^not sent: the recipient has opted out .*\(Telnyx error 40300\)$/),
    });
  });

  it("an invalid 'to' is refused by the double's own validation (40310), permanently", async () => {
    const adapter = await started();
    await expect(adapter.send(message({ to: '+1555CALLME' }), opts())).rejects.toMatchObject({ code: 'DELIVERY_REJECTED', message: expect.stringMatching(/40310/) });
  });

  it('429 is rate-limited for Retry-After', async () => {
    const adapter = await started();
    double.failNext({ kind: 'rate-limit', retryAfterSeconds: 7 });
    await expect(adapter.send(message(), opts())).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 7000 });
  });

  it('5xx and a dropped connection are transient', async () => {
    const adapter = await started();
    double.failNext({ kind: 'server-error', httpStatus: 502 });
    await expect(adapter.send(message(), opts())).rejects.toMatchObject({ code: 'PROVIDER_TRANSIENT', message: expect.stringMatching(/HTTP 502/) });
    double.failNext({ kind: 'close' });
    await expect(adapter.send(message(), opts())).rejects.toMatchObject({ code: 'PROVIDER_TRANSIENT', message: expect.stringMatching(/cannot reach the API/) });
    await expect(adapter.send(message(), opts())).resolves.toHaveProperty('providerMessageId');
  });

  it('a request that hangs until the attempt times out is transient and says it may have gone out', async () => {
    const adapter = await started();
    double.failNext({ kind: 'hang' });
    const err = await adapter.send(message(), opts(AbortSignal.timeout(200))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_TRANSIENT', message: expect.stringMatching(/may or may not have accepted/) });
  });

  it('an unreachable API is transient', async () => {
    const adapter = await started({ apiBaseUrl: `http://127.0.0.1:${await freePort()}` });
    await expect(adapter.send(message(), opts())).rejects.toMatchObject({ code: 'PROVIDER_TRANSIENT', message: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('a wrong API key waits (transient), is logged at error level and shows in health until a send succeeds', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const wrong = await started({ apiKey: 'KEYwrong' }, logs);
    const err = await wrong.send(message(), opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelnyxAccountError);
    expect(err).toMatchObject({ code: 'PROVIDER_TRANSIENT', message: expect.stringMatching(/check telnyx.apiKey.*HTTP 401, code 10009/) });
    expect(logs).toContainEqual(expect.objectContaining({ level: 50, msg: expect.stringMatching(/refused the account settings/), httpStatus: 401 }));
    await expect(wrong.health()).resolves.toEqual({ ok: true, detail: expect.stringMatching(/telnyx.apiKey/) });

    const adapter = await started({}, logs);
    double.failNext({ kind: 'error', httpStatus: 403, code: '10010', title: 'Authorization failed' });
    await expect(adapter.send(message(), opts())).rejects.toBeInstanceOf(TelnyxAccountError);
    await expect(adapter.health()).resolves.toMatchObject({ ok: true, detail: expect.any(String) });
    await adapter.send(message(), opts());
    await expect(adapter.health()).resolves.toEqual({ ok: true });
  });

  it('a sending number that is not on the Telnyx account (40305) waits for the admin too', async () => {
    const { adapter, start } = adapterWith({}, [], { '+15550009999': 'alice@localhost' });
    await start();
    await expect(adapter.send(message({ from: '+15550009999' }), opts())).rejects.toBeInstanceOf(TelnyxAccountError);
  });
});

describe('TelnyxAdapter lifecycle', () => {
  it('is healthy once started and not after stop', async () => {
    const { adapter, start } = adapterWith();
    await expect(adapter.health()).resolves.toEqual({ ok: false, detail: 'not started' });
    await start();
    await expect(adapter.health()).resolves.toEqual({ ok: true });
    await adapter.stop();
    await expect(adapter.health()).resolves.toMatchObject({ ok: false });
  });

  it('names itself and refuses a config it cannot serve', () => {
    const { adapter } = adapterWith();
    expect([adapter.network, adapter.provider, adapter.componentDomain]).toEqual(['sms', 'telnyx', DOMAIN]);
    const sandbox = componentConfig({ domain: DOMAIN }) as ProviderConfig<'telnyx'>; // the wrong provider, on purpose
    expect(() => new TelnyxAdapter(sandbox)).toThrow(/telnyx is required/);
  });
});
