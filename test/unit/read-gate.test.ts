/**
 * The component stream's read gate (src/component/read-gate.ts) on a real
 * TCP socket: a server writes without pause; reading stops once `high`
 * handlers are in flight and starts again when they fall to `low`.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReadGate } from '../../src/component/read-gate.js';

let server: Server;
let client: Socket;
let received = 0;

/** A handler that runs until released. */
function held(): { done: Promise<void>; release(): void } {
  let release = (): void => undefined;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { done, release };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeEach(async () => {
  received = 0;
  server = createServer((peer) => {
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const pump = (): void => {
      while (!peer.destroyed && peer.write(chunk));
      if (!peer.destroyed) peer.once('drain', pump);
    };
    peer.on('error', () => undefined);
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  client = connect(port, '127.0.0.1');
  client.on('data', (d: Buffer) => (received += d.length));
  await until(() => received > 0, 'the first bytes');
});

afterEach(async () => {
  client.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('ReadGate', () => {
  it('stops reading at `high` stanzas in flight and reads again at `low`', async () => {
    const gate = new ReadGate(() => client, { high: 4, low: 2 });
    const handlers = [held(), held(), held()];
    const runs = handlers.map((h) => gate.run(() => h.done));
    expect(gate.isPaused()).toBe(false);
    expect(client.isPaused()).toBe(false);

    const fourth = held();
    runs.push(gate.run(() => fourth.done));
    expect(gate.pending()).toBe(4);
    expect(gate.isPaused()).toBe(true);
    expect(client.isPaused()).toBe(true);
    // Nothing more is read while paused (after the chunk already on its way is handed over).
    await new Promise((r) => setTimeout(r, 50));
    const atPause = received;
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toBe(atPause);

    handlers[0]!.release();
    await runs[0];
    expect(gate.pending()).toBe(3);
    expect(client.isPaused()).toBe(true);

    handlers[1]!.release();
    await runs[1];
    expect(gate.pending()).toBe(2);
    expect(gate.isPaused()).toBe(false);
    expect(client.isPaused()).toBe(false);
    await until(() => received > atPause, 'bytes after resuming');

    handlers[2]!.release();
    fourth.release();
    await Promise.all(runs);
    expect(gate.pending()).toBe(0);
  });

  it('counts a handler that throws as done, and passes its error on', async () => {
    const gate = new ReadGate(() => client, { high: 2, low: 1 });
    const h = held();
    const running = gate.run(() => h.done);
    const failing = gate.run(async () => {
      throw new Error('store failed');
    });
    expect(client.isPaused()).toBe(true);
    await expect(failing).rejects.toThrow('store failed');
    expect(gate.pending()).toBe(1);
    expect(client.isPaused()).toBe(false);
    h.release();
    await running;
  });

  it('resumes the socket it paused even when the connection has a new one by then, and pauses nothing while there is none', async () => {
    let current: Socket | null = client;
    const gate = new ReadGate(() => current, { high: 1, low: 0 });
    const h = held();
    const run = gate.run(() => h.done);
    expect(client.isPaused()).toBe(true);
    current = null; // the connection dropped; a reconnect makes a new socket later
    h.release();
    await run;
    expect(client.isPaused()).toBe(false);

    const again = held();
    const second = gate.run(() => again.done);
    expect(gate.isPaused()).toBe(false);
    again.release();
    await second;
  });
});
