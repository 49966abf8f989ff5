/**
 * /admin (behind the bearer token): queue counts, job inspection, retry of
 * failed jobs. JSON only; dashboards read it.
 */
import type { FastifyPluginAsync } from 'fastify';
import { JOB_STATES, type JobState, type QueueInspector } from '../../queue/inspect.js';
import { readOutbound, type OutboundJobData } from '../../queue/stored-job.js';

export interface AdminDeps {
  /** Every queue this gateway uses (out/<domain>, in/<domain>), read through one inspector. */
  inspector: QueueInspector;
}

/** `/queues/:direction/:domain/...` names the queue `<direction>/<domain>`. */
const queueParams = {
  type: 'object',
  required: ['direction', 'domain'],
  properties: { direction: { enum: ['in', 'out'] }, domain: { type: 'string' } },
} as const;

export function adminRoutes(deps: AdminDeps): FastifyPluginAsync {
  const { inspector } = deps;
  return async (app) => {
    app.get('/queues', async () => inspector.counts());

    app.get<{ Params: { domain: string; direction: string }; Querystring: { state: JobState; limit: number } }>(
      '/queues/:direction/:domain/jobs',
      {
        schema: {
          params: queueParams,
          querystring: {
            type: 'object',
            properties: { state: { enum: JOB_STATES, default: 'failed' }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
          },
        },
      },
      async (req) => {
        const jobs = await inspector.jobs(`${req.params.direction}/${req.params.domain}`, req.query.state, req.query.limit);
        return jobs.map((j) => ({
          id: j.id,
          state: req.query.state,
          attemptsMade: j.attemptsMade,
          failedReason: j.failedReason,
          timestamp: j.timestamp,
          // An outbound job is shown as the message it holds, not in its slim stored form.
          data: req.params.direction === 'out' ? readOutbound(j.data as OutboundJobData, j, req.params.domain) : (j.data as unknown),
        }));
      },
    );

    app.post<{ Params: { domain: string; direction: string } }>(
      '/queues/:direction/:domain/retry',
      {
        schema: {
          params: queueParams,
        },
      },
      async (req) => {
        const { retried } = await inspector.retry(`${req.params.direction}/${req.params.domain}`, 'all');
        return { retried: retried.length };
      },
    );
  };
}
