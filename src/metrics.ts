/**
 * Prometheus metrics, on a registry of the gateway's own (not prom-client's
 * global one) so several gateways can live in one process, as tests do.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface JobCountSource {
  /** Job counts by queue name and state, read at scrape time. */
  jobCounts(): Promise<Array<{ queue: string; counts: Record<string, number> }>>;
  /** When the oldest job still to be done (waiting, delayed for a retry, prioritized) was added, by queue; ms since epoch, undefined when none. */
  oldestPending?(): Promise<Array<{ queue: string; addedAt: number | undefined }>>;
}

/** A metric whose children (one per label values) can be asked for. */
interface Labelled<C> {
  labels(...values: string[]): C;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  /** Label children by metric and label values: see `at`. */
  private readonly children = new WeakMap<object, Map<string, unknown>>();

  /**
   * The child of `metric` for these label values (in the order of its
   * labelNames), made once and kept. `inc({ domain, result })` hashes a label
   * object on every call; the hot paths (every stanza, every delivery) ask
   * here instead.
   */
  at<C>(metric: Labelled<C>, ...values: string[]): C {
    let byValues = this.children.get(metric) as Map<string, C> | undefined;
    if (byValues === undefined) {
      byValues = new Map();
      this.children.set(metric, byValues);
    }
    const key = values.join('\u0000');
    let child = byValues.get(key);
    if (child === undefined) {
      child = metric.labels(...values);
      byValues.set(key, child);
    }
    return child;
  }

  readonly stanzasIn = this.counter('xgw_stanzas_in_total', 'Stanzas received from the XMPP server, by component domain and stanza name.', ['domain', 'stanza']);

  readonly stanzasOut = this.counter('xgw_stanzas_out_total', 'Stanzas sent to the XMPP server, by component domain and kind (message, receipt, error, iq, presence).', ['domain', 'kind']);

  readonly outboundAccepted = this.counter('xgw_outbound_accepted_total', 'Outbound messages stored in Redis, by domain and result (queued, duplicate).', ['domain', 'result']);

  readonly outboundRejected = this.counter('xgw_outbound_rejected_total', 'Outbound messages refused before queueing, by domain and error code.', ['domain', 'code']);

  readonly deliveries = this.counter('xgw_deliveries_total', 'Delivery attempts by domain and result (sent, retry, rate_limited, failed).', ['domain', 'result']);

  readonly deliveryLatency = new Histogram({
    name: 'xgw_delivery_latency_seconds',
    help: 'Time from accepting a stanza to the provider taking the message.',
    labelNames: ['domain'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [this.registry],
  });

  readonly smsSegments = this.counter('xgw_sms_segments_total', 'SMS segments accepted for sending, by domain and encoding (gsm7, ucs2).', ['domain', 'encoding']);

  readonly inbound = this.counter('xgw_inbound_events_total', 'Events from the foreign network, by domain, kind and outcome (queued, duplicate, dropped).', ['domain', 'kind', 'outcome']);

  readonly webhookRequests = this.counter('xgw_webhook_requests_total', 'Requests to inbound webhook hooks, by domain, hook and outcome (queued, duplicate, unknown_hook, unauthorized, stale, unsupported_type, too_large, invalid, unavailable).', ['domain', 'hook', 'outcome']);

  readonly mailAuth = this.counter('xgw_mail_auth_total', 'Sender authentication of mail taken by the SMTP listener, by component domain, check (spf, dkim, dmarc) and result (pass, fail, none, softfail, neutral, temperror, permerror).', ['domain', 'check', 'result']);

  readonly roomJoins = this.counter('xgw_room_joins_total', 'Group chat room (XEP-0045) join results, by domain, room and outcome (joined, refused, left: kicked or the room went away).', ['domain', 'room', 'outcome']);

  readonly xmppConnected = new Gauge({ name: 'xgw_xmpp_connected', help: '1 while the component connection for the domain is online.', labelNames: ['domain'] as const, registers: [this.registry] });

  readonly componentActive = new Gauge({ name: 'xgw_component_active', help: '1 while this process holds the XMPP component connections (the lease, or xmpp.standby.mode none), 0 while it stands by.', registers: [this.registry] });

  readonly redisUp = new Gauge({ name: 'xgw_redis_up', help: "1 while this process's Redis connection is ready, 0 while it is down.", registers: [this.registry] });

  /** A counter on this registry. */
  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  constructor(jobs?: JobCountSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'xgw_' });
    if (jobs) {
      new Gauge({
        name: 'xgw_jobs',
        help: 'Jobs in Redis by queue and state (read at scrape time).',
        labelNames: ['queue', 'state'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          try {
            for (const { queue, counts } of await jobs.jobCounts()) {
              for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
            }
          } catch {
            // Redis down: no job figures this scrape; xgw readiness says why.
          }
        },
      });
    }
    const oldest = jobs?.oldestPending?.bind(jobs);
    if (oldest) {
      new Gauge({
        name: 'xgw_queue_oldest_pending_seconds',
        help: 'Age of the oldest job still to be done (waiting, or delayed for a retry), by queue; 0 when the queue is empty (read at scrape time).',
        labelNames: ['queue'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          try {
            const heads = await oldest();
            const now = Date.now();
            for (const { queue, addedAt } of heads) this.set({ queue }, addedAt === undefined ? 0 : Math.max(0, (now - addedAt) / 1000));
          } catch {
            // Redis down: no figure this scrape (xgw_redis_up says so).
          }
        },
      });
    }
  }
}
