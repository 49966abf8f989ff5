/**
 * The stack every chaos case runs on: the shared e2e stack (Prosody, a
 * private AOF Redis the case may stop and kill, the built gateway) with one
 * SMS component served by the provider double the case passes in, optionally
 * behind a HoldingProxy, and users whose sessions stamp each stanza's arrival.
 *
 * The promise under test (DESIGN.md): every message the gateway accepted is
 * either delivered or answered with an error stanza; nothing is accepted that
 * is not stored. "Accepted" means the sender got no immediate
 * `wait`/`resource-constraint` (or `service-unavailable`) error for it.
 */
import { afterAll, beforeAll } from 'vitest';
import type { HttpDouble } from '../doubles/base.js';
import type { GatewayComponent, GatewayProcess } from '../support/gateway.js';
import { E2EStack, type QueueCounts } from '../support/stack.js';
import type { Element, TestClient } from '../support/xmpp-client.js';
import { sleep, waitUntil } from '../support/waits.js';
import { HoldingProxy } from './holding-proxy.js';
import type { Ledger } from './load.js';

export const SMS = 'sms.localhost';
export const SECRET = 'chaos-secret';
/** The phone every outbound chaos message goes to, and inbound ones come from. */
export const PHONE = '+15551234567';
export const CONTACT = `${PHONE}@${SMS}`;

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

/** Any HTTP provider double (Twilio, Telnyx, ...): the chaos cases only script faults and read what it accepted. */
export type ProviderDouble = HttpDouble<{ kind: string }>;

export interface StackOptions<P extends ProviderDouble> {
  label: string;
  users: ChaosUser[];
  /** The provider double the component sends through; the stack closes it on stop(). */
  provider: P;
  /** Deliveries at once (config `concurrency`). Default 20. */
  concurrency?: number;
  /** Put a HoldingProxy between the gateway and the provider double. */
  holdingProxy?: boolean;
  /** Keys of the gateway's `xmpp` section (GatewayOptions.xmpp), e.g. its standby lease. */
  xmpp?: Record<string, string>;
}

/** The component config; the same for every (re)start, so a new process takes over the old one's queues. */
function chaosComponent(opts: StackOptions<ProviderDouble>, apiBaseUrl: string): GatewayComponent {
  const numbers = opts.users.map((u) => `"${u.number}": ${u.username}@localhost`).join(', ');
  return {
    domain: SMS,
    secret: SECRET,
    network: 'sms',
    provider: opts.provider.provider,
    extra: [
      `numbers: { ${numbers} }`,
      'defaultRegion: US',
      `concurrency: ${opts.concurrency ?? 20}`,
      // Retries every 1-2 s once backed off; 10 min before a message expires, far beyond any case.
      'retry: { maxAgeSeconds: 600, initialDelayMs: 200, maxDelayMs: 2000 }',
      // No daily cap, no per-sender rate, no per-number pacing: the cases measure faults, not abuse limits.
      'limits: { dailyPerUser: 0, perSenderPerSecond: 0, perNumberPerSecond: 10000 }',
      opts.provider.configSection(apiBaseUrl),
    ].join('\n'),
  };
}

/** The e2e stack with a private AOF Redis, one SMS component on the given provider double, and stamped sessions. */
export class ChaosStack<P extends ProviderDouble> {
  /** Every session ever opened, per username (a restart adds one). */
  readonly sessions = new Map<string, Session[]>();

  private constructor(
    readonly e2e: E2EStack,
    readonly provider: P,
    readonly proxy: HoldingProxy | undefined,
  ) {}

  static async start<P extends ProviderDouble>(opts: StackOptions<P>): Promise<ChaosStack<P>> {
    const proxy = opts.holdingProxy ? await HoldingProxy.start(opts.provider.baseUrl) : undefined;
    // Prosody 0.12 autoloads mod_offline (core/modulemanager.lua autoload_modules), with
    // storage "internal" under the data dir that restart() keeps: a message routed to a
    // user with no session is stored and flushed at their next login.
    const e2e = await E2EStack.start({
      label: `chaos-${opts.label}`,
      users: opts.users,
      redis: 'private',
      components: [chaosComponent(opts, proxy?.baseUrl ?? opts.provider.baseUrl)],
      readyTimeoutMs: 30_000,
      ...(opts.xmpp === undefined ? {} : { xmpp: opts.xmpp }),
    });
    return new ChaosStack(e2e, opts.provider, proxy);
  }

  get gateway(): GatewayProcess {
    return this.e2e.gateway;
  }

  get prosody(): E2EStack['prosody'] {
    return this.e2e.prosody;
  }

  get redis(): E2EStack['redis'] {
    return this.e2e.redis;
  }

  /** Starts a gateway process with the stack's config and prefix, and waits until /readyz is 200. */
  startGateway(): Promise<GatewayProcess> {
    return this.e2e.startGateway(30_000);
  }

  /** Logs a user in (retrying while Prosody comes up) and records the session. */
  async connect(user: ChaosUser, timeoutMs = 20_000): Promise<Session> {
    const session = new Session(await this.e2e.login(user, { timeoutMs: 5_000, retryForMs: timeoutMs }));
    this.sessions.set(user.username, [...(this.sessions.get(user.username) ?? []), session]);
    return session;
  }

  allSessions(): Session[] {
    return [...this.sessions.values()].flat();
  }

  /** Outbound counts (waiting, active, delayed, ...) from the admin API, or undefined when it does not answer. */
  async outboundCounts(): Promise<QueueCounts | undefined> {
    return (await this.e2e.queues())?.[`out/${SMS}`];
  }

  /** Every queue of the gateway has nothing waiting, active or delayed. */
  settled(): Promise<boolean> {
    return this.e2e.settled();
  }

  /**
   * Outbound: waits up to `answerWithinMs` until every message of the ledger
   * is delivered at the provider or answered with an error, then up to
   * `settleWithinMs` for the queues to drain and 500 ms more, so anything
   * that would go out twice does so before the ledger counts it.
   */
  async collectOutbound(ledger: Ledger, answerWithinMs: number, settleWithinMs: number): Promise<void> {
    const collect = (): void => {
      ledger.collectProviderDeliveries(this.provider);
      ledger.collectErrors(this.allSessions());
    };
    await waitUntil(() => {
      collect();
      return ledger.allAnswered();
    }, answerWithinMs);
    await waitUntil(() => this.settled(), settleWithinMs);
    await sleep(500);
    collect();
  }

  async stop(): Promise<void> {
    await Promise.all(this.allSessions().map((s) => s.stop().catch(() => undefined)));
    await this.e2e.stop({ kill: true });
    await this.proxy?.close();
    await this.provider.close();
  }
}

/**
 * For a describe block: starts the chaos stack and logs every user in before
 * its cases, stops it all after them. The stack and the first sessions are
 * on the returned object once the cases run.
 */
export function useChaosStack<P extends ProviderDouble>(
  opts: Omit<StackOptions<P>, 'provider'> & { provider: () => Promise<P> },
): { stack: ChaosStack<P>; sessions: Session[] } {
  const running = {} as { stack: ChaosStack<P>; sessions: Session[] };
  beforeAll(async () => {
    running.stack = await ChaosStack.start({ ...opts, provider: await opts.provider() });
    running.sessions = await Promise.all(opts.users.map((u) => running.stack.connect(u)));
  });
  afterAll(async () => {
    await running.stack?.stop();
  });
  return running;
}
