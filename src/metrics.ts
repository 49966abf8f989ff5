/**
 * Prometheus metrics, on a registry of the gateway's own (not prom-client's
 * global one) so several gateways can live in one process, as tests do.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface JobCountSource {
  /** Job counts by queue name and state, read at scrape time. */
  jobCounts(): Promise<Array<{ queue: string; counts: Record<string, number> }>>;
}

export class GatewayMetrics {
  readonly registry = new Registry();

  readonly stanzasIn = new Counter({
    name: 'xgw_stanzas_in_total',
    help: 'Stanzas received from the XMPP server, by component domain and stanza name.',
    labelNames: ['domain', 'stanza'] as const,
    registers: [this.registry],
  });

  readonly stanzasOut = new Counter({
    name: 'xgw_stanzas_out_total',
    help: 'Stanzas sent to the XMPP server, by component domain and kind (message, receipt, error, iq, presence).',
    labelNames: ['domain', 'kind'] as const,
    registers: [this.registry],
  });

  readonly outboundAccepted = new Counter({
    name: 'xgw_outbound_accepted_total',
    help: 'Outbound messages stored in Redis, by domain and result (queued, duplicate).',
    labelNames: ['domain', 'result'] as const,
    registers: [this.registry],
  });

  readonly outboundRejected = new Counter({
    name: 'xgw_outbound_rejected_total',
    help: 'Outbound messages refused before queueing, by domain and error code.',
    labelNames: ['domain', 'code'] as const,
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'xgw_deliveries_total',
    help: 'Delivery attempts by domain and result (sent, retry, rate_limited, failed).',
    labelNames: ['domain', 'result'] as const,
    registers: [this.registry],
  });

  readonly deliveryLatency = new Histogram({
    name: 'xgw_delivery_latency_seconds',
    help: 'Time from accepting a stanza to the provider taking the message.',
    labelNames: ['domain'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [this.registry],
  });

  readonly smsSegments = new Counter({
    name: 'xgw_sms_segments_total',
    help: 'SMS segments accepted for sending, by domain and encoding (gsm7, ucs2).',
    labelNames: ['domain', 'encoding'] as const,
    registers: [this.registry],
  });

  readonly inbound = new Counter({
    name: 'xgw_inbound_events_total',
    help: 'Events from the foreign network, by domain, kind and outcome (queued, duplicate, dropped).',
    labelNames: ['domain', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly xmppConnected = new Gauge({
    name: 'xgw_xmpp_connected',
    help: '1 while the component connection for the domain is online.',
    labelNames: ['domain'] as const,
    registers: [this.registry],
  });

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
  }
}
