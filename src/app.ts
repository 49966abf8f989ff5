/**
 * buildGateway(deps) -> { start, stop }: wires config, Redis, adapters,
 * component connections, workers and HTTP. Building does no I/O; `start()`
 * connects, `stop()` drains and closes.
 */
import type { Queue, Worker } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { HttpRegistrar } from '../adapters/types.js';
import { assembleComponent, type ComponentParts } from './assembly.js';
import { ALL_ROLES, describeRoles, type Roles } from './roles.js';
import { deliveryWorker } from './bridge/delivery.js';
import { componentStandby } from './component/standby.js';
import { toXmppWorker } from './component/to-xmpp.js';
import { ConversationOrder } from './store/conversation-order.js';
import { CorrectionStore } from './store/corrections.js';
import { redisKeyPrefix } from './config/redis-url.js';
import type { GatewayConfig } from './config/schema.js';
import { GatewayError } from './errors/registry.js';
import type { SandboxComponentInfo } from './http/plugins/console.js';
import type { ReadinessReport } from './http/plugins/health.js';
import { buildOpsServer, buildServer, type GatewayServer, type RouteRegistration } from './http/server.js';
import { GatewayMetrics } from './metrics.js';
import { QueueInspector } from './queue/inspect.js';
import { QueueProducer } from './queue/producer.js';
import { producerConnection } from './queue/redis.js';
import { MessageMap } from './store/message-map.js';

export type { Roles } from './roles.js';

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  roles?: Roles;
}

export interface Gateway {
  readonly http: GatewayServer;
  readonly metrics: GatewayMetrics;
  start(): Promise<void>;
  stop(): Promise<void>;
  readiness(): Promise<ReadinessReport>;
  /** The HTTP address once listening, e.g. http://127.0.0.1:8080 */
  httpAddress(): string | undefined;
  /** The ops listener's address (http.opsPort) once listening; undefined without one. */
  opsAddress(): string | undefined;
}

/**
 * Inbound jobs at once in the process holding the XMPP connection. Each waits for the server
 * to confirm its stanza; at 20 the bench's inbound run was bound by that wait (389 msg/s, p50 8 s),
 * at 100 deliveries fell behind the webhooks accepted (p50 0.5 s), at 200 they keep up (p50 0.15 s).
 */
const INBOUND_CONCURRENCY = 200;

