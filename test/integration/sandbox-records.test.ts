/**
 * The sandbox's records on a real Redis: statuses follow their outbox
 * entries, entries from before statuses read as `sent`, and statuses of
 * entries the capped outbox dropped are pruned, not kept forever.
 */
import type { RedisClient } from '../../src/queue/redis.js';
import { describe, expect, it } from 'vitest';
import { SandboxRecords, type OutboxEntry } from '../../adapters/sandbox/records.js';
import { useTestRedis } from '../support/test-redis.js';

let redis: RedisClient;
let prefix: string;
useTestRedis('sandbox-records', (db) => ({ redis, prefix } = db));

const entry = (body: string): Omit<OutboxEntry, 'id'> => ({
  from: '+15550001111',
  to: '+15551234567',
  body,
  mediaUrls: [],
  senderJid: 'alice@localhost/phone',
  attempt: 1,
  sentAt: new Date().toISOString(),
  status: 'sent',
});

describe('SandboxRecords', () => {
  it('shows each entry with its latest status, and an entry written before statuses as sent', async () => {
    const records = new SandboxRecords(redis, prefix, 100);
    const a = await records.send(entry('a'));
    const b = await records.send(entry('b'));
    const { status: _dropped, ...old } = entry('from 0.1');
    await redis.xadd(`${prefix}:outbox`, '*', 'entry', JSON.stringify(old));
    await records.setStatus(a, 'failed', 'no signal');
    await records.setStatus(a, 'delivered');
    await records.setStatus(b, 'failed', 'no signal');
    expect((await records.outbox()).map((e) => [e.body, e.status, e.statusReason])).toEqual([
      ['a', 'delivered', undefined],
      ['b', 'failed', 'no signal'],
      ['from 0.1', 'sent', undefined],
    ]);
    await records.clearOutbox();
    expect(await records.outbox()).toEqual([]);
    expect(await redis.exists(`${prefix}:outbox-status`)).toBe(0);
  });

  it('prunes the statuses of entries the capped outbox has dropped', async () => {
    const records = new SandboxRecords(redis, prefix, 5);
    const ids: string[] = [];
    // MAXLEN ~ trims whole stream nodes (100 entries by default): 250 entries drop at least the first 100.
    for (let i = 0; i < 250; i++) ids.push(await records.send(entry(`m${i}`)));
    const kept = await records.outbox();
    const dropped = ids.filter((id) => !kept.some((e) => e.id === id));
    expect(dropped.length).toBeGreaterThanOrEqual(100);
    for (const id of [...dropped.slice(0, 5), ...kept.slice(-2).map((e) => e.id)]) await records.setStatus(id, 'delivered');
    const statuses = await redis.hkeys(`${prefix}:outbox-status`);
    expect(statuses.sort()).toEqual(kept.slice(-2).map((e) => e.id).sort());
  });
});
