/**
 * The built gateway on the Redis setups operators use for availability, each
 * started by the test: a 3-master Redis Cluster (`redis+cluster://`) and a
 * master found through Redis Sentinel (`redis+sentinel://`). A message goes
 * out to the provider double with a receipt back, and a reply comes in, so
 * every queue, store and Lua script the gateway uses runs against them; on
 * Sentinel, again after the master is killed and its replica promoted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioDouble } from '../doubles/twilio.js';
import { keysPerNode, redisCli, sentinelMaster, startRedisCluster, startRedisSentinel, type RedisTopology } from '../support/redis-topologies.js';
import type { PrivateRedis } from '../support/redis.js';
import { chat, receiptFor, receiptRequest, smsStack, type E2EStack } from '../support/stack.js';
import { eventually } from '../support/waits.js';
import type { TestClient } from '../support/xmpp-client.js';

const SMS = 'sms.localhost';
const PHONE = '+15551234567';
const CONTACT = `${PHONE}@${SMS}`;
const ALICE_NUMBER = '+15550001111';
const MASTER = 'gateway';

describe.each([
  { kind: 'cluster', start: () => startRedisCluster(3) },
  { kind: 'sentinel', start: () => startRedisSentinel(MASTER, { replica: true }) },
])('the gateway on a Redis $kind (e2e)', ({ kind, start }) => {
  let topology: (RedisTopology & { sentinel?: PrivateRedis }) | undefined;
  let twilio: TwilioDouble;
  let stack: E2EStack | undefined;
  let alice: TestClient;

  beforeAll(async () => {
    topology = await start();
    twilio = await TwilioDouble.start();
    stack = await smsStack({ label: `redis-${kind}`, double: twilio, number: ALICE_NUMBER, domain: SMS, redisUrl: topology.url });
    alice = await stack.login('alice');
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await topology?.stop();
  });

  /** A message out with its receipt, a reply in: every queue and store of the gateway at work. */
  async function bothWays(tag: string): Promise<void> {
    if (stack === undefined) throw new Error('no stack');
    const body = `${tag}-out`;
    await alice.send(chat(CONTACT, body, body, [receiptRequest()]));
    const sent = await eventually(() => twilio.messages.find((m) => m.body === body), 20_000, `${body} at the provider`);
    expect([sent.from, sent.to]).toEqual([ALICE_NUMBER, PHONE]);
    await stack.waitSettled(SMS, 20_000);
    const url = stack.gateway.httpUrl;
    expect((await twilio.sendStatus(url, url, SMS, sent.sid, 'delivered')).status).toBeLessThan(300);
    expect((await receiptFor(alice, body)).attrs.from).toBe(CONTACT);

    const reply = `${tag}-in`;
    expect((await twilio.sendInbound(url, url, SMS, { from: PHONE, to: ALICE_NUMBER, body: reply })).status).toBe(200);
    expect((await alice.waitFor((el) => el.getChildText('body') === reply)).attrs.from).toBe(CONTACT);
    expect(twilio.messages.filter((m) => m.body === body)).toHaveLength(1);
    expect(stack.gateway.output()).not.toMatch(/CROSSSLOT|non local key|MOVED/i);
  }

  it('delivers a message out with its receipt, and a reply in', { timeout: 60_000 }, async () => {
    await bothWays(kind);
  });

  // Only on a cluster (registered only there, so nothing is reported skipped).
  if (kind === 'cluster') it('keeps every key it wrote in the one slot of its hash tag', async () => {
    if (stack === undefined || topology === undefined) throw new Error('no stack');
    const nodes = topology.nodes;
    const first = nodes[0];
    if (first === undefined) throw new Error('no nodes');
    const slot = (await redisCli(first.port, 'cluster', 'keyslot', `{${stack.prefix}}`)).trim();
    const inSlot = await Promise.all(nodes.map(async (n) => Number((await redisCli(n.port, 'cluster', 'countkeysinslot', slot)).trim())));
    const total = (await keysPerNode(topology)).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);
    expect(inSlot.reduce((a, b) => a + b, 0)).toBe(total);
  });

  // Only on a sentinel (registered only there, so nothing is reported skipped).
  if (kind === 'sentinel') it('writes to the master the Sentinel names', async () => {
    if (topology === undefined) throw new Error('no topology');
    const [onMaster] = await keysPerNode(topology);
    expect(onMaster).toBeGreaterThan(0);
  });

  // Only on a sentinel (registered only there, so nothing is reported skipped).
  if (kind === 'sentinel') it('keeps delivering after the Sentinel fails the master over to its replica', { timeout: 90_000 }, async () => {
    const [master, replica] = topology?.nodes ?? [];
    const sentinel = topology?.sentinel;
    if (stack === undefined || master === undefined || replica === undefined || sentinel === undefined) throw new Error('no replica');
    // Everything written so far has reached the replica before the master dies.
    expect(Number((await redisCli(master.port, 'wait', '1', '5000')).trim())).toBe(1);
    await master.kill();
    await eventually(async () => ((await sentinelMaster(sentinel, MASTER)) === replica.port ? true : undefined), 30_000, 'the replica promoted');
    await stack.gateway.waitReady(30_000);
    await bothWays(`${kind}-failover`);
    // The gateway lost the old master and found the new one through the Sentinel.
    expect(stack.gateway.logs().some((l) => l.msg === 'Redis connection restored')).toBe(true);
  });
});
