/**
 * Builds what one component needs (codec, adapter, bridges, number store,
 * limits, XMPP connection and its stanza routes) from its config. No I/O.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createAdapter } from '../adapters/registry.js';
import type { Adapter } from '../adapters/types.js';
import { addressCodec } from './addressing/index.js';
import { accessRules, isAllowed } from './bridge/access.js';
import { InboundBridge, type InboundEnqueue } from './bridge/inbound.js';
import { OutboundBridge, type OutboundPolicy } from './bridge/outbound.js';
import { smsBodyCheck } from './bridge/sms-policy.js';
import { ComponentConnection } from './component/connection.js';
import { registerRoutes } from './component/router.js';
import { DEFAULT_DAILY_PER_USER, DEFAULT_SENDER_RATE, type ComponentConfig, type GatewayConfig } from './config/schema.js';
import type { GatewayMetrics } from './metrics.js';
import type { EnqueueOutcome } from './queue/producer.js';
import type { OutboundMessage } from '../adapters/types.js';
import { DailyCap, NumberPacer, SenderBucket } from './store/limits.js';
import { NumberStore } from './store/numbers.js';
import { SOFTWARE } from './version.js';

export interface ComponentParts {
  config: ComponentConfig;
  adapter: Adapter;
  inbound: InboundBridge;
  outbound: OutboundBridge;
  /** sms only. */
  numbers: NumberStore | undefined;
  /** sms only: pacing per sending number. */
  pacer: NumberPacer | undefined;
  /** Only in processes with the component role. */
  connection: ComponentConnection | undefined;
}

export interface AssemblyDeps {
  config: GatewayConfig;
  redis: Redis;
  logger: Logger;
  metrics: GatewayMetrics;
  withConnection: boolean;
  enqueueOutbound(m: OutboundMessage): Promise<EnqueueOutcome>;
  enqueueInbound(domain: string): InboundEnqueue;
  isDraining(): boolean;
}

export function assembleComponent(c: ComponentConfig, index: number, deps: AssemblyDeps): ComponentParts {
  const { config, redis, logger, metrics } = deps;
  const prefix = config.redis.prefix;
  const codec = addressCodec(c.network, {
    ...(c.defaultRegion === undefined ? {} : { defaultRegion: c.defaultRegion }),
    allowShortCodes: c.allowShortCodes,
  });
  const adapter = createAdapter(c);
  const numbers = c.network === 'sms' ? new NumberStore(redis, prefix, c.domain, c.numbers, c.numberPool) : undefined;
  const dailyLimit = c.limits.dailyPerUser ?? DEFAULT_DAILY_PER_USER[c.network];
  const senderRate = c.limits.perSenderPerSecond ?? DEFAULT_SENDER_RATE[c.network].perSecond;
  const senderBurst = c.limits.perSenderBurst ?? DEFAULT_SENDER_RATE[c.network].burst;
  const policy: OutboundPolicy = {
    ...(numbers ? { senderAddress: (user: string) => numbers.numberOf(user) } : {}),
    // The sandbox stands in for any provider and has no use for a From number.
    requireSenderAddress: c.network === 'sms' && c.provider !== 'sandbox',
    ...(c.network === 'sms' ? { checkBody: smsBodyCheck(c, metrics) } : {}),
    ...(dailyLimit > 0 ? { dailyCap: new DailyCap(redis, prefix, c.domain, dailyLimit) } : {}),
    ...(senderRate > 0 ? { senderRate: new SenderBucket(redis, prefix, c.domain, senderRate, senderBurst) } : {}),
  };
  const pacer = c.network === 'sms' ? new NumberPacer(redis, prefix, c.domain, c.limits.perNumberPerSecond) : undefined;
  if (pacer) policy.pacer = pacer;
  const outbound = new OutboundBridge(c, codec, deps.enqueueOutbound, policy);
  const inbound = new InboundBridge(c, codec, deps.enqueueInbound(c.domain), numbers);

  let connection: ComponentConnection | undefined;
  if (deps.withConnection) {
    connection = new ComponentConnection({
      host: config.xmpp.host,
      port: config.xmpp.port,
      domain: c.domain,
      secret: c.secret,
      secretPath: `components[${index}].secret`,
      keepaliveSeconds: config.xmpp.keepaliveSeconds,
      backoff: { initialDelayMs: config.xmpp.reconnectInitialMs, maxDelayMs: config.xmpp.reconnectMaxMs },
      logger,
    });
    const conn = connection;
    conn.on('online', () => metrics.xmppConnected.set({ domain: c.domain }, 1));
    conn.on('offline', () => metrics.xmppConnected.set({ domain: c.domain }, 0));
    metrics.xmppConnected.set({ domain: c.domain }, 0);
    const rules = accessRules(c.domain, c.allow);
    const admins = new Set(config.admins.map((a) => a.toLowerCase()));
    registerRoutes({
      domain: c.domain,
      network: c.network,
      codec,
      connection: conn,
      outbound,
      metrics,
      logger,
      software: SOFTWARE,
      isDraining: deps.isDraining,
      isAllowed: (jid) => isAllowed(jid, rules),
      isAdmin: (jid) => admins.has(jid.toLowerCase()),
      ...(numbers ? { numbers } : {}),
    });
  }
  return { config: c, adapter, inbound, outbound, numbers, pacer, connection };
}
