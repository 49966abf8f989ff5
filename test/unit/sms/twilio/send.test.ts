/**
 * The Twilio adapter's send path against the local Twilio double: the
 * Messages API request it makes (fields, auth) and how each failure surfaces.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountError as TwilioAccountError } from '../../../../adapters/kit/account.js';
import { TwilioAdapter } from '../../../../adapters/sms/twilio/index.js';
import type { OutboundMessage } from '../../../../adapters/types.js';
import { GatewayError } from '../../../../src/errors/registry.js';
import { TwilioDouble } from '../../../doubles/twilio.js';
import { adapterContext, outboundMessage, providerConfig, recordingLogger } from '../../../support/fixtures.js';
import { freePort } from '../../../support/ports.js';

const DOMAIN = 'sms.example.org';
const PUBLIC_URL = 'https://gw.example.org/';

let double: TwilioDouble;
beforeAll(async () => {
  double = await TwilioDouble.start();
});
afterAll(() => double.close());
beforeEach(() => double.reset());

function adapterWith(twilio: Record<string, unknown> = {}, logLines: Array<Record<string, unknown>> = []) {
  const config = providerConfig('twilio', {
    domain: DOMAIN,
    numbers: { '+15550001111': 'alice@localhost', '+15550002222': 'Bob@Localhost', '+15550003333': 'bob@localhost' },
    twilio: { accountSid: double.accountSid, authToken: double.authToken, apiBaseUrl: `${double.baseUrl}/`, ...twilio },
  });
  const adapter = new TwilioAdapter(config);
  const ctx = adapterContext(config, { logger: recordingLogger(logLines), publicUrl: PUBLIC_URL });
  return { adapter, start: () => adapter.start(ctx) };
}

const message = (overrides: Partial<OutboundMessage> = {}) => outboundMessage({ componentDomain: DOMAIN, body: 'hello there', ...overrides });

const send = (adapter: TwilioAdapter, m: OutboundMessage, signal = new AbortController().signal) => adapter.send(m, { attempt: 1, signal });
const failure = (p: Promise<unknown>) => p.then(() => expect.fail('send succeeded'), (e: unknown) => e as GatewayError);

describe('Twilio adapter: sending', () => {
  it('posts To, From (the sender’s number), Body, StatusCallback and one MediaUrl per URL, with Basic auth', async () => {
    const { adapter, start } = adapterWith();
    await start();
    const media = ['https://files.example.org/a.jpg', 'https://files.example.org/b.png?x=1&y=2'];
    const result = await send(adapter, message({ senderJid: 'Alice@LocalHost/laptop', attachments: media.map((url) => ({ url })) }));
    expect(result.providerMessageId).toMatch(/^MM[0-9a-f]{32}$/);
    expect(result.delivered).toBeUndefined();
    const [sent] = double.messages;
    expect(sent?.sid).toBe(result.providerMessageId);
    expect(sent?.form).toEqual([
      ['To', '+15551234567'],
      ['From', '+15550001111'],
      ['Body', 'hello there'],
      ['MediaUrl', media[0]],
      ['MediaUrl', media[1]],
      ['StatusCallback', `https://gw.example.org/webhooks/${DOMAIN}/status`],
    ]);
  });

  it('sends a text-only message as SMS and gives each message its own sid', async () => {
    const { adapter, start } = adapterWith();
    await start();
    const a = await send(adapter, message());
    const b = await send(adapter, message({ id: 'o-2' }));
    expect(a.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(b.providerMessageId).not.toBe(a.providerMessageId);
    expect(double.messages.map((m) => m.mediaUrls)).toEqual([[], []]);
  });

  it('sends from the number resolved when the message was accepted, if the message carries one', async () => {
    const { adapter, start } = adapterWith();
    await start();
    await send(adapter, message({ senderJid: 'carol@localhost/x', from: '+15550009999' }));
    expect(double.messages[0]?.from).toBe('+15550009999');
  });

  it('uses MessagingServiceSid instead of From when configured', async () => {
    const service = 'MG0123456789abcdef0123456789abcdef';
    const { adapter, start } = adapterWith({ messagingServiceSid: service });
    await start();
    await send(adapter, message());
    const [sent] = double.messages;
    expect(sent?.messagingServiceSid).toBe(service);
    expect(sent?.form.map(([k]) => k)).not.toContain('From');
  });

  it('refuses a message that carries no sender number, without calling Twilio', async () => {
    const { adapter, start } = adapterWith();
    await start();
    const err = await failure(send(adapter, message({ senderJid: 'mallory@localhost/x', from: undefined })));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('REGISTRATION_REQUIRED');
    expect(err.spec).toMatchObject({ retryable: false, condition: 'registration-required' });
    expect(err.message).toBe('you have no number on this gateway; register one first');
    expect(double.requests).toBe(0);
  });

  it('turns an opt-out into a permanent, explained failure', async () => {
    const { adapter, start } = adapterWith();
    await start();
    double.failNext({ kind: 'error', code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const err = await failure(send(adapter, message()));
    expect(err.code).toBe('DELIVERY_REJECTED');
    expect(err.message).toMatch(/^not sent: the recipient has opted out \(replied STOP\).*\(Twilio error 21610\)$/);
  });

  it("reports the double's own validation (invalid To) as permanent", async () => {
    const { adapter, start } = adapterWith();
    await start();
    const err = await failure(send(adapter, message({ to: '5551234' })));
    expect(err.code).toBe('DELIVERY_REJECTED');
    expect(err.message).toContain('Twilio error 21211');
  });

  it('honours Retry-After on 429', async () => {
    const { adapter, start } = adapterWith();
    await start();
    double.failNext({ kind: 'rate-limit', retryAfterSeconds: 2 });
    const err = await failure(send(adapter, message()));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBe(2000);
  });

  it('keeps messages waiting on bad credentials, logs at error level and says so in health()', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const { adapter, start } = adapterWith({ authToken: 'not-the-token' }, lines);
    await start();
    const err = await failure(send(adapter, message()));
    expect(err).toBeInstanceOf(TwilioAccountError);
    expect(err.code).toBe('PROVIDER_TRANSIENT');
    expect(err.spec.retryable).toBe(true);
    expect(err.message).toContain('HTTP 401, code 20003');
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
      'Twilio refused the account settings; messages wait until fixed',
    ]);
    expect(await adapter.health()).toMatchObject({ ok: true, detail: expect.stringContaining('Twilio refused the credentials') });
  });

  it('clears the health note once a send succeeds again', async () => {
    const { adapter, start } = adapterWith();
    await start();
    double.failNext({ kind: 'error', httpStatus: 401, code: 20003, message: 'Authenticate' });
    await failure(send(adapter, message()));
    expect((await adapter.health()).detail).toBeDefined();
    await send(adapter, message());
    expect(await adapter.health()).toEqual({ ok: true });
  });

  it.each([
    ['the server errs', { kind: 'server-error', httpStatus: 502 } as const, /provider error \(HTTP 502/],
    ['the connection drops', { kind: 'close' } as const, /cannot reach the API/],
    ['no answer comes in time', { kind: 'hang' } as const, /abandoned .*may or may not have accepted/],
  ])('retries when %s', async (_what, scripted, text) => {
    const { adapter, start } = adapterWith();
    await start();
    double.failNext(scripted);
    const err = await failure(send(adapter, message(), AbortSignal.timeout(300)));
    expect(err.code).toBe('PROVIDER_TRANSIENT');
    expect(err.message).toMatch(text);
  });

  it('retries when the API cannot be reached at all', async () => {
    const { adapter, start } = adapterWith({ apiBaseUrl: `http://127.0.0.1:${await freePort()}` });
    await start();
    const err = await failure(send(adapter, message()));
    expect(err.code).toBe('PROVIDER_TRANSIENT');
    expect(err.message).toMatch(/cannot reach the API \(fetch failed: ECONNREFUSED\)/);
  });

  it('does not call Twilio once the attempt is aborted', async () => {
    const { adapter, start } = adapterWith();
    await start();
    const ac = new AbortController();
    ac.abort(new Error('shutting down'));
    const err = await failure(send(adapter, message(), ac.signal));
    expect(err.spec.retryable).toBe(true);
    expect(err.message).toContain('shutting down');
    expect(double.requests).toBe(0);
  });

  it('is healthy once started, without asking Twilio', async () => {
    const { adapter, start } = adapterWith();
    expect(await adapter.health()).toMatchObject({ ok: false });
    await start();
    expect(await adapter.health()).toEqual({ ok: true });
    expect(double.requests).toBe(0);
  });
});
