/**
 * Redis connections write the commands of one tick in one socket write
 * (src/queue/redis.ts batchWrites): the producer's (useTestRedis hands one
 * over), a worker's, and a new socket after a reconnect. Replies still reach their own commands, in order.
 */
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/queue/redis.js';
import { waitReady } from '../../src/queue/redis.js';
import { outboundWorker } from '../../src/queue/workers.js';
import { countWrites } from '../support/socket-writes.js';
import { useTestRedis } from '../support/test-redis.js';
import { eventually } from '../support/waits.js';

let url: string;
let redis: RedisClient;
let prefix: string;
useTestRedis('redis-writes', (db) => ({ url, redis, prefix } = db));

let worker: Worker | undefined;
afterEach(async () => {
  await worker?.close();
  worker = undefined;
});

function socketOf(client: unknown): Socket {
  if (!(client instanceof Redis)) throw new Error('not a single-server client');
  return client.stream as Socket;
}

/** 40 commands issued in one tick: their replies, and how many socket writes they took. */
async function burst(client: RedisClient, key: string): Promise<{ replies: unknown[]; writes: number }> {
  const writes = countWrites(socketOf(client));
  const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? client.incr(key) : client.get(key))));
  return { replies, writes: writes() };
}

/** incr, get, incr, get, ...: each get sees the incr before it. */
const inOrder = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? i / 2 + 1 : String((i + 1) / 2)));

describe('batched writes', () => {
  it('sends the commands of one tick in one write, each reply to its own command', async () => {
    const { replies, writes } = await burst(redis, `${prefix}:n`);
    expect(replies).toEqual(inOrder);
    expect(writes).toBe(1);
  });

  it('sends a lone command before the next turn of the event loop', async () => {
    const socket = socketOf(redis);
    const before = socket.bytesWritten;
    const reply = redis.ping();
    await new Promise((r) => setImmediate(r));
    expect(socket.writableCorked).toBe(0);
    expect(socket.bytesWritten).toBeGreaterThan(before);
    expect(await reply).toBe('PONG');
  });

  it('batches the new socket after a reconnect', async () => {
    const first = socketOf(redis);
    const id = await redis.client('ID');
    const killer = new Redis(url);
    await killer.client('KILL', 'ID', String(id));
    killer.disconnect();
    await eventually(() => (redis.status === 'ready' && socketOf(redis) !== first ? true : undefined), 10_000, 'the reconnect');
    const { replies, writes } = await burst(redis, `${prefix}:after`);
    expect(replies).toEqual(inOrder);
    expect(writes).toBe(1);
  });

  it("batches a worker's connection", async () => {
    worker = outboundWorker(
      { redisUrl: url, prefix, logger: pino({ level: 'silent' }) },
      {
        domain: 'sms.writes.test',
        processor: () => async () => undefined,
        backoff: () => 0,
        abandoned: async () => undefined,
        concurrency: 1,
      },
    ) as unknown as Worker;
    const client = (await worker.client) as unknown as RedisClient;
    await waitReady(client, 5000);
    // BullMQ batches the client after it is ready; the hook is in place once the promise has run.
    await new Promise((r) => setImmediate(r));
    const { replies, writes } = await burst(client, `${prefix}:worker`);
    expect(replies).toEqual(inOrder);
    expect(writes).toBe(1);
  });

  it('takes a write per command on a plain ioredis client, so the counts above can tell', async () => {
    const plain = new Redis(url);
    try {
      await waitReady(plain, 5000);
      const { replies, writes } = await burst(plain, `${prefix}:plain`);
      expect(replies).toEqual(inOrder);
      expect(writes).toBe(40);
    } finally {
      plain.disconnect();
    }
  });
});
