/**
 * /admin (behind the bearer token): queue counts, job inspection, retry of
 * failed jobs. JSON only; dashboards read it.
 */
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import { GatewayError } from '../../errors/registry.js';
import { readOutbound, type OutboundJobData } from '../../queue/stored-job.js';

export interface AdminDeps {
  /** Every queue this gateway uses, by name (out/<domain>, in/<domain>). */
  queues(): Map<string, Queue>;
}

/** `/queues/:direction/:domain/...` names the queue `<direction>/<domain>`. */
const queueParams = {
  type: 'object',
  required: ['direction', 'domain'],
  properties: { direction: { enum: ['in', 'out'] }, domain: { type: 'string' } },
} as const;

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'paused', 'prioritized'] as const;
type State = (typeof STATES)[number];

export function adminRoutes(deps: AdminDeps): FastifyPluginAsync {
  const queue = (name: string): Queue => {
    const q = deps.queues().get(name);
    if (!q) throw new GatewayError('NOT_FOUND', `no queue ${name} (known: ${[...deps.queues().keys()].join(', ')})`);
    return q;
  };

  return async (app) => {
    app.get('/queues', async () => {
      const out: Record<string, Record<string, number>> = {};
      for (const [name, q] of deps.queues()) out[name] = await q.getJobCounts(...STATES);
      return out;
    });

    app.get<{ Params: { domain: string; direction: string }; Querystring: { state: State; limit: number } }>(
      '/queues/:direction/:domain/jobs',
      {
        schema: {
          params: queueParams,
          querystring: {
            type: 'object',
            properties: { state: { enum: STATES, default: 'failed' }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
          },
        },
      },
      async (req) => {
        const q = queue(`${req.params.direction}/${req.params.domain}`);
        const jobs = await q.getJobs([req.query.state], 0, req.query.limit - 1, true);
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
        const q = queue(`${req.params.direction}/${req.params.domain}`);
        const failed = await q.getJobs(['failed'], 0, -1);
        await Promise.all(failed.map((j) => j.retry('failed')));
        return { retried: failed.length };
      },
    );
  };
}
