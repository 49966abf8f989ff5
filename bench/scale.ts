/**
 * Phase "scale": what a second and a third process buy on one machine. The
 * closed-loop outbound load of phase 1, run three times against the same
 * Prosody, Redis and Twilio double:
 *
 * - one process with every role (what phase 1 measures),
 * - a `--roles component` process plus one `--roles worker` process,
 * - the same plus a second worker process.
 *
 * Each point has its own key prefix and fresh processes. The curve is printed
 * with each process's CPU, so an admin sees whether the next process would
 * help (a saturated worker) or not (a saturated component, Redis, or core).
 */
import { onCleanup } from './lib/cleanup.js';
import { startBenchGateway, type BenchGateway } from './lib/gateway.js';
import { closedLoop, type LoadResult } from './lib/message-loads.js';
import { CpuMeter } from './lib/procstat.js';
import { smsComponent, smsContact, type Stack } from './lib/stack.js';
import { fmtLatency, round } from './lib/stats.js';
import { uniquePrefix } from '../test/support/redis.js';
import type { BenchOptions } from './options.js';

export interface ScalePoint {
  /** Separate `--roles worker` processes (0: one process with every role). */
  workerProcesses: number;
  load: LoadResult;
  /** Cores used per process during the load. */
  cpu: Record<string, number>;
}

export interface ScaleResult {
  clients: number;
  messagesPerClient: number;
  points: ScalePoint[];
}

export async function runScale(
  stack: Stack,
  opts: BenchOptions,
  env: {
    componentPort: number;
    redisUrl: string;
    redisPid: number | undefined;
    extraLimits: Record<string, number>;
    /** Deletes the point's keys from the shared Redis at the end of the run. */
    forget(prefix: string): void;
  },
): Promise<ScaleResult> {
  console.log(`\n== scale: outbound, ${stack.clients.length} clients x ${opts.messages} messages, one process, then component + 1 and + 2 worker processes`);
  const points: ScalePoint[] = [];
  for (const workerProcesses of [0, 1, 2]) {
    const redisPrefix = uniquePrefix('bench-scale');
    env.forget(redisPrefix);
    const gatewayOpts = {
      componentPort: env.componentPort,
      redisUrl: env.redisUrl,
      redisPrefix,
      components: [smsComponent(stack, opts.concurrency, env.extraLimits)],
    };
    const processes: Array<{ name: string; gateway: BenchGateway; stop: () => Promise<void> }> = [];
    try {
      const start = async (name: string, roles: 'component' | 'worker' | 'component,worker') => {
        const gateway = await startBenchGateway({ ...gatewayOpts, roles });
        processes.push({ name, gateway, stop: onCleanup(`scale ${name}`, () => gateway.stop()) });
        await gateway.waitReady();
      };
      await start('component', workerProcesses === 0 ? 'component,worker' : 'component');
      for (let w = 1; w <= workerProcesses; w++) await start(`worker${w}`, 'worker');
      const meter = new CpuMeter(() => ({
        ...Object.fromEntries(processes.map((p) => [p.name, p.gateway.pid])),
        redis: env.redisPid,
      }));
      const timeoutMs = opts.phaseTimeoutSeconds * 1000;
      const run = (tag: string, perClient: number) =>
        closedLoop({ tag, clients: stack.clients, sink: stack.sink, target: { contact: smsContact }, perClient, window: opts.window, timeoutMs });
      await run(`warms${workerProcesses}`, Math.min(50, opts.messages));
      meter.begin();
      const load = await run(`scale${workerProcesses}`, opts.messages);
      const cpu = meter.end();
      points.push({ workerProcesses, load, cpu });
      const label = workerProcesses === 0 ? 'one process' : `component + ${workerProcesses} worker${workerProcesses > 1 ? 's' : ''}`;
      console.log(`  ${label.padEnd(22)} ${String(load.throughput).padStart(6)} msg/s  ${fmtLatency(load.latency)}  cpu ${JSON.stringify(cpu)}${load.timedOut ? `  TIMED OUT (${load.received}/${load.sent})` : ''}`);
    } finally {
      for (const p of processes.reverse()) await p.stop();
    }
  }
  const first = points[0]?.load.throughput ?? 0;
  console.log(`  curve (throughput vs one process): ${points.map((p) => `${p.workerProcesses}: ${round(p.load.throughput / Math.max(first, 1), 2)}`).join(', ')}`);
  return { clients: stack.clients.length, messagesPerClient: opts.messages, points };
}
