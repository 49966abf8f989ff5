/**
 * Queue inspection for operators, in one place: job counts, the backlog and
 * its oldest job, failed deliveries, and retrying them. The admin HTTP routes
 * (src/http/plugins/admin.ts), the metrics' scrape-time gauges and the
 * XEP-0050 admin commands (src/component/iq/operations.ts) all read the
 * queues through here.
 */
import type { Job, Queue } from 'bullmq';
import { GatewayError } from '../errors/registry.js';
import { readOutbound, type OutboundJobData } from './stored-job.js';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'paused', 'prioritized'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** One queue's work still to do. */
export interface Backlog {
  queue: string;
  waiting: number;
  delayed: number;
  active: number;
  prioritized: number;
  /** When the oldest job still to be done was first added (ms since epoch); undefined when there is none. */
  oldestPendingAt: number | undefined;
}

/** An outbound message the gateway gave up on, as BullMQ keeps it in its failed set. */
export interface FailedDelivery {
  id: string;
  /** The component domain. */
  domain: string;
  /** The foreign address it was for. */
  to: string;
  /** The XMPP user who sent it. */
  senderJid: string;
  /** Why, in the operator's words (the provider's own error where there was one). */
  error: string;
  /** When it failed for good (ms since epoch). */
  failedAt: number;
}

export interface RetryOutcome {
  retried: string[];
  /** Ids asked for that are not (or no longer) failed jobs. */
  missing: string[];
}

const OUTBOUND = 'out/';

export class QueueInspector {
  /** `queues`: every queue of the gateway by name (out/<domain>, in/<domain>); empty before start. */
  constructor(private readonly queues: () => Map<string, Queue>) {}

  /** Every queue by name, for the dashboard. */
  all(): Map<string, Queue> {
    return this.queues();
  }

  names(): string[] {
    return [...this.queues().keys()];
  }

  /** The queue called `name`; NOT_FOUND naming the known ones otherwise. */
  queue(name: string): Queue {
    const q = this.queues().get(name);
    if (!q) throw new GatewayError('NOT_FOUND', `no queue ${name} (known: ${this.names().join(', ')})`);
    return q;
  }

  /** Job counts by queue and state. */
  async counts(): Promise<Record<string, Record<string, number>>> {
    const entries = await Promise.all([...this.queues()].map(async ([name, q]) => [name, await q.getJobCounts(...JOB_STATES)] as const));
    return Object.fromEntries(entries);
  }

  /** When each queue's oldest job still to be done (waiting, delayed for a retry, prioritized) was added. */
  async oldestPending(): Promise<Array<{ queue: string; addedAt: number | undefined }>> {
    return Promise.all(
      [...this.queues()].map(async ([queue, q]) => {
        // The head of each pending list, oldest first; a retried job keeps the time it was first added.
        const heads = await q.getJobs(['wait', 'delayed', 'prioritized'], 0, 0, true);
        const times = heads.map((j) => j.timestamp).filter((t) => Number.isFinite(t));
        return { queue, addedAt: times.length === 0 ? undefined : Math.min(...times) };
      }),
    );
  }

  async backlog(): Promise<Backlog[]> {
    const [counts, oldest] = await Promise.all([this.counts(), this.oldestPending()]);
    return oldest.map(({ queue, addedAt }) => {
      const c = counts[queue] ?? {};
      return { queue, waiting: c.waiting ?? 0, delayed: c.delayed ?? 0, active: c.active ?? 0, prioritized: c.prioritized ?? 0, oldestPendingAt: addedAt };
    });
  }

  /** Up to `limit` jobs of one queue in one state, oldest first. */
  async jobs(name: string, state: JobState, limit: number): Promise<Job[]> {
    return this.queue(name).getJobs([state], 0, limit - 1, true);
  }

  /** The `limit` most recent failed deliveries of every component, newest first. */
  async failedDeliveries(limit: number): Promise<FailedDelivery[]> {
    const perQueue = await Promise.all(
      this.outboundQueues().map(async ([name, q]) => {
        const domain = name.slice(OUTBOUND.length);
        const jobs = (await q.getJobs(['failed'], 0, limit - 1, false)) as Array<Job<OutboundJobData>>;
        return jobs.map((job): FailedDelivery => {
          const m = readOutbound(job.data, job, domain);
          return { id: String(job.id), domain, to: m.to, senderJid: m.senderJid, error: job.failedReason ?? '', failedAt: job.finishedOn ?? job.timestamp };
        });
      }),
    );
    return perQueue.flat().sort((a, b) => b.failedAt - a.failedAt).slice(0, limit);
  }

  /**
   * Puts failed jobs of one queue back to be run again: the ids given, or all
   * of them. The attempt count starts over, so a retried delivery gets its
   * provider's whole retry schedule again.
   */
  async retry(name: string, ids: readonly string[] | 'all'): Promise<RetryOutcome> {
    return retryIn([this.queue(name)], ids);
  }

  /** Failed deliveries back to their outbound queues, by id whatever the component, or all of them. */
  async retryDeliveries(ids: readonly string[] | 'all'): Promise<RetryOutcome> {
    return retryIn(this.outboundQueues().map(([, q]) => q), ids);
  }

  private outboundQueues(): Array<[string, Queue]> {
    return [...this.queues()].filter(([name]) => name.startsWith(OUTBOUND));
  }
}

async function retryIn(queues: Queue[], ids: readonly string[] | 'all'): Promise<RetryOutcome> {
  const retried: string[] = [];
  const wanted = ids === 'all' ? undefined : new Set(ids);
  for (const q of queues) {
    const jobs = wanted === undefined ? await q.getJobs(['failed'], 0, -1) : await Promise.all([...wanted].map(async (id) => q.getJob(id)));
    for (const job of jobs) {
      if (job === undefined || job.id === undefined || !(await job.isFailed())) continue;
      try {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      } catch {
        continue; // retried or removed meanwhile (by another admin, the dashboard): not failed any more
      }
      retried.push(job.id);
      wanted?.delete(job.id);
    }
  }
  return { retried, missing: wanted === undefined ? [] : [...wanted] };
}
