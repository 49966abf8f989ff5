/**
 * Runs the built gateway (`node dist/src/main.js --config FILE`) as a child
 * process against a test's own Prosody and Redis, and talks to it over HTTP
 * the way an admin or a provider would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { guardChild, isRunning, removeOnExit, stopChild } from './child-guard.js';
import { freePort } from './ports.js';
import { sleep } from './waits.js';
import { gatewayNodeFlags } from './node-flags.js';

export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
/** fetch() options with the admin bearer token: /admin, /sandbox, and /metrics and /readyz (behind it unless http.opsPort is set). */
export const ADMIN_AUTH = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
const MAIN = join(process.cwd(), 'dist', 'src', 'main.js');
/** Started as `npm start` starts it. */
const NODE_FLAGS = gatewayNodeFlags();

export interface GatewayComponent {
  domain: string;
  secret: string;
  network: 'sms' | 'email' | 'webhook';
  /** Default `sandbox`. */
  provider?: string;
  /**
   * Extra YAML for this component, as lines indented by 4 spaces in the
   * output, e.g. `numbers: { "+15550001111": alice@localhost }` or a
   * multi-line provider section.
   */
  extra?: string;
}

export interface GatewayProcess {
  httpUrl: string;
  configPath: string;
  /** Exit code once exited, else null. */
  exitCode(): number | null;
  /** Everything the process printed (pino JSON lines). */
  output(): string;
  /** Parsed log lines. */
  logs(): Array<Record<string, unknown>>;
  /** Resolves when a log line matches. */
  waitForLog(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /**
   * Polls /readyz until every check is ok and the process holds the XMPP
   * connections; with `standby: true`, a standby waiting for the lease will do.
   */
  waitReady(timeoutMs?: number, opts?: { standby?: boolean }): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Sends `name` and returns at once (a second SIGTERM while the first drains, say). */
  signal(name: NodeJS.Signals): void;
  /** Resolves with the exit code once the process has exited; SIGKILLs it after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | null>;
  kill(): Promise<void>;
  /** Authenticated JSON call to the gateway's HTTP API. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export interface GatewayOptions {
  componentPort: number;
  redisUrl: string;
  redisPrefix: string;
  components: GatewayComponent[];
  /** Extra top-level YAML appended to the config. */
  extraYaml?: string;
  /** Keys of the `xmpp` section, each a YAML value, over this file's (fast reconnects), e.g. `{ standby: '{ ttlMs: 3000 }' }`. */
  xmpp?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  /** Command-line arguments after `--config FILE`, e.g. `['--roles', 'worker']`. */
  args?: string[];
}

export async function writeGatewayConfig(opts: GatewayOptions, httpPort: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xgw-gateway-'));
  removeOnExit(dir);
  const components = opts.components
    .map(
      (c) =>
        `  - domain: ${c.domain}\n    secret: ${c.secret}\n    network: ${c.network}\n    provider: ${c.provider ?? 'sandbox'}\n` +
        (c.extra ? `${c.extra.split('\n').map((line) => `    ${line}`).join('\n')}\n` : ''),
    )
    .join('');
  const xmpp = { reconnectInitialMs: '200', reconnectMaxMs: '1000', ...opts.xmpp };
  const yaml = `xmpp: { host: 127.0.0.1, port: ${opts.componentPort}, ${Object.entries(xmpp).map(([k, v]) => `${k}: ${v}`).join(', ')} }
redis: { url: "${opts.redisUrl}", prefix: ${opts.redisPrefix} }
http: { host: 127.0.0.1, port: ${httpPort}, publicUrl: "http://127.0.0.1:${httpPort}", adminToken: ${ADMIN_TOKEN} }
log: { level: debug }
shutdown: { timeoutMs: 5000 }
components:
${components}${opts.extraYaml ?? ''}`;
  const path = join(dir, 'gateway.yaml');
  await writeFile(path, yaml);
  return path;
}

/** Config keys whose values are credentials: component secrets, provider tokens and keys, the admin token, passwords. */
const SECRET_KEY = /secret|token|password|apikey/i;

/** Every credential in a gateway config file (values under SECRET_KEY names, at any depth), for checking logs. */
export async function configuredSecrets(configPath: string): Promise<string[]> {
  const found = new Set<string>();
  const walk = (node: unknown, key: string): void => {
    if (typeof node === 'string') {
      if (SECRET_KEY.test(key) && node !== '') found.add(node);
    } else if (Array.isArray(node)) {
      for (const item of node) walk(item, key);
    } else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, k);
    }
  };
  walk(parse(await readFile(configPath, 'utf8')) as unknown, '');
  return [...found];
}

/** Runs the built CLI with `args` to completion (check-config, server-config, --help). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    guardChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function startGateway(opts: GatewayOptions): Promise<GatewayProcess> {
  const httpPort = await freePort();
  const configPath = await writeGatewayConfig(opts, httpPort);
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [...NODE_FLAGS, MAIN, '--config', configPath, ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  guardChild(child);
  child.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));

  const logs = () =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  const gw: GatewayProcess = {
    httpUrl,
    configPath,
    exitCode: () => child.exitCode,
    output: () => output,
    logs,
    async waitForLog(pred, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = logs().find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms; output:\n${output.slice(-4000)}`);
        await sleep(50);
      }
    },
    waitReady: (timeoutMs = 20_000, opts = {}) => waitForReadyz(httpUrl, child, () => output, timeoutMs, opts.standby ?? false),
    async stop() {
      await stopChild(child, 'SIGTERM', 15_000);
      return child.exitCode;
    },
    async kill() {
      await stopChild(child, 'SIGKILL');
    },
    signal(name) {
      child.kill(name);
    },
    async exited(timeoutMs = 15_000) {
      if (isRunning(child)) {
        const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exit.finally(() => clearTimeout(timer));
      }
      return child.exitCode;
    },
    async api<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(`${httpUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
    },
  };
  return gw;
}

/** Polls /readyz until it answers 200; fails at once if the process exits, or after `timeoutMs`. */
export async function waitForReadyz(httpUrl: string, child: ChildProcess, output: () => string, timeoutMs: number, standby = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (!isRunning(child)) throw new Error(`gateway exited (${child.exitCode}):\n${output().slice(-4000)}`);
    try {
      const res = await fetch(`${httpUrl}/readyz`, ADMIN_AUTH);
      last = await res.text();
      // A standby (xmpp.standby) is ready too, but its XMPP connections wait for the lease.
      if (res.status === 200 && (standby || (JSON.parse(last) as { status?: string }).status !== 'standby')) return;
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline) throw new Error(`gateway not ready within ${timeoutMs} ms: ${last}\n${output().slice(-4000)}`);
    await sleep(100);
  }
}