export function buildGateway(deps: GatewayDeps): Gateway {
  const { logger } = deps;
  // On a Redis Cluster every key carries one hash tag, so multi-key scripts never meet CROSSSLOT.
  const config = { ...deps.config, redis: { ...deps.config.redis, prefix: redisKeyPrefix(deps.config.redis) } };
  const roles = deps.roles ?? ALL_ROLES;
  // Adapters send (worker) and receive (http); a process with neither leaves them alone.
  const withAdapters = roles.worker || roles.http;
  const domains = config.components.map((c) => c.domain);
  // Connects in start(); stores only hold the handle until then.
  const redis = producerConnection(config.redis.url, { lazyConnect: true });
  const messageMap = new MessageMap(redis, config.redis.prefix);
  const corrections = new CorrectionStore(redis, config.redis.prefix);
  const order = new ConversationOrder(redis, config.redis.prefix);
  // BullMQ queues connect as soon as they exist, so they are made in start().
  let producer: QueueProducer | undefined;
  const queues = (): QueueProducer => {
    if (producer === undefined) throw new GatewayError('SERVICE_UNAVAILABLE', 'the gateway is not started');
    return producer;
  };
  const inspector = new QueueInspector(allQueues);
  const metrics = new GatewayMetrics({
    jobCounts: async () => Object.entries(await inspector.counts()).map(([queue, counts]) => ({ queue, counts })),
    oldestPending: async () => inspector.oldestPending(),
  });
  const shutdown = new AbortController();
  let draining = false;

  const parts: ComponentParts[] = config.components.map((c, index) =>
    assembleComponent(c, index, {
      config,
      redis,
      logger,
      metrics,
      withConnection: roles.component,
      enqueueOutbound: (m) => queues().enqueueOutbound(m),
      enqueueInbound: (domain) => (jobId, job) => queues().enqueueInbound(domain, jobId, job),
      isDraining: () => draining,
      operations: {
        inspector,
        metrics,
        logger,
        components: () =>
          parts.map((p) => ({
            domain: p.config.domain,
            ...(p.ownership && p.profile.ownership ? { ownership: { store: p.ownership, noun: p.profile.ownership.wording.noun } } : {}),
          })),
      },
    }),
  );

  // Who holds the XMPP connections (xmpp.standby): they connect only while this process is active.
  const standby = roles.component ? componentStandby(config, redis, parts, { metrics, logger }) : undefined;

  function allQueues(): Map<string, Queue> {
    const m = new Map<string, Queue>();
    if (producer === undefined) return m;
    for (const d of domains) {
      for (const q of [producer.outboundQueue(d), producer.inboundQueue(d)] as unknown as Queue[]) m.set(q.name, q);
    }
    return m;
  }

  async function readiness(): Promise<ReadinessReport> {
    const checks: Record<string, string> = {};
    checks.redis = redis.status === 'ready' ? 'ok' : `not connected (${redis.status})`;
    // A standby is ready as it is (an orchestrator must not restart it): its connections wait for the lease.
    const standing = standby !== undefined && !standby.isActive();
    for (const p of parts) {
      if (p.connection && !standing) {
        const problem = p.connection.problem();
        checks[`xmpp:${p.config.domain}`] = p.connection.isOnline() ? 'ok' : problem === undefined ? 'not connected' : `not connected: ${problem}`;
      }
      if (!withAdapters) continue;
      const h = await p.adapter.health().catch((err: unknown) => ({ ok: false, detail: String(err) }));
      checks[`adapter:${p.config.domain}`] = h.ok ? 'ok' : (h.detail ?? 'unhealthy');
    }
    return { ok: Object.values(checks).every((v) => v === 'ok'), checks, ...(standby ? { status: standing ? 'standby' : 'active' } : {}) };
  }

  /** Components whose adapter registered sandbox routes (start() fills it): what the sandbox console shows. */
  const onSandbox: ComponentParts[] = [];
  async function sandboxComponents(): Promise<SandboxComponentInfo[]> {
    return Promise.all(
      onSandbox.map(async (p) => {
        const label = p.profile.ownership?.wording.field.label;
        return {
          domain: p.config.domain,
          network: p.config.network,
          name: p.profile.identity.name,
          ...(label === undefined ? {} : { addressLabel: label }),
          addresses: (await p.ownership?.all()) ?? {},
        };
      }),
    );
  }

  const http = buildServer({
    logger,
    metrics,
    adminToken: config.http.adminToken,
    bodyLimitBytes: config.http.bodyLimitBytes,
    requestTimeoutMs: config.http.requestTimeoutMs,
    readiness,
    ...(roles.http ? { admin: { inspector }, sandboxConsole: { components: sandboxComponents } } : {}),
    ops: config.http.opsPort === undefined ? 'main' : 'separate',
  });
  const opsHttp = config.http.opsPort === undefined ? undefined : buildOpsServer({ logger, metrics, readiness });

  const workers: Worker[] = [];
  const base = { redisUrl: config.redis.url, prefix: config.redis.prefix, logger };

  function connectRedis(): void {
    let lastError = '';
    metrics.redisUp.set(0);
    redis.on('close', () => metrics.redisUp.set(0));
    redis.on('error', (err: Error) => {
      metrics.redisUp.set(0);
      if (err.message !== lastError) logger.error({ err: err.message }, 'Redis connection error; retrying');
      lastError = err.message;
    });
    redis.on('ready', () => {
      metrics.redisUp.set(1);
      if (lastError !== '') logger.info('Redis connection restored');
      lastError = '';
      // Config assignments (numbers, addresses) win over what Redis holds; applied on every (re)connect.
      for (const p of parts) {
        p.ownership?.applyConfig().catch((err: unknown) => logger.error({ domain: p.config.domain, err }, 'could not apply configured assignments'));
      }
    });
    redis.connect().catch(() => undefined); // failures arrive as 'error' events and ioredis keeps retrying
  }

  async function start(): Promise<void> {
    connectRedis();
    producer = new QueueProducer(redis, config.redis.prefix, domains, order);
    for (const p of withAdapters ? parts : []) {
      await p.adapter.start({
        logger: logger.child({ domain: p.config.domain, provider: p.adapter.provider }),
        config: p.config,
        publicUrl: config.http.publicUrl,
        emitInbound: async (event) => {
          const result = await p.inbound.accept(event);
          metrics.at(metrics.inbound, p.config.domain, event.kind, result.outcome).inc();
          if (result.outcome === 'dropped') logger.warn({ domain: p.config.domain, reason: result.reason }, 'inbound event dropped');
          return result;
        },
        http: routesOf(p),
        listens: roles.http,
        redis,
        keyPrefix: `${config.redis.prefix}:adapter:${p.config.domain}`,
        isGatewayAddress: async (address) => (await p.ownership?.isGatewayAddress(address)) ?? false,
        metrics,
      });
    }
    await http.listen({ host: config.http.host, port: config.http.port });
    if (opsHttp !== undefined) await opsHttp.listen({ host: config.http.opsHost, port: config.http.opsPort ?? 0 });
    for (const p of parts) {
      if (roles.worker) {
        const worker = deliveryWorker(
          base,
          {
            adapter: p.adapter,
            messageMap,
            enqueueInbound: (jobId, job) => queues().enqueueInbound(p.config.domain, jobId, job),
            metrics,
            logger,
            backoff: { initialDelayMs: p.config.retry.initialDelayMs, maxDelayMs: p.config.retry.maxDelayMs },
            // A provider with its own retry schedule gives up when the schedule is spent, unless a maximum age is set.
            maxAgeMs:
              p.config.retry.maxAgeSeconds !== undefined
                ? 1000 * p.config.retry.maxAgeSeconds
                : p.adapter.retryDelayMs !== undefined
                  ? Number.POSITIVE_INFINITY
                  : 1000 * p.profile.defaults.maxAgeSeconds,
            shutdownSignal: shutdown.signal,
            ...(p.pacer ? { pacer: p.pacer } : {}),
          },
          p.config.concurrency,
        );
        workers.push(worker as unknown as Worker);
      }
      if (p.connection) {
        // Many stanzas in flight, their confirmations shared per tick (ComponentConnection.sendConfirmed);
        // each conversation still goes out in order (ConversationOrder).
        workers.push(toXmppWorker(base, { connection: p.connection, messageMap, corrections, order, metrics, logger, ...(p.rooms ? { rooms: p.rooms } : {}) }, INBOUND_CONCURRENCY) as unknown as Worker);
      }
    }
    standby?.start();
    logger.info({ http: httpAddress(), ops: opsAddress(), components: domains, roles: describeRoles(roles) }, 'gateway started');
  }

  /** Where a component's adapter routes go: served only by a process with the http role. */
  function routesOf(part: ComponentParts): HttpRegistrar {
    const mount = (scope: RouteRegistration['scope']) => (plugin: FastifyPluginAsync) => {
      if (!roles.http) return;
      // What the sandbox console lists: the components whose adapter is on the sandbox.
      if (scope === 'sandbox') onSandbox.push(part);
      http.registerAdapterRoutes({ domain: part.config.domain, scope, plugin });
    };
    return { webhooks: mount('webhooks'), files: mount('files'), sandbox: mount('sandbox'), admin: mount('admin') };
  }

  function httpAddress(): string | undefined {
    return addressOf(http.server.address());
  }

  function opsAddress(): string | undefined {
    return opsHttp === undefined ? undefined : addressOf(opsHttp.server.address());
  }

  function addressOf(addr: ReturnType<GatewayServer['server']['address']>): string | undefined {
    if (addr === null || typeof addr === 'string') return addr ?? undefined;
    return `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  async function stop(): Promise<void> {
    logger.info('shutting down: refusing new messages, finishing deliveries in flight');
    draining = true;
    standby?.halt();
    await http.close().catch((err: unknown) => logger.warn({ err }, 'http close failed'));
    await opsHttp?.close().catch((err: unknown) => logger.warn({ err }, 'ops http close failed'));
    const graceful = Promise.all(workers.map((w) => w.close()));
    const timedOut = await Promise.race([
      graceful.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), config.shutdown.timeoutMs).unref()),
    ]);
    if (timedOut) {
      logger.warn({ timeoutMs: config.shutdown.timeoutMs }, 'deliveries still running at the shutdown deadline; they will run again later');
      shutdown.abort();
      await Promise.all(workers.map((w) => w.close(true))).catch(() => undefined);
    }
    await Promise.all(parts.map((p) => p.connection?.stop()));
    await standby?.release();
    await Promise.all(parts.map((p) => p.adapter.stop().catch((err: unknown) => logger.warn({ err }, 'adapter stop failed'))));
    await producer?.close().catch(() => undefined);
    redis.disconnect();
    logger.info('gateway stopped');
  }

  return { http, metrics, start, stop, readiness, httpAddress, opsAddress };
}
