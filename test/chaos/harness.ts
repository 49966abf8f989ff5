/**
 * What every chaos case shares: a private stack (Prosody, a private Redis with
 * the AOF on, the Twilio double, the built gateway), a ledger that follows
 * each message by a unique token in its body, and the one-line report plus
 * the assertions every case makes.
 *
 * The promise under test (DESIGN.md): every message the gateway accepted is
 * either delivered or answered with an error stanza; nothing is accepted that
 * is not stored. "Accepted" means the sender got no immediate
 * `wait`/`resource-constraint` (or `service-unavailable`) error for it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { TwilioDouble } from '../doubles/twilio.js';
import { startGateway, type GatewayComponent, type GatewayProcess } from '../support/gateway.js';
import { sleep } from '../support/waits.js';
import { startProsody, type ProsodyInstance } from '../support/prosody.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from '../support/redis.js';
import { connectClient, type Element, type TestClient } from '../support/xmpp-client.js';

export const SMS = 'sms.localhost';
export const SECRET = 'chaos-secret';
/** The phone every outbound chaos message goes to, and inbound ones come from. */
export const PHONE = '+15551234567';
export const CONTACT = `${PHONE}@${SMS}`;
/** Duplicates allowed: 0.1% of the messages sent (rounded down). */
export const DUPLICATE_RATIO = 0.001;
/** The first delivery after a fault ends must come within this. */
export const RECOVERY_BOUND_MS = 30_000;

export interface ChaosUser {
  username: string;
  password: string;
  /** The gateway number this user sends from (config `numbers`). */
  number: string;
}

export function chaosUsers(count: number): ChaosUser[] {
  return Array.from({ length: count }, (_, i) => ({
    username: `u${i + 1}`,
    password: `pw-${i + 1}`,
    number: `+1555000${String(1000 + i + 1)}`,
  }));
}

/**
 * One XMPP session of a user, with the time each incoming stanza arrived.
 * TestClient keeps stanzas but not their arrival times; a 10 ms poll stamps them.
 */
export class Session {
  readonly arrivedAt = new Map<Element, number>();
  private readonly timer: NodeJS.Timeout;
  private seen = 0;

  constructor(readonly client: TestClient) {
    this.timer = setInterval(() => this.stamp(), 10);
    this.timer.unref();
  }

  stamp(): void {
    const now = Date.now();
    for (; this.seen < this.client.received.length; this.seen++) {
      const el = this.client.received[this.seen];
      if (el !== undefined) this.arrivedAt.set(el, now);
    }
  }

  async stop(): Promise<void> {
    this.stamp();
    clearInterval(this.timer);
    await this.client.stop();
  }
}

export interface StackOptions {
  label: string;
  users: ChaosUser[];
  /** Deliveries at once (config `concurrency`). Default 20. */
  concurrency?: number;
  /** Put a HoldingProxy between the gateway and the Twilio double. */
  holdingProxy?: boolean;
}

/**
 * A pass-through HTTP proxy that can hold the provider's answers: while held,
 * requests reach the double (which records the message) but the gateway gets
 * the 201 only on release(). Lets a case put a fault exactly between "the
 * provider has the message" and "the gateway knows it".
 */
export class HoldingProxy {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  /** Answers currently held. */
  held = 0;

  private constructor(
    private readonly server: Server,
    private readonly target: string,
  ) {}

