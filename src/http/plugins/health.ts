/** GET /healthz (alive), GET /readyz (Redis, XMPP, adapters), GET /metrics (Prometheus text). */
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayMetrics } from '../../metrics.js';

export interface ReadinessReport {
  ok: boolean;
  /** name -> 'ok' or why it is not. */
  checks: Record<string, string>;
}

export type ReadinessCheck = () => Promise<ReadinessReport>;

export function healthRoutes(deps: { metrics: GatewayMetrics; readiness: ReadinessCheck }): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', async () => ({ ok: true }));

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
