/**
 * Phase 3, backlog: N outbound messages are queued while nothing delivers,
 * then drained.
 *
 * "Provider down" is modelled by running no worker: a `--roles component`
 * gateway accepts and stores the messages, and a `--roles worker` gateway
 * started afterwards drains them. (A double answering 503 would also keep
 * them queued, but then every job sits in BullMQ's delayed set with its own
 * backoff timer, Redis holds retry state, and the drain rate would measure
 * the backoff schedule, not the gateway.) This way the Redis figure is
 * exactly N waiting jobs, and the drain starts from a full queue at once.
 *
 * Redis is a private redis-server, so INFO memory counts nothing but this
 * gateway's keys.
 */
import { Redis } from 'ioredis';
import { redisSchema } from '../src/config/schema.js';
import { startPrivateRedis } from '../test/support/redis.js';
import { onCleanup } from './lib/cleanup.js';
import { startBenchGateway } from './lib/gateway.js';
import { smsComponent, smsContact, SMS_DOMAIN, type Stack } from './lib/stack.js';
import { round, sleep, wallNow } from './lib/stats.js';
import { xml, type Element } from './lib/xmpp.js';
import type { BenchOptions } from './options.js';

/** Bodies are padded to a typical single-segment SMS, so the per-message figure is not flattered by tiny bodies. */
export const BACKLOG_BODY_CHARS = 140;
/** Messages accepted by the clients but not yet stored, at most; keeps Prosody's and the gateway's buffers bounded. */
const MAX_UNSTORED = 3000;
const BATCH = 100;

export interface BacklogResult {
  messages: number;
  bodyChars: number;
  enqueue: { seconds: number; rate: number; timedOut: boolean };
  redis: {
    /** The key prefix the jobs were stored under. */
    prefix: string;
    beforeBytes: number;
    queuedBytes: number;
    /** (queued - before) / messages */
    perMessageBytes: number;
    /** MEMORY USAGE of one waiting job's hash. */
    sampleJobHashBytes: number | undefined;
    /** That hash's fields and their value lengths, to see what the bytes are. */
    sampleJobFields: Record<string, number>;
    afterDrainBytes: number;
    /** What stays after the drain (completed jobs kept for dedupe, provider-id map), per drained message. */
    retainedPerMessageBytes: number;
  };
  rss: { componentPeakMiB: number; workerPeakMiB: number };
  drain: { seconds: number; rate: number; fromSpawnSeconds: number; timedOut: boolean };
  clientErrors: Record<string, number>;
  gatewayProblems: Record<string, number>;
}

