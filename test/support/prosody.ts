import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardChild, isRunning, removeOnExit, stopChild } from './child-guard.js';
import { canConnect, freePort } from './ports.js';
import { luaString } from '../../src/cli/server-config.js';
import { sleep } from './waits.js';

/** What a test needs from its own Prosody. */
export interface ProsodyOptions {
  /** The VirtualHost users log in to. Default `localhost`. */
  domain?: string;
  /** External components (XEP-0114) Prosody accepts on its component port. */
  components: { domain: string; secret: string }[];
  /**
   * Domain of a group chat service (XEP-0045, Prosody's internal `muc`
   * component), e.g. `muc.localhost`. Anyone may create a room by joining it,
   * and new rooms are open at once (no locking until configured).
   */
  muc?: string;
  /** Accounts created on `domain` before Prosody starts. */
  users?: { username: string; password: string }[];
  /**
   * Lowest level written to the log file. Default `info`, or the
   * XGW_PROSODY_LOG environment variable; `debug` logs every stanza and slows
   * Prosody down under load.
   */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * What an admin would add for the components, instead of the lines this
   * file writes (`server-config --server prosody` output): its global part
   * goes above the VirtualHost, its Component blocks after. It must name
   * `componentPort` in its component_ports.
   */
  serverSnippet?: (componentPort: number) => Promise<string>;
}

/** One Prosody process with its own config, data, log and loopback ports. */
export interface ProsodyInstance {
  domain: string;
  /** Client-to-server port on 127.0.0.1 (plain TCP, PLAIN/SCRAM allowed). */
  c2sPort: number;
  /** XEP-0114 component port on 127.0.0.1 (Prosody opens it only when `components` is not empty). */
  componentPort: number;
  /** Prosody's data_path; survives restart(). */
  dataDir: string;
  /** The generated config file. */
  configPath: string;
  /** The log file (appended to across restarts). */
  logPath: string;
  /** Starts Prosody if it is not running; resolves once both ports accept connections. */
  start(): Promise<void>;
  /** SIGTERM, resolves when the process has exited (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** SIGKILL, resolves when the process has exited. */
  kill(): Promise<void>;
  /** stop() then start() on the same ports and data dir. */
  restart(): Promise<void>;
  /** Creates or overwrites an account on `domain`; works while Prosody runs. */
  registerUser(username: string, password: string): Promise<void>;
  /** The last `lines` lines (default 60) of Prosody's log, stdout and stderr. */
  logTail(lines?: number): string;
}

const PROSODY_BIN = process.env.PROSODY_BIN ?? 'prosody';
const START_TIMEOUT_MS = 15_000;
const MAX_PORT_ATTEMPTS = 4;

class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/**
 * Starts a private Prosody for one test file.
 *
 * Prosody runs in the foreground as a child of the test process, as the
 * current user, with `mod_posix` left out (as root, Prosody refuses to run
 * once mod_posix loads). Users are written straight into the data dir in
 * Prosody's internal_plain format, so no prosodyctl (which drops to the
 * `prosody` user when run as root) is needed.
 */
