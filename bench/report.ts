/** The run's JSON record, its targets, and the README table made from it. */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, hostname, totalmem } from 'node:os';
import type { BacklogResult } from './backlog.js';
import type { InboundResult } from './inbound.js';
import type { ProfileSummary } from './lib/profile.js';
import type { BenchOptions } from './options.js';
import type { OutboundResult } from './outbound.js';
import type { ScaleResult } from './scale.js';

export interface Machine {
  hostTag: string;
  cpuModel: string;
  cores: number;
  memGiB: number;
  node: string;
  prosody: string;
  redis: string;
}

export interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean;
}

export interface BenchResult {
  date: string;
  machine: Machine;
  /** Which gateway build ran: the main script, and the git commit of the tree (with "-dirty" for uncommitted changes). */
  gateway: { main: string; commit: string };
  /** /proc/loadavg (1, 5, 15 min) at the start and the end of the run. */
  loadAverage: { start: [number, number, number]; end: [number, number, number]; atPhaseStart: Record<string, [number, number, number]> };
  options: BenchOptions;
  outbound?: OutboundResult;
  inbound?: InboundResult;
  backlog?: BacklogResult;
  scale?: ScaleResult;
  targets: Target[];
  profiles?: Record<string, ProfileSummary>;
  seconds: number;
}

export function machine(redisVersion: string): Machine {
  const cores = cpus().length;
  const memGiB = Math.round(totalmem() / 2 ** 30);
  let prosody = 'unknown';
  try {
    prosody = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'prosody'], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    // not a Debian package here
  }
  const host = hostname().replace(/[^A-Za-z0-9]/g, '').slice(0, 8) || 'host';
  return {
    hostTag: `${host}-${cores}c${memGiB}g`,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores,
    memGiB,
    node: process.version,
    prosody,
    redis: redisVersion,
  };
}

export function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', timeout: 5000 }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'adapters'], { encoding: 'utf8', timeout: 5000 }).trim() !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

export function targets(r: Pick<BenchResult, 'outbound' | 'inbound' | 'backlog'>): Target[] {
  const out: Target[] = [];
  if (r.outbound) {
    out.push({ name: 'outbound throughput vs no-op component', target: '>= 0.5', value: String(r.outbound.ratio), met: r.outbound.ratio >= 0.5 && !r.outbound.gateway.timedOut });
    const fixed = r.outbound.fixedRate.gateway;
    out.push({
      name: `outbound p99 at ${fixed.offeredRate} msg/s`,
      target: '< 50 ms',
      value: `${fixed.latency.p99} ms${fixed.timedOut ? ` (${fixed.received}/${fixed.sent} arrived)` : ''}`,
      met: fixed.latency.p99 < 50 && !fixed.timedOut,
    });
  }
  if (r.inbound) {
    out.push({ name: 'inbound throughput vs hello-world Fastify', target: '>= 0.3', value: String(r.inbound.ratio), met: r.inbound.ratio >= 0.3 && !r.inbound.gateway.timedOut });
    const fixed = r.inbound.fixedRate;
    if (fixed !== undefined) {
      out.push({
        name: `inbound p99 at ${fixed.offeredRate} webhooks/s`,
        target: '< 100 ms',
        value: `${fixed.latency.p99} ms${fixed.timedOut ? ` (${fixed.delivered}/${fixed.http.sent} arrived)` : ''}`,
        met: fixed.latency.p99 < 100 && !fixed.timedOut,
      });
    }
  }
  if (r.backlog) {
    out.push({
      name: 'Redis memory per queued message',
      target: '< 1 KiB',
      value: `${r.backlog.redis.perMessageBytes} B`,
      met: r.backlog.redis.perMessageBytes < 1024 && !r.backlog.enqueue.timedOut,
    });
    out.push({
      name: `backlog of ${r.backlog.messages}: component process peak RSS`,
      target: '< 200 MiB',
      value: `${r.backlog.rss.componentPeakMiB} MiB`,
      met: r.backlog.rss.componentPeakMiB < 200 && !r.backlog.enqueue.timedOut,
    });
  }
  return out;
}

export async function writeResults(dir: string, result: BenchResult): Promise<string> {
  const stamp = result.date.replace(/:\d\d\.\d+Z$/, 'Z').replace(/:/g, '');
  const file = `${dir}/${stamp}-${result.machine.hostTag}.json`;
  const text = `${JSON.stringify(result, null, 2)}\n`;
  await writeFile(file, text);
  await writeFile(`${dir}/latest.json`, text);
  return file;
}

const yes = (met: boolean) => (met ? '**met**' : '**not met**');