function usedMemory(info: string): number {
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

export async function runBacklog(
  stack: Stack,
  opts: BenchOptions,
  profileDir: string | undefined,
  extraLimits: Record<string, number>,
): Promise<BacklogResult> {
  const total = opts.backlog;
  const boundMs = opts.phaseTimeoutSeconds * 3 * 1000;
  console.log(`\n== backlog: ${total} messages queued with no worker running, then drained (private Redis)`);
  const privateRedis = await startPrivateRedis();
  onCleanup('private redis', () => privateRedis.stop());
  const redis = new Redis(privateRedis.url, { maxRetriesPerRequest: 1 });
  onCleanup('redis client', async () => redis.disconnect());
  // The default key prefix, as a gateway installed without `redis.prefix` stores its jobs: this Redis is
  // the bench's own, so no other run's keys share it. A job's key is as long as the prefix makes it, and
  // its allocation follows: the 28-30 character test prefix earlier runs used cost up to 21 B a message more.
  const prefix = redisSchema.parse({}).prefix;
  const waitKey = `${prefix}:out/${SMS_DOMAIN}:wait`;
  const delayedKey = `${prefix}:out/${SMS_DOMAIN}:delayed`;
  /** Jobs stored: waiting, or delayed (a build that paces at acceptance may give a job a slot a moment ahead). */
  const storedCount = async (): Promise<number> => {
    const [wait, delayed] = await Promise.all([redis.llen(waitKey), redis.zcard(delayedKey)]);
    return wait + delayed;
  };
  const nodeFlags = (name: string) => (profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${name}.cpuprofile`] : []);
  const gatewayOpts = {
    componentPort: stack.prosody.componentPort,
    redisUrl: privateRedis.url,
    redisPrefix: prefix,
    components: [smsComponent(stack, opts.concurrency, extraLimits)],
  };

  const component = await startBenchGateway({ ...gatewayOpts, roles: 'component', nodeFlags: nodeFlags('backlog-component') });
  const stopComponent = onCleanup('component gateway', () => component.stop());
  await component.waitReady();
  await sleep(1000);
  const beforeBytes = usedMemory(await redis.info('memory'));
  const errorsBefore = { ...stack.clientErrors };

  // Enqueue: batches of BATCH stanzas per client write, at most MAX_UNSTORED not yet in Redis.
  const pad = 'x'.repeat(BACKLOG_BODY_CHARS);
  const perClient = stack.clients.map((_, c) => Math.floor(total / stack.clients.length) + (c < total % stack.clients.length ? 1 : 0));
  const sentBy = stack.clients.map(() => 0);
  let sent = 0;
  let stored = 0;
  let c = 0;
  const t0 = wallNow();
  let lastReport = t0;
  let timedOut = false;
  while (stored < total) {
    stored = await storedCount();
    while (sent < total && sent - stored < MAX_UNSTORED) {
      const client = stack.clients[c];
      const mine = perClient[c] ?? 0;
      const batch: Element[] = [];
      while (batch.length < BATCH && (sentBy[c] ?? 0) < mine) {
        const seq = sentBy[c] ?? 0;
        const head = `bench bl ${c} ${seq} ${wallNow().toFixed(3)} `;
        batch.push(xml('message', { type: 'chat', to: smsContact(c, seq), id: `bl-${c}-${seq}` }, xml('body', {}, head + pad.slice(head.length))));
        sentBy[c] = seq + 1;
      }
      sent += batch.length;
      if (client && batch.length > 0) client.sendBatch(batch).catch(() => undefined);
      c = (c + 1) % stack.clients.length;
    }
    const now = wallNow();
    if (now - lastReport > 5000) {
      lastReport = now;
      console.log(`  queued ${stored}/${total} (${Math.round((stored * 1000) / (now - t0))}/s), component RSS ${component.peakRssMiB()} MiB peak`);
    }
    if (now - t0 > boundMs) {
      timedOut = true;
      console.log(`  enqueue bound reached (${boundMs / 1000} s): ${stored}/${total} stored`);
      break;
    }
    const refused = Object.entries(stack.clientErrors).reduce((n, [k, v]) => n + v - (errorsBefore[k] ?? 0), 0);
    if (refused > 0 && stored + refused >= total) break;
    await sleep(20);
  }
  const enqueueMs = wallNow() - t0;
  await sleep(1000);
  const queuedBytes = usedMemory(await redis.info('memory'));
  const sampleId = await redis.lindex(waitKey, 0);
  const sampleKey = `${prefix}:out/${SMS_DOMAIN}:${sampleId ?? ''}`;
  const sampleJobHashBytes = sampleId === null ? undefined : ((await redis.memory('USAGE', sampleKey)) ?? undefined);
  const sampleJobFields = Object.fromEntries(Object.entries(await redis.hgetall(sampleKey)).map(([k, v]) => [k, Buffer.byteLength(v)]));
  const perMessageBytes = Math.round((queuedBytes - beforeBytes) / Math.max(stored, 1));
  console.log(
    `  queued ${stored} in ${round(enqueueMs / 1000, 1)} s (${Math.round((stored * 1000) / enqueueMs)}/s); Redis used_memory +${round((queuedBytes - beforeBytes) / 1048576, 1)} MiB = ${perMessageBytes} B/message (one job hash: ${sampleJobHashBytes} B, fields ${JSON.stringify(sampleJobFields)})`,
  );

  // Drain: a worker-only gateway; arrivals are timed at the double.
  let delivered = 0;
  let firstAt = 0;
  let lastAt = 0;
  stack.sink.attach('bl', (_client, _sentAt, at) => {
    delivered++;
    if (firstAt === 0) firstAt = at;
    lastAt = at;
  });
  const spawnAt = wallNow();
  const worker = await startBenchGateway({ ...gatewayOpts, roles: 'worker', nodeFlags: nodeFlags('backlog-worker') });
  const stopWorker = onCleanup('worker gateway', () => worker.stop());
  let drainTimedOut = false;
  lastReport = wallNow();
  while (delivered < stored) {
    await sleep(50);
    const now = wallNow();
    if (now - lastReport > 5000) {
      lastReport = now;
      const rate = firstAt === 0 ? 0 : Math.round((delivered * 1000) / (now - firstAt));
      console.log(`  drained ${delivered}/${stored} (${rate}/s), worker RSS ${worker.peakRssMiB()} MiB peak`);
    }
    if (now - spawnAt > boundMs) {
      drainTimedOut = true;
      console.log(`  drain bound reached (${boundMs / 1000} s): ${delivered}/${stored} delivered`);
      break;
    }
  }
  stack.sink.detach();
  await sleep(1000);
  const afterDrainBytes = usedMemory(await redis.info('memory'));
  const drainMs = lastAt - firstAt;
  const result: BacklogResult = {
    messages: stored,
    bodyChars: BACKLOG_BODY_CHARS,
    enqueue: { seconds: round(enqueueMs / 1000, 1), rate: Math.round((stored * 1000) / enqueueMs), timedOut },
    redis: {
      prefix,
      beforeBytes,
      queuedBytes,
      perMessageBytes,
      sampleJobHashBytes,
      sampleJobFields,
      afterDrainBytes,
      retainedPerMessageBytes: Math.round((afterDrainBytes - beforeBytes) / Math.max(delivered, 1)),
    },
    rss: { componentPeakMiB: component.peakRssMiB(), workerPeakMiB: worker.peakRssMiB() },
    drain: {
      seconds: round(drainMs / 1000, 1),
      rate: drainMs > 0 ? Math.round((delivered * 1000) / drainMs) : 0,
      fromSpawnSeconds: round((lastAt - spawnAt) / 1000, 1),
      timedOut: drainTimedOut,
    },
    clientErrors: Object.fromEntries(Object.entries(stack.clientErrors).map(([k, v]) => [k, v - (errorsBefore[k] ?? 0)]).filter(([, v]) => Number(v) > 0)),
    gatewayProblems: { ...component.problems(), ...worker.problems() },
  };
  console.log(
    `  drained ${delivered} in ${result.drain.seconds} s = ${result.drain.rate} msg/s (${result.drain.fromSpawnSeconds} s from worker spawn); peak RSS component ${result.rss.componentPeakMiB} MiB, worker ${result.rss.workerPeakMiB} MiB; Redis after drain +${result.redis.retainedPerMessageBytes} B/message`,
  );
  await stopWorker();
  await stopComponent();
  return result;
}
