/**
 * The Twilio adapter passes the adapter contract against the local Twilio
 * double (test/doubles/twilio.ts): sends go to the double's Messages API,
 * failures are the double answering as Twilio does, inbound messages and
 * statuses are signed form posts to the adapter's webhook routes.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, expect } from 'vitest';
import { twilioAdapter } from '../../adapters/sms/twilio/index.js';
import { inboundParams, signedWebhook, statusParams, TwilioDouble } from '../doubles/twilio.js';
import { providerConfig } from '../support/fixtures.js';
import { adapterContract } from './adapter-contract.js';

/** The publicUrl the contract gives every adapter; Twilio signs webhooks for it. */
const PUBLIC_URL = 'http://127.0.0.1:1';
const domain = 'sms.twilio.contract.test';
const double = await TwilioDouble.start();
afterAll(() => double.close());

async function post(app: FastifyInstance, path: string, params: Array<[string, string]>): Promise<void> {
  const hook = signedWebhook(double.authToken, PUBLIC_URL, path, params);
  const res = await app.inject({ method: 'POST', url: hook.path, payload: hook.payload, headers: hook.headers });
  expect(res.statusCode, res.body).toBeLessThan(300);
}

adapterContract('twilio (sms)', {
  config: providerConfig('twilio', {
    domain,
    numbers: { '+15550001111': 'alice@localhost' },
    twilio: { accountSid: double.accountSid, authToken: double.authToken, apiBaseUrl: double.baseUrl },
  }),
  create: twilioAdapter,
  foreignAddress: '+15551234567',
  localAddress: '+15550001111',
  failNext: async (_app, kind) => {
    if (kind === 'permanent') double.failNext({ kind: 'error', code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    else if (kind === 'transient') double.failNext({ kind: 'server-error', httpStatus: 503 });
    else double.failNext({ kind: 'rate-limit' });
  },
  heal: async () => double.heal(),
  sent: async () => double.messages.map((m) => ({ id: m.sid, to: m.to, body: m.body })),
  injectMessage: async (app, msg) => {
    await post(app, `/webhooks/${domain}/messages`, inboundParams(double.accountSid, { ...msg, sid: msg.id }));
  },
  injectStatus: async (app, sid, status) => {
    const params =
      status === 'delivered'
        ? statusParams(double.accountSid, sid, 'delivered')
        : statusParams(double.accountSid, sid, 'undelivered', 30003);
    await post(app, `/webhooks/${domain}/status`, params);
  },
});