export async function startProsody(opts: ProsodyOptions): Promise<ProsodyInstance> {
  let lastError: unknown;
  for (let attempt = 0; attempt < MAX_PORT_ATTEMPTS; attempt++) {
    const instance = await createInstance(opts);
    try {
      await instance.start();
      return instance;
    } catch (err) {
      lastError = err;
      await instance.kill();
      await rm(instance.baseDir, { recursive: true, force: true });
      // Another process took a port between freePort() and Prosody's bind:
      // try again with new ports; anything else is a real failure.
      if (!(err instanceof PortInUseError)) throw err;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function createInstance(opts: ProsodyOptions): Promise<Instance> {
  const domain = opts.domain ?? 'localhost';
  const baseDir = await mkdtemp(join(tmpdir(), 'xgw-prosody-'));
  removeOnExit(baseDir);
  const c2sPort = await freePort();
  let componentPort = await freePort();
  while (componentPort === c2sPort) componentPort = await freePort();
  const logLevel = opts.logLevel ?? parseLogLevel(process.env.XGW_PROSODY_LOG) ?? 'info';
  const instance = new Instance(domain, baseDir, c2sPort, componentPort, opts.components.length > 0);
  await mkdir(instance.dataDir, { recursive: true });
  await mkdir(join(baseDir, 'certs'), { recursive: true });
  const snippet = await opts.serverSnippet?.(componentPort);
  await writeFile(instance.configPath, renderConfig(instance, opts.components, logLevel, opts.muc, snippet));
  for (const user of opts.users ?? []) await instance.registerUser(user.username, user.password);
  return instance;
}

function parseLogLevel(value: string | undefined): ProsodyOptions['logLevel'] {
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error' ? value : undefined;
}

class Instance implements ProsodyInstance {
  readonly dataDir: string;
  readonly configPath: string;
  readonly logPath: string;
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly domain: string,
    readonly baseDir: string,
    readonly c2sPort: number,
    readonly componentPort: number,
    private readonly hasComponents: boolean,
  ) {
    this.dataDir = join(baseDir, 'data');
    this.configPath = join(baseDir, 'prosody.cfg.lua');
    this.logPath = join(baseDir, 'prosody.log');
  }

  async start(): Promise<void> {
    if (isRunning(this.child)) return;
    const logOffset = existsSync(this.logPath) ? statSync(this.logPath).size : 0;
    const child = spawn(PROSODY_BIN, ['--config', this.configPath], {
      cwd: this.baseDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LANG: 'C.UTF-8' },
    });
    this.child = child;
    const capture = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    guardChild(child);

    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (spawnError) throw new Error(`cannot run ${PROSODY_BIN}: ${spawnError.message}`);
      if (!isRunning(child)) {
        throw new Error(`Prosody exited (code ${child.exitCode}, signal ${child.signalCode}) while starting:\n${this.logTail()}`);
      }
      const log = this.readLog(logOffset);
      if (/Failed to open server port|Address already in use/.test(log)) {
        throw new PortInUseError(`Prosody could not bind its ports ${this.c2sPort}/${this.componentPort}:\n${this.logTail()}`);
      }
      if (this.activated(log) && (await canConnect(this.c2sPort)) && (!this.hasComponents || (await canConnect(this.componentPort)))) {
        return;
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`Prosody did not come up within ${START_TIMEOUT_MS} ms:\n${this.logTail()}`);
      }
      await sleep(50);
    }
  }

  /**
   * True once this process logged that it listens on both ports: a bare TCP
   * check could be answered by another process holding the port.
   */
  private activated(log: string): boolean {
    return (
      log.includes(`Activated service 'c2s' on [127.0.0.1]:${this.c2sPort}`) &&
      (!this.hasComponents || log.includes(`Activated service 'component' on [127.0.0.1]:${this.componentPort}`))
    );
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 'SIGTERM');
  }

  async kill(): Promise<void> {
    await stopChild(this.child, 'SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async registerUser(username: string, password: string): Promise<void> {
    // internal_plain keeps one Lua table per account:
    // <data_path>/<host>/accounts/<user>.dat, both names encoded by
    // util/datamanager.lua's encode().
    const dir = join(this.dataDir, encodePathSegment(this.domain), 'accounts');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${encodePathSegment(username.toLowerCase())}.dat`), `return {\n\t["password"] = ${luaString(password)};\n};\n`);
  }

  logTail(lines = 60): string {
    const log = this.readLog(0).split('\n');
    const out = this.output.trim() === '' ? [] : ['--- stdout/stderr ---', ...this.output.trimEnd().split('\n').slice(-lines)];
    return [...log.slice(-lines), ...out].join('\n');
  }

  private readLog(offset: number): string {
    try {
      return readFileSync(this.logPath).subarray(offset).toString('utf8');
    } catch {
      return '';
    }
  }
}

function renderConfig(instance: Instance, components: ProsodyOptions['components'], logLevel: string, muc?: string, snippet?: string): string {
  const q = luaString;
  const snippetAt = snippet?.search(/^Component /m) ?? -1;
  if (snippet !== undefined && snippetAt === -1) throw new Error(`the server snippet has no Component block:\n${snippet}`);
  const lines = [
    '-- Written by test/support/prosody.ts for one test run. Not for production:',
    '-- plain-text c2s logins are allowed so test clients need no TLS.',
    `pidfile = ${q(join(instance.baseDir, 'prosody.pid'))}`,
    `data_path = ${q(instance.dataDir)}`,
    `certificates = ${q(join(instance.baseDir, 'certs'))}`,
    `log = { { levels = { min = ${q(logLevel)} }, to = "file", filename = ${q(instance.logPath)} } }`,
    '',
    '-- mod_posix is left out: Prosody refuses to run as root once it loads, and',
    '-- without it Prosody stays in the foreground as a child of the test process.',
    'modules_enabled = { "roster", "saslauth", "disco", "ping", "presence", "message", "iq", "version" }',
    'modules_disabled = { "posix", "s2s", "tls", "admin_socket" }',
    '',
    `c2s_ports = { ${instance.c2sPort} }`,
    'c2s_interfaces = { "127.0.0.1" }',
    ...(snippet === undefined ? [`component_ports = { ${instance.componentPort} }`, 'component_interfaces = { "127.0.0.1" }'] : [snippet.slice(0, snippetAt)]),
    's2s_ports = { }',
    'c2s_direct_tls_ports = { }',
    'legacy_ssl_ports = { }',
    'http_ports = { }',
    'https_ports = { }',
    '',
    'c2s_require_encryption = false',
    'allow_unencrypted_plain_auth = true',
    'authentication = "internal_plain"',
    'storage = "internal"',
    '',
    `VirtualHost ${q(instance.domain)}`,
    '',
  ];
  if (snippet !== undefined) lines.push(snippet.slice(snippetAt));
  else {
    for (const component of components) {
      lines.push(`Component ${q(component.domain)}`, `\tcomponent_secret = ${q(component.secret)}`, '');
    }
  }
  if (muc !== undefined) {
    // Rooms are created by whoever joins first and usable at once; a room kept
    // locked until configured (XEP-0045 §10.1.2) would refuse the next joiner.
    lines.push(`Component ${q(muc)} "muc"`, '\trestrict_room_creation = false', '\tmuc_room_locking = false', '\tmuc_room_default_public = true', '');
  }
  return lines.join('\n');
}

/** util/datamanager.lua encode(): every non-alphanumeric byte becomes %xx. */
function encodePathSegment(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) => {
      const c = String.fromCharCode(byte);
      return /[A-Za-z0-9]/.test(c) ? c : `%${byte.toString(16).padStart(2, '0')}`;
    })
    .join('');
}
