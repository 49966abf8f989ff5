/**
 * An HTTP load generator over keep-alive connections (node:http, no extra
 * dependency). Closed loop: `concurrency` loops, each sending its next request
 * as soon as the previous one is answered. Open loop (`rate` set): request i
 * is sent at i/rate seconds whether or not earlier ones were answered, over
 * at most `concurrency` connections, so a slow server shows as latency, not
 * as a lower offered rate. Bounded by a count and a deadline.
 */
import { Agent, request } from 'node:http';
import { summarize, wallNow, type LatencySummary } from './stats.js';

export interface HttpRequestSpec {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface HttpLoadResult {
  sent: number;
  /** Count per HTTP status ('error' for a failed connection). */
  statuses: Record<string, number>;
  /** First request sent to last answer, ms. */
  elapsedMs: number;
  /** Request sent to answer received. */
  responseLatency: LatencySummary;
  timedOut: boolean;
}

export async function runHttpLoad(opts: {
  baseUrl: string;
  total: number;
  concurrency: number;
  timeoutMs: number;
  /** Open loop: requests per second offered. */
  rate?: number;
  /** Builds request i (called just before it is sent). */
  build(i: number): HttpRequestSpec;
  /** Called with the wall-clock time (ms) request i is handed to the socket. */
  onSent?(i: number, at: number): void;
}): Promise<HttpLoadResult> {
  const url = new URL(opts.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let next = 0;
  let sent = 0;
  const deadline = Date.now() + opts.timeoutMs;
  let timedOut = false;
  const started = performance.now();

  const one = (spec: HttpRequestSpec): Promise<string> =>
    new Promise((resolve) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: spec.path,
          agent,
          headers: { ...spec.headers, 'content-length': String(Buffer.byteLength(spec.body)) },
          timeout: 10_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.statusCode)));
          res.on('error', () => resolve('error'));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve('error'));
      req.end(spec.body);
    });

  const send = async (i: number): Promise<void> => {
    const spec = opts.build(i);
    const t0 = wallNow();
    opts.onSent?.(i, t0);
    sent++;
    const status = await one(spec);
    latencies.push(wallNow() - t0);
    statuses[status] = (statuses[status] ?? 0) + 1;
  };
  const loop = async (): Promise<void> => {
    for (;;) {
      if (Date.now() > deadline) {
        timedOut = next < opts.total;
        return;
      }
      const i = next++;
      if (i >= opts.total) return;
      await send(i);
    }
  };
  const openLoop = async (rate: number): Promise<void> => {
    const inFlight: Array<Promise<void>> = [];
    for (let i = 0; i < opts.total; i++) {
      const wait = started + (i * 1000) / rate - performance.now();
      if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      inFlight.push(send(i));
    }
    await Promise.all(inFlight);
  };
  await (opts.rate === undefined ? Promise.all(Array.from({ length: opts.concurrency }, loop)) : openLoop(opts.rate));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { sent, statuses, elapsedMs, responseLatency: summarize(latencies), timedOut };
}
