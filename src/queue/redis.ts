/**
 * Redis connections. Producers fail fast while Redis is down (so a sender is
 * told at once to retry); workers wait and reconnect forever. `redis.url`
 * names one server, a Sentinel-watched master or a Cluster
 * (src/config/redis-url.ts); the rest of the gateway sees one client type.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { batchWrites } from '../batched-writes.js';
import { parseRedisUrl, type RedisTarget } from '../config/redis-url.js';

/** A connection to the gateway's Redis, whichever kind `redis.url` names. */
export type RedisClient = Redis | Cluster;

const retryStrategy = (times: number): number => Math.min(200 * times, 2000);

/** For enqueueing and state: no offline queue, one try per command, so an outage surfaces as an error at once. */
export function producerConnection(url: string, extra: RedisOptions = {}): RedisClient {
  const client = connect(parseRedisUrl(url), {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy,
    ...extra,
  });
  batchRedisWrites(client);
  return client;
}

/**
 * For BullMQ workers, which block on Redis and must ride out outages (BullMQ
 * requires maxRetriesPerRequest: null): options BullMQ connects with itself,
 * or, for a Cluster, a client (BullMQ takes no options for one).
 */
export function workerConnection(url: string): RedisOptions | Cluster {
  // Writes are batched per tick like the producer's (batchRedisWrites, applied by src/queue/workers.ts to
  // the client BullMQ builds from these options).
  const options: RedisOptions = { maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy };
  const target = parseRedisUrl(url);
  switch (target.kind) {
    case 'server': {
      const u = new URL(url);
      return {
        host: u.hostname,
        port: u.port ? Number(u.port) : 6379,
        ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
        ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
        ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
        ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
        ...options,
      };
    }
    case 'sentinel':
      return { ...sentinelOptions(target), ...options };
    case 'cluster':
      return clusterClient(target, options);
  }
}

/**
 * Commands issued in one tick leave in one socket write (src/batched-writes.ts,
 * flushed once the tick's work and its promise continuations are done). A
 * burst of stanzas' sender checks and adds, or the scripts of the jobs a
 * worker has in flight, then cost one write system call instead of one each.
 * Flushing at the end of the event-loop turn instead took fewer writes (30k
 * instead of 48k for 103k commands over the inbound bench), and was dropped:
 * with it test/integration/inbound-order.test.ts failed 3 runs in 6 (1 in 6
 * per tick), and one full-suite run of test/chaos/prosody-restart.test.ts
 * sent 13 of 1000 messages twice when the XMPP server died mid-burst (0-1 in
 * the other runs; alone, 0 in 4 runs, so the cause is not proven: likely a
 * burstier worker, more stanzas waiting on each confirming ping).
 *
 * Why not ioredis's enableAutoPipelining, used before: it builds a Pipeline
 * per batch, and a Pipeline copies every script defined on its client (BullMQ
 * defines 52) onto itself, 30-70 µs each; at a few hundred messages a second
 * most batches hold one command, and those copies were a third of the bytes
 * the gateway allocated (heap sampling at 500 msg/s). It also lets one batch
 * leave only once the previous one is answered. Corking changes neither what
 * is sent nor its order, and each reply resolves its command as it arrives.
 *
 * A Cluster client has a connection per node, created as slots move; it keeps
 * ioredis's auto-pipelining (clusterClient), and is left as it is here.
 */
export function batchRedisWrites(client: object): void {
  if (!(client instanceof Redis)) return;
  const batch = (): void => {
    if (client.stream !== undefined) batchWrites(client.stream);
  };
  // A reconnect brings a new socket.
  client.on('connect', batch);
  batch();
}

function connect(target: RedisTarget, options: RedisOptions): RedisClient {
  switch (target.kind) {
    case 'server':
      return new Redis(target.url, options);
    case 'sentinel':
      return new Redis({ ...sentinelOptions(target), ...options });
    case 'cluster':
      return clusterClient(target, options);
  }
}

function sentinelOptions(target: Extract<RedisTarget, { kind: 'sentinel' }>): RedisOptions {
  return {
    sentinels: target.sentinels,
    name: target.name,
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.sentinelPassword === undefined ? {} : { sentinelPassword: target.sentinelPassword }),
    ...(target.db === undefined ? {} : { db: target.db }),
    // Keep asking the Sentinels through an outage; a failover names the new master.
    sentinelRetryStrategy: retryStrategy,
  };
}

/** A Cluster client: `options` go to each node's connection (maxRetriesPerRequest among them, where BullMQ looks for it); the cluster-wide ones are lifted out. */
function clusterClient(target: Extract<RedisTarget, { kind: 'cluster' }>, options: RedisOptions): Cluster {
  const { enableOfflineQueue, lazyConnect, retryStrategy: nodeRetry, ...redisOptions } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions: {
      ...redisOptions,
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
    },
    // Nodes come and go with failovers: keep rediscovering, as a single server's connection keeps reconnecting.
    clusterRetryStrategy: nodeRetry ?? retryStrategy,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    // Commands of one tick share a write per node (batchRedisWrites leaves a Cluster's node connections alone).
    enableAutoPipelining: true,
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
  };
  return new Cluster(target.nodes, clusterOptions);
}

/**
 * Whether `err` is ioredis's refusal of a command on a producer connection that is not connected
 * (enableOfflineQueue: false): the command never left this process. Stores wrap it as
 * QUEUE_UNAVAILABLE (src/store/unavailable.ts); the cause tells.
 */
export function neverSent(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.message.startsWith("Stream isn't writeable") || neverSent(err.cause);
}

/** Resolves when the connection is ready, or rejects after `timeoutMs`. */
export async function waitReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${redis.status})`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
