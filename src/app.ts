/**
 * buildGateway(deps) -> { start, stop }: wires config, Redis, adapters,
 * component connections, workers and HTTP. No I/O happens at import or build
 * time; `start()` connects, `stop()` drains and closes.
 */
import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { GatewayError } from './errors/registry.js';
import type { Logger } from 'pino';
import { createAdapter } from '../adapters/registry.js';
import type { Adapter, HttpRegistrar } from '../adapters/types.js';
import { addressCodec } from './addressing/index.js';
import { InboundBridge } from './bridge/inbound.js';
import { OutboundBridge } from './bridge/outbound.js';
import { ComponentConnection } from './component/connection.js';
import { registerRoutes } from './component/router.js';
import { DEFAULT_MAX_AGE_SECONDS, type ComponentConfig, type GatewayConfig } from './config/schema.js';
import { buildServer, type GatewayServer } from './http/server.js';
import type { ReadinessReport } from './http/plugins/health.js';
import { GatewayMetrics } from './metrics.js';
import { QueueProducer } from './queue/producer.js';
import { producerConnection } from './queue/redis.js';
import { inboundWorker, outboundWorker } from './queue/workers.js';
import { MessageMap } from './store/message-map.js';
import { SOFTWARE } from './version.js';

/** Which parts this process runs. Several processes can share the work: one holds the XMPP connections, any number deliver. */
export interface Roles {
  /** XMPP connections, stanza handling, and the inbound workers that need them. */
  component: boolean;
  /** Outbound delivery workers. */
  worker: boolean;
}

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
}

interface Storage {
  redis: Redis;
  producer: QueueProducer;
  messageMap: MessageMap;
}

interface ComponentParts {
  config: ComponentConfig;
  adapter: Adapter;
  inbound: InboundBridge;
  outbound: OutboundBridge;
  connection: ComponentConnection | undefined;
}

