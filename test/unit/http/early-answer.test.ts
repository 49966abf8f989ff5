/**
 * An answer sent before the request body was read (413 past
 * http.bodyLimitBytes), on the gateway's real HTTP server: the client still
 * sending its body must read the 413, not meet a reset (src/http/early-answer.ts).
 */
import { connect } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { DEFAULT_DRAIN, drainRefusedBody } from '../../../src/http/early-answer.js';
import type { GatewayServer } from '../../../src/http/server.js';
import { gatewayServer } from '../../support/fixtures.js';

const LIMIT = 64 * 1024;

interface Exchange {
  /** The status of the answer the client read, or 'no answer'. */
  status: string;
  /** The socket error the client met, if any (EPIPE, ECONNRESET). */
  error: string | undefined;
}

/**
 * A client whose reading lags behind its writing, as on a loaded machine: it
 * sends the headers and the first part of the body, does not read, and
 * `pauseMs` later sends the rest; only once that write is done does it read.
 */
function postLaggingReader(port: number, body: { first: number; rest: number; announced?: number }, pauseMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    let error: string | undefined;
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('close', () => resolve({ status: /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 'no answer', error }));
    socket.on('end', () => socket.end());
    socket.pause();
    socket.once('connect', () => {
      const length = body.announced ?? body.first + body.rest;
      socket.write(`POST /webhooks/x/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`);
      socket.write(Buffer.alloc(body.first, 'a'));
      setTimeout(() => socket.write(Buffer.alloc(body.rest, 'a'), () => socket.resume()), pauseMs);
    });
  });
}

describe('an oversized body answered before it was read', () => {
  let app: GatewayServer;
  let port: number;
  beforeAll(async () => {
    app = gatewayServer(pino({ level: 'silent' }), LIMIT);
    app.post('/webhooks/x/messages', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(() => app.close());

  // Closing at once after the 413 left the rest of the body unread: the kernel reset the
  // connection, the client's next write failed with EPIPE, and a client that had not read
  // the answer yet never saw it (the hostile oversized-body case, now and then).
  it('reaches a client that sends the rest of its body before it reads, without a reset', async () => {
    const exchanges: Exchange[] = [];
    for (let i = 0; i < 5; i++) exchanges.push(await postLaggingReader(port, { first: 256 * 1024, rest: 64 * 1024 }, 200));
    expect(exchanges).toEqual(Array.from({ length: 5 }, () => ({ status: '413', error: undefined })));
  });

  it('cuts off a client that keeps sending past the drain bound', async () => {
    const beyond = DEFAULT_DRAIN.maxBytes + 4 * 1024 * 1024;
    const exchange = await postLaggingReader(port, { first: 256 * 1024, rest: beyond }, 200);
    expect(exchange.error).toMatch(/^(EPIPE|ECONNRESET)$/);
  });
});

describe('a refused body under inject()', () => {
  it('passes a bound without throwing when the socket is a stand-in without destroy()', async () => {
    // light-my-request (Fastify's inject) gives the request a socket with no destroy(): a bound that fires
    // later must not throw from its timer (it did, as an uncaught exception in whichever test ran then).
    const socket = new EventEmitter();
    const req = Object.assign(new EventEmitter(), { socket, resume: () => undefined }) as unknown as IncomingMessage;
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      drainRefusedBody(req, true, { maxBytes: 4, maxMs: 10 });
      expect(() => req.emit('data', Buffer.alloc(8))).not.toThrow();
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});
