/**
 * The XEP-0050 commands that run the gateway (statistics, backlog, failed
 * deliveries listed and retried, users) on a real Redis, through the stanza
 * router on a fake connection: what an admin sees and gets done, and that
 * anyone else neither sees nor runs them.
 */
import { xml, type Element } from '@xmpp/component';
import { UnrecoverableError, Worker, type Queue } from 'bullmq';
import type { RedisClient } from '../../src/queue/redis.js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../src/metrics.js';
import { smsProfile } from '../../src/networks/sms/index.js';
import { QueueInspector } from '../../src/queue/inspect.js';
import { outboundQueueName } from '../../src/queue/names.js';
import { QueueProducer } from '../../src/queue/producer.js';
import { OwnershipStore } from '../../src/store/ownership.js';
import { fakeConnection, routeSmsComponent, type FakeConnection } from '../support/fake-connection.js';
import { outbound } from '../support/fixtures.js';
import { errorCondition } from '../support/stanza-errors.js';
import { useTestRedis } from '../support/test-redis.js';
import { eventually } from '../support/waits.js';

const SMS = 'sms.localhost';
const HOOKS = 'hooks.localhost';
const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const NS_ITEMS = 'http://jabber.org/protocol/disco#items';
const OPERATIONS = ['stats', 'backlog', 'failed-deliveries', 'retry-deliveries', 'users'];

let url: string;
let redis: RedisClient;
let prefix: string;
useTestRedis('operations', (db) => ({ url, redis, prefix } = db));

let fake: FakeConnection;
let producer: QueueProducer;
let metrics: GatewayMetrics;
let store: OwnershipStore;
let failer: Worker | undefined;

beforeEach(async () => {
  const logger = pino({ level: 'silent' });
  producer = new QueueProducer(redis, prefix, [SMS, HOOKS]);
  const queues = new Map<string, Queue>();
  for (const d of [SMS, HOOKS]) for (const q of [producer.outboundQueue(d), producer.inboundQueue(d)] as unknown as Queue[]) queues.set(q.name, q);
  metrics = new GatewayMetrics();
  const sms = smsProfile.ownership!;
  store = new OwnershipStore(redis, prefix, SMS, sms.wording, { '+15550001111': 'alice@localhost' }, []);
  await store.applyConfig();
  fake = fakeConnection(SMS, logger);
  routeSmsComponent(fake, {
    store,
    logger,
    metrics,
    operations: {
      inspector: new QueueInspector(() => queues),
      metrics,
      logger,
      components: () => [{ domain: SMS, ownership: { store, noun: 'number' } }, { domain: HOOKS }],
    },
  });
});

afterEach(async () => {
  await failer?.close();
  failer = undefined;
  await producer.close();
});

let seq = 0;
async function iq(from: string, type: 'get' | 'set', child: Element): Promise<Element> {
  return fake.reply(xml('iq', { type, to: SMS, from: `${from}/res`, id: `op-${++seq}` }, child));
}

const execute = (from: string, node: string) => iq(from, 'set', xml('command', { xmlns: NS_COMMANDS, node, action: 'execute' }));

const submit = (node: string, fields: Record<string, string[]>) =>
  iq(
    'admin@localhost',
    'set',
    xml(
      'command',
      { xmlns: NS_COMMANDS, node, action: 'complete' },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...Object.entries(fields).map(([v, values]) => xml('field', { var: v }, ...values.map((value) => xml('value', {}, value))))),
    ),
  );

/** A result table's rows, as objects by column var. */
function rows(reply: Element): Array<Record<string, string>> {
  const form = reply.getChild('command')?.getChild('x', 'jabber:x:data');
  return (form?.getChildren('item') ?? []).map((item) => Object.fromEntries(item.getChildren('field').map((f) => [String(f.attrs.var), f.getChildText('value') ?? ''])));
}

