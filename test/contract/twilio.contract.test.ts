/**
 * The Twilio adapter passes the adapter contract against the local Twilio
 * double (test/doubles/twilio.ts): sends go to the double's Messages API,
 * failures are the double answering as Twilio does, inbound messages and
 * statuses are signed form posts to the adapter's webhook routes.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll } from 'vitest';
import { twilioAdapter } from '../../adapters/sms/twilio/index.js';
import { inboundParams, signedWebhook, statusParams, TwilioDouble } from '../doubles/twilio.js';
import { adapterContract, postAccepted, smsContractConfig, SMS_PARTIES } from './adapter-contract.js';

/** The publicUrl the contract gives every adapter; Twilio signs webhooks for it. */
const PUBLIC_URL = 'http://127.0.0.1:1';
const domain = 'sms.twilio.contract.test';
const double = await TwilioDouble.start();
afterAll(() => double.close());

async function post(app: FastifyInstance, path: string, params: Array<[string, string]>): Promise<void> {
  const hook = signedWebhook(double.authToken, PUBLIC_URL, path, params);
  await postAccepted(app, hook.path, hook.payload, hook.headers);
}

adapterContract('twilio (sms)', {
  config: smsContractConfig('twilio', domain, { accountSid: double.accountSid, authToken: double.authToken, apiBaseUrl: double.baseUrl }),
  create: twilioAdapter,
  ...SMS_PARTIES,
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
