/**
 * The XEP-0114 connection against a minimal component-accepting server
 * written here (stream header, SHA-1 handshake per XEP-0114 §3): keepalive
 * whitespace, reconnect with growing delays, and a rejected secret named in
 * the log. The real-Prosody side of the same is in test/e2e.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer, Socket as NetSocket, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { xml } from '@xmpp/component';
import { ComponentConnection } from '../../src/component/connection.js';
import type { ComponentTlsOptions } from '../../src/component/tls-socket.js';
import { countWrites } from '../support/socket-writes.js';
import { sleep } from '../support/waits.js';

interface FakeServer {
  port: number;
  /** While false, new connections are closed at once (the server is "down"). */
  accepting: boolean;
  connects: number[];
  whitespace: number;
  /** Everything received after the handshake, in order. */
  received: string;
  sockets: Set<Socket>;
  dropAll(): void;
  close(): Promise<void>;
}

async function fakeXmppServer(secret: string): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const state: FakeServer = {
    port: 0,
    accepting: true,
    connects: [],
    whitespace: 0,
    received: '',
    sockets,
    dropAll: () => sockets.forEach((s) => s.destroy()),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    state.connects.push(Date.now());
    if (!state.accepting) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const id = `s${state.connects.length}`;
    let opened = false;
    socket.on('data', (data: Buffer) => {
      const text = data.toString('utf8');
      if (!opened && text.includes('<stream:stream')) {
        opened = true;
        socket.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='${id}' from='sms.test'>`);
        return;
      }
      const handshake = /<handshake[^>]*>([0-9a-f]+)<\/handshake>/.exec(text);
      if (handshake) {
        const expected = createHash('sha1').update(id + secret).digest('hex');
        if (handshake[1] === expected) socket.write('<handshake/>');
        else socket.end("<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>");
        return;
      }
      if (/^\s+$/.test(text)) state.whitespace += text.length;
      else state.received += text;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  state.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return state;
}

function collectingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

let connection: ComponentConnection | undefined;
let server: FakeServer | undefined;
afterEach(async () => {
  await connection?.stop(200);
  server?.dropAll();
  await server?.close();
});

async function until(check: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

function connect(port: number, secret: string, logger = pino({ level: 'silent' }), keepaliveSeconds = 0, tls?: ComponentTlsOptions) {
  return new ComponentConnection({
    host: '127.0.0.1',
    port,
    domain: 'sms.test',
    secret,
    secretPath: 'components[0].secret',
    keepaliveSeconds,
    backoff: { initialDelayMs: 100, maxDelayMs: 400 },
    logger,
    ...(tls === undefined ? {} : { tls }),
  });
}

const CERT = 'test/fixtures/tls/xmpp.test.crt';

/** A Direct TLS tunnel (as stunnel before Prosody): TLS in with the xmpp.test certificate, plain to `port`. */
async function tlsTunnel(port: number): Promise<{ port: number; handshakes: number; close(): Promise<void> }> {
  const state = { port: 0, handshakes: 0, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  const open = new Set<{ destroy(): void }>();
  const server: TlsServer = createTlsServer({ key: readFileSync('test/fixtures/tls/xmpp.test.key'), cert: readFileSync(CERT) }, (tlsSocket) => {
    state.handshakes += 1;
    const upstream = netConnect(port, '127.0.0.1');
    for (const s of [tlsSocket, upstream]) {
      open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => open.delete(s));
    }
    tlsSocket.pipe(upstream).pipe(tlsSocket);
  });
  server.on('tlsClientError', () => undefined);
  const close = state.close;
  state.close = async () => {
    open.forEach((s) => s.destroy());
    await close();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  state.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return state;
}

describe('XEP-0114 connection', () => {
  it('turns Nagle off on the component socket, plain and Direct TLS (a confirming ping must not wait for a delayed ACK)', async () => {
    const noDelay = vi.spyOn(NetSocket.prototype, 'setNoDelay');
    try {
      server = await fakeXmppServer('right');
      connection = connect(server.port, 'right');
      connection.start();
      await until(() => connection!.isOnline());
      const plain = noDelay.mock.contexts.filter((s, i) => (s as Socket).remotePort === server!.port && noDelay.mock.calls[i]?.[0] === true);
      expect(plain).toHaveLength(1);
      await connection.stop();
      connection = undefined;

      const tunnel = await tlsTunnel(server.port);
      try {
        noDelay.mockClear();
        connection = connect(tunnel.port, 'right', pino({ level: 'silent' }), 0, { caFile: CERT, servername: 'xmpp.test', rejectUnauthorized: true });
        connection.start();
        await until(() => connection!.isOnline());
        const tls = noDelay.mock.contexts.filter((s, i) => (s as Socket).remotePort === tunnel.port && noDelay.mock.calls[i]?.[0] === true);
        expect(tls.length).toBeGreaterThanOrEqual(1);
        await connection.stop();
        connection = undefined;
      } finally {
        await tunnel.close();
      }
    } finally {
      noDelay.mockRestore();
    }
  });

  it('writes the stanzas of one tick in one socket write, in order, and again after a reconnect', async () => {
    server = await fakeXmppServer('right');
    connection = connect(server.port, 'right');
    connection.start();
    for (const round of [1, 2]) {
      await until(() => connection!.isOnline());
      const writes = countWrites(connection.entity.socket!);
      server.received = '';
      const ids = Array.from({ length: 20 }, (_, i) => `r${round}-${i}`);
      await Promise.all(ids.map((id) => connection!.send(xml('message', { to: 'alice@test', from: '+15550001111@sms.test', id }, xml('body', {}, id)))));
      expect(writes()).toBe(1);
      await until(() => server!.received.includes(`id="${ids.at(-1)}"`) || server!.received.includes(`id='${ids.at(-1)}'`));
      const order = [...server.received.matchAll(/<message [^>]*id=["']([^"']+)["']/g)].map((m) => m[1]);
      expect(order).toEqual(ids);
      if (round === 1) {
        server.dropAll();
        await until(() => !connection!.isOnline());
      }
    }
  });

  it('completes the handshake and sends whitespace keepalives while online', async () => {
    server = await fakeXmppServer('right');
    connection = connect(server.port, 'right', pino({ level: 'silent' }), 1);
    connection.start();
    await until(() => connection!.isOnline());
    await until(() => server!.whitespace >= 2, 5000);
    expect(server.whitespace).toBeGreaterThanOrEqual(2);
  });

  it('reconnects with growing, capped delays while the server is down, and comes back', async () => {
    server = await fakeXmppServer('right');
    connection = connect(server.port, 'right');
    connection.start();
    await until(() => connection!.isOnline());
    server.accepting = false;
    const downAt = server.connects.length;
    server.dropAll();
    await until(() => !connection!.isOnline());
    await until(() => server!.connects.length >= downAt + 5, 5000);
    const attempts = server.connects.slice(downAt);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // Half-jitter on 100, 200, 400, 400 ms: never sooner than half the first delay, never far past the cap.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(45);
    expect(Math.max(...gaps)).toBeLessThan(1000);
    expect(gaps.slice(-2).every((g) => g >= 190)).toBe(true);
    server.accepting = true;
    await until(() => connection!.isOnline(), 3000);
  });

  it('logs a rejected secret as a configuration error naming the domain and key, and keeps retrying', async () => {
    server = await fakeXmppServer('right');
    const { logger, lines } = collectingLogger();
    connection = connect(server.port, 'wrong', logger);
    connection.start();
    await until(() => server!.connects.length >= 3);
    const configError = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('configuration error for component sms.test'));
    expect(configError).toMatchObject({ level: 50, key: 'components[0].secret', condition: 'not-authorized' });
    const gaps = server.connects.slice(1).map((t, i) => t - server!.connects[i]!);
    // Half-jitter on 100, 200, 400 (cap): every gap at least 50 ms, none far beyond the cap.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(45);
    expect(Math.max(...gaps)).toBeLessThan(1500);
    expect(connection.isOnline()).toBe(false);
  });

  describe('over Direct TLS (xmpp.tls)', () => {
    let tunnel: Awaited<ReturnType<typeof tlsTunnel>> | undefined;
    afterEach(async () => {
      await connection?.stop(200);
      connection = undefined;
      await tunnel?.close();
    });

    it('completes the handshake inside TLS when the certificate verifies against the configured CA', async () => {
      server = await fakeXmppServer('right');
      tunnel = await tlsTunnel(server.port);
      connection = connect(tunnel.port, 'right', pino({ level: 'silent' }), 0, { caFile: CERT, servername: 'xmpp.test', rejectUnauthorized: true });
      connection.start();
      await until(() => connection!.isOnline());
      expect(tunnel.handshakes).toBe(1);
      expect(server.connects).toHaveLength(1);
    });

    it('refuses a certificate that does not verify, logs why, and never sends the secret', async () => {
      server = await fakeXmppServer('right');
      tunnel = await tlsTunnel(server.port);
      const { logger, lines } = collectingLogger();
      // The system CAs do not know the test certificate.
      connection = connect(tunnel.port, 'right', logger, 0, { servername: 'xmpp.test', rejectUnauthorized: true });
      connection.start();
      await until(() => lines.some((l) => JSON.stringify(l).includes('self-signed certificate')));
      expect(connection.isOnline()).toBe(false);
      // The tunnel opens its side only after a TLS handshake: nothing, the handshake with the secret least of all, got through.
      expect(server.connects).toHaveLength(0);
    });

    it('refuses a certificate for another name', async () => {
      server = await fakeXmppServer('right');
      tunnel = await tlsTunnel(server.port);
      const { logger, lines } = collectingLogger();
      connection = connect(tunnel.port, 'right', logger, 0, { caFile: CERT, servername: 'other.test', rejectUnauthorized: true });
      connection.start();
      await until(() => lines.some((l) => JSON.stringify(l).includes("Host: other.test. is not in the cert's altnames")));
      expect(connection.isOnline()).toBe(false);
      expect(server.connects).toHaveLength(0);
    });
  });
});
