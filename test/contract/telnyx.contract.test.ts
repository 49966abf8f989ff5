/**
 * The Telnyx adapter passes the adapter contract against the local Telnyx
 * double (test/doubles/telnyx.ts): sends go to the double's Messaging API,
 * failures are the double answering as Telnyx does, inbound messages and
 * statuses are JSON events signed with the double's Ed25519 key, injected into
 * the adapter's webhook routes.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll } from 'vitest';
import { telnyxAdapter } from '../../adapters/sms/telnyx/index.js';
import { TelnyxDouble, type SignedWebhook } from '../doubles/telnyx.js';
import { adapterContract, postAccepted, smsContractConfig, SMS_PARTIES } from './adapter-contract.js';

const domain = 'sms.telnyx.contract.test';
const double = await TelnyxDouble.start();
afterAll(() => double.close());

const post = (app: FastifyInstance, path: string, hook: SignedWebhook) => postAccepted(app, path, hook.payload, hook.headers);

adapterContract('telnyx (sms)', {
  config: smsContractConfig('telnyx', domain, { apiKey: double.apiKey, publicKey: double.publicKey, apiBaseUrl: double.baseUrl }),
  create: telnyxAdapter,
  ...SMS_PARTIES,
  failNext: async (_app, kind) => {
    if (kind === 'permanent') {
      double.failNext({
        kind: 'error',
        code: '40300',
        title: 'Blocked due to STOP message',
        detail: "Messages cannot be sent from '+15550001111' to '+15551234567' due to an existing block rule.",
      });
    } else if (kind === 'transient') double.failNext({ kind: 'server-error', httpStatus: 503 });
    else double.failNext({ kind: 'rate-limit' });
  },
  heal: async () => double.heal(),
  sent: async () => double.messages.map((m) => ({ id: m.id, to: m.to, body: m.text ?? '' })),
  injectMessage: async (app, msg) => {
    await post(app, `/webhooks/${domain}/messages`, double.inboundWebhook(msg));
  },
  injectStatus: async (app, id, status) => {
    await post(app, `/webhooks/${domain}/status`, double.statusWebhook(id, status === 'delivered' ? 'delivered' : 'delivery_failed'));
  },
});
