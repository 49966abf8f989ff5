/**
 * The one end-to-end stack every e2e, hostile and chaos file stands on: its
 * own Prosody (components registered, users created), Redis (the machine's,
 * under a unique key prefix, or a private redis-server the test may stop and
 * kill), the built gateway as a child process with any list of components
 * (any network: each is one entry), and logged-in XMPP test clients. Plus the
 * few stanza and queue helpers every such test needs.
 *
 * Provider doubles are not part of it: a test starts the doubles it needs and
 * names them in its components (see HttpDouble.configSection()).
 */
import { configuredSecrets, startGateway, type GatewayComponent, type GatewayOptions, type GatewayProcess } from './gateway.js';
import { NS_RECEIPTS } from './outcomes.js';
import { startProsody, type ProsodyInstance } from './prosody.js';
import { ensureRedis, startPrivateRedis, uniquePrefix, type PrivateRedis } from './redis.js';
import { eventually, sleep } from './waits.js';
import { connectClient, xml, type Element, type TestClient } from './xmpp-client.js';

export type { GatewayComponent };

/** An account on the stack's Prosody; a bare name gets the password `<name>-pw`. */
export type StackUser = string | { username: string; password: string };

export interface StackOptions {
  /** Names the Redis prefix (`t-<label>-...`), for finding a run's keys. */
  label: string;
  /** The gateway's components, in config order; each is registered with Prosody under its domain and secret. */
  components: GatewayComponent[];
  users?: StackUser[];
  /**
   * `shared` (default): the machine's Redis, a unique prefix. `private`: a
   * redis-server of this stack's own with the AOF on, which the test may
   * stop, kill and start again (stack.redis).
   */
  redis?: 'shared' | 'private';
  /** A Redis the test started itself (a Cluster, a Sentinel's master): its `redis.url`, in place of the shared one. */
  redisUrl?: string;
  /** Start the gateway and wait for /readyz (default true). */
  gateway?: boolean;
  /** How long the first /readyz may take. Default 20 s. */
  readyTimeoutMs?: number;
  /** Extra top-level YAML for the gateway config. */
  extraYaml?: string;
  /** Keys of the gateway's `xmpp` section (GatewayOptions.xmpp). */
  xmpp?: Record<string, string>;
  /**
   * More components Prosody accepts, which the gateway does not run (a test
   * attaches its own, e.g. one that stands in for a stalled remote domain).
   */
  otherComponents?: Array<{ domain: string; secret: string }>;
  /** Domain of a group chat service (XEP-0045) on the stack's Prosody, e.g. `muc.localhost`. */
  muc?: string;
  /** Configure Prosody's components from the gateway's own `server-config` output (see ProsodyOptions.serverSnippet). */
  serverSnippet?: (componentPort: number) => Promise<string>;
  /** Provider doubles the components use; stop() closes them after the gateway. */
  doubles?: Array<{ close(): Promise<void> }>;
}

/** Counts of one BullMQ queue, as GET /admin/queues reports them. */
export type QueueCounts = Record<string, number>;

function account(user: StackUser): { username: string; password: string } {
  return typeof user === 'string' ? { username: user, password: `${user}-pw` } : user;
}

export class E2EStack {
  /** The running gateway; replaced by startGateway(). */
  gateway!: GatewayProcess;
  private readonly clients: TestClient[] = [];
  /** Every gateway this stack started or launched, for the secrets check in stop(). */
  private readonly gateways: GatewayProcess[] = [];

  private constructor(
    readonly prosody: ProsodyInstance,
    private readonly sharedRedisUrl: string | undefined,
    /** The stack's own Redis when started with `redis: 'private'`. */
    private readonly privateRedis: PrivateRedis | undefined,
    /** The gateway's Redis prefix; the same for every gateway this stack starts, so a new one takes over the old one's queues. */
    readonly prefix: string,
    private readonly opts: StackOptions,
  ) {}

  /** The common case: these users, one provider double, one component. */
  static withDouble(label: string, users: StackUser[], double: { close(): Promise<void> }, only: GatewayComponent): Promise<E2EStack> {
    return E2EStack.start({ label, users, doubles: [double], components: [only] });
  }

