/**
 * The http webhook adapter passes the adapter contract: sends go to a local
 * service that verifies them with the `standardwebhooks` package, failures
 * are that service answering 422 / 500 / 429, and inbound messages are
 * Standard Webhooks-signed posts to the `plain` hook of the same name. Webhooks confirm delivery
 * in the HTTP answer, so there are no later statuses.
 */
import { afterAll } from 'vitest';
import { httpWebhookAdapter } from '../../adapters/webhook/http/index.js';
import { standardWebhookHeaders } from '../../adapters/webhook/http/signing.js';
import { WebhookReceiver } from '../doubles/webhook-receiver.js';
import { providerConfig } from '../support/fixtures.js';
import { adapterContract, postAccepted } from './adapter-contract.js';

const domain = 'hooks.contract.test';
const receiver = await WebhookReceiver.start();
afterAll(() => receiver.close());
const hookSecret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

adapterContract('http (webhook)', {
  config: providerConfig('http', {
    domain,
    network: 'webhook',
    endpoints: { svc: { url: receiver.url(), secret: receiver.secret, allowPrivateNetwork: true } },
    // One name both ways: svc@hooks is called by users and posts to them.
    inbound: { svc: { secret: hookSecret, to: ['alice@localhost'] } },
  }),
  create: httpWebhookAdapter,
  foreignAddress: 'svc',
  localAddress: 'alice@localhost',
  failNext: async (_app, kind) => {
    if (kind === 'permanent') receiver.failNext({ kind: 'status', httpStatus: 422, text: 'no such thing' });
    else if (kind === 'transient') receiver.failNext({ kind: 'server-error', httpStatus: 500 });
    else receiver.failNext({ kind: 'rate-limit', retryAfterSeconds: 2 });
  },
  heal: async () => receiver.heal(),
  sent: async () => receiver.messages.map((m) => ({ id: m.data.id, to: m.data.to, body: m.data.body })),
  injectMessage: async (app, msg) => {
    // The foreign sender of an inbound message is the hook it is posted to.
    const body = JSON.stringify({ text: msg.body });
    const headers = standardWebhookHeaders([hookSecret], msg.id, Math.floor(Date.now() / 1000), body);
    await postAccepted(app, `/webhooks/${domain}/${msg.from}`, body, { ...headers, 'content-type': 'application/json' });
  },
});
