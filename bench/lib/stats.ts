/** Latency summaries and small number helpers for the benchmark. */

/** Percentiles of a latency sample, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles; an empty sample gives NaN everywhere. */
export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  const n = sorted.length;
  const at = (q: number): number => (n === 0 ? Number.NaN : (sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] ?? Number.NaN));
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: n, p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(at(1)), mean: round(n === 0 ? Number.NaN : sum / n) };
}

/** Wall-clock time in ms with sub-ms resolution, comparable across processes on this machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Throughput of `count` events over `ms`, per second. */
export function perSecond(count: number, ms: number): number {
  return ms <= 0 ? 0 : round((count * 1000) / ms, 0);
}

export function fmtLatency(l: LatencySummary): string {
  return `p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms (max ${l.max}, n=${l.count})`;
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}