  static async start(opts: StackOptions): Promise<E2EStack> {
    const prosody = await startProsody({
      components: [...opts.components.map(({ domain, secret }) => ({ domain, secret })), ...(opts.otherComponents ?? [])],
      users: (opts.users ?? []).map(account),
      ...(opts.muc === undefined ? {} : { muc: opts.muc }),
      ...(opts.serverSnippet === undefined ? {} : { serverSnippet: opts.serverSnippet }),
    });
    const privateRedis = opts.redis === 'private' ? await startPrivateRedis({ appendonly: true }) : undefined;
    const sharedRedisUrl = privateRedis === undefined ? (opts.redisUrl ?? (await ensureRedis())) : undefined;
    const stack = new E2EStack(prosody, sharedRedisUrl, privateRedis, uniquePrefix(opts.label), opts);
    if (opts.gateway ?? true) await stack.startGateway(opts.readyTimeoutMs);
    return stack;
  }

  /** The private Redis; throws for a stack on the shared one. */
  get redis(): PrivateRedis {
    if (this.privateRedis === undefined) throw new Error(`stack ${this.opts.label} runs on the shared Redis; start it with redis: 'private'`);
    return this.privateRedis;
  }

  get redisUrl(): string {
    return this.privateRedis?.url ?? this.sharedRedisUrl ?? '';
  }

  /** The options a gateway of this stack runs with; `overrides` replace any of them. */
  gatewayOptions(overrides: Partial<GatewayOptions> = {}): GatewayOptions {
    return {
      componentPort: this.prosody.componentPort,
      redisUrl: this.redisUrl,
      redisPrefix: this.prefix,
      components: this.opts.components,
      ...(this.opts.extraYaml === undefined ? {} : { extraYaml: this.opts.extraYaml }),
      ...(this.opts.xmpp === undefined ? {} : { xmpp: this.opts.xmpp }),
      ...overrides,
    };
  }

  /** Starts a gateway with the stack's config and prefix as `stack.gateway`, and waits until /readyz is 200. */
  async startGateway(readyTimeoutMs = 20_000): Promise<GatewayProcess> {
    this.gateway = await startGateway(this.gatewayOptions());
    this.gateways.push(this.gateway);
    await this.gateway.waitReady(readyTimeoutMs);
    return this.gateway;
  }

  /** Starts another gateway process against this stack's Prosody (not waited for, not stopped by stop()). */
  async launchGateway(overrides: Partial<GatewayOptions>): Promise<GatewayProcess> {
    const gateway = await startGateway(this.gatewayOptions(overrides));
    this.gateways.push(gateway);
    return gateway;
  }

  /**
   * Logs a stack user in (stopped by stop()). With `retryForMs`, keeps trying
   * that long while Prosody comes back after a restart.
   */
  async login(user: StackUser, opts: { timeoutMs?: number; retryForMs?: number } = {}): Promise<TestClient> {
    const { username, password } = account(
      typeof user === 'string' ? ((this.opts.users ?? []).find((u) => account(u).username === user) ?? user) : user,
    );
    const deadline = Date.now() + (opts.retryForMs ?? 0);
    for (;;) {
      try {
        const client = await connectClient({
          port: this.prosody.c2sPort,
          domain: this.prosody.domain,
          username,
          password,
          ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        });
        this.clients.push(client);
        return client;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
  }

  /**
   * Counts per queue (`out/<domain>`, `in/<domain>`, ...) from the admin API
   * of `via` (default: stack.gateway), or undefined when it does not answer.
   */
  async queues(via: GatewayProcess = this.gateway): Promise<Record<string, QueueCounts> | undefined> {
    try {
      const res = await via.api<Record<string, QueueCounts>>('GET', '/admin/queues');
      return res.status === 200 ? res.body : undefined;
    } catch {
      return undefined;
    }
  }

  /** Nothing waiting, active, delayed or prioritized in `out/<domain>`, or in every queue when no domain is given. */
  async settled(domain?: string, via?: GatewayProcess): Promise<boolean> {
    const queues = await this.queues(via);
    if (queues === undefined) return false;
    const idle = (c: QueueCounts | undefined) =>
      c !== undefined && (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) === 0;
    return domain === undefined ? Object.values(queues).every(idle) : idle(queues[`out/${domain}`]);
  }

  /**
   * Waits until `out/<domain>` (or every queue) has drained; after it, the
   * worker has recorded each provider id, so a status callback finds it.
   * `via`: the gateway whose admin API is asked (default: stack.gateway).
   */
  async waitSettled(domain?: string, timeoutMs = 20_000, via?: GatewayProcess): Promise<void> {
    await eventually(async () => ((await this.settled(domain, via)) ? true : undefined), timeoutMs, `${domain === undefined ? 'every queue' : `out/${domain}`} to drain`);
  }

  /**
   * Stops clients, the gateway (SIGTERM, or SIGKILL with `kill`), Prosody and
   * a private Redis; then fails if any gateway of this stack wrote one of
   * its configured secrets or tokens to its log.
   */
  async stop(opts: { kill?: boolean } = {}): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.stop().catch(() => undefined)));
    if (this.gateway !== undefined) await (opts.kill ? this.gateway.kill() : this.gateway.stop());
    await this.prosody.stop();
    await this.privateRedis?.stop();
    for (const double of this.opts.doubles ?? []) await double.close();
    const leaks: string[] = [];
    for (const gateway of this.gateways.splice(0)) {
      const output = gateway.output();
      for (const secret of await configuredSecrets(gateway.configPath)) {
        if (output.includes(secret)) leaks.push(`${gateway.configPath}: ${secret.slice(0, 4)}…`);
      }
    }
    if (leaks.length > 0) throw new Error(`configured secrets in the gateway log (stack ${this.opts.label}): ${leaks.join(', ')}`);
  }
}

