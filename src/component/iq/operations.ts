/**
 * XEP-0050 Ad-Hoc Commands for running the gateway, for admins (`admins` in
 * the config), on every component, about the whole gateway: statistics per
 * component, the backlog, failed deliveries listed and retried, and users
 * with their numbers and addresses. Queues are read through
 * src/queue/inspect.ts, as the /admin HTTP routes read them.
 * https://xmpp.org/extensions/xep-0050.html
 */
import { xml } from '@xmpp/component';
import type { Logger } from 'pino';
import { GatewayError } from '../../errors/registry.js';
import type { GatewayMetrics } from '../../metrics.js';
import type { FailedDelivery, QueueInspector } from '../../queue/inspect.js';
import { inboundQueueName, outboundQueueName } from '../../queue/names.js';
import type { OwnershipStore } from '../../store/ownership.js';
import { tableForm, type FormOption } from '../forms.js';
import type { Command } from './commands.js';

/** What the operations commands read: the gateway's queues, this process's metrics, and every component. */
export interface GatewayOperations {
  inspector: QueueInspector;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Every component: its domain, and where users own addresses, the store and what one is called. */
  components(): Array<{ domain: string; ownership?: { store: OwnershipStore; noun: string } }>;
}

/** How many failed deliveries the retry form offers one by one (the rest are reached with 'all'). */
export const RETRY_CHOICES = 100;

const ALL = 'all';
const LIMITS = ['10', '25', '50', '100'];

/** A counter's total over the children whose labels match. */
async function total(metric: { get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number }> }> }, match: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(match).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
}

/** An age for people: 42 s, 7 min, 3 h, 2 d. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** One failed delivery as a choice of the retry form. */
export function retryChoice(f: FailedDelivery): FormOption {
  const error = f.error.length > 80 ? `${f.error.slice(0, 79)}…` : f.error;
  return { value: f.id, label: `${f.to} on ${f.domain} from ${f.senderJid}: ${error}` };
}

