/**
 * Toll fraud (issue 8, item 1): a component assembled from its config as the
 * gateway does it, on a real Redis, stanzas in through the entity of its own
 * connection and replies captured. Destination rules, the daily cap and the
 * per-sender rate counted in SMS segments, and who may claim pool numbers.
 */
import { xml, type Element } from '@xmpp/component';
import type { RedisClient } from '../../src/queue/redis.js';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../adapters/types.js';
import { assembleComponent } from '../../src/assembly.js';
import { configSchema } from '../../src/config/schema.js';
import { GatewayMetrics } from '../../src/metrics.js';
import { producerConnection, waitReady } from '../../src/queue/redis.js';
import { ensureRedis, uniquePrefix } from '../support/redis.js';
import { errorCondition, errorText } from '../support/stanza-errors.js';
import { sleep } from '../support/waits.js';

const DOMAIN = 'sms.localhost';
let url: string;
const opened: Array<{ redis: RedisClient; prefix: string }> = [];

beforeAll(async () => {
  url = await ensureRedis();
});
afterEach(async () => {
  for (const { redis, prefix } of opened.splice(0)) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
});

/** One sms sandbox component built by assembleComponent from `keys`; alice owns +15550001111. */
async function gatewayComponent(keys: Record<string, unknown> = {}) {
  const prefix = uniquePrefix('toll');
  const redis = producerConnection(url);
  await waitReady(redis, 5000);
  opened.push({ redis, prefix });
  const config = configSchema.parse({
    redis: { url, prefix },
    components: [{ domain: DOMAIN, secret: 's', network: 'sms', provider: 'sandbox', numbers: { '+15550001111': 'alice@localhost' }, ...keys }],
  });
  const queued: OutboundMessage[] = [];
  const parts = assembleComponent(config.components[0]!, 0, {
    config,
    redis,
    logger: pino({ level: 'silent' }),
    metrics: new GatewayMetrics(),
    withConnection: true,
    enqueueOutbound: async (m) => (queued.push(m), 'queued'),
    enqueueInbound: () => async () => 'queued',
    isDraining: () => false,
  });
  await parts.ownership?.applyConfig();
  const entity = parts.connection!.entity;
  const sent: Element[] = [];
  entity.send = async (el: Element) => void sent.push(el);
  /** Feeds a stanza in; resolves with the reply carrying its id, or undefined when there is none within ~300 ms. */
  async function answer(el: Element): Promise<Element | undefined> {
    entity.emit('element', el);
    for (let i = 0; i < 60; i++) {
      const reply = sent.find((s) => s.attrs.id === el.attrs.id);
      if (reply) return reply;
      await sleep(5);
    }
    return undefined;
  }
  let n = 0;
  const text = (from: string, to: string, body: string) =>
    answer(xml('message', { type: 'chat', from: `${from}/res`, to: `${to}@${DOMAIN}`, id: `m${++n}` }, xml('body', {}, body)));
  return { queued, answer, text };
}

describe('destination rules', () => {
  it('refuses satellite and premium ranges by default, naming the rule', async () => {
    const gw = await gatewayComponent();
    const reply = await gw.text('alice@localhost', '+881631234567', 'hi');
    expect(errorCondition(reply)).toBe('forbidden');
    expect(errorText(reply)).toMatch(/destinations\.deny "\+881"/);
    expect(gw.queued).toHaveLength(0);
  });

  it('by default allows only the countries of the gateway numbers', async () => {
    const gw = await gatewayComponent();
    expect(await gw.text('alice@localhost', '+15551234567', 'hi')).toBeUndefined();
    const abroad = await gw.text('alice@localhost', '+447700900123', 'hi');
    expect(errorCondition(abroad)).toBe('forbidden');
    expect(errorText(abroad)).toMatch(/destinations\.allow/);
    expect(gw.queued.map((m) => m.to)).toEqual(['+15551234567']);
  });

  it('follows the configured allow and deny lists, the longer prefix deciding', async () => {
    const gw = await gatewayComponent({ destinations: { allow: ['+44', '+1'], deny: ['+1876'] } });
    expect(await gw.text('alice@localhost', '+447700900123', 'hi')).toBeUndefined();
    const jamaica = await gw.text('alice@localhost', '+18765551234', 'hi');
    expect(errorText(jamaica)).toMatch(/destinations\.deny "\+1876"/);
  });
});

describe('limits count SMS segments', () => {
  const tenSegments = 'a'.repeat(1530);

  it('the daily cap: 5 segments do not let ten-segment texts through', async () => {
    const gw = await gatewayComponent({ limits: { dailyPerUser: 5 } });
    const reply = await gw.text('alice@localhost', '+15551234567', tenSegments);
    expect(errorCondition(reply)).toBe('policy-violation');
    expect(errorText(reply)).toMatch(/5 SMS segments/);
    for (let i = 0; i < 5; i++) expect(await gw.text('alice@localhost', '+15551234567', `short ${i}`)).toBeUndefined();
    expect(errorCondition(await gw.text('alice@localhost', '+15551234567', 'one more'))).toBe('policy-violation');
    expect(gw.queued).toHaveLength(5);
  });

  it('the per-sender burst is spent by segments', async () => {
    const gw = await gatewayComponent({ limits: { perSenderPerSecond: 0.01, perSenderBurst: 20 } });
    expect(await gw.text('alice@localhost', '+15551234567', tenSegments)).toBeUndefined();
    expect(await gw.text('alice@localhost', '+15551234567', tenSegments)).toBeUndefined();
    const third = await gw.text('alice@localhost', '+15551234567', tenSegments);
    expect(errorCondition(third)).toBe('policy-violation');
    expect(gw.queued).toHaveLength(2);
  });
});

describe('claiming pool numbers (XEP-0077)', () => {
  const claim = (gw: Awaited<ReturnType<typeof gatewayComponent>>, user: string, id: string) =>
    gw.answer(xml('iq', { type: 'set', from: `${user}/res`, to: DOMAIN, id }, xml('query', { xmlns: 'jabber:iq:register' }, xml('username'))));
  const release = (gw: Awaited<ReturnType<typeof gatewayComponent>>, user: string, id: string) =>
    gw.answer(xml('iq', { type: 'set', from: `${user}/res`, to: DOMAIN, id }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));

  it('is limited to numberPoolAllow', async () => {
    const gw = await gatewayComponent({ numberPool: ['+15550002222', '+15550003333'], numberPoolAllow: ['bob@localhost'] });
    const carol = await claim(gw, 'carol@localhost', 'c1');
    expect(errorCondition(carol)).toBe('forbidden');
    expect(errorText(carol)).toMatch(/numberPoolAllow|administrator/);
    expect((await claim(gw, 'bob@localhost', 'b1'))?.attrs.type).toBe('result');
  });

  it('is rate-limited per user per day', async () => {
    const gw = await gatewayComponent({ numberPool: ['+15550002222', '+15550003333'], numberPoolClaimsPerDay: 1 });
    expect((await claim(gw, 'bob@localhost', 'b1'))?.attrs.type).toBe('result');
    expect((await release(gw, 'bob@localhost', 'b2'))?.attrs.type).toBe('result');
    const again = await claim(gw, 'bob@localhost', 'b3');
    expect(errorCondition(again)).toBe('policy-violation');
  });
});
