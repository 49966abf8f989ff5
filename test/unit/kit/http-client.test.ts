/** The kit's provider HTTP client (adapters/kit/http-client.ts) against a local HTTP server. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderHttpClient } from '../../../adapters/kit/http-client.js';
import { GatewayError, RateLimitedError } from '../../../src/errors/registry.js';
import { freePort } from '../../support/ports.js';

const ACME = { id: 'acme', name: 'Acme' };
let server: Server;
let baseUrl: string;
let connections = 0;
let answer: (req: IncomingMessage, body: string, res: ServerResponse) => void;
const clients: ProviderHttpClient[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => answer(req, body, res));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function client(opts: { baseUrl?: string; timeoutMs?: number } = {}): ProviderHttpClient {
  const c = new ProviderHttpClient({ provider: ACME, baseUrl: opts.baseUrl ?? baseUrl, ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) });
  clients.push(c);
  return c;
}
const live = () => new AbortController().signal;
const post = (c: ProviderHttpClient, signal = live()) =>
  c.request({ method: 'POST', path: '/v1/send', headers: { 'content-type': 'application/json' }, body: '{"to":"x"}', signal });

describe('ProviderHttpClient', () => {
  it('sends under the base URL’s path and keeps connections alive across requests', async () => {
    const seen: string[] = [];
    answer = (req, body, res) => {
      seen.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'r1' }).end('{"id":"m1"}');
    };
    const c = client({ baseUrl: `${baseUrl}/proxy/` });
    const before = connections;
    const first = await post(c);
    for (let i = 1; i < 20; i++) await post(c);
    expect(first).toMatchObject({ status: 201, text: '{"id":"m1"}' });
    expect(first.header('X-Request-Id')).toBe('r1');
    expect(seen).toEqual(Array(20).fill('POST /proxy/v1/send {"to":"x"}'));
    // 20 requests one after another: the pool may open a second socket while the first is being freed, not one each.
    expect(connections - before).toBeLessThanOrEqual(2);
  });

  it('hands a 2xx JSON body back, and a failure to the provider’s classification', async () => {
    answer = (_req, _body, res) => res.writeHead(200).end('{"data":{"id":"m2"}}');
    expect(await client().requestJson({ method: 'GET', path: '/x', headers: {}, signal: live() }, () => new GatewayError('INTERNAL', 'unused'))).toEqual({
      status: 200,
      body: { data: { id: 'm2' } },
    });
    answer = (_req, _body, res) => res.writeHead(429, { 'retry-after': '3' }).end('{}');
    const err = await client()
      .requestJson({ method: 'GET', path: '/x', headers: {}, signal: live() }, (res) => new RateLimitedError(`slow (${res.status})`, Number(res.header('retry-after')) * 1000))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ retryAfterMs: 3000, message: 'slow (429)' });
  });

  it('abandons a request when the attempt’s signal aborts, saying the provider may have it', async () => {
    answer = () => undefined; // never answers
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('provider call timed out')), 100);
    const err = await post(client(), ac.signal).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_TRANSIENT', message: 'acme: request abandoned (provider call timed out); Acme may or may not have accepted the message' });
  });

  it('abandons a request after its own timeout', async () => {
    answer = () => undefined;
    const err = await post(client({ timeoutMs: 150 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_TRANSIENT', message: expect.stringMatching(/^acme: request abandoned \(no answer within 150 ms\)/) });
  });

  it('says a refused connection as it always has', async () => {
    const err = await post(client({ baseUrl: `http://127.0.0.1:${await freePort()}` })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_TRANSIENT', message: 'acme: cannot reach the API (fetch failed: ECONNREFUSED)' });
  });

  it('closes its connections on close(), after which it sends nothing', async () => {
    answer = (_req, _body, res) => res.writeHead(204).end();
    const c = client();
    await post(c);
    await c.close();
    const err = await post(c).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_TRANSIENT', message: expect.stringContaining('cannot reach the API') });
  });
});
