/**
 * Integration tests' Redis: a connection and fresh key prefix per test,
 * cleaned up after it.
 */
import type { RedisClient } from '../../src/queue/redis.js';
import { afterEach, beforeAll, beforeEach } from 'vitest';
import { producerConnection, waitReady } from '../../src/queue/redis.js';
import { ensureRedis, uniquePrefix } from './redis.js';

/** The connection and key prefix of one test, as useTestRedis hands them over. */
export interface TestRedis {
  url: string;
  redis: RedisClient;
  prefix: string;
}

/**
 * A real Redis for an integration test file: before each test a connection
 * on a fresh key prefix (handed to `take`), after it the prefix's keys
 * deleted and the connection closed. Call it before the file's own hooks:
 * its afterEach then runs after theirs (vitest runs afterEach in reverse).
 */
export function useTestRedis(label: string, take: (db: TestRedis) => void): void {
  let url = '';
  let db: TestRedis | undefined;
  beforeAll(async () => {
    url = await ensureRedis();
  });
  beforeEach(async () => {
    const redis = producerConnection(url);
    await waitReady(redis, 5000);
    db = { url, redis, prefix: uniquePrefix(label) };
    take(db);
  });
  afterEach(async () => {
    if (db === undefined) return;
    const keys = await db.redis.keys(`${db.prefix}*`);
    if (keys.length) await db.redis.del(...keys);
    db.redis.disconnect();
    db = undefined;
  });
}
