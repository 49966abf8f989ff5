/**
 * Number ownership, XEP-0077 registration and the XEP-0050 admin commands on
 * a real Redis, through the stanza router on a fake connection (stanzas in
 * through the entity, replies captured from send()).
 */
import { xml, type Element } from '@xmpp/component';
import type { RedisClient } from '../../src/queue/redis.js';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { smsProfile } from '../../src/networks/sms/index.js';
import type { ComponentConnection } from '../../src/component/connection.js';
import { DailyCap, NumberPacer, SenderBucket } from '../../src/store/limits.js';
import { OwnershipStore } from '../../src/store/ownership.js';
import { fakeConnection, routeSmsComponent, type FakeConnection } from '../support/fake-connection.js';
import { useTestRedis } from '../support/test-redis.js';
import { errorCondition } from '../support/stanza-errors.js';

const DOMAIN = 'sms.localhost';
const POOL = ['+15550002222', '+15550003333'];
let url: string;
let redis: RedisClient;
let prefix: string;
useTestRedis('numbers', (db) => ({ url, redis, prefix } = db));
let store: OwnershipStore;
const sms = smsProfile.ownership!;

beforeEach(async () => {
  store = new OwnershipStore(redis, prefix, DOMAIN, sms.wording, { '+15550001111': 'alice@localhost' }, POOL);
  await store.applyConfig();
});

