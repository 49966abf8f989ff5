/**
 * Two texts from the same phone to the same user reach the user in the order
 * the provider sent them, with many inbound jobs in flight and an XMPP outage
 * in the middle that makes some of them retry (issue 10, item 2). Real Redis,
 * the real producer and inbound worker; the XMPP link is a stand-in that
 * confirms stanzas after a random delay and loses what is written while it is
 * down, as a server that went away does.
 */
import { EventEmitter } from 'node:events';
import type { Element } from '@xmpp/component';
import type { Worker } from 'bullmq';
import type { RedisClient } from '../../src/queue/redis.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ComponentConnection } from '../../src/component/connection.js';
import { toXmppWorker } from '../../src/component/to-xmpp.js';
import { GatewayMetrics } from '../../src/metrics.js';
import { QueueProducer } from '../../src/queue/producer.js';
import { ConversationOrder } from '../../src/store/conversation-order.js';
import { MessageMap } from '../../src/store/message-map.js';
import { useTestRedis } from '../support/test-redis.js';
import { sleep, waitUntil } from '../support/waits.js';

const DOMAIN = 'sms.localhost';
const PHONES = ['+15551230001@sms.localhost', '+15551230002@sms.localhost'];
const USER = 'alice@localhost';
const PER_PHONE = 40;

let url: string;
let redis: RedisClient;
let prefix: string;
useTestRedis('order', (db) => ({ url, redis, prefix } = db));
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** The XMPP side as the inbound worker sees it: written stanzas are delivered unless the link is down. */
class FlakyLink extends EventEmitter {
  readonly domain = DOMAIN;
  /** Bodies the user received, by phone, in the order the server got them. */
  readonly delivered = new Map<string, string[]>();
  private online = false;
  private writes = 0;
  private pending = new Set<(err?: Error) => void>();

  constructor(private readonly outageAfterWrites: number) {
    super();
  }

  isOnline(): boolean {
    return this.online;
  }

  up(): void {
    this.online = true;
    this.emit('online');
  }

  async sendConfirmed(el: Element, _timeoutMs?: number, onWritten?: () => void): Promise<void> {
    if (!this.online) throw new Error('not connected');
    this.writes += 1;
    const from = String(el.attrs.from);
    this.delivered.set(from, [...(this.delivered.get(from) ?? []), el.getChildText('body') ?? '']);
    onWritten?.();
    if (this.writes === this.outageAfterWrites) void this.outage();
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        this.pending.delete(settle);
        if (err) reject(err);
        else resolve();
      };
      this.pending.add(settle);
      setTimeout(() => settle(), Math.random() * 15);
    });
  }

  /** The server goes away for a while: what is awaiting confirmation fails, what is written meanwhile is lost. */
  private async outage(): Promise<void> {
    await sleep(2);
    this.online = false;
    for (const settle of [...this.pending]) settle(new Error('XMPP connection lost before the server confirmed'));
    this.emit('offline');
    await sleep(150);
    this.up();
  }
}

/** Each phone's bodies in the order they first reached the user (a retried message may arrive twice). */
function firstArrivals(link: FlakyLink, phone: string): number[] {
  return [...new Set(link.delivered.get(phone) ?? [])].map((b) => Number(b.split(' ')[1]));
}

async function run(ordered: boolean): Promise<FlakyLink> {
  const order = ordered ? new ConversationOrder(redis, prefix) : undefined;
  const producer = new QueueProducer(redis, prefix, [DOMAIN], order);
  cleanup.push(() => producer.close());
  for (let i = 0; i < PER_PHONE; i++) {
    for (const phone of PHONES) {
      expect(await producer.enqueueInbound(DOMAIN, `m-${phone.slice(8, 12)}-${i}`, { type: 'message', from: phone, to: USER, body: `text ${i}`, mediaUrls: [], receivedAt: Date.now() })).toBe('queued');
    }
  }
  const link = new FlakyLink(12);
  const logger = pino({ level: 'silent' });
  const worker: Worker = toXmppWorker(
    { redisUrl: url, prefix, logger },
    {
      connection: link as unknown as ComponentConnection,
      messageMap: new MessageMap(redis, prefix),
      metrics: new GatewayMetrics(),
      logger,
      offlineRecheckMs: 50,
      orderRecheckMs: 20,
      ...(order ? { order } : {}),
    },
    20,
  ) as unknown as Worker;
  cleanup.push(() => worker.close(true));
  link.up();
  const everything = () => PHONES.every((p) => firstArrivals(link, p).length === PER_PHONE);
  await waitUntil(async () => everything() && (await producer.inboundQueue(DOMAIN).getJobCounts('completed')).completed === 2 * PER_PHONE, 20_000, 50);
  return link;
}

describe('inbound order per conversation', () => {
  it('delivers each phone\'s texts in the order they were stored, through an outage, 20 jobs in flight', async () => {
    const link = await run(true);
    const expected = Array.from({ length: PER_PHONE }, (_, i) => i);
    for (const phone of PHONES) expect(firstArrivals(link, phone)).toEqual(expected);
    // Nothing of the conversations' bookkeeping is left once every message is confirmed.
    expect(await redis.zcard(`${prefix}:order:in/${DOMAIN}:${USER}:${PHONES[0]}`)).toBe(0);
  });

  it('wakes the held-up texts behind a held-up one in order, instead of each waiting out its own recheck', async () => {
    // A conversation whose texts were all put back (as by a process that died): the first for over a
    // second (so it counts as held up), the 39 behind it for a minute. Woken by the one ahead, they go
    // within seconds, in order.
    const order = new ConversationOrder(redis, prefix);
    const producer = new QueueProducer(redis, prefix, [DOMAIN], order);
    cleanup.push(() => producer.close());
    const queue = producer.inboundQueue(DOMAIN);
    const phone = PHONES[0]!;
    for (let i = 0; i < PER_PHONE; i++) {
      const jobId = `held-${i}`;
      await order.recordIfFirst(`${prefix}:seen:${queue.name}:${jobId}`, 'placed', 3600, queue.name, phone, USER, jobId);
      await queue.add('m', { type: 'message', from: phone, to: USER, body: `text ${i}`, mediaUrls: [], receivedAt: Date.now() }, { jobId, delay: i === 0 ? 1_200 : 60_000 });
    }
    expect((await queue.getJobCounts('delayed')).delayed).toBe(PER_PHONE);
    const link = new FlakyLink(Number.POSITIVE_INFINITY);
    const logger = pino({ level: 'silent' });
    const worker: Worker = toXmppWorker(
      { redisUrl: url, prefix, logger },
      { connection: link as unknown as ComponentConnection, messageMap: new MessageMap(redis, prefix), metrics: new GatewayMetrics(), logger, order, orderRecheckMs: 60_000 },
      20,
    ) as unknown as Worker;
    cleanup.push(() => worker.close(true));
    link.up();
    await waitUntil(() => firstArrivals(link, phone).length === PER_PHONE, 15_000, 50);
    expect(firstArrivals(link, phone)).toEqual(Array.from({ length: PER_PHONE }, (_, i) => i));
  });
});