export function buildGateway(deps: GatewayDeps): Gateway {
  const { config, logger } = deps;
  const roles = deps.roles ?? { component: true, worker: true };
  const domains = config.components.map((c) => c.domain);
  // Redis connections are opened by start(), not here: building does no I/O.
  let storage: Storage | undefined;
  const store = (): Storage => {
    if (storage === undefined) throw new GatewayError('SERVICE_UNAVAILABLE', 'the gateway is not started');
    return storage;
  };
  const metrics = new GatewayMetrics({
    jobCounts: async () =>
      Promise.all(
        [...allQueues().entries()].map(async ([queue, q]) => ({
          queue,
          counts: await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'paused', 'prioritized'),
        })),
      ),
  });
  const shutdown = new AbortController();
  let draining = false;

  const parts: ComponentParts[] = config.components.map((c) => {
    const codec = addressCodec(c.network, c.defaultRegion === undefined ? {} : { defaultRegion: c.defaultRegion });
    const adapter = createAdapter(c);
    const inbound = new InboundBridge(c, codec, (jobId, job) => store().producer.enqueueInbound(c.domain, jobId, job));
    const outbound = new OutboundBridge(c, codec, (m) => store().producer.enqueueOutbound(m));
    let connection: ComponentConnection | undefined;
    if (roles.component) {
      const index = config.components.indexOf(c);
      connection = new ComponentConnection({
        host: config.xmpp.host,
        port: config.xmpp.port,
        domain: c.domain,
        secret: c.secret,
        secretPath: `components[${index}].secret`,
        keepaliveSeconds: config.xmpp.keepaliveSeconds,
        backoff: { initialDelayMs: config.xmpp.reconnectInitialMs, maxDelayMs: config.xmpp.reconnectMaxMs },
        logger,
      });
      const conn = connection;
      conn.on('online', () => metrics.xmppConnected.set({ domain: c.domain }, 1));
      conn.on('offline', () => metrics.xmppConnected.set({ domain: c.domain }, 0));
      metrics.xmppConnected.set({ domain: c.domain }, 0);
      registerRoutes({
        domain: c.domain,
        network: c.network,
        codec,
        connection: conn,
        outbound,
        metrics,
        logger,
        software: SOFTWARE,
        isDraining: () => draining,
      });
    }
    return { config: c, adapter, inbound, outbound, connection };
  });

  function allQueues(): Map<string, Queue> {
    const m = new Map<string, Queue>();
    if (storage === undefined) return m;
    const { producer } = storage;
    for (const d of domains) {
      const out = producer.outboundQueue(d) as unknown as Queue;
      const inb = producer.inboundQueue(d) as unknown as Queue;
      m.set(out.name, out);
      m.set(inb.name, inb);
    }
    return m;
  }

  async function readiness(): Promise<ReadinessReport> {
    const checks: Record<string, string> = {};
    const status = storage?.redis.status ?? 'not started';
    checks.redis = status === 'ready' ? 'ok' : `not connected (${status})`;
    for (const p of parts) {
      if (p.connection) checks[`xmpp:${p.config.domain}`] = p.connection.isOnline() ? 'ok' : 'not connected';
      const h = await p.adapter.health().catch((err: unknown) => ({ ok: false, detail: String(err) }));
      checks[`adapter:${p.config.domain}`] = h.ok ? 'ok' : (h.detail ?? 'unhealthy');
    }
    return { ok: Object.values(checks).every((v) => v === 'ok'), checks };
  }

  const http = buildServer({
    logger,
    metrics,
    adminToken: config.http.adminToken,
    bodyLimitBytes: config.http.bodyLimitBytes,
    readiness,
    admin: { queues: allQueues },
  });

  const workers: Worker[] = [];
  const base = { redisUrl: config.redis.url, prefix: config.redis.prefix, logger };

  async function start(): Promise<void> {
    const redis = producerConnection(config.redis.url);
    let lastRedisError = '';
    redis.on('error', (err: Error) => {
      if (err.message !== lastRedisError) logger.error({ err: err.message }, 'Redis connection error; retrying');
      lastRedisError = err.message;
    });
    redis.on('ready', () => {
      if (lastRedisError !== '') logger.info('Redis connection restored');
      lastRedisError = '';
    });
    storage = {
      redis,
      producer: new QueueProducer(redis, config.redis.prefix, domains),
      messageMap: new MessageMap(redis, config.redis.prefix),
    };
    const { producer, messageMap } = storage;
    for (const p of parts) {
      const registrar: HttpRegistrar = {
        webhooks: (plugin) => http.registerAdapterRoutes({ domain: p.config.domain, scope: 'webhooks', plugin }),
        sandbox: (plugin) => http.registerAdapterRoutes({ domain: p.config.domain, scope: 'sandbox', plugin }),
      };
      await p.adapter.start({
        logger: logger.child({ domain: p.config.domain, provider: p.adapter.provider }),
        config: p.config,
        publicUrl: config.http.publicUrl,
        emitInbound: async (event) => {
          const result = await p.inbound.accept(event);
          metrics.inbound.inc({ domain: p.config.domain, kind: event.kind, outcome: result.outcome });
          if (result.outcome === 'dropped') logger.warn({ domain: p.config.domain, reason: result.reason }, 'inbound event dropped');
          return result;
        },
        http: registrar,
        redis,
        keyPrefix: `${config.redis.prefix}:adapter:${p.config.domain}`,
      });
    }
    await http.listen({ host: config.http.host, port: config.http.port });
    for (const p of parts) {
      if (roles.worker) {
        workers.push(
          outboundWorker(
            base,
            {
              adapter: p.adapter,
              messageMap,
              enqueueInbound: (jobId, job) => producer.enqueueInbound(p.config.domain, jobId, job),
              metrics,
              logger,
              backoff: { initialDelayMs: p.config.retry.initialDelayMs, maxDelayMs: p.config.retry.maxDelayMs },
              maxAgeMs: 1000 * (p.config.retry.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS[p.config.network]),
              shutdownSignal: shutdown.signal,
            },
            p.config.concurrency,
          ) as unknown as Worker,
        );
      }
      if (p.connection) {
        workers.push(inboundWorker(base, { connection: p.connection, messageMap, metrics, logger }, 20) as unknown as Worker);
        p.connection.start();
      }
    }
    logger.info({ http: httpAddress(), components: domains, roles }, 'gateway started');
  }

  function httpAddress(): string | undefined {
    const addr = http.server.address();
    if (addr === null || typeof addr === 'string') return addr ?? undefined;
    return `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  async function stop(): Promise<void> {
    logger.info('shutting down: refusing new messages, finishing deliveries in flight');
    draining = true;
    await http.close().catch((err: unknown) => logger.warn({ err }, 'http close failed'));
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
    await Promise.all(parts.map((p) => p.adapter.stop().catch((err: unknown) => logger.warn({ err }, 'adapter stop failed'))));
    if (storage) {
      await storage.producer.close().catch(() => undefined);
      storage.redis.disconnect();
    }
    logger.info('gateway stopped');
  }

  return { http, metrics, start, stop, readiness, httpAddress };
}
