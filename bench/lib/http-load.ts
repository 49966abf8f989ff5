/**
 * A closed-loop HTTP load generator: `concurrency` loops over keep-alive
 * connections (node:http, no extra dependency), each sending its next request
 * as soon as the previous one is answered. Bounded by a count and a deadline.
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

  const loop = async (): Promise<void> => {
    for (;;) {
      if (Date.now() > deadline) {
        timedOut = next < opts.total;
        return;
      }
      const i = next++;
      if (i >= opts.total) return;
      const spec = opts.build(i);
      const t0 = wallNow();
      opts.onSent?.(i, t0);
      sent++;
      const status = await one(spec);
      latencies.push(wallNow() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { sent, statuses, elapsedMs, responseLatency: summarize(latencies), timedOut };
}
