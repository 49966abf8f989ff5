/** The sandbox passes the adapter contract, on each network it serves. */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { sandboxAdapter } from '../../adapters/sandbox/index.js';
import { providerConfig } from '../support/fixtures.js';
import { adapterContract } from './adapter-contract.js';

const TOKENLESS = {}; // the contract mounts sandbox routes without the admin guard; the HTTP tests cover the token

async function call(app: FastifyInstance, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  const res = await app.inject({ method, url, ...(payload ? { payload } : {}), headers: TOKENLESS });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json() as unknown;
}

for (const [network, foreign] of [
  ['sms', '+15551234567'],
  ['email', 'bob@example.net'],
  ['webhook', 'deploy'],
] as const) {
  const domain = `${network}.contract.test`;
  adapterContract(`sandbox (${network})`, {
    config: providerConfig('sandbox', { domain, network }),
    create: sandboxAdapter,
    foreignAddress: foreign,
    localAddress: 'alice@localhost',
    failNext: async (app, kind) => {
      await call(app, 'PUT', `/sandbox/${domain}/faults`, { mode: kind, count: 1, retryAfterMs: 250 });
    },
    heal: async (app) => {
      await call(app, 'PUT', `/sandbox/${domain}/faults`, { mode: 'none' });
    },
    sent: async (app) => (await call(app, 'GET', `/sandbox/${domain}/outbox`)) as Array<{ id: string; to: string; body: string }>,
    injectMessage: async (app, msg) => {
      await call(app, 'POST', `/sandbox/${domain}/inbound`, msg);
    },
    injectStatus: async (app, id, status) => {
      await call(app, 'POST', `/sandbox/${domain}/inbound`, { id, status });
    },
  });
}