/** Queues `bodies` on SMS and fails them for good, as a provider's permanent refusal does. */
async function failedDeliveries(bodies: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, body] of bodies.entries()) {
    const m = { ...outbound(SMS, `+1555123450${i}`, body), senderJid: 'alice@localhost' };
    await producer.enqueueOutbound(m);
    ids.push(m.id);
  }
  const refuse = async (): Promise<unknown> => {
    throw new UnrecoverableError('DESTINATION_INVALID: provider said: not a mobile number');
  };
  const worker = new Worker<unknown, unknown>(outboundQueueName(SMS), refuse, { connection: { url }, prefix });
  failer = worker as Worker;
  await eventually(async () => ((await producer.outboundQueue(SMS).getJobCounts('failed')).failed === bodies.length ? true : undefined), 10_000, 'failed jobs');
  failer = undefined;
  await worker.close();
  return ids;
}

describe('operations commands (XEP-0050) for admins', () => {
  it('lists them to admins after the address commands, and describes each node', async () => {
    const items = await iq('admin@localhost', 'get', xml('query', { xmlns: NS_ITEMS, node: NS_COMMANDS }));
    expect(items.getChild('query')?.getChildren('item').map((i) => i.attrs.node)).toEqual(['assign-number', 'release-number', 'list-numbers', ...OPERATIONS]);
    const info = await iq('admin@localhost', 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'retry-deliveries' }));
    expect(info.getChild('query')?.getChild('identity')?.attrs).toMatchObject({ category: 'automation', type: 'command-node', name: 'Retry failed deliveries' });
  });

  it('refuses everyone else: no items, no node info, forbidden with the original id', async () => {
    const items = await iq('bob@localhost', 'get', xml('query', { xmlns: NS_ITEMS, node: NS_COMMANDS }));
    expect(items.getChild('query')?.getChildren('item')).toEqual([]);
    const info = await iq('bob@localhost', 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'stats' }));
    expect(errorCondition(info)).toBe('item-not-found');
    const ids = await failedDeliveries(['not for bob']);
    for (const node of OPERATIONS) {
      const id = `bob-${node}`;
      const refused = await fake.reply(xml('iq', { type: 'set', to: SMS, from: 'bob@localhost/res', id }, xml('command', { xmlns: NS_COMMANDS, node, action: 'execute' })));
      expect([refused.attrs.type, refused.attrs.id, errorCondition(refused)]).toEqual(['error', id, 'forbidden']);
    }
    const retry = await fake.reply(
      xml(
        'iq',
        { type: 'set', to: SMS, from: 'bob@localhost/res', id: 'bob-retry-submit' },
        xml('command', { xmlns: NS_COMMANDS, node: 'retry-deliveries', action: 'complete' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'jobs' }, xml('value', {}, 'all')))),
      ),
    );
    expect(errorCondition(retry)).toBe('forbidden');
    expect((await producer.outboundQueue(SMS).getJobCounts('failed', 'waiting')).failed).toBe(ids.length);
  });

  it('stats: per component and direction, from this process and the queues', async () => {
    metrics.at(metrics.outboundAccepted, SMS, 'queued').inc(3);
    metrics.at(metrics.deliveries, SMS, 'sent').inc(2);
    metrics.at(metrics.deliveries, SMS, 'retry').inc(5);
    metrics.at(metrics.inbound, HOOKS, 'message', 'queued').inc(4);
    metrics.at(metrics.stanzasOut, HOOKS, 'message').inc(4);
    await failedDeliveries(['one that failed']);
    metrics.at(metrics.deliveries, SMS, 'failed').inc();
    const reply = await execute('admin@localhost', 'stats');
    expect(reply.getChild('command')?.attrs.status).toBe('completed');
    expect(reply.getChild('command')?.getChildText('note')).toMatch(/since it started/);
    const table = rows(reply).map((r) => [r.domain, r.direction?.split(' ')[0], r.accepted, r.delivered, r.failed, r.pending, r.kept]);
    expect(table).toEqual([
      [SMS, 'out', '3', '2', '1', '0', '1'],
      [SMS, 'in', '0', '0', '0', '0', '0'],
      [HOOKS, 'out', '0', '0', '0', '0', '0'],
      [HOOKS, 'in', '4', '4', '0', '0', '0'],
    ]);
  });

  it('backlog: waiting, delayed and active per queue, and the oldest pending age', async () => {
    await producer.enqueueOutbound(outbound(SMS, '+15551230000', 'waiting'));
    await producer.enqueueOutbound({ ...outbound(SMS, '+15551230001', 'paced'), paced: { slot: Date.now() + 60_000, attempt: 1 } });
    const table = rows(await execute('admin@localhost', 'backlog'));
    const byQueue = Object.fromEntries(table.map((r) => [r.queue, r]));
    expect(Object.keys(byQueue).sort()).toEqual([`in/${HOOKS}`, `in/${SMS}`, `out/${HOOKS}`, `out/${SMS}`]);
    expect(byQueue[`out/${SMS}`]).toMatchObject({ waiting: '1', delayed: '1', active: '0' });
    expect(byQueue[`out/${SMS}`]?.oldest).toMatch(/^\d+ s$/);
    expect(byQueue[`in/${SMS}`]).toMatchObject({ waiting: '0', delayed: '0', oldest: '-' });
  });

  it('failed deliveries: listed newest first with recipient, sender, error and time; retried by id, then all', async () => {
    const before = Date.now();
    const ids = await failedDeliveries(['first to fail', 'second to fail', 'third to fail']);
    const form = await execute('admin@localhost', 'failed-deliveries');
    expect(form.getChild('command')?.attrs.status).toBe('executing');
    const listed = rows(await submit('failed-deliveries', { max: ['2'] }));
    expect(listed).toHaveLength(2);
    for (const row of listed) {
      expect(ids).toContain(row.id);
      expect(row).toMatchObject({ domain: SMS, sender: 'alice@localhost', error: 'DESTINATION_INVALID: provider said: not a mobile number' });
      expect(row.to).toMatch(/^\+1555123450\d$/);
      expect(Date.parse(row.at ?? '')).toBeGreaterThanOrEqual(before - 1000);
    }
    expect(Date.parse(listed[0]?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(listed[1]?.at ?? ''));

    const retryForm = await execute('admin@localhost', 'retry-deliveries');
    const field = retryForm.getChild('command')?.getChild('x', 'jabber:x:data')?.getChild('field');
    expect(field?.attrs).toMatchObject({ var: 'jobs', type: 'list-multi' });
    const choices = field?.getChildren('option').map((o) => o.getChildText('value')) ?? [];
    expect(choices[0]).toBe('all');
    expect(choices.slice(1).sort()).toEqual([...ids].sort());
    expect(field?.getChildren('option')[1]?.attrs.label).toMatch(/^\+1555123450\d on sms\.localhost from alice@localhost: DESTINATION_INVALID/);

    const one = await submit('retry-deliveries', { jobs: [ids[0]!, 'o-gone'] });
    expect(one.getChild('command')?.getChildText('note')).toBe(`Retried 1: ${ids[0]}. Not failed (any more): o-gone.`);
    expect(await producer.outboundQueue(SMS).getJobCounts('failed', 'waiting')).toMatchObject({ failed: 2, waiting: 1 });
    const all = await submit('retry-deliveries', { jobs: ['all'] });
    expect(all.getChild('command')?.getChildText('note')).toMatch(/^Retried 2: /);
    expect(await producer.outboundQueue(SMS).getJobCounts('failed', 'waiting')).toMatchObject({ failed: 0, waiting: 3 });
    const none = await submit('retry-deliveries', { jobs: [] });
    expect(errorCondition(none)).toBe('bad-request');
  });

  it('users: who holds which number, across components', async () => {
    await store.assign('+15550002222', 'bob@localhost');
    const table = rows(await execute('admin@localhost', 'users'));
    expect(table).toEqual([
      { jid: 'alice@localhost', domain: SMS, kind: 'number', address: '+15550001111' },
      { jid: 'bob@localhost', domain: SMS, kind: 'number', address: '+15550002222' },
    ]);
  });
});
