/**
 * Phase 2, inbound: signed Twilio webhooks -> gateway (verify, store in
 * Redis, 200) -> inbound worker -> Prosody -> the number owner's client,
 * against the same HTTP loop posting to a hello-world Fastify route.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inboundParams, signedWebhook } from '../test/doubles/twilio.js';
import { guardChild, stopChild } from '../test/support/child-guard.js';
import { onCleanup } from './lib/cleanup.js';
import type { BenchGateway } from './lib/gateway.js';
import { runHttpLoad, type HttpLoadResult, type HttpRequestSpec } from './lib/http-load.js';
import type { CpuMeter } from './lib/procstat.js';
import { SMS_DOMAIN, type Stack } from './lib/stack.js';
import { fmtLatency, round, summarize, waitUntil, wallNow, type LatencySummary } from './lib/stats.js';
import type { BenchOptions } from './options.js';

export interface InboundGatewayResult {
  http: HttpLoadResult;
  /** Webhooks answered 2xx per second (HTTP side only). */
  acceptRate: number;
  delivered: number;
  /** First POST sent to last stanza arrived, ms. */
  elapsedMs: number;
  /** Stanzas delivered per second, end to end. */
  throughput: number;
  /** POST sent to stanza arrived at the client. */
  latency: LatencySummary;
  timedOut: boolean;
}

export type InboundFixedRateResult = InboundGatewayResult & { offeredRate: number };

export interface InboundResult {
  requests: number;
  concurrency: number;
  baseline: { http: HttpLoadResult; throughput: number; latency: LatencySummary };
  gateway: InboundGatewayResult;
  /** gateway end-to-end throughput / hello-world throughput */
  ratio: number;
  /** Open loop: `rate` webhooks/s for `rateSeconds`, POST -> stanza latency (the p99 target). */
  fixedRate?: InboundFixedRateResult;
  cpu: Record<string, Record<string, number>>;
}

function twilioRequest(stack: Stack, publicUrl: string, path: string, tag: string, i: number): HttpRequestSpec {
  const user = stack.users[i % stack.users.length];
  if (user === undefined) throw new Error('no bench users');
  const params = inboundParams(stack.twilio.accountSid, {
    from: `+1555123${String(i % 100).padStart(4, '0')}`,
    to: user.number,
    body: `in ${tag} ${i}`,
  });
  const hook = signedWebhook(stack.twilio.authToken, publicUrl, path, params);
  return { path: hook.path, headers: hook.headers, body: hook.payload };
}