export function operationsCommands(ops: GatewayOperations, now: () => number = Date.now): Command[] {
  const { inspector, metrics } = ops;
  return [
    {
      node: 'stats',
      name: 'Statistics per component',
      async run() {
        const counts = await inspector.counts();
        const rows: Array<Record<string, string>> = [];
        for (const { domain } of ops.components()) {
          const out = counts[outboundQueueName(domain)] ?? {};
          const inbound = counts[inboundQueueName(domain)] ?? {};
          const pending = (c: Record<string, number>) => String((c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) + (c.active ?? 0));
          rows.push(
            {
              domain,
              direction: 'out (XMPP -> network)',
              accepted: String(await total(metrics.outboundAccepted, { domain, result: 'queued' })),
              delivered: String(await total(metrics.deliveries, { domain, result: 'sent' })),
              failed: String(await total(metrics.deliveries, { domain, result: 'failed' })),
              pending: pending(out),
              kept: String(out.failed ?? 0),
            },
            {
              domain,
              direction: 'in (network -> XMPP)',
              accepted: String(await total(metrics.inbound, { domain, kind: 'message', outcome: 'queued' })),
              delivered: String(await total(metrics.stanzasOut, { domain, kind: 'message' })),
              failed: String(await total(metrics.inbound, { domain, outcome: 'dropped' })),
              pending: pending(inbound),
              kept: String(inbound.failed ?? 0),
            },
          );
        }
        return [
          xml('note', { type: 'info' }, 'Accepted, delivered and failed: messages this process handled since it started. Pending and failed jobs kept: the queues, every process.'),
          tableForm(
            'Statistics per component',
            [
              { var: 'domain', label: 'Component' },
              { var: 'direction', label: 'Direction' },
              { var: 'accepted', label: 'Accepted' },
              { var: 'delivered', label: 'Delivered' },
              { var: 'failed', label: 'Failed' },
              { var: 'pending', label: 'Pending' },
              { var: 'kept', label: 'Failed jobs kept' },
            ],
            rows,
          ),
        ];
      },
    },
    {
      node: 'backlog',
      name: 'Backlog per queue',
      async run() {
        const at = now();
        const rows = (await inspector.backlog()).map((b) => ({
          queue: b.queue,
          waiting: String(b.waiting + b.prioritized),
          delayed: String(b.delayed),
          active: String(b.active),
          oldest: b.oldestPendingAt === undefined ? '-' : age(at - b.oldestPendingAt),
        }));
        return tableForm(
          'Backlog per queue',
          [
            { var: 'queue', label: 'Queue' },
            { var: 'waiting', label: 'Waiting' },
            { var: 'delayed', label: 'Delayed (retry, pacing)' },
            { var: 'active', label: 'Active' },
            { var: 'oldest', label: 'Oldest pending' },
          ],
          rows,
        );
      },
    },
    {
      node: 'failed-deliveries',
      name: 'List failed deliveries',
      form: [{ var: 'max', type: 'list-single', label: 'How many (most recent first)', value: '25', options: LIMITS }],
      async run(input) {
        const max = Number(input.max ?? '25');
        if (!Number.isInteger(max) || max < 1 || max > 500) throw new GatewayError('BAD_REQUEST', 'max: a whole number from 1 to 500');
        const failed = await inspector.failedDeliveries(max);
        return tableForm(
          failed.length === 0 ? 'No failed deliveries' : `Failed deliveries (${failed.length} most recent)`,
          [
            { var: 'id', label: 'Job' },
            { var: 'domain', label: 'Component' },
            { var: 'to', label: 'Recipient' },
            { var: 'sender', label: 'Sender' },
            { var: 'error', label: 'Error' },
            { var: 'at', label: 'Failed at (UTC)' },
          ],
          failed.map((f) => ({ id: f.id, domain: f.domain, to: f.to, sender: f.senderJid, error: f.error, at: new Date(f.failedAt).toISOString() })),
        );
      },
    },
    {
      node: 'retry-deliveries',
      name: 'Retry failed deliveries',
      async form() {
        const failed = await inspector.failedDeliveries(RETRY_CHOICES);
        return [
          {
            var: 'jobs',
            type: 'list-multi',
            label: 'Deliveries to retry',
            required: true,
            options: [{ value: ALL, label: 'All failed deliveries' }, ...failed.map(retryChoice)],
          },
        ];
      },
      async run(_input, admin, lists) {
        const chosen = (lists.jobs ?? []).filter((id) => id !== '');
        if (chosen.length === 0) throw new GatewayError('BAD_REQUEST', `choose the deliveries to retry, or '${ALL}'`);
        const outcome = await inspector.retryDeliveries(chosen.includes(ALL) ? ALL : chosen);
        ops.logger.info({ admin, retried: outcome.retried.length, missing: outcome.missing }, 'failed deliveries retried by admin command');
        const missing = outcome.missing.length === 0 ? '' : ` Not failed (any more): ${outcome.missing.join(', ')}.`;
        return xml('note', { type: outcome.missing.length === 0 ? 'info' : 'warn' }, `Retried ${outcome.retried.length}: ${outcome.retried.join(', ') || 'none'}.${missing}`);
      },
    },
    {
      node: 'users',
      name: 'Users and their numbers and addresses',
      async run() {
        const rows: Array<Record<string, string>> = [];
        for (const { domain, ownership } of ops.components()) {
          if (ownership === undefined) continue;
          for (const [address, jid] of Object.entries(await ownership.store.all())) rows.push({ jid, domain, kind: ownership.noun, address });
        }
        rows.sort((a, b) => `${a.jid} ${a.domain}`.localeCompare(`${b.jid} ${b.domain}`));
        return tableForm(
          'Users and their numbers and addresses',
          [
            { var: 'jid', label: 'User' },
            { var: 'domain', label: 'Component' },
            { var: 'kind', label: 'Kind' },
            { var: 'address', label: 'Number or address' },
          ],
          rows,
        );
      },
    },
  ];
}
