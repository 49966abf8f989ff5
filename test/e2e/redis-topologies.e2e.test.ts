/**
 * The built gateway on the Redis setups operators use for availability, each
 * started by the test: a 3-master Redis Cluster (`redis+cluster://`) and a
 * master found through Redis Sentinel (`redis+sentinel://`). A message goes
 * out to the provider double with a receipt back, and a reply comes in, so
 * every queue, store and Lua script the gateway uses runs against them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioDouble } from '../doubles/twilio.js';
import { keysPerNode, redisCli, startRedisCluster, startRedisSentinel, type RedisTopology } from '../support/redis-topologies.js';
import { chat, receiptFor, receiptRequest, smsStack, type E2EStack } from '../support/stack.js';
import { eventually } from '../support/waits.js';
import type { TestClient } from '../support/xmpp-client.js';

const SMS = 'sms.localhost';
const PHONE = '+15551234567';
const CONTACT = `${PHONE}@${SMS}`;
const ALICE_NUMBER = '+15550001111';

describe.each([
  { kind: 'cluster', start: () => startRedisCluster(3) },
  { kind: 'sentinel', start: () => startRedisSentinel('gateway') },
])('the gateway on a Redis $kind (e2e)', ({ kind, start }) => {
  let topology: RedisTopology | undefined;
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

  it('delivers a message out with its receipt, and a reply in', { timeout: 60_000 }, async () => {
    if (stack === undefined) throw new Error('no stack');
    const body = `${kind}-out`;
    await alice.send(chat(CONTACT, body, body, [receiptRequest()]));
    const sent = await eventually(() => twilio.messages.find((m) => m.body === body), 20_000, `${body} at the provider`);
    expect([sent.from, sent.to]).toEqual([ALICE_NUMBER, PHONE]);
    await stack.waitSettled(SMS, 20_000);
    const url = stack.gateway.httpUrl;
    expect((await twilio.sendStatus(url, url, SMS, sent.sid, 'delivered')).status).toBeLessThan(300);
    expect((await receiptFor(alice, body)).attrs.from).toBe(CONTACT);

    const reply = `${kind}-in`;
    expect((await twilio.sendInbound(url, url, SMS, { from: PHONE, to: ALICE_NUMBER, body: reply })).status).toBe(200);
    expect((await alice.waitFor((el) => el.getChildText('body') === reply)).attrs.from).toBe(CONTACT);
    expect(twilio.messages.filter((m) => m.body === body)).toHaveLength(1);
    expect(stack.gateway.output()).not.toMatch(/CROSSSLOT|non local key|MOVED/i);
  });

  it.runIf(kind === 'cluster')('keeps every key it wrote in the one slot of its hash tag', async () => {
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

  it.runIf(kind === 'sentinel')('writes to the master the Sentinel names', async () => {
    if (topology === undefined) throw new Error('no topology');
    const [onMaster] = await keysPerNode(topology);
    expect(onMaster).toBeGreaterThan(0);
  });
});
