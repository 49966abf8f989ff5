/**
 * The SMPP adapter passes the adapter contract against the local SMSC double
 * (test/doubles/smsc.ts): sends are submit_sm on a real bind, failures are the
 * double answering with SMPP command_status values, inbound messages and
 * statuses are deliver_sm PDUs whose injection resolves once the adapter has
 * answered deliver_sm_resp, which it does only after emitInbound resolved.
 */
import { afterAll } from 'vitest';
import { smppAdapter } from '../../adapters/sms/smpp/index.js';
import { ESME_RINVDSTADR, ESME_RSYSERR, ESME_RTHROTTLED } from '../../adapters/sms/smpp/status.js';
import { SmscDouble } from '../doubles/smsc.js';
import { providerConfig } from '../support/fixtures.js';
import { adapterContract } from './adapter-contract.js';

const double = await SmscDouble.start();
afterAll(() => double.close());

adapterContract('smpp (sms)', {
  config: providerConfig('smpp', {
    domain: 'sms.smpp.contract.test',
    numbers: { '+15550001111': 'alice@localhost' },
    smpp: {
      host: double.host,
      port: double.port,
      systemId: double.systemId,
      password: double.password,
      submitTimeoutMs: 1000,
      reconnectInitialMs: 100,
    },
  }),
  create: smppAdapter,
  foreignAddress: '+15551234567',
  localAddress: '+15550001111',
  failNext: async (_app, kind) => {
    const status = kind === 'permanent' ? ESME_RINVDSTADR : kind === 'transient' ? ESME_RSYSERR : ESME_RTHROTTLED;
    double.failNext({ kind: 'status', status });
  },
  heal: async () => double.heal(),
  sent: async () => double.messages.map((m) => ({ id: m.id, to: m.to, body: m.body })),
  injectMessage: async (_app, msg) => {
    await double.deliver({ from: msg.from, to: msg.to, text: msg.body });
  },
  injectStatus: async (_app, messageId, status) => {
    await double.deliverReceipt(messageId, status === 'delivered' ? 'DELIVRD' : 'UNDELIV');
  },
});