export function readmeSection(r: BenchResult): string {
  const m = r.machine;
  const rows: string[] = [];
  const o = r.outbound;
  const i = r.inbound;
  const b = r.backlog;
  const t = (name: string) => r.targets.find((x) => x.name.startsWith(name));
  const lat = (l: { p50: number; p95: number; p99: number }) => [l.p50, l.p95, l.p99].map((v) => v.toFixed(1)).join(' / ');
  if (o) {
    const ot = t('outbound throughput');
    rows.push(`| outbound throughput (msg/s) | ${o.gateway.throughput} | ${o.baseline.throughput} (no-op component) | ${o.ratio} | >= 0.5 | ${ot ? yes(ot.met) : ''} |`);
    rows.push(`| outbound latency p50 / p95 / p99 (ms), closed loop at saturation (mostly queueing) | ${lat(o.gateway.latency)} | ${lat(o.baseline.latency)} | | | |`);
    const f = o.fixedRate;
    const ft = t('outbound p99');
    rows.push(`| outbound at ${f.gateway.offeredRate} msg/s for ${r.options.rateSeconds} s: p50 / p95 / p99 (ms) | ${lat(f.gateway.latency)} | ${lat(f.baseline.latency)} | | p99 < 50 ms | ${ft ? yes(ft.met) : ''} |`);
  }
  if (i) {
    const it = t('inbound throughput');
    rows.push(`| inbound throughput (webhook -> stanza, msg/s) | ${i.gateway.throughput} | ${i.baseline.throughput} (hello-world Fastify, req/s) | ${i.ratio} | >= 0.3 | ${it ? yes(it.met) : ''} |`);
    rows.push(`| inbound latency p50 / p95 / p99 (ms): POST -> stanza (gateway), POST -> answer (baseline) | ${lat(i.gateway.latency)} | ${lat(i.baseline.latency)} | | | |`);
    rows.push(`| inbound webhooks answered 200 (req/s), answer p99 (ms) | ${i.gateway.acceptRate}, ${i.gateway.http.responseLatency.p99.toFixed(1)} | | | | |`);
    const f = i.fixedRate;
    if (f !== undefined) {
      const ft = t('inbound p99');
      rows.push(`| inbound at ${f.offeredRate} webhooks/s for ${r.options.rateSeconds} s: POST -> stanza p50 / p95 / p99 (ms) | ${lat(f.latency)} | | | p99 < 100 ms | ${ft ? yes(ft.met) : ''} |`);
    }
  }
  if (b) {
    const bt = t('Redis memory');
    rows.push(`| Redis memory per queued message (${b.bodyChars}-char body, key prefix \`${b.redis.prefix}\`) | ${b.redis.perMessageBytes} B | | | < 1 KiB | ${bt ? yes(bt.met) : ''} |`);
    rows.push(`| backlog: ${b.messages} queued (msg/s into Redis) | ${b.enqueue.rate} | | | | |`);
    rows.push(`| backlog: drain rate, one worker process (msg/s) | ${b.drain.rate} | | | | |`);
    const rt = t('backlog of');
    rows.push(`| backlog: peak RSS component / worker process (MiB) | ${b.rss.componentPeakMiB} / ${b.rss.workerPeakMiB} | | | component < 200 MiB | ${rt ? yes(rt.met) : ''} |`);
    rows.push(`| Redis kept after the drain per message (completed-job dedupe window, provider-id map) | ${b.redis.retainedPerMessageBytes} B | | | | |`);
  }
  const s = r.scale;
  if (s) {
    const one = s.points[0]?.load.throughput ?? 0;
    for (const p of s.points) {
      const label = p.workerProcesses === 0 ? 'one process, every role' : `component + ${p.workerProcesses} worker process${p.workerProcesses > 1 ? 'es' : ''}`;
      rows.push(`| outbound, ${label} (msg/s; p99 ms) | ${p.load.throughput}; ${p.load.latency.p99.toFixed(1)} | ${one} (one process) | ${(p.load.throughput / Math.max(one, 1)).toFixed(2)} | | |`);
    }
  }
  const la = (l: [number, number, number]) => l.join(' ');
  return [
    '## Benchmarks',
    '',
    '`npm run bench` builds the gateway and runs four measurements against a',
    'private Prosody, the Twilio double (`test/doubles/twilio.ts`) and Redis;',
    'it prints the figures and writes `bench/results/<date>-<host>.json` and',
    '`bench/results/latest.json`. `npm run bench -- --help` lists the knobs',
    '(clients, messages, rate, backlog size, `--profile` for a CPU profile of',
    'the gateway, `--readme` to rewrite this section).',
    '',
    '- **outbound**: XMPP clients (one gateway number each) send to SMS contacts;',
    '  the figure is from the first send to the last POST at the double, latency',
    '  from send to POST. Baseline: the same clients and Prosody sending to a',
    '  component that drops every message. Then a fixed offered rate (open loop).',
    '- **inbound**: signed Twilio webhooks from a closed HTTP loop; latency from',
    '  POST to the stanza at the number owner\'s client. Baseline: the same loop',
    '  against a hello-world Fastify route in its own process. Then a fixed',
    '  offered rate (open loop: webhook i is posted at i/rate s, answered or not).',
    '- **backlog**: messages accepted by a `--roles component` gateway with no',
    '  worker running (the provider "down"), then drained by a `--roles worker`',
    '  gateway; Redis is private so `used_memory` counts only these jobs.',
    '- **scale**: the outbound closed loop again, with one process holding every',
    '  role, then a `--roles component` process plus one and two `--roles worker`',
    '  processes: what another process buys on the same machine.',
    '',
    `Last run ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${m.cores} cores (${m.cpuModel}), ${m.memGiB} GiB, Node ${m.node},`,
    `Prosody ${m.prosody}, Redis ${m.redis}; load average ${la(r.loadAverage.start)} at the start, ${la(r.loadAverage.end)} at the end`,
    `(everything, load generator included, shares the ${m.cores} cores; other sessions' test runs may add to it). Gateway commit ${r.gateway.commit}. ${o ? `${o.clients} clients, ${o.windowPerClient} messages in flight each; ` : ''}${i ? `${i.concurrency} webhooks in flight; ` : ''}worker concurrency ${r.options.concurrency ?? 'default (50)'}.`,
    '',
    '| figure | gateway | baseline | ratio | target | |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/** Replaces the text between the bench markers, adding the markers at the end of the README when missing. */
export async function updateReadme(path: string, section: string): Promise<void> {
  const text = await readFile(path, 'utf8');
  const block = `${START}\n${section}${END}\n`;
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  const next = start !== -1 && end > start ? text.slice(0, start) + block + text.slice(end + END.length).replace(/^\n/, '') : `${text.replace(/\n*$/, '\n\n')}${block}`;
  await writeFile(path, next);
}
