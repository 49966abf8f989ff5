/**
 * Redis connections. Producers fail fast while Redis is down (so a sender is
 * told at once to retry); workers wait and reconnect forever.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** For enqueueing and state: no offline queue, one try per command, so an outage surfaces as an error at once. */
export function producerConnection(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    // Commands issued in one tick (a burst of stanzas' sender checks and adds) leave in one write:
    // the bench profile had a third of the gateway's CPU in per-command socket writes.
    enableAutoPipelining: true,
    ...extra,
  });
}

/** Options for BullMQ workers, which block on Redis and must ride out outages (BullMQ requires maxRetriesPerRequest: null). */
export function workerConnectionOptions(url: string): RedisOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}

/** Resolves when the connection is ready, or rejects after `timeoutMs`. */
export async function waitReady(redis: Redis, timeoutMs: number): Promise<void> {
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
