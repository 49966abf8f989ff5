/**
 * An inbound id is stored once for INBOUND_DEDUPE_SECONDS, even after its job
 * has left BullMQ's completed list (which keeps at most 50,000): Twilio's
 * webhooks carry no timestamp, so a retry or a replay of an old one is caught
 * only by the id (issue 8, item 7).
 */
import type { RedisClient } from '../../src/queue/redis.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundJob } from '../../src/queue/jobs.js';
import { INBOUND_DEDUPE_SECONDS, QueueProducer } from '../../src/queue/producer.js';
import { ConversationOrder } from '../../src/store/conversation-order.js';
import { useTestRedis } from '../support/test-redis.js';

const DOMAIN = 'sms.localhost';
const job: InboundJob = { type: 'message', from: '+15551234567@sms.localhost', to: 'alice@localhost', body: 'hi', mediaUrls: [], receivedAt: 0 };
let redis: RedisClient;
let prefix: string;
useTestRedis('dedupe', (db) => ({ redis, prefix } = db));
let producer: QueueProducer;

beforeEach(async () => {
  producer = new QueueProducer(redis, prefix, [DOMAIN]);
});
afterEach(async () => {
  await producer.close();
});

/** A producer that places messages in their conversations, closed after `use`. */
async function withOrdered(use: (ordered: QueueProducer, order: ConversationOrder) => Promise<void>): Promise<void> {
  const order = new ConversationOrder(redis, prefix);
  const ordered = new QueueProducer(redis, prefix, [DOMAIN], order);
  try {
    await use(ordered, order);
  } finally {
    await ordered.close();
  }
}

/** The claim script runs in Redis but its answer never arrives (a dropped connection, a timeout). Returns the undo. */
function loseClaimAnswers(order: ConversationOrder): () => void {
  const claim = order.recordIfFirst.bind(order);
  order.recordIfFirst = async (...args) => {
    await claim(...args);
    throw new Error('Connection is closed.');
  };
  return () => {
    order.recordIfFirst = claim;
  };
}

describe('inbound dedupe', () => {
  it('stores an id once, and still refuses it after its job was removed', async () => {
    expect(await producer.enqueueInbound(DOMAIN, 'm-SM1', job)).toBe('queued');
    expect(await producer.enqueueInbound(DOMAIN, 'm-SM1', job)).toBe('duplicate');
    // What removeOnComplete's count cap does to an old job under volume.
    await producer.inboundQueue(DOMAIN).remove('m-SM1');
    expect(await producer.inboundQueue(DOMAIN).getJob('m-SM1')).toBeUndefined();
    expect(await producer.enqueueInbound(DOMAIN, 'm-SM1', job)).toBe('duplicate');
    expect(await producer.inboundQueue(DOMAIN).getJob('m-SM1')).toBeUndefined();
  });

  it('remembers the id for INBOUND_DEDUPE_SECONDS (48 h, beyond any Twilio retry)', async () => {
    await producer.enqueueInbound(DOMAIN, 'm-SM2', job);
    const [marker] = await redis.keys(`${prefix}:seen:*m-SM2`);
    expect(marker).toBeDefined();
    const ttl = await redis.ttl(marker!);
    expect(ttl).toBeGreaterThan(INBOUND_DEDUPE_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(INBOUND_DEDUPE_SECONDS);
    expect(INBOUND_DEDUPE_SECONDS).toBeGreaterThanOrEqual(24 * 3600);
  });

  it('frees the id when the job could not be stored, so the sender can retry', async () => {
    const queue = producer.inboundQueue(DOMAIN);
    const add = queue.add.bind(queue);
    queue.add = () => Promise.reject(new Error('Redis went away'));
    await expect(producer.enqueueInbound(DOMAIN, 'm-SM3', job)).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
    queue.add = add;
    expect(await producer.enqueueInbound(DOMAIN, 'm-SM3', job)).toBe('queued');
  });

  it('places a message in its conversation once: a repeat is neither placed nor added, and a failed add frees both', async () => {
    await withOrdered(async (ordered) => {
      const queue = ordered.inboundQueue(DOMAIN);
      const set = `${prefix}:order:${queue.name}:${job.to}:${job.from}`;
      const placed = async () => redis.zrange(set, 0, -1);
      expect(await ordered.enqueueInbound(DOMAIN, 'm-SM4', job)).toBe('queued');
      expect(await ordered.enqueueInbound(DOMAIN, 'm-SM4', job)).toBe('duplicate');
      expect(await placed()).toEqual(['m-SM4']);
      expect(await redis.get(`${set}:seq`)).toBe('1'); // the repeat took no place in the sequence
      const add = queue.add.bind(queue);
      queue.add = () => Promise.reject(new Error('Redis went away'));
      await expect(ordered.enqueueInbound(DOMAIN, 'm-SM5', job)).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
      expect(await placed()).toEqual(['m-SM4']);
      queue.add = add;
      expect(await ordered.enqueueInbound(DOMAIN, 'm-SM5', job)).toBe('queued');
      expect(await placed()).toEqual(['m-SM4', 'm-SM5']);
    });
  });

  it('undoes a claim whose answer was lost, so the sender\'s retry stores the message instead of being told it is a duplicate', async () => {
    await withOrdered(async (ordered, order) => {
      const restore = loseClaimAnswers(order);
      await expect(ordered.enqueueInbound(DOMAIN, 'm-SM6', job)).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
      restore();
      expect(await ordered.enqueueInbound(DOMAIN, 'm-SM6', job)).toBe('queued');
      expect(await ordered.inboundQueue(DOMAIN).getJob('m-SM6')).toBeDefined();
      const queue = ordered.inboundQueue(DOMAIN);
      expect(await redis.zrange(`${prefix}:order:${queue.name}:${job.to}:${job.from}`, 0, -1)).toEqual(['m-SM6']);

      // A status job has no conversation: its marker alone is set, and undone the same way.
      const status: InboundJob = { type: 'status', providerMessageId: 'SM7', status: 'delivered' };
      const set = redis.set.bind(redis) as (...a: unknown[]) => Promise<unknown>;
      (redis as unknown as { set: unknown }).set = async (...args: unknown[]) => {
        await set(...args);
        throw new Error('Connection is closed.');
      };
      try {
        await expect(ordered.enqueueInbound(DOMAIN, 's-SM7', status)).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
      } finally {
        (redis as unknown as { set: unknown }).set = set;
      }
      expect(await ordered.enqueueInbound(DOMAIN, 's-SM7', status)).toBe('queued');
    });
  });

  it('does not undo a marker another claim set, even once its job is gone', async () => {
    await withOrdered(async (ordered, order) => {
      expect(await ordered.enqueueInbound(DOMAIN, 'm-SM8', job)).toBe('queued');
      await ordered.inboundQueue(DOMAIN).remove('m-SM8'); // what removeOnComplete's count cap does under volume
      const restore = loseClaimAnswers(order);
      // A provider's retry whose claim answer is lost: the marker is the first claim's, so it stays.
      await expect(ordered.enqueueInbound(DOMAIN, 'm-SM8', job)).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
      restore();
      expect(await ordered.enqueueInbound(DOMAIN, 'm-SM8', job)).toBe('duplicate');
      expect(await ordered.inboundQueue(DOMAIN).getJob('m-SM8')).toBeUndefined();
    });
  });
});