/** What smsStack() needs of a provider double. */
export interface SmsDouble {
  readonly provider: string;
  configSection(): string;
  close(): Promise<void>;
}

/**
 * The one-component SMS stack: user `alice` owns `number` on `domain`
 * through `double`, retries start at 200 ms, and the per-number pace does
 * not bind. `gateway: false` leaves starting gateways to the test.
 */
export function smsStack(opts: { label: string; double: SmsDouble; number: string; domain?: string; gateway?: boolean; redisUrl?: string }): Promise<E2EStack> {
  const domain = opts.domain ?? 'sms.localhost';
  return E2EStack.start({
    label: opts.label,
    users: ['alice'],
    doubles: [opts.double],
    ...(opts.gateway === undefined ? {} : { gateway: opts.gateway }),
    ...(opts.redisUrl === undefined ? {} : { redisUrl: opts.redisUrl }),
    components: [
      component(domain, 'sms', opts.double.provider, [
        `numbers: { "${opts.number}": alice@localhost }`,
        'retry: { initialDelayMs: 200, maxDelayMs: 1000 }',
        'limits: { perNumberPerSecond: 100 }',
        opts.double.configSection(),
      ]),
    ],
  });
}

/**
 * One entry of the component list: its config keys as YAML lines (a
 * provider's section among them), its secret `<domain>-secret`.
 *
 * @example component(SMS, 'sms', 'twilio', ['numbers: { "+15550001111": alice@localhost }', twilio.configSection()])
 */
export function component(domain: string, network: GatewayComponent['network'], provider: string, lines: string[] = []): GatewayComponent {
  return { domain, secret: `${domain}-secret`, network, provider, extra: lines.join('\n') };
}

/**
 * An SMS component as the provider e2e files use it: alice owns `aliceNumber`,
 * retries come quickly and per-number pacing does not slow the test down;
 * `lines` add the provider's section and anything else.
 */
export function smsComponent(domain: string, provider: string, aliceNumber: string, lines: string[]): GatewayComponent {
  return component(domain, 'sms', provider, [
    `numbers: { "${aliceNumber}": alice@localhost }`,
    'retry: { initialDelayMs: 200, maxDelayMs: 2000 }',
    ...lines,
  ]);
}

/** A chat message with a body (and any extra children), as a client sends it. */
export function chat(to: string, id: string, body: string, extra: Element[] = []): Element {
  return xml('message', { type: 'chat', to, id }, xml('body', {}, body), ...extra);
}

/** XEP-0184 receipt request, to put in a message. */
export function receiptRequest(): Element {
  return xml('request', { xmlns: NS_RECEIPTS });
}

/** Resolves with the XEP-0184 receipt for message `id`. */
export function receiptFor(client: TestClient, id: string, timeoutMs?: number): Promise<Element> {
  return client.waitFor((el) => el.getChild('received', NS_RECEIPTS)?.attrs.id === id, timeoutMs);
}

/** Resolves with the error stanza answering message `id`. */
export function errorFor(client: TestClient, id: string, timeoutMs = 15_000): Promise<Element> {
  return client.waitFor((el) => el.is('message') && el.attrs.type === 'error' && el.attrs.id === id, timeoutMs);
}
