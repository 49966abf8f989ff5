/**
 * GET /healthz (alive: open to anyone), and the ops routes GET /readyz (Redis,
 * XMPP, adapters) and GET /metrics (Prometheus text), which name component
 * domains and provider errors: the server puts them behind the admin token,
 * or on a separate listener (http.opsPort).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayMetrics } from '../../metrics.js';

export interface ReadinessReport {
  ok: boolean;
  /** name -> 'ok' or why it is not. */
  checks: Record<string, string>;
  /** Processes with the component role: `active` holds the XMPP connections, `standby` waits for the lease (xmpp.standby). */
  status?: 'active' | 'standby';
}

export type ReadinessCheck = () => Promise<ReadinessReport>;

/** GET /healthz: the process is alive. */
export const livenessRoute: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ ok: true }));
};

/** GET /readyz and GET /metrics. */
export function opsRoutes(deps: { metrics: GatewayMetrics; readiness: ReadinessCheck }): FastifyPluginAsync {
  return async (app) => {
    app.get('/readyz', async (_req, reply) => {
      const report = await deps.readiness();
      const down = Object.entries(report.checks)
        .filter(([, v]) => v !== 'ok')
        .map(([k, v]) => `${k}: ${v}`);
      return reply.code(report.ok ? 200 : 503).send({ ...report, ...(down.length ? { down } : {}) });
    });

    app.get('/metrics', async (_req, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    });
  };
}
