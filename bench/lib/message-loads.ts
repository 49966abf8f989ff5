/**
 * Outbound message loads driven through XMPP clients: a closed loop (each
 * client keeps `window` messages in flight until it has sent its share) and
 * an open loop at a fixed offered rate. Where the messages land (the Twilio
 * double behind the gateway, or the no-op component) reports each arrival
 * through `arrived(body, atMs)`.
 *
 * Every body is `bench <tag> <client> <seq> <sentAtMs>`; latency is arrival
 * minus the send time written in it (for the open loop, the time the message
 * was scheduled, so a stalled sender cannot hide queueing delay).
 */
import { summarize, wallNow, type LatencySummary } from './stats.js';
import { xml, type BenchClient } from './xmpp.js';

export interface LoadResult {
  sent: number;
  received: number;
  /** First send to last arrival, ms. */
  elapsedMs: number;
  /** Messages per second over elapsedMs. */
  throughput: number;
  latency: LatencySummary;
  timedOut: boolean;
}

/** Collects arrivals for the load currently running; arrivals of other tags are ignored. */
export class ArrivalSink {
  private current: { tag: string; onArrival(client: number, sentAt: number, at: number): void } | undefined;
  /** Arrivals whose body was not a bench body or belonged to no running load. */
  stray = 0;

  arrived(body: string, at = wallNow()): void {
    const parts = body.split(' ');
    const cur = this.current;
    if (parts[0] !== 'bench' || cur === undefined || parts[1] !== cur.tag) {
      this.stray++;
      return;
    }
    cur.onArrival(Number(parts[2]), Number(parts[4]), at);
  }

  attach(tag: string, onArrival: (client: number, sentAt: number, at: number) => void): void {
    this.current = { tag, onArrival };
  }

  detach(): void {
    this.current = undefined;
  }
}

export interface Target {
  /** Contact JID for message k of client c. */
  contact(client: number, k: number): string;
}

function chat(to: string, id: string, body: string) {
  return xml('message', { type: 'chat', to, id }, xml('body', {}, body));
}

/** Each client sends `perClient` messages keeping `window` in flight. */
export async function closedLoop(opts: {
  tag: string;
  clients: BenchClient[];
  sink: ArrivalSink;
  target: Target;
  perClient: number;
  window: number;
  timeoutMs: number;
}): Promise<LoadResult> {
  const { clients, perClient, window } = opts;
  const sentBy = clients.map(() => 0);
  const inFlight = clients.map(() => 0);
  const latencies: number[] = [];
  let received = 0;
  let firstSend = 0;
  let lastArrival = 0;
  const total = clients.length * perClient;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const refill = (c: number): void => {
    const client = clients[c];
    if (client === undefined) return;
    const batch = [];
    while (inFlight[c]! < window && sentBy[c]! < perClient) {
      const seq = sentBy[c]!;
      const now = wallNow();
      if (firstSend === 0) firstSend = now;
      batch.push(chat(opts.target.contact(c, seq), `${opts.tag}-${c}-${seq}`, `bench ${opts.tag} ${c} ${seq} ${now.toFixed(3)}`));
      sentBy[c]! += 1;
      inFlight[c]! += 1;
    }
    client.sendBatch(batch).catch(() => undefined);
  };

  opts.sink.attach(opts.tag, (c, sentAt, at) => {
    latencies.push(at - sentAt);
    received++;
    lastArrival = at;
    if (inFlight[c] !== undefined) {
      inFlight[c]! -= 1;
      refill(c);
    }
    if (received >= total) finish();
  });
  const timer = setTimeout(finish, opts.timeoutMs);
  clients.forEach((_, c) => refill(c));
  await done;
  clearTimeout(timer);
  opts.sink.detach();
  const sent = sentBy.reduce((a, b) => a + b, 0);
  const elapsedMs = lastArrival - firstSend;
  return {
    sent,
    received,
    elapsedMs: Math.round(elapsedMs),
    throughput: elapsedMs > 0 ? Math.round((received * 1000) / elapsedMs) : 0,
    latency: summarize(latencies),
    timedOut: received < total,
  };
}

/**
 * Offers `rate` messages per second for `seconds`, round-robin over the
 * clients, whatever the arrivals do; then waits up to `drainMs` for the rest.
 */
export async function openLoop(opts: {
  tag: string;
  clients: BenchClient[];
  sink: ArrivalSink;
  target: Target;
  rate: number;
  seconds: number;
  drainMs: number;
}): Promise<LoadResult & { offeredRate: number; achievedSendRate: number }> {
  const { clients, rate } = opts;
  const total = Math.round(rate * opts.seconds);
  const intervalMs = 1000 / rate;
  const latencies: number[] = [];
  let received = 0;
  let lastArrival = 0;
  let finish: () => void = () => undefined;
  const allArrived = new Promise<void>((resolve) => {
    finish = resolve;
  });
  opts.sink.attach(opts.tag, (_c, sentAt, at) => {
    latencies.push(at - sentAt);
    received++;
    lastArrival = at;
    if (received >= total) finish();
  });

  const t0 = wallNow() + 20;
  let next = 0;
  let lastSendAt = t0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = wallNow();
      const batches = new Map<number, ReturnType<typeof chat>[]>();
      while (next < total && t0 + next * intervalMs <= now) {
        const c = next % clients.length;
        const scheduled = t0 + next * intervalMs;
        const seq = Math.floor(next / clients.length);
        const list = batches.get(c) ?? [];
        list.push(chat(opts.target.contact(c, seq), `${opts.tag}-${c}-${seq}`, `bench ${opts.tag} ${c} ${seq} ${scheduled.toFixed(3)}`));
        batches.set(c, list);
        next++;
      }
      for (const [c, list] of batches) clients[c]?.sendBatch(list).catch(() => undefined);
      if (batches.size > 0) lastSendAt = now;
      if (next >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 2);
  });
  const sendSpanMs = lastSendAt - t0;
  const drainTimer = setTimeout(finish, opts.drainMs);
  await allArrived;
  clearTimeout(drainTimer);
  opts.sink.detach();
  const elapsedMs = lastArrival - t0;
  return {
    sent: next,
    received,
    elapsedMs: Math.round(elapsedMs),
    throughput: elapsedMs > 0 ? Math.round((received * 1000) / elapsedMs) : 0,
    latency: summarize(latencies),
    timedOut: received < total,
    offeredRate: rate,
    achievedSendRate: sendSpanMs > 0 ? Math.round((next * 1000) / sendSpanMs) : 0,
  };
}
