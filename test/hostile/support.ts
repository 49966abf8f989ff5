/**
 * Shared pieces of the hostile-input suite: per-category counts, a liveness
 * check of the gateway child process, a raw c2s session (for bytes the
 * @xmpp/client serializer would never produce), a well-behaved "canary" user
 * whose latency is measured while someone else abuses the gateway, and a raw
 * HTTP/1.1 client (fetch normalizes paths and refuses odd requests).
 */
import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import type { GatewayProcess } from '../support/gateway.js';
import { errorText } from '../support/stanza-errors.js';
import { sleep } from '../support/waits.js';
import { xml, type Element, type TestClient } from '../support/xmpp-client.js';

/** Beyond this a well-behaved user's message counts as stalled, whatever the load. */
export const STALL_MS = 10_000;


/** True while the child process runs and answers GET /healthz with 200 within 2 s. */
export async function gatewayAlive(gw: GatewayProcess): Promise<boolean> {
  if (gw.exitCode() !== null) return false;
  try {
    const res = await fetch(`${gw.httpUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}


/** Prosody's own refusals (core/stanza_router.lua) carry its wording; the gateway's carry its own. */
export function answeredBy(el: Element): 'prosody' | 'gateway' {
  return /^(The destination address is invalid|Missing required 'id'|Incorrect number of children|Invalid IQ type)/.test(errorText(el)) ? 'prosody' : 'gateway';
}

/**
 * Counts for one category of abuse, printed as
 * `hostile <category>: sent N, answered-with-error E, accepted A, gateway alive yes/no`
 * plus notes (what Prosody filtered, latencies).
 */
export class Tally {
  sent = 0;
  errors = 0;
  accepted = 0;
  /** Neither an error nor accepted: the sender heard nothing (a bug unless noted). */
  silent = 0;
  readonly notes: string[] = [];

  constructor(readonly category: string) {}

  note(line: string): void {
    this.notes.push(line);
  }

  line(alive: boolean): string {
    return `hostile ${this.category}: sent ${this.sent}, answered-with-error ${this.errors}, accepted ${this.accepted}, gateway alive ${alive ? 'yes' : 'no'}`;
  }

  async print(gw: GatewayProcess): Promise<boolean> {
    const alive = await gatewayAlive(gw);
    const extra = [this.silent > 0 ? `  silent (no answer at all): ${this.silent}` : undefined, ...this.notes.map((n) => `  ${n}`)].filter(
      (s): s is string => s !== undefined,
    );
    process.stdout.write(`${[this.line(alive), ...extra].join('\n')}\n`);
    return alive;
  }
}

export interface LatencyStats {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

export function stats(samples: number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? Number.NaN };
}

export function formatStats(s: LatencyStats): string {
  return `n=${s.n} p50=${Math.round(s.p50)} ms p95=${Math.round(s.p95)} ms max=${Math.round(s.max)} ms`;
}

/**
 * The most a well-behaved user's latency may be, judged against a control
 * measured in the same moments on a path the abuse should not slow: three
 * times the control, or the control plus `allowanceMs` where that is more (so
 * two near-idle figures of a few ms are not compared by ratio alone). Load
 * that slows every process on a shared machine slows the control too; what
 * slows only the affected path does not.
 */
export function normalAgainst(controlMs: number, allowanceMs: number): number {
  return Math.max(3 * controlMs, controlMs + allowanceMs);
}

/**
 * A well-behaved user who keeps writing to a contact while others abuse the
 * gateway. Each probe is a message with a unique id; `arrival(id, body)`
 * resolves with the time (ms since epoch) the message reached the far side
 * (a receipt, the provider double), or rejects on timeout.
 */
export class Canary {
  private seq = 0;
  constructor(
    private readonly client: TestClient,
    private readonly to: string,
    private readonly build: (to: string, id: string, body: string) => Element,
    private readonly arrival: (id: string, body: string) => Promise<number>,
    private readonly label = 'canary',
  ) {}

  /** One message; resolves with its end-to-end latency in ms. */
  async probe(): Promise<number> {
    const n = ++this.seq;
    const id = `${this.label}-${n}-${Math.random().toString(36).slice(2, 8)}`;
    const body = `${this.label} probe ${n} ${id}`;
    const start = Date.now();
    await this.client.send(this.build(this.to, id, body));
    const at = await this.arrival(id, body);
    return Math.max(0, at - start);
  }

  /**
   * Probes every `everyMs` until `abuse` settles (at least `min` probes), then
   * waits for every probe. A probe that never arrived is an Error in the list.
   */
  async during<T>(abuse: Promise<T>, everyMs = 200, min = 3): Promise<{ result: T; latencies: number[]; lost: Error[] }> {
    let done = false;
    const settled = abuse.then(
      (r) => {
        done = true;
        return r;
      },
      (err: unknown) => {
        done = true;
        throw err;
      },
    );
    const quiet = settled.then(
      () => undefined,
      () => undefined,
    );
    const pending: Array<Promise<number | Error>> = [];
    for (;;) {
      pending.push(this.probe().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
      if (done && pending.length >= min) break;
      await (done ? sleep(everyMs) : Promise.race([sleep(everyMs), quiet]));
      if (done && pending.length >= min) break;
    }
    const result = await settled;
    const outcomes = await Promise.all(pending);
    return {
      result,
      latencies: outcomes.filter((o): o is number => typeof o === 'number'),
      lost: outcomes.filter((o): o is Error => o instanceof Error),
    };
  }
}

/**
 * A control for a Canary: the same user's XEP-0199 ping to his own server,
 * which goes through Prosody and this machine but not the gateway.
 */
export function serverPing(client: TestClient, server = 'localhost'): Canary {
  return new Canary(
    client,
    server,
    (to, id) => xml('iq', { type: 'get', to, id }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
    async (id) => {
      await client.waitFor((el) => el.is('iq') && el.attrs.id === id, 20_000);
      return Date.now();
    },
    'ping',
  );
}

/** A c2s session driven byte by byte: PLAIN login and bind, then raw writes. */
export interface RawSession {
  jid: string;
  socket: Socket;
  /** Everything received since bind. */
  text(): string;
  write(data: string | Buffer): void;
  /** Resolves with the received text once `pattern` matches it; rejects after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves true once the server closed the TCP connection, false after timeoutMs. */
  closedWithin(timeoutMs: number): Promise<boolean>;
  destroy(): void;
}

export async function rawSession(opts: { port: number; domain: string; username: string; password: string; resource?: string }): Promise<RawSession> {
  const socket = connect({ host: '127.0.0.1', port: opts.port });
  socket.on('error', () => undefined);
  let buffer = '';
  let closed = false;
  const closeWaiters: Array<() => void> = [];
  let listeners: Array<() => void> = [];
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (const l of listeners) l();
  });
  socket.on('close', () => {
    closed = true;
    for (const w of closeWaiters) w();
    for (const l of listeners) l();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });

  const waitFor = (pattern: RegExp, timeoutMs = 5000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (pattern.test(buffer)) {
          listeners = listeners.filter((l) => l !== check);
          clearTimeout(timer);
          resolve(buffer);
        } else if (closed) {
          listeners = listeners.filter((l) => l !== check);
          clearTimeout(timer);
          reject(new Error(`connection closed before ${pattern}; received: ${buffer.slice(-500)}`));
        }
      };
      const timer = setTimeout(() => {
        listeners = listeners.filter((l) => l !== check);
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; received: ${buffer.slice(-500)}`));
      }, timeoutMs);
      listeners.push(check);
      check();
    });

  const header = `<?xml version='1.0'?><stream:stream to='${opts.domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
  socket.write(header);
  await waitFor(/<\/stream:features>/);
  buffer = '';
  const credentials = Buffer.from(`\u0000${opts.username}\u0000${opts.password}`, 'utf8').toString('base64');
  socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${credentials}</auth>`);
  await waitFor(/<success/);
  buffer = '';
  socket.write(header);
  await waitFor(/<\/stream:features>/);
  buffer = '';
  const resource = opts.resource ?? `raw-${Math.random().toString(36).slice(2, 8)}`;
  socket.write(`<iq type='set' id='bind-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  const bound = await waitFor(/<\/jid>/);
  const jid = /<jid>([^<]+)<\/jid>/.exec(bound)?.[1] ?? `${opts.username}@${opts.domain}/${resource}`;
  buffer = '';
  socket.write('<presence/>');

  return {
    jid,
    socket,
    text: () => buffer,
    write: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
    waitFor,
    closedWithin: (timeoutMs) =>
      new Promise((resolve) => {
        if (closed) return resolve(true);
        const timer = setTimeout(() => resolve(false), timeoutMs);
        closeWaiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      }),
    destroy: () => socket.destroy(),
  };
}

/** A raw HTTP/1.1 exchange: writes `request` as is, resolves with the status line's code and the body. */
export function rawHttp(port: number, request: string | Buffer, timeoutMs = 5000): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no HTTP answer within ${timeoutMs} ms; got: ${data.slice(0, 300)}`));
    }, timeoutMs);
    let writeError: NodeJS.ErrnoException | undefined;
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A server that answers early (413 before the whole body) and closes makes the
      // rest of our write fail with EPIPE or ECONNRESET: expected, the answer decides.
      // 'close' follows and resolves with the answer, or rejects if there was none.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') {
        writeError = err;
        return;
      }
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return;
      const headers = data.slice(0, end);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(headers);
      const body = data.slice(end + 4);
      if (length?.[1] !== undefined && Buffer.byteLength(body) >= Number(length[1])) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(headers)?.[1] ?? 0), headers, body });
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return reject(new Error(`connection closed without an HTTP answer${writeError ? ` (${writeError.message})` : ''}; got: ${data.slice(0, 300)}`));
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0), headers: data.slice(0, end), body: data.slice(end + 4) });
    });
    // Written piece by piece, and no further once the server has answered: a server that
    // answers early (413) and closes would otherwise meet the rest of our writes with a
    // reset, and Node drops an answer still unread when a write fails.
    const bytes = typeof request === 'string' ? Buffer.from(request, 'utf8') : request;
    const PIECE = 16 * 1024;
    const writeFrom = (offset: number): void => {
      if (offset >= bytes.length || data !== '' || socket.destroyed) return;
      socket.write(bytes.subarray(offset, offset + PIECE), (err) => {
        if (err === undefined || err === null) setImmediate(() => writeFrom(offset + PIECE));
      });
    };
    socket.once('connect', () => writeFrom(0));
  });
}

/** Whether `text` is the gateway's JSON error shape: `{ error: CODE, message: "why" }`. */
export function isJsonError(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object') return false;
    const { error, message } = parsed as { error?: unknown; message?: unknown };
    return typeof error === 'string' && error !== '' && typeof message === 'string' && message !== '';
  } catch {
    return false;
  }
}