describe('NumberStore', () => {
  it('applies configured numbers and answers both ways', async () => {
    expect(await store.addressOf('Alice@localhost')).toBe('+15550001111');
    expect(await store.ownerOf('+15550001111')).toBe('alice@localhost');
    expect(await store.freeAddresses()).toEqual(POOL);
  });

  it('lets a user claim the first free pool number, once', async () => {
    expect(await store.claim('bob@localhost')).toBe('+15550002222');
    expect(await store.claim('bob@localhost')).toBe('+15550002222');
    await expect(store.claim('bob@localhost', '+15550003333')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(store.claim('carol@localhost', '+15550002222')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.claim('carol@localhost', '+15559999999')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.claim('carol@localhost')).toBe('+15550003333');
    await expect(store.claim('dave@localhost')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('never gives one number to two users when they race', async () => {
    const users = Array.from({ length: 10 }, (_, i) => `u${i}@localhost`);
    const results = await Promise.allSettled(users.map((u) => store.claim(u)));
    const won = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<string>).value);
    expect(won.sort()).toEqual(POOL);
    expect(Object.keys(await store.all()).sort()).toEqual(['+15550001111', ...POOL]);
  });

  it('releases, and admin assignment moves a number between users', async () => {
    expect(await store.release('alice@localhost')).toBe('+15550001111');
    expect(await store.ownerOf('+15550001111')).toBeUndefined();
    await store.assign('+15550002222', 'bob@localhost');
    expect(await store.assign('+15550002222', 'carol@localhost')).toBe('bob@localhost');
    expect(await store.addressOf('bob@localhost')).toBeUndefined();
    expect(await store.releaseAddress('+15550002222')).toBe('carol@localhost');
  });
});

describe('limits', () => {
  it('caps messages per user per day and gives back what was not sent', async () => {
    const cap = new DailyCap(redis, prefix, DOMAIN, 2);
    const now = Date.UTC(2026, 10, 21, 12);
    expect(await cap.take('alice@localhost', now)).toBe(true);
    expect(await cap.take('alice@localhost', now)).toBe(true);
    expect(await cap.take('alice@localhost', now)).toBe(false);
    expect(await cap.take('bob@localhost', now)).toBe(true);
    await cap.giveBack('alice@localhost', now);
    expect(await cap.take('alice@localhost', now)).toBe(true);
    expect(await cap.take('alice@localhost', now + 24 * 3600 * 1000)).toBe(true);
  });

  it('counts one user under one daily key whatever the case of their JID', async () => {
    const cap = new DailyCap(redis, prefix, DOMAIN, 2);
    const spellings = ['alice@localhost', 'Alice@LocalHost', 'ALICE@localhost'];
    const taken = [];
    for (const jid of spellings) taken.push(await cap.take(jid, Date.UTC(2026, 10, 21, 12)));
    expect(taken).toEqual([true, true, false]);
    expect(await redis.keys(`${prefix}:daily:*`)).toHaveLength(1);
  });

  it('lets a daily count expire within two days, so the keys of past days do not pile up', async () => {
    const cap = new DailyCap(redis, prefix, DOMAIN, 5);
    await cap.take('alice@localhost', Date.UTC(2026, 10, 21, 12));
    const [key] = await redis.keys(`${prefix}:daily:*`);
    const ttl = await redis.ttl(key!);
    expect(ttl).toBeGreaterThan(24 * 3600);
    expect(ttl).toBeLessThanOrEqual(2 * 24 * 3600);
  });

  it('lets a sender burst, then holds them to the sustained rate, saying how long to wait', async () => {
    const bucket = new SenderBucket(redis, prefix, DOMAIN, 2, 3);
    const t = 10_000;
    expect([await bucket.take('a@x', t), await bucket.take('a@x', t), await bucket.take('a@x', t)]).toEqual([0, 0, 0]);
    expect(await bucket.take('a@x', t)).toBe(500);
    expect(await bucket.take('b@x', t)).toBe(0);
    expect(await bucket.take('a@x', t + 500)).toBe(0);
    expect(await bucket.take('a@x', t + 600)).toBe(400);
    expect(await bucket.take('A@X', t + 10_000)).toBe(0);
  });

  it('books consecutive slots per number at its rate, numbers independently', async () => {
    const pacer = new NumberPacer(redis, prefix, DOMAIN, 2);
    expect(await pacer.book('+15550001111', 1000)).toBe(1000);
    expect(await pacer.book('+15550001111', 1100)).toBe(1500);
    expect(await pacer.book('+15550001111', 1100)).toBe(2000);
    expect(await pacer.book('+15550002222', 1100)).toBe(1100);
    expect(await pacer.book('+15550001111', 5000)).toBe(5000);
  });
});

describe('registration and admin commands over XMPP', () => {
  let fake: FakeConnection;
  let sent: Element[];
  let connection: ComponentConnection;

  beforeEach(() => {
    const logger = pino({ level: 'silent' });
    fake = fakeConnection(DOMAIN, logger);
    ({ connection, sent } = fake);
    routeSmsComponent(fake, { store, logger, numberPool: POOL });
  });

  async function iq(from: string, type: 'get' | 'set', child: Element): Promise<Element> {
    const id = `iq-${sent.length}-${Math.random()}`;
    return fake.reply(xml('iq', { type, to: DOMAIN, from: `${from}/res`, id }, child));
  }
  const condition = errorCondition;

  it('advertises registration and commands on an sms component', async () => {
    const info = await iq('bob@localhost', 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    const features = info.getChild('query')?.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining(['jabber:iq:register', 'http://jabber.org/protocol/commands']));
  });

  it('XEP-0077: shows free numbers, claims one, shows it registered, removes it', async () => {
    const form = await iq('bob@localhost', 'get', xml('query', { xmlns: 'jabber:iq:register' }));
    const field = form.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === 'number');
    expect(field?.getChildren('option').map((o) => o.getChildText('value'))).toEqual(POOL);

    const submit = xml(
      'query',
      { xmlns: 'jabber:iq:register' },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'number' }, xml('value', {}, '+15550003333'))),
    );
    expect((await iq('bob@localhost', 'set', submit)).attrs.type).toBe('result');
    expect(await store.addressOf('bob@localhost')).toBe('+15550003333');

    const registered = await iq('bob@localhost', 'get', xml('query', { xmlns: 'jabber:iq:register' }));
    expect(registered.getChild('query')?.getChild('registered')).toBeDefined();
    expect(registered.getChild('query')?.getChildText('username')).toBe('+15550003333');

    const remove = await iq('bob@localhost', 'set', xml('query', { xmlns: 'jabber:iq:register' }, xml('remove')));
    expect(remove.attrs.type).toBe('result');
    expect(await store.addressOf('bob@localhost')).toBeUndefined();
    const again = await iq('bob@localhost', 'set', xml('query', { xmlns: 'jabber:iq:register' }, xml('remove')));
    expect(condition(again)).toBe('item-not-found');
  });

  it('XEP-0077: legacy <username/> claims too; strangers are refused', async () => {
    const legacy = await iq('carol@localhost', 'set', xml('query', { xmlns: 'jabber:iq:register' }, xml('username', {}, '+15550002222')));
    expect(legacy.attrs.type).toBe('result');
    expect(await store.addressOf('carol@localhost')).toBe('+15550002222');
    const stranger = await iq('eve@evil.example', 'get', xml('query', { xmlns: 'jabber:iq:register' }));
    expect(condition(stranger)).toBe('forbidden');
  });

  it('XEP-0050: admins see and run commands; others see none and are refused', async () => {
    const items = await iq('admin@localhost', 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: 'http://jabber.org/protocol/commands' }));
    expect(items.getChild('query')?.getChildren('item').map((i) => i.attrs.node)).toEqual(['assign-number', 'release-number', 'list-numbers']);
    const none = await iq('bob@localhost', 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: 'http://jabber.org/protocol/commands' }));
    expect(none.getChild('query')?.getChildren('item')).toEqual([]);
    const refused = await iq('bob@localhost', 'set', xml('command', { xmlns: 'http://jabber.org/protocol/commands', node: 'list-numbers', action: 'execute' }));
    expect(condition(refused)).toBe('forbidden');

    const start = await iq('admin@localhost', 'set', xml('command', { xmlns: 'http://jabber.org/protocol/commands', node: 'assign-number', action: 'execute' }));
    const cmd = start.getChild('command');
    expect(cmd?.attrs.status).toBe('executing');
    const submit = xml(
      'command',
      { xmlns: 'http://jabber.org/protocol/commands', node: 'assign-number', sessionid: cmd?.attrs.sessionid, action: 'complete' },
      xml(
        'x',
        { xmlns: 'jabber:x:data', type: 'submit' },
        xml('field', { var: 'number' }, xml('value', {}, '+1 555 000 2222')),
        xml('field', { var: 'jid' }, xml('value', {}, 'Dave@localhost')),
      ),
    );
    const done = await iq('admin@localhost', 'set', submit);
    expect(done.getChild('command')?.attrs.status).toBe('completed');
    expect(done.getChild('command')?.getChildText('note')).toBe('+15550002222 now belongs to dave@localhost.');
    expect(await store.addressOf('dave@localhost')).toBe('+15550002222');

    const list = await iq('admin@localhost', 'set', xml('command', { xmlns: 'http://jabber.org/protocol/commands', node: 'list-numbers', action: 'execute' }));
    const rows = list.getChild('command')?.getChild('x', 'jabber:x:data')?.getChildren('item');
    expect(rows?.map((r) => r.getChildren('field').map((f) => f.getChildText('value')))).toEqual([
      ['+15550001111', 'alice@localhost'],
      ['+15550002222', 'dave@localhost'],
      ['+15550003333', '(free)'],
    ]);

    const bad = await iq(
      'admin@localhost',
      'set',
      xml(
        'command',
        { xmlns: 'http://jabber.org/protocol/commands', node: 'release-number', action: 'complete' },
        xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'number' }, xml('value', {}, '+15550003333'))),
      ),
    );
    expect(condition(bad)).toBe('item-not-found');
  });
});
