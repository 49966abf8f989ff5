/**
 * Builds what one component needs (codec, adapter, bridges, ownership store,
 * limits, XMPP connection and its stanza routes) from its config and its
 * network's profile. No I/O.
 */
import type { RedisClient } from './queue/redis.js';
import type { Logger } from 'pino';
import { createAdapter } from '../adapters/registry.js';
import type { Adapter } from '../adapters/types.js';
import { accessRules, isAllowed } from './bridge/access.js';
import { InboundBridge, type InboundEnqueue } from './bridge/inbound.js';
import { OutboundBridge, type OutboundPolicy } from './bridge/outbound.js';
import { ComponentConnection } from './component/connection.js';
import type { GatewayOperations } from './component/iq/operations.js';
import type { ComponentTlsOptions } from './component/tls-socket.js';
import { Rooms, type RoomMembership } from './component/rooms.js';
import { registerRoutes } from './component/router.js';
import type { ComponentConfig, GatewayConfig } from './config/schema.js';
import type { GatewayMetrics } from './metrics.js';
import { profileOf, type NetworkProfile } from './networks/index.js';
import type { EnqueueOutcome } from './queue/producer.js';
import type { OutboundMessage } from '../adapters/types.js';
import { DailyCap, SenderBucket, type NumberPacer } from './store/limits.js';
import { OwnershipStore } from './store/ownership.js';
import { SenderGate } from './store/sender-gate.js';
import { SOFTWARE } from './version.js';

export interface ComponentParts {
  config: ComponentConfig;
  adapter: Adapter;
  inbound: InboundBridge;
  outbound: OutboundBridge;
  /** The component's network. */
  profile: NetworkProfile;
  /** Who owns which gateway address, where the network has them. */
  ownership: OwnershipStore | undefined;
  /** Pacing per sending address, where the network paces. */
  pacer: NumberPacer | undefined;
  /** Only in processes with the component role. */
  connection: ComponentConnection | undefined;
  /** The rooms the connection sits in, where the network has any: groupchats wait until joined. */
  rooms: RoomMembership | undefined;
}

export interface AssemblyDeps {
  config: GatewayConfig;
  redis: RedisClient;
  logger: Logger;
  metrics: GatewayMetrics;
  withConnection: boolean;
  enqueueOutbound(m: OutboundMessage): Promise<EnqueueOutcome>;
  enqueueInbound(domain: string): InboundEnqueue;
  isDraining(): boolean;
  /** The gateway as its admins' commands (XEP-0050) see it. */
  operations?: GatewayOperations;
}

/** The config's TLS settings as the connection takes them. */
function componentTls(tls: NonNullable<GatewayConfig['xmpp']['tls']>): ComponentTlsOptions {
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    ...(tls.caFile === undefined ? {} : { caFile: tls.caFile }),
  };
}

export function assembleComponent(c: ComponentConfig, index: number, deps: AssemblyDeps): ComponentParts {
  const { config, redis, logger, metrics } = deps;
  const prefix = config.redis.prefix;
  const profile = profileOf(c);
  const codec = profile.codec(c);
  const adapter = createAdapter(c);
  const owned = profile.ownership;
  const rules = accessRules(c.domain, c.allow);
  const defaults = owned?.defaults?.(c, rules);
  const ownership = owned
    ? new OwnershipStore(redis, prefix, c.domain, owned.wording, owned.configured(c), owned.pool(c), defaults)
    : undefined;
  const dailyLimit = c.limits.dailyPerUser ?? profile.defaults.dailyPerUser;
  const senderRate = c.limits.perSenderPerSecond ?? profile.defaults.senderRate.perSecond;
  const senderBurst = c.limits.perSenderBurst ?? profile.defaults.senderRate.burst;
  const contacts = profile.contacts?.(c);
  const policy: OutboundPolicy = {
    ...(contacts ? { contacts } : {}),
    ...(ownership ? { senderAddress: (user: string) => ownership.sendingAddressOf(user) } : {}),
    requireSenderAddress: owned?.required(c) ?? false,
    ...(owned ? { senderAddressName: owned.wording.aNoun } : {}),
    ...(dailyLimit > 0 ? { dailyCap: new DailyCap(redis, prefix, c.domain, dailyLimit) } : {}),
    ...(senderRate > 0 ? { senderRate: new SenderBucket(redis, prefix, c.domain, senderRate, senderBurst) } : {}),
    ...profile.outboundPolicy?.(c, { redis, prefix, metrics }),
  };
  policy.gate = new SenderGate(redis, {
    ...(ownership ? { ownersKey: ownership.ownersKey } : {}),
    // With default addresses, a sender without a stored one is resolved after the gate (OutboundBridge).
    requireAddress: (policy.requireSenderAddress ?? false) && defaults === undefined,
    ...(policy.senderRate ? { bucket: policy.senderRate } : {}),
    ...(policy.dailyCap ? { cap: policy.dailyCap } : {}),
    ...(policy.pacer ? { pacer: policy.pacer } : {}),
  });
  const outbound = new OutboundBridge(c, codec, deps.enqueueOutbound, policy);
  const inbound = new InboundBridge(c, codec, deps.enqueueInbound(c.domain), ownership, { localJidRecipients: adapter.namesLocalRecipients === true });

  let connection: ComponentConnection | undefined;
  let rooms: Rooms | undefined;
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
      ...(config.xmpp.tls?.enabled ? { tls: componentTls(config.xmpp.tls) } : {}),
    });
    const conn = connection;
    conn.on('online', () => metrics.xmppConnected.set({ domain: c.domain }, 1));
    conn.on('offline', () => metrics.xmppConnected.set({ domain: c.domain }, 0));
    metrics.xmppConnected.set({ domain: c.domain }, 0);
    const claimRules = owned?.claims(c);
    const claimAllow = claimRules?.allow === undefined ? rules : accessRules(c.domain, claimRules.allow);
    const claims = {
      mayClaim: (jid: string) => isAllowed(jid, claimAllow),
      ...(claimRules !== undefined && claimRules.perUserPerDay > 0
        ? { perDay: new DailyCap(redis, prefix, c.domain, claimRules.perUserPerDay, 'claims') }
        : {}),
    };
    const seats = profile.rooms?.(c) ?? [];
    if (seats.length > 0) {
      rooms = new Rooms({ connection: conn, seats: seats.map((s) => ({ occupant: `${s.localpart}@${c.domain}`, room: s.room, nick: s.nick })), metrics, logger });
    }
    const admins = new Set(config.admins.map((a) => a.toLowerCase()));
    registerRoutes({
      domain: c.domain,
      identity: profile.identity,
      codec,
      connection: conn,
      outbound,
      metrics,
      logger,
      software: SOFTWARE,
      isDraining: deps.isDraining,
      isAllowed: (jid) => isAllowed(jid, rules),
      isAdmin: (jid) => admins.has(jid.toLowerCase()),
      ...(deps.operations ? { operations: deps.operations } : {}),
      ...(contacts ? { contacts } : {}),
      ...(rooms ? { rooms } : {}),
      ...(ownership && owned ? { ownership: { store: ownership, wording: owned.wording, parse: owned.parse, claims } } : {}),
    });
  }
  return { config: c, profile, adapter, inbound, outbound, ownership, pacer: policy.pacer, connection, rooms };
}