  static async start(target: string): Promise<HoldingProxy> {
    const server = createServer();
    const proxy = new HoldingProxy(server, target);
    server.on('request', (req, res) => void proxy.forward(req, res));
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
    return proxy;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  hold(): void {
    this.gate ??= new Promise<void>((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
    this.open = undefined;
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).flatMap(([k, v]) => (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k) ? [[k, v]] : [])),
    );
    try {
      const upstream = await fetch(`${this.target}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      const gate = this.gate;
      if (gate !== undefined) {
        this.held++;
        await gate;
        this.held--;
      }
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (!['content-length', 'connection', 'keep-alive', 'transfer-encoding'].includes(k)) out[k] = v;
      });
      res.writeHead(upstream.status, { ...out, 'content-length': body.length });
      res.end(body);
    } catch {
      res.destroy();
    }
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Prosody, a private AOF Redis, the Twilio double and the gateway, for one test file. */
export class ChaosStack {
  gateway!: GatewayProcess;
  /** Every session ever opened, per username (a restart adds one). */
  readonly sessions = new Map<string, Session[]>();
  readonly prefix: string;

  private constructor(
    readonly prosody: ProsodyInstance,
    readonly redis: PrivateRedis,
    readonly twilio: TwilioDouble,
    readonly proxy: HoldingProxy | undefined,
    readonly users: ChaosUser[],
    private readonly opts: StackOptions,
  ) {
    this.prefix = uniquePrefix(`chaos-${opts.label}`);
  }

  static async start(opts: StackOptions): Promise<ChaosStack> {
    // Prosody 0.12 autoloads mod_offline (core/modulemanager.lua autoload_modules), with
    // storage "internal" under the data dir that restart() keeps: a message routed to a
    // user with no session is stored and flushed at their next login.
    const prosody = await startProsody({
      components: [{ domain: SMS, secret: SECRET }],
      users: opts.users.map(({ username, password }) => ({ username, password })),
    });
    const redis = await startPrivateRedis({ appendonly: true });
    const twilio = await TwilioDouble.start();
    const proxy = opts.holdingProxy ? await HoldingProxy.start(twilio.baseUrl) : undefined;
    const stack = new ChaosStack(prosody, redis, twilio, proxy, opts.users, opts);
    await stack.startGateway();
    return stack;
  }

  /** The component config; the same for every (re)start, so a new process takes over the old one's queues. */
  component(): GatewayComponent {
    const numbers = this.users.map((u) => `"${u.number}": ${u.username}@localhost`).join(', ');
    return {
      domain: SMS,
      secret: SECRET,
      network: 'sms',
      provider: 'twilio',
      extra: [
        `numbers: { ${numbers} }`,
        'defaultRegion: US',
        `concurrency: ${this.opts.concurrency ?? 20}`,
        // Retries every 1-2 s once backed off; 10 min before a message expires, far beyond any case.
        'retry: { maxAgeSeconds: 600, initialDelayMs: 200, maxDelayMs: 2000 }',
        // No daily cap, no per-sender rate, no per-number pacing: the cases measure faults, not abuse limits.
        'limits: { dailyPerUser: 0, perSenderPerSecond: 0, perNumberPerSecond: 10000 }',
        `twilio: { accountSid: ${this.twilio.accountSid}, authToken: ${this.twilio.authToken}, apiBaseUrl: "${this.proxy?.baseUrl ?? this.twilio.baseUrl}" }`,
      ].join('\n'),
    };
  }

  /** Starts a gateway process with the stack's config and prefix, and waits until /readyz is 200. */
  async startGateway(): Promise<GatewayProcess> {
    this.gateway = await startGateway({
      componentPort: this.prosody.componentPort,
      redisUrl: this.redis.url,
      redisPrefix: this.prefix,
      components: [this.component()],
    });
    await this.gateway.waitReady(30_000);
    return this.gateway;
  }

  /** Logs a user in (retrying while Prosody comes up) and records the session. */
  async connect(user: ChaosUser, timeoutMs = 20_000): Promise<Session> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const client = await connectClient({
          port: this.prosody.c2sPort,
          domain: 'localhost',
          username: user.username,
          password: user.password,
          timeoutMs: 5_000,
        });
        const session = new Session(client);
        this.sessions.set(user.username, [...(this.sessions.get(user.username) ?? []), session]);
        return session;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
  }

  allSessions(): Session[] {
    return [...this.sessions.values()].flat();
  }

  /** Outbound counts (waiting, active, delayed, ...) from the admin API, or undefined when it does not answer. */
  async outboundCounts(): Promise<Record<string, number> | undefined> {
    try {
      const res = await this.gateway.api<Record<string, Record<string, number>>>('GET', '/admin/queues');
      return res.status === 200 ? res.body[`out/${SMS}`] : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every queue of the gateway has nothing waiting, active or delayed. */
  async settled(): Promise<boolean> {
    try {
      const res = await this.gateway.api<Record<string, Record<string, number>>>('GET', '/admin/queues');
      if (res.status !== 200) return false;
      return Object.values(res.body).every((c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) === 0);
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.allSessions().map((s) => s.stop().catch(() => undefined)));
    await this.gateway?.kill();
    await this.proxy?.close();
    await this.twilio.close();
    await this.prosody.stop();
    await this.redis.stop();
  }
}

/** How a message ended, from the sender's or the receiver's side. */
export interface Outcome {
  token: string;
  sentAt: number;
  /** Error stanzas for it, with their condition and arrival time. */
  errors: Array<{ type: string; condition: string; at: number }>;
  /** Arrival times of its deliveries (provider double or XMPP client), oldest first. */
  deliveries: number[];
  /** For webhooks: the HTTP status the gateway answered. */
  httpStatus?: number;
}

/** Conditions that mean "not stored, try again": the sender was told at once, so the message was never accepted. */
const REFUSAL_CONDITIONS = new Set(['resource-constraint', 'service-unavailable']);

export function refusal(o: Outcome): Outcome['errors'][number] | undefined {
  return o.errors.find((e) => e.type === 'wait' && REFUSAL_CONDITIONS.has(e.condition));
}

/** Follows messages by a unique token carried in each body. */
export class Ledger {
  readonly outcomes = new Map<string, Outcome>();
  private seq = 0;
  readonly tag: string;

  constructor(readonly name: string) {
    this.tag = Math.random().toString(36).slice(2, 7);
  }

  /** A fresh token, e.g. `kill-x1y2z-u1-0042`; it is the stanza id and the body's last word. */
  next(who: string): string {
    const token = `${this.name}-${this.tag}-${who}-${String(this.seq++).padStart(4, '0')}`;
    this.outcomes.set(token, { token, sentAt: Date.now(), errors: [], deliveries: [] });
    return token;
  }

  get(token: string): Outcome | undefined {
    return this.outcomes.get(token);
  }

  /** Scans sessions for error stanzas whose id is one of our tokens. */
  collectErrors(sessions: Session[]): void {
    for (const o of this.outcomes.values()) o.errors = [];
    for (const s of sessions) {
      s.stamp();
      for (const el of s.client.received) {
        if (!el.is('message') || el.attrs.type !== 'error') continue;
        const o = this.outcomes.get(String(el.attrs.id));
        if (o === undefined) continue;
        const error = el.getChild('error');
        const condition = error?.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name ?? '?';
        o.errors.push({ type: String(error?.attrs.type ?? '?'), condition, at: s.arrivedAt.get(el) ?? Date.now() });
      }
    }
  }

  /** Outbound: what the Twilio double accepted, by the token in each body. */
  collectProviderDeliveries(twilio: TwilioDouble): void {
    for (const o of this.outcomes.values()) o.deliveries = [];
    for (const m of twilio.messages) {
      const o = this.outcomes.get(tokenOf(m.body));
      o?.deliveries.push(m.createdAt.getTime());
    }
  }

  /** Inbound: chat messages that reached the sessions, by the token in each body. */
  collectXmppDeliveries(sessions: Session[]): void {
    for (const o of this.outcomes.values()) o.deliveries = [];
    for (const s of sessions) {
      s.stamp();
      for (const el of s.client.received) {
        if (!el.is('message') || el.attrs.type === 'error') continue;
        const o = this.outcomes.get(tokenOf(el.getChildText('body') ?? ''));
        o?.deliveries.push(s.arrivedAt.get(el) ?? Date.now());
      }
    }
    for (const o of this.outcomes.values()) o.deliveries.sort((a, b) => a - b);
  }

  /** True when every message has an answer: delivered or an error (refusal included). */
  allAnswered(): boolean {
    return [...this.outcomes.values()].every((o) => o.deliveries.length > 0 || o.errors.length > 0 || (o.httpStatus ?? 200) >= 300);
  }

  summarize(faultEndedAt: number): ChaosSummary {
    const all = [...this.outcomes.values()];
    const accepted = all.filter((o) => refusal(o) === undefined && (o.httpStatus ?? 200) < 300);
    const refused = all.filter((o) => !accepted.includes(o));
    const delivered = all.filter((o) => o.deliveries.length > 0);
    const errored = all.filter((o) => o.errors.length > 0 || (o.httpStatus ?? 200) >= 300);
    const lost = accepted.filter((o) => o.deliveries.length === 0 && o.errors.length === 0);
    const duplicated = all.reduce((n, o) => n + Math.max(0, o.deliveries.length - 1), 0);
    const firstAfter = all
      .map((o) => o.deliveries.find((t) => t >= faultEndedAt))
      .filter((t): t is number => t !== undefined)
      .sort((a, b) => a - b)[0];
    const lastFirstDelivery = Math.max(faultEndedAt, ...delivered.map((o) => o.deliveries[0] ?? 0));
    // Nothing left to deliver after the fault counts as recovered at once.
    const recoveryMs = firstAfter === undefined ? (lost.length === 0 ? 0 : Number.POSITIVE_INFINITY) : firstAfter - faultEndedAt;
    return {
      name: this.name,
      sent: all.length,
      accepted: accepted.length,
      refused: refused.length,
      delivered: delivered.length,
      errored: errored.length,
      duplicated,
      lost: lost.map((o) => o.token),
      // Refused at once, yet stored and delivered after all: not a loss, but the sender was told otherwise.
      refusedButDelivered: refused.filter((o) => o.deliveries.length > 0).map((o) => o.token),
      erroredAndDelivered: accepted.filter((o) => o.errors.length > 0 && o.deliveries.length > 0).map((o) => o.token),
      recoveryMs,
      drainedMs: lastFirstDelivery - faultEndedAt,
    };
  }
}

export interface ChaosSummary {
  name: string;
  sent: number;
  accepted: number;
  refused: number;
  delivered: number;
  errored: number;
  duplicated: number;
  lost: string[];
  refusedButDelivered: string[];
  erroredAndDelivered: string[];
  recoveryMs: number;
  /** From the fault's end to the last message's first delivery. */
  drainedMs: number;
}

/** The body of a chaos message carries its token as the last word. */
export function bodyFor(token: string): string {
  return `chaos message ${token}`;
}

export function tokenOf(body: string): string {
  return body.slice(body.lastIndexOf(' ') + 1);
}

const seconds = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)}s` : 'never');

/** Prints `chaos <case>: sent N, delivered D, errored E, duplicated U, recovery Xs` and a detail line. */
export function report(s: ChaosSummary, extra: Record<string, string | number> = {}): void {
  console.log(
    `chaos ${s.name}: sent ${s.sent}, delivered ${s.delivered}, errored ${s.errored}, duplicated ${s.duplicated}, recovery ${seconds(s.recoveryMs)}`,
  );
  const details = {
    accepted: s.accepted,
    refused: s.refused,
    lost: s.lost.length,
    'refused-but-delivered': s.refusedButDelivered.length,
    'errored-and-delivered': s.erroredAndDelivered.length,
    drained: seconds(s.drainedMs),
    ...extra,
  };
  console.log(`chaos ${s.name} detail: ${Object.entries(details).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

/** The assertions every case makes. */
export function assertChaos(s: ChaosSummary): void {
  expect(s.lost, 'accepted messages neither delivered nor answered with an error').toEqual([]);
  expect(s.duplicated, `duplicates (at most ${DUPLICATE_RATIO * 100}% of ${s.sent})`).toBeLessThanOrEqual(
    Math.floor(s.sent * DUPLICATE_RATIO),
  );
  expect(s.recoveryMs, 'first delivery after the fault ended (ms)').toBeLessThanOrEqual(RECOVERY_BOUND_MS);
}

/** Polls `cond` until true or the deadline; returns whether it became true (never throws on timeout). */
export async function waitUntil(cond: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
}

/** Runs `fn` for 0..count-1 with at most `parallel` at once, starting one every `intervalMs`. */
export async function paced(count: number, intervalMs: number, parallel: number, fn: (i: number) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    while (running.size >= parallel) await Promise.race(running);
    const p = fn(i).finally(() => running.delete(p));
    running.add(p);
    if (intervalMs > 0) await sleep(intervalMs);
  }
  await Promise.all(running);
}