async function startHelloServer(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const entry = fileURLToPath(new URL('./lib/hello-server.js', import.meta.url));
  const child = spawn(process.execPath, [entry], { stdio: ['ignore', 'pipe', 'inherit'] });
  guardChild(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('hello-world server did not start')), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /"port":(\d+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`hello-world server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop: () => stopChild(child, 'SIGTERM') };
}

async function gatewayLoad(stack: Stack, gateway: BenchGateway, opts: BenchOptions, tag: string, total: number, rate?: number): Promise<InboundGatewayResult> {
  const sentAt = new Float64Array(total);
  const latencies: number[] = [];
  let delivered = 0;
  let lastArrival = 0;
  stack.onClientStanza = (el) => {
    if (el.name !== 'message') return;
    const body = el.getChildText('body');
    if (body === null) return;
    const [kind, t, n] = body.split(' ');
    if (kind !== 'in' || t !== tag) return;
    const at = wallNow();
    latencies.push(at - (sentAt[Number(n)] ?? at));
    delivered++;
    lastArrival = at;
  };
  const path = `/webhooks/${SMS_DOMAIN}/messages`;
  const http = await runHttpLoad({
    baseUrl: gateway.httpUrl,
    total,
    concurrency: opts.httpConcurrency,
    timeoutMs: opts.phaseTimeoutSeconds * 1000,
    ...(rate === undefined ? {} : { rate }),
    build: (i) => twilioRequest(stack, gateway.httpUrl, path, tag, i),
    onSent: (i, at) => {
      sentAt[i] = at;
    },
  });
  const accepted = http.statuses['200'] ?? 0;
  await waitUntil(() => delivered >= accepted, 60_000, 20);
  stack.onClientStanza = () => undefined;
  const first = sentAt[0] ?? 0;
  const elapsedMs = lastArrival - first;
  return {
    http,
    acceptRate: Math.round((accepted * 1000) / http.elapsedMs),
    delivered,
    elapsedMs: Math.round(elapsedMs),
    throughput: elapsedMs > 0 ? Math.round((delivered * 1000) / elapsedMs) : 0,
    latency: summarize(latencies),
    timedOut: http.timedOut || delivered < total,
  };
}

export async function runInbound(stack: Stack, gateway: BenchGateway, opts: BenchOptions, meter: CpuMeter, pids: { hello?: number }): Promise<InboundResult> {
  console.log(`\n== inbound: ${opts.inbound} signed Twilio webhooks, ${opts.httpConcurrency} in flight`);
  const cpu: Record<string, Record<string, number>> = {};
  const hello = await startHelloServer();
  const stopHello = onCleanup('hello-world server', () => hello.stop());
  pids.hello = hello.pid;
  let baselineHttp: HttpLoadResult;
  try {
    const load = (total: number) =>
      runHttpLoad({
        baseUrl: hello.url,
        total,
        concurrency: opts.httpConcurrency,
        timeoutMs: opts.phaseTimeoutSeconds * 1000,
        build: (i) => twilioRequest(stack, hello.url, '/webhooks/hello/messages', 'hello', i),
      });
    await load(Math.min(1000, opts.inbound));
    meter.begin();
    baselineHttp = await load(opts.inbound);
    cpu.baseline = meter.end();
  } finally {
    await stopHello();
    delete pids.hello;
  }
  const baselineThroughput = Math.round(((baselineHttp.statuses['200'] ?? 0) * 1000) / baselineHttp.elapsedMs);
  console.log(`  ${'hello-world fastify'.padEnd(22)} ${String(baselineThroughput).padStart(6)} req/s  ${fmtLatency(baselineHttp.responseLatency)}  ${JSON.stringify(baselineHttp.statuses)}`);

  await gatewayLoad(stack, gateway, opts, 'warm', Math.min(500, opts.inbound));
  meter.begin();
  const gw = await gatewayLoad(stack, gateway, opts, 'run', opts.inbound);
  cpu.gateway = meter.end();
  console.log(`  ${'gateway -> xmpp'.padEnd(22)} ${String(gw.throughput).padStart(6)} msg/s  ${fmtLatency(gw.latency)}${gw.timedOut ? `  INCOMPLETE (${gw.delivered}/${opts.inbound})` : ''}`);
  console.log(`  ${'  (http accept only)'.padEnd(22)} ${String(gw.acceptRate).padStart(6)} req/s  ${fmtLatency(gw.http.responseLatency)}  ${JSON.stringify(gw.http.statuses)}`);
  const ratio = round(gw.throughput / Math.max(baselineThroughput, 1), 3);
  console.log(`  ratio gateway/hello-world: ${ratio}   cpu (cores) hello ${JSON.stringify(cpu.baseline)} gateway ${JSON.stringify(cpu.gateway)}`);
  // Open loop at the outbound run's rate: what a sender sees at a steady 500 webhooks/s, short of saturation.
  meter.begin();
  const fixed = await gatewayLoad(stack, gateway, opts, 'rate', opts.rate * opts.rateSeconds, opts.rate);
  cpu.gatewayFixedRate = meter.end();
  console.log(`  ${`gateway @ ${opts.rate}/s`.padEnd(22)} ${String(fixed.throughput).padStart(6)} msg/s  ${fmtLatency(fixed.latency)}${fixed.timedOut ? `  INCOMPLETE (${fixed.delivered}/${fixed.http.sent})` : ''}`);
  return {
    requests: opts.inbound,
    concurrency: opts.httpConcurrency,
    baseline: { http: baselineHttp, throughput: baselineThroughput, latency: baselineHttp.responseLatency },
    gateway: gw,
    ratio,
    fixedRate: { ...fixed, offeredRate: opts.rate },
    cpu,
  };
}
