/**
 * Runs the built gateway for the benchmark. The config comes from the e2e
 * helper's writeGatewayConfig() (same format the tests use); the bench then
 * sets the log level (the helper pins `debug`, which would measure pino), and
 * spawns `node [flags] dist/src/main.js --config FILE [--roles ...]` itself so
 * it can pass --cpu-prof and choose roles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { guardChild, stopChild } from '../../test/support/child-guard.js';
import { ADMIN_TOKEN, waitForReadyz, writeGatewayConfig, type GatewayComponent } from '../../test/support/gateway.js';
import { freePort } from '../../test/support/ports.js';
import { memoryOf } from './procstat.js';
import { gatewayNodeFlags } from '../../test/support/node-flags.js';

/** The built gateway; XGW_BENCH_MAIN points the bench at another build (e.g. a candidate change) for an A/B comparison. */
export const GATEWAY_MAIN = process.env.XGW_BENCH_MAIN ?? join(process.cwd(), 'dist', 'src', 'main.js');

export interface BenchGatewayOptions {
  componentPort: number;
  redisUrl: string;
  redisPrefix: string;
  components: GatewayComponent[];
  /** Default both. */
  roles?: 'component' | 'worker' | 'component,worker';
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeFlags?: string[];
}

export interface BenchGateway {
  pid: number;
  httpUrl: string;
  /** Polls /readyz until 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Peak RSS sampled every 200 ms plus the kernel's VmHWM at the last sample. */
  peakRssMiB(): number;
  /** Last lines the process printed. */
  outputTail(chars?: number): string;
  /** Warnings and errors the gateway logged (pino level >= 40), counted by message. */
  problems(): Record<string, number>;
  api<T>(method: string, path: string): Promise<T>;
  /** SIGTERM (drains), SIGKILL after the timeout. */
  stop(timeoutMs?: number): Promise<void>;
}

export async function startBenchGateway(opts: BenchGatewayOptions): Promise<BenchGateway> {
  const httpPort = await freePort();
  const configPath = await writeGatewayConfig(
    { componentPort: opts.componentPort, redisUrl: opts.redisUrl, redisPrefix: opts.redisPrefix, components: opts.components },
    httpPort,
  );
  const yaml = await readFile(configPath, 'utf8');
  const level = opts.logLevel ?? 'warn';
  if (!yaml.includes('log: { level: debug }')) throw new Error('writeGatewayConfig changed its log line; update bench/lib/gateway.ts');
  await writeFile(configPath, yaml.replace('log: { level: debug }', `log: { level: ${level} }`));

  // The flags `npm start` passes (package.json), then the bench's own (profiling).
  const args = [...gatewayNodeFlags(), ...(opts.nodeFlags ?? []), GATEWAY_MAIN, '--config', configPath, ...(opts.roles ? ['--roles', opts.roles] : [])];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  guardChild(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the gateway');
  let output = '';
  const problems: Record<string, number> = {};
  let partial = '';
  const onData = (d: Buffer): void => {
    const text = partial + d.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      output = (output + line + '\n').slice(-20_000);
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string };
        if ((entry.level ?? 0) >= 40) problems[entry.msg ?? '?'] = (problems[entry.msg ?? '?'] ?? 0) + 1;
      } catch {
        // not a log line
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  let peak = 0;
  const sampler = setInterval(() => {
    const m = memoryOf(pid);
    if (m) peak = Math.max(peak, m.rssMiB, m.peakRssMiB);
  }, 200);
  sampler.unref();
  child.once('exit', () => clearInterval(sampler));

  const httpUrl = `http://127.0.0.1:${httpPort}`;
  return {
    pid,
    httpUrl,
    waitReady: (timeoutMs = 20_000) => waitForReadyz(httpUrl, child, () => output, timeoutMs),
    peakRssMiB() {
      const m = memoryOf(pid);
      if (m) peak = Math.max(peak, m.rssMiB, m.peakRssMiB);
      return peak;
    },
    outputTail: (chars = 3000) => output.slice(-chars),
    problems: () => ({ ...problems }),
    async api<T>(method: string, path: string) {
      const res = await fetch(`${httpUrl}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return (await res.json()) as T;
    },
    async stop(timeoutMs = 15_000) {
      clearInterval(sampler);
      await stopChild(child, 'SIGTERM', timeoutMs);
    },
  };
}
