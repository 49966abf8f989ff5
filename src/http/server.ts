/**
 * buildServer(deps): the Fastify instance with every route, not listening
 * (tests use inject()). One error handler turns GatewayErrors into HTTP
 * statuses from the error registry.
 */
import { createServer } from 'node:http';
import Fastify, {
  LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError } from '../errors/registry.js';
import { bounded, pathOf } from '../log-bounds.js';
import type { GatewayMetrics } from '../metrics.js';
import { adminGuard } from './auth.js';
import { drainUnreadBodies } from './early-answer.js';
import { adminRoutes, type AdminDeps } from './plugins/admin.js';
import { consoleRoutes, type ConsoleDeps } from './plugins/console.js';
import { livenessRoute, opsRoutes, type ReadinessCheck } from './plugins/health.js';

export interface RouteRegistration {
  domain: string;
  /** webhooks and files are public (a signature or an unguessable URL guards them); sandbox and admin need the admin token. */
  scope: 'webhooks' | 'files' | 'sandbox' | 'admin';
  plugin: FastifyPluginAsync;
}

export interface ServerDeps {
  logger: Logger;
  metrics: GatewayMetrics;
  adminToken: string | undefined;
  bodyLimitBytes: number;
  /** A request must be complete within this long (slow clients are cut off). Default 15 s. */
  requestTimeoutMs?: number;
  readiness: ReadinessCheck;
  /** The /admin queue routes; absent in a process without the http role. */
  admin?: AdminDeps;
  /** The sandbox console (GET /sandbox/console): which components are on the sandbox. Absent: no console. */
  sandboxConsole?: ConsoleDeps;
  /**
   * Where /readyz and /metrics live: `main` (default), on this server behind
   * the admin token; `separate`, not here (buildOpsServer serves them).
   */
  ops?: 'main' | 'separate';
}

export type GatewayServer = FastifyInstance & { registerAdapterRoutes(r: RouteRegistration): void };

export function buildServer(deps: ServerDeps): GatewayServer {
  const requestTimeoutMs = deps.requestTimeoutMs ?? 15_000;
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request lines are debug-level from our onResponse hook; Fastify's own would be noise at info.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimitBytes,
    // Slow-client limits (Fastify and Node default to none or minutes); providers post a few KB at once.
    serverFactory: (handler) => {
      const server = createServer(
        {
          requestTimeout: requestTimeoutMs,
          headersTimeout: Math.min(10_000, requestTimeoutMs),
          // Node checks request timeouts on this period (default 30 s), so it bounds how late a slow client is cut off.
          connectionsCheckingInterval: 1000,
          keepAliveTimeout: 10_000,
        },
        handler,
      );
      server.maxRequestsPerSocket = 1000;
      server.setTimeout(30_000); // idle sockets
      return server;
    },
    return503OnClosing: true,
  });

  app.setErrorHandler((error: FastifyError | GatewayError, req, reply) => {
    if (error instanceof GatewayError) {
      const status = error.spec.httpStatus;
      (status >= 500 ? req.log.warn : req.log.info).call(req.log, { code: error.code, path: pathOf(req.url), err: bounded(error.message) }, 'request refused');
      if (error.code === 'QUEUE_UNAVAILABLE' || error.code === 'SERVICE_UNAVAILABLE') reply.header('retry-after', '5');
      return reply.code(status).send({ error: error.code, message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) req.log.error({ err: error, path: pathOf(req.url) }, 'request failed');
    return reply.code(status).send({ error: error.code ?? 'INTERNAL', message: status >= 500 ? 'internal error' : error.message });
  });

  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` }));

  // A 413 (or any answer) sent before the body was read: the client still sending must read it, not a reset.
  drainUnreadBodies(app);

  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, path: pathOf(req.url), status: reply.statusCode, ms: reply.elapsedTime }, 'http');
  });

  app.register(livenessRoute);

  const requireAdmin = adminGuard(deps.adminToken);
  if ((deps.ops ?? 'main') === 'main') {
    app.register(async (ops) => {
      ops.addHook('onRequest', requireAdmin);
      await ops.register(opsRoutes({ metrics: deps.metrics, readiness: deps.readiness }));
    });
  }
  const adminDeps = deps.admin;
  if (adminDeps !== undefined) {
    app.register(async (admin) => {
      admin.addHook('onRequest', requireAdmin);
      await admin.register(adminRoutes(adminDeps));
      // The queue dashboard: its pages at /admin/ and /admin/queue/<name>, its JSON under /admin/api/.
      // bull-board loads only in processes that serve it (src/lazy-package.ts says why).
      const { dashboardRoutes } = await import('./plugins/dashboard.js');
      await admin.register(dashboardRoutes({ queues: () => adminDeps.inspector.all(), basePath: '/admin' }));
    }, { prefix: '/admin' });
  }
  if (deps.sandboxConsole !== undefined) app.register(consoleRoutes(deps.sandboxConsole, requireAdmin));

  return Object.assign(app, {
    registerAdapterRoutes(r: RouteRegistration) {
      const prefix = r.scope === 'admin' ? `/admin/components/${r.domain}` : `/${r.scope}/${r.domain}`;
      app.register(
        async (scoped) => {
          if (r.scope === 'sandbox' || r.scope === 'admin') scoped.addHook('onRequest', requireAdmin);
          await scoped.register(r.plugin);
        },
        { prefix },
      );
    },
  });
}

/**
 * The ops listener (http.opsPort): /healthz, /readyz and /metrics without a
 * token, for a Prometheus scraper or a load balancer on a private address.
 */
export function buildOpsServer(deps: Pick<ServerDeps, 'logger' | 'metrics' | 'readiness'>): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http-ops' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    connectionTimeout: 10_000,
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` }));
  app.register(livenessRoute);
  app.register(opsRoutes({ metrics: deps.metrics, readiness: deps.readiness }));
  return app;
}
