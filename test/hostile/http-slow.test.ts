/**
 * Hostile HTTP against the built gateway: slow clients. Slowloris headers and
 * a body trickled a byte a second hold connections for SLOW_FOR_MS while
 * /healthz is polled and bob keeps texting through the Twilio double; both
 * must keep normal latency, judged against a control polled in the same
 * moments (an HTTP server in this process; bob's ping to his server), and the
 * trickled body must be cut off by the request timeout. The stack is in
 * ./http-stack.ts.
 */
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GatewayProcess } from '../support/gateway.js';
import { eventually, sleep } from '../support/waits.js';
import { noQueues } from '../support/fixtures.js';
import { xml } from '../support/xmpp-client.js';
import { BODY_LIMIT, PHONE, TW, useHttpAbuseStack, type HttpAbuseParts } from './http-stack.js';
import { Canary, STALL_MS, Tally, formatStats, gatewayAlive, normalAgainst, serverPing, stats } from './support.js';

/** What /healthz and bob's texts may take beyond their controls (see normalAgainst). */
const NORMAL_LATENCY_MS = 1_000;
/** How long the slow clients trickle (the brief: 20 s). */
const SLOW_FOR_MS = 20_000;
/** What a gateway should allow a client to take for a whole request (see the report). */
const REQUEST_TIMEOUT_MS = 15_000;

describe('hostile HTTP (real Prosody + built gateway + provider doubles)', () => {
  const abuse = useHttpAbuseStack();
  let { gateway, twilio, bob, port } = {} as HttpAbuseParts;
  let canary: Canary;
  let slow: Promise<SlowReport>;
  const baseline: number[] = [];

  beforeAll(async () => {
    ({ gateway, twilio, bob, port } = abuse.started);
    // Bob texts a phone through Twilio; his text has arrived when the Twilio double has it.
    canary = new Canary(
      bob,
      `${PHONE}@${TW}`,
      (to, id, body) => xml('message', { type: 'chat', to, id }, xml('body', {}, body)),
      (_id, body) => eventually(async () => twilio.messages.find((m) => m.body === body)?.createdAt.getTime(), 15_000, `Twilio to receive "${body}"`),
    );
    await canary.probe();
    for (let i = 0; i < 5; i++) {
      await sleep(250); // above the 10/s pacing of bob's number, as during the abuse
      baseline.push(await canary.probe());
    }
    process.stdout.write(`hostile http baseline latency (bob -> Twilio double, idle): ${formatStats(stats(baseline))}\n`);
    // Slow clients run in the background from here; the cases read their report.
    slow = slowClients(port, gateway, canary, serverPing(bob));
    slow.catch(() => undefined);
  });

  it(`slow clients: slowloris headers and a trickled body for ${SLOW_FOR_MS / 1000} s while others are served`, { timeout: SLOW_FOR_MS + 30_000 }, async () => {
    const report = await slow;
    const tally = new Tally('http-slow');
    tally.sent = report.connections;
    tally.note(`slowloris (headers byte by byte): ${report.headersClosed}/${report.headerConnections} closed by the server within ${SLOW_FOR_MS / 1000} s`);
    tally.note(`trickled body (Content-Length 10000, 1 byte/s): ${report.bodyClosedAfterMs === undefined ? `still open after ${SLOW_FOR_MS / 1000} s` : `closed by the server after ${report.bodyClosedAfterMs} ms`}`);
    tally.note(`GET /healthz during: ${formatStats(stats(report.health))}, failed ${report.healthFailures}; control (this process): ${formatStats(stats(report.healthControl))}`);
    tally.note(`bob -> Twilio double during: ${formatStats(stats(report.canary))}, lost ${report.canaryLost} (idle ${formatStats(stats(baseline))}); his pings: ${formatStats(stats(report.pings))}`);
    tally.note(`server settings: ${JSON.stringify(await serverSettings())}`);
    tally.errors = report.headersClosed + (report.bodyClosedAfterMs === undefined ? 0 : 1);
    tally.silent = report.connections - tally.errors;
    await tally.print(gateway);
    expect(report.healthFailures).toBe(0);
    expect(report.canaryLost).toBe(0);
    // Medians against controls polled alongside (a fixed p95 or max failed now and then on a loaded machine); the
    // stall bound still fails one message that hangs.
    expect(stats(report.health).p50, '/healthz median against the control server').toBeLessThan(normalAgainst(stats(report.healthControl).p50, NORMAL_LATENCY_MS));
    expect(stats(report.canary).p50, 'bob\'s texts median against his pings').toBeLessThan(normalAgainst(stats(report.pings).p50, NORMAL_LATENCY_MS));
    expect(stats(report.canary).max).toBeLessThan(STALL_MS);
    expect(await gatewayAlive(gateway)).toBe(true);
  });

  // Was a bug: with Fastify's defaults (requestTimeout 0) a client trickling its body held a socket
  // forever. The gateway now sets http.requestTimeoutMs (15 s), checked by Node every second.
  it(`a client trickling its body is cut off within ${REQUEST_TIMEOUT_MS / 1000} s (requestTimeout)`, { timeout: SLOW_FOR_MS + 30_000 }, async () => {
    const report = await slow;
    expect(report.bodyClosedAfterMs).toBeDefined();
    // Node checks request deadlines once a second (connectionsCheckingInterval); allow for that and the trickle's own pace.
    expect(report.bodyClosedAfterMs).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS + 3_000);
  });
});

