/**
 * The sender checks in one Lua call (src/store/sender-gate.ts) on a real
 * Redis: the same verdicts, in the same order, with the same side effects as
 * the separate stores they combine, which read and write the same keys.
 */
import type { RedisClient } from '../../src/queue/redis.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { smsProfile } from '../../src/networks/sms/index.js';
import { DailyCap, NumberPacer, SenderBucket } from '../../src/store/limits.js';
import { luaScript, runScript } from '../../src/store/lua.js';
import { OwnershipStore } from '../../src/store/ownership.js';
import { SenderGate } from '../../src/store/sender-gate.js';
import { useTestRedis } from '../support/test-redis.js';

const DOMAIN = 'sms.localhost';
const NOW = Date.UTC(2026, 10, 21, 12);
let redis: RedisClient;
let prefix: string;
useTestRedis('gate', (db) => ({ redis, prefix } = db));
let owners: OwnershipStore;

beforeEach(async () => {
  owners = new OwnershipStore(redis, prefix, DOMAIN, smsProfile.ownership!.wording, { '+15550001111': 'alice@localhost' }, []);
  await owners.applyConfig();
});

describe('SenderGate', () => {
  it('reads the sender number (whatever the case of the JID) and books its slot after the one the pacer booked', async () => {
    const pacer = new NumberPacer(redis, prefix, DOMAIN, 2);
    const gate = new SenderGate(redis, { ownersKey: owners.ownersKey, requireAddress: true, pacer });
    expect(await pacer.book('+15550001111', NOW)).toBe(NOW);
    expect(await gate.check('Alice@LocalHost', NOW, 1)).toEqual({ verdict: 'ok', from: '+15550001111', slot: NOW + 500 });
    expect(await pacer.book('+15550001111', NOW)).toBe(NOW + 1000);
  });

  it('refuses a sender without a number before counting anything, when one is required', async () => {
    const cap = new DailyCap(redis, prefix, DOMAIN, 5);
    const gate = new SenderGate(redis, { ownersKey: owners.ownersKey, requireAddress: true, cap });
    expect(await gate.check('bob@localhost', NOW, 1)).toEqual({ verdict: 'unregistered' });
    expect(await redis.get(cap.key('bob@localhost', NOW))).toBeNull();
    const optional = new SenderGate(redis, { ownersKey: owners.ownersKey, requireAddress: false, cap });
    expect(await optional.check('bob@localhost', NOW, 1)).toEqual({ verdict: 'ok' });
  });

  it('holds a sender to the bucket, counting nothing against the cap for a refused message', async () => {
    const bucket = new SenderBucket(redis, prefix, DOMAIN, 2, 3);
    const cap = new DailyCap(redis, prefix, DOMAIN, 100);
    const gate = new SenderGate(redis, { ownersKey: owners.ownersKey, requireAddress: false, bucket, cap });
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push(await gate.check('alice@localhost', NOW, 1));
    expect(verdicts.map((v) => v.verdict)).toEqual(['ok', 'ok', 'ok', 'rate']);
    expect(verdicts[3]).toEqual({ verdict: 'rate', from: '+15550001111', waitMs: 500 });
    expect(await redis.get(cap.key('alice@localhost', NOW))).toBe('3');
    // The separate bucket reads the same state.
    expect(await bucket.take('alice@localhost', NOW + 500)).toBe(0);
  });

  it('stops at the daily cap, in units, giving back what it refused, with the same TTL as DailyCap', async () => {
    const cap = new DailyCap(redis, prefix, DOMAIN, 3);
    const gate = new SenderGate(redis, { requireAddress: false, cap });
    expect((await gate.check('carol@localhost', NOW, 2)).verdict).toBe('ok');
    expect((await gate.check('carol@localhost', NOW, 2)).verdict).toBe('cap');
    expect((await gate.check('carol@localhost', NOW, 1)).verdict).toBe('ok');
    expect(await cap.take('carol@localhost', NOW)).toBe(false);
    const ttl = await redis.ttl(cap.key('carol@localhost', NOW));
    expect(ttl).toBeGreaterThan(24 * 3600);
  });

  it('books no slot for a sender without a number, nor for a refused message', async () => {
    const pacer = new NumberPacer(redis, prefix, DOMAIN, 1);
    const cap = new DailyCap(redis, prefix, DOMAIN, 1);
    const gate = new SenderGate(redis, { ownersKey: owners.ownersKey, requireAddress: false, cap, pacer });
    expect(await gate.check('dave@localhost', NOW, 1)).toEqual({ verdict: 'ok' });
    expect((await gate.check('alice@localhost', NOW, 1)).verdict).toBe('ok');
    expect((await gate.check('alice@localhost', NOW, 1)).verdict).toBe('cap');
    expect(await pacer.book('+15550001111', NOW)).toBe(NOW + 1000);
  });

  it('runs a script Redis does not know yet (a restart, SCRIPT FLUSH) by sending it in full', async () => {
    // A script no Redis has seen; flushing the shared Redis' scripts would disturb other test runs.
    const fresh = luaScript(`-- ${prefix}\nreturn ARGV[1] .. KEYS[1]`);
    expect(await redis.script('EXISTS', fresh.sha)).toEqual([0]);
    expect(await runScript(redis, fresh, ['k'], ['v'])).toBe('vk');
    expect(await redis.script('EXISTS', fresh.sha)).toEqual([1]);
  });
});
