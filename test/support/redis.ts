import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardChild, isRunning, removeOnExit, stopChild } from './child-guard.js';
import { freePort } from './ports.js';
import { sleep } from './waits.js';

const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const SHARED_PORT = 6379;
const START_TIMEOUT_MS = 10_000;

/** A redis-server owned by one test: it may stop, kill and restart it. */
export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** SIGTERM (Redis flushes its AOF), resolves when the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL, resolves when the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port and dir, so AOF data survives. No-op while running. */
  start(): Promise<void>;
}

let fallbackRedis: Promise<string> | undefined;

/**
 * A Redis URL for tests that only read and write (never stop or flush it):
 * the machine's own Redis on 127.0.0.1:6379 when it answers PING, else one
 * `redis-server` started once per test process on a free port. Tests keep
 * their keys apart with uniquePrefix().
 */
export async function ensureRedis(): Promise<string> {
  if (await ping(SHARED_PORT)) return `redis://127.0.0.1:${SHARED_PORT}`;
  fallbackRedis ??= startPrivateRedis().then((redis) => redis.url);
  try {
    return await fallbackRedis;
  } catch (err) {
    fallbackRedis = undefined;
    throw err;
  }
}

export interface PrivateRedisOptions {
  /** Turn the AOF on, so data survives stop()/kill() then start(). */
  appendonly?: boolean;
  /** A config file redis-server reads first (a Sentinel's: Sentinel rewrites it). */
  configFile?: string;
  /** More arguments after the defaults, e.g. `['--cluster-enabled', 'yes']` or `['--sentinel']`. */
  args?: string[];
}

/**
 * Starts a redis-server of the test's own on a free loopback port, in a fresh
 * temp dir, with RDB snapshots off. `appendonly: true` turns the AOF on so
 * data survives stop()/kill() then start().
 */
export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'xgw-redis-'));
  removeOnExit(dir);
  let port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const startOnce = async (): Promise<void> => {
    if (isRunning(child)) return;
    output = '';
    const proc = spawn(
      REDIS_BIN,
      [
        ...(opts.configFile === undefined ? [] : [opts.configFile]),
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--dir', dir,
        '--save', '',
        '--appendonly', opts.appendonly ? 'yes' : 'no',
        '--daemonize', 'no',
        '--protected-mode', 'yes',
        '--loglevel', 'warning',
        ...(opts.args ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    const capture = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-10_000);
    };
    proc.stdout?.on('data', capture);
    proc.stderr?.on('data', capture);
    guardChild(proc);
    let spawnError: Error | undefined;
    proc.once('error', (err) => {
      spawnError = err;
    });

    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (spawnError) throw new Error(`cannot run ${REDIS_BIN}: ${spawnError.message}`);
      if (!isRunning(proc)) {
        throw new Error(`redis-server on port ${port} exited (code ${proc.exitCode}) while starting:\n${output}`);
      }
      // Checks the pid too: another Redis may hold a port freePort() handed out.
      if ((await ping(port)) && (await serverPid(port)) === proc.pid) return;
      if (Date.now() > deadline) {
        await stopChild(proc, 'SIGKILL');
        throw new Error(`redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms:\n${output}`);
      }
      await sleep(25);
    }
  };

  // On first start only, a port taken between freePort() and the bind is retried on a new port.
  for (let attempt = 0; ; attempt++) {
    try {
      await startOnce();
      break;
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/i.test(output)) throw err;
      port = await freePort();
    }
  }

  return {
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    stop: () => stopChild(child, 'SIGTERM'),
    kill: () => stopChild(child, 'SIGKILL'),
    start: startOnce,
  };
}

/**
 * A fresh key prefix, e.g. `t-outbound-12345-9f3a1c2b`: letters, digits and
 * '-' only (no ':'), so it is safe as a BullMQ prefix and a Redis key prefix.
 */
export function uniquePrefix(label?: string): string {
  const cleanLabel = (label ?? '').replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  const random = randomBytes(4).toString('hex');
  return ['t', cleanLabel, String(process.pid), random].filter((part) => part !== '').join('-');
}

/** Sends a raw `PING` to 127.0.0.1:port; true on `+PONG` within timeoutMs. */
function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** The process_id from `INFO server` of the Redis on 127.0.0.1:port, or undefined. */
function serverPid(port: number, timeoutMs = 1000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (pid: number | undefined): void => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      const match = /process_id:(\d+)\r\n/.exec(reply);
      if (match?.[1] !== undefined) done(Number(match[1]));
      else if (reply.startsWith('-')) done(undefined);
    });
  });
}