interface SlowReport {
  connections: number;
  headerConnections: number;
  headersClosed: number;
  bodyClosedAfterMs: number | undefined;
  health: number[];
  healthFailures: number;
  /** GET to an idle HTTP server in this process, right after each /healthz. */
  healthControl: number[];
  canary: number[];
  canaryLost: number;
  /** Bob's pings to his server, alongside his texts. */
  pings: number[];
}

/**
 * Opens 30 slowloris connections (request line and headers, one byte every
 * 500 ms, never finished) and one that sends complete headers with
 * Content-Length 10000 and then one body byte a second; meanwhile polls
 * /healthz (and a control server) and has bob text (and ping) every 500 ms.
 * After SLOW_FOR_MS everything is torn down.
 */
async function slowClients(port: number, gateway: GatewayProcess, canary: Canary, ping: Canary): Promise<SlowReport> {
  const start = Date.now();
  const sockets: Socket[] = [];
  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.on('error', reject);
      sockets.push(s);
    });
  const closedAt = new Map<Socket, number>();
  const headerRequest = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n${'X-a: b\r\n'.repeat(200)}`;
  const headerSockets = await Promise.all(Array.from({ length: 30 }, open));
  for (const s of headerSockets) s.on('close', () => closedAt.set(s, Date.now() - start));
  const bodySocket = await open();
  bodySocket.on('close', () => closedAt.set(bodySocket, Date.now() - start));
  bodySocket.on('error', () => undefined);
  for (const s of headerSockets) s.on('error', () => undefined);
  bodySocket.write(`POST /webhooks/${TW}/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: AAAA\r\nContent-Length: 10000\r\n\r\nBody=`);

  let i = 0;
  const dribble = setInterval(() => {
    const byte = headerRequest[i % headerRequest.length] ?? 'x';
    i += 1;
    for (const s of headerSockets) if (!s.destroyed) s.write(byte);
  }, 500);
  const trickle = setInterval(() => {
    if (!bodySocket.destroyed) bodySocket.write('x');
  }, 1000);

  const control = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}/`;
  /** Ms for a GET answered 200, or undefined. */
  const timedGet = async (url: string): Promise<number | undefined> => {
    const t = Date.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      return res.status === 200 ? Date.now() - t : undefined;
    } catch {
      return undefined;
    }
  };
  const health: number[] = [];
  const healthControl: number[] = [];
  let healthFailures = 0;
  const poll = (async () => {
    while (Date.now() - start < SLOW_FOR_MS) {
      const took = await timedGet(`${gateway.httpUrl}/healthz`);
      if (took === undefined) healthFailures += 1;
      else health.push(took);
      const controlTook = await timedGet(controlUrl);
      if (controlTook !== undefined) healthControl.push(controlTook);
      await sleep(250);
    }
  })();
  const talking = sleep(SLOW_FOR_MS - 2_000);
  const talk = canary.during(talking, 500);
  const pinging = ping.during(talking, 500);
  try {
    await poll;
    const { latencies, lost } = await talk;
    const pings = await pinging;
    return {
      connections: headerSockets.length + 1,
      headerConnections: headerSockets.length,
      headersClosed: headerSockets.filter((s) => closedAt.has(s)).length,
      bodyClosedAfterMs: closedAt.get(bodySocket),
      health,
      healthFailures,
      healthControl,
      canary: latencies,
      canaryLost: lost.length,
      pings: pings.latencies,
    };
  } finally {
    clearInterval(dribble);
    clearInterval(trickle);
    for (const s of sockets) s.destroy();
    control.close();
  }
}

/** The HTTP server settings the gateway's buildServer() produces (same code as the built gateway, in this process). */
async function serverSettings(): Promise<Record<string, unknown>> {
  const { buildServer } = await import('../../src/http/server.js');
  const { GatewayMetrics } = await import('../../src/metrics.js');
  const app = buildServer({
    logger: pino({ level: 'silent' }),
    metrics: new GatewayMetrics(),
    adminToken: 'x',
    bodyLimitBytes: BODY_LIMIT,
    readiness: async () => ({ ok: true, checks: {} }),
    admin: noQueues(),
  });
  // Fastify validates these options (with defaults) into initialConfig; its type leaves some out.
  const config = app.initialConfig as typeof app.initialConfig & { requestTimeout?: number; maxRequestsPerSocket?: number };
  const server = app.server;
  const settings = {
    connectionTimeout: config.connectionTimeout,
    requestTimeout: config.requestTimeout,
    keepAliveTimeout: config.keepAliveTimeout,
    bodyLimit: config.bodyLimit,
    maxRequestsPerSocket: config.maxRequestsPerSocket,
    'server.headersTimeout': server.headersTimeout,
    'server.requestTimeout': server.requestTimeout,
    'server.timeout': server.timeout,
    'server.maxConnections': server.maxConnections ?? null,
  };
  await app.close();
  return settings;
}
