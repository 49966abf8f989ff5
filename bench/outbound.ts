/**
 * Phase 1, outbound: XMPP clients -> Prosody -> gateway -> Redis -> worker ->
 * Twilio double, against the same clients -> Prosody -> a no-op component.
 */
import type { BenchGateway } from './lib/gateway.js';
import { closedLoop, openLoop, type LoadResult } from './lib/message-loads.js';
import type { CpuMeter } from './lib/procstat.js';
import { NOOP_DOMAIN, NOOP_SECRET, smsContact, type Stack } from './lib/stack.js';
import { fmtLatency, round, waitUntil } from './lib/stats.js';
import { startNoopComponent } from './lib/xmpp.js';
import type { BenchOptions } from './options.js';

export type OpenLoopResult = LoadResult & { offeredRate: number; achievedSendRate: number };

export interface OutboundResult {
  clients: number;
  messagesPerClient: number;
  windowPerClient: number;
  baseline: LoadResult;
  gateway: LoadResult;
  /** gateway throughput / baseline throughput */
  ratio: number;
  fixedRate: { baseline: OpenLoopResult; gateway: OpenLoopResult };
  /** Cores used per process while each load ran. */
  cpu: Record<string, Record<string, number>>;
  /**
   * CPU milliseconds per delivered message, per process, in the closed-loop
   * gateway run. On a shared machine the throughput follows the neighbours'
   * load; the CPU each message costs does much less, so A/B comparisons of a
   * change read this first.
   */
  cpuMsPerMessage: Record<string, number>;
}

/** Cores used during a load -> CPU ms per message at its throughput. */
export function cpuPerMessage(cores: Record<string, number> | undefined, throughput: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, c] of Object.entries(cores ?? {})) out[name] = round((c * 1000) / Math.max(throughput, 1), 3);
  return out;
}

const noopContact = (c: number, k: number) => `+1555123${String((c * 7 + k) % 100).padStart(4, '0')}@${NOOP_DOMAIN}`;

function line(label: string, r: LoadResult): string {
  return `  ${label.padEnd(22)} ${String(r.throughput).padStart(6)} msg/s  ${fmtLatency(r.latency)}${r.timedOut ? `  TIMED OUT (${r.received}/${r.sent})` : ''}`;
}

export async function runOutbound(stack: Stack, gateway: BenchGateway, opts: BenchOptions, meter: CpuMeter): Promise<OutboundResult> {
  const { clients, sink } = stack;
  const cpu: Record<string, Record<string, number>> = {};
  const timeoutMs = opts.phaseTimeoutSeconds * 1000;
  const closed = (tag: string, contact: (c: number, k: number) => string, perClient: number) =>
    closedLoop({ tag, clients, sink, target: { contact }, perClient, window: opts.window, timeoutMs });
  const open = (tag: string, contact: (c: number, k: number) => string) =>
    openLoop({ tag, clients, sink, target: { contact }, rate: opts.rate, seconds: opts.rateSeconds, drainMs: 15_000 });

  console.log(`\n== outbound: ${clients.length} clients x ${opts.messages} messages, ${opts.window} in flight per client`);
  const noop = await startNoopComponent({
    port: stack.prosody.componentPort,
    domain: NOOP_DOMAIN,
    secret: NOOP_SECRET,
    onMessage: (body) => sink.arrived(body),
  });
  let baseline: LoadResult;
  let baselineFixed: OpenLoopResult;
  try {
    await closed('warmb', noopContact, Math.min(50, opts.messages));
    meter.begin();
    baseline = await closed('outb', noopContact, opts.messages);
    cpu.baseline = meter.end();
    console.log(line('no-op component', baseline));
    meter.begin();
    baselineFixed = await open('rateb', noopContact);
    cpu.baselineFixedRate = meter.end();
    console.log(line(`no-op @ ${opts.rate}/s`, baselineFixed));
  } finally {
    await noop.stop();
  }

  await closed('warmg', smsContact, Math.min(50, opts.messages));
  meter.begin();
  const gw = await closed('outg', smsContact, opts.messages);
  cpu.gateway = meter.end();
  console.log(line('gateway -> twilio', gw));
  // Let anything still queued (a timed-out run) settle before the fixed-rate run.
  await waitUntil(async () => {
    const q = await gateway.api<Record<string, Record<string, number>>>('GET', '/admin/queues');
    const out = Object.entries(q).find(([k]) => k.startsWith('out/'))?.[1];
    return out !== undefined && (out.waiting ?? 0) + (out.active ?? 0) + (out.delayed ?? 0) === 0;
  }, 60_000, 200);
  meter.begin();
  const gwFixed = await open('rateg', smsContact);
  cpu.gatewayFixedRate = meter.end();
  console.log(line(`gateway @ ${opts.rate}/s`, gwFixed));
  const ratio = round(gw.throughput / Math.max(baseline.throughput, 1), 3);
  console.log(`  ratio gateway/no-op: ${ratio}   cpu (cores) no-op ${JSON.stringify(cpu.baseline)} gateway ${JSON.stringify(cpu.gateway)}`);
  const cpuMsPerMessage = cpuPerMessage(cpu.gateway, gw.throughput);
  console.log(`  cpu ms per message (gateway run): ${JSON.stringify(cpuMsPerMessage)}`);
  return {
    clients: clients.length,
    messagesPerClient: opts.messages,
    windowPerClient: opts.window,
    baseline,
    gateway: gw,
    ratio,
    fixedRate: { baseline: baselineFixed, gateway: gwFixed },
    cpu,
    cpuMsPerMessage,
  };
}
