/**
 * Fixtures for unit, contract and integration tests: component configs made
 * the way the gateway makes them (through the config schema, so they follow
 * it when its shape changes), an AdapterContext that records what the adapter
 * emits, and outbound messages.
 */
import type { Redis } from 'ioredis';
import { pino, type Level, type Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import type { AdapterContext, InboundAcceptance, InboundEvent, OutboundMessage } from '../../adapters/types.js';
import { componentSchema, type ComponentConfig, type ProviderConfig } from '../../src/config/schema.js';
import { buildServer, type GatewayServer } from '../../src/http/server.js';
import type { AdminDeps } from '../../src/http/plugins/admin.js';
import { QueueInspector } from '../../src/queue/inspect.js';
import { GatewayMetrics } from '../../src/metrics.js';
import { GatewayError } from '../../src/errors/registry.js';

/** What every fixture component has unless told otherwise: an SMS sandbox on `sms.localhost`. */
export const COMPONENT_DEFAULTS = { domain: 'sms.localhost', secret: 's', network: 'sms', provider: 'sandbox' } as const;

/**
 * A component section parsed by the config schema, from the keys given (over
 * COMPONENT_DEFAULTS) or from YAML as it would stand in a config file under
 * `components:`.
 *
 * @example componentConfig({ provider: 'twilio', twilio: { accountSid, authToken } })
 * @example componentConfig('domain: sms.test\nsecret: s\nnetwork: sms\nprovider: smpp\nsmpp: { host: 127.0.0.1, port: 2775 }')
 */
export function componentConfig(section: Record<string, unknown> | string = {}): ComponentConfig {
  if (typeof section === 'string') return componentSchema.parse(parseYaml(section));
  return componentSchema.parse({ ...COMPONENT_DEFAULTS, ...section });
}

/**
 * A component config for one provider, typed as that provider's settings
 * (what its adapter's constructor takes): the keys given over
 * COMPONENT_DEFAULTS, parsed by the config schema, and checked to be
 * `provider` at runtime.
 *
 * @example new TwilioAdapter(providerConfig('twilio', { twilio: { accountSid, authToken } }))
 */
export function providerConfig<P extends ComponentConfig['provider']>(provider: P, keys: Record<string, unknown> = {}): ProviderConfig<P> {
  const config = componentConfig({ ...keys, provider });
  if (!isProvider(config, provider)) throw new Error(`the config schema made a ${config.provider} component, not ${provider}`);
  return config;
}

function isProvider<P extends ComponentConfig['provider']>(config: ComponentConfig, provider: P): config is ProviderConfig<P> {
  return config.provider === provider;
}

/** A Redis for adapters that keep no state in it: any use fails the test with a clear message. */
export const NO_REDIS = new Proxy({} as Redis, {
  get(_target, key) {
    throw new Error(`this test gave the adapter no Redis (it used redis.${String(key)}); pass one to adapterContext()`);
  },
});

/**
 * An AdapterContext plus what the adapter emitted through it. Its
 * isGatewayAddress() (required by the contract) is answered by
 * adapterContext() from the config's numbers and pool.
 */
export interface RecordingContext extends AdapterContext {
  /** Inbound events the adapter emitted, oldest first. */
  emitted: InboundEvent[];
}

/** The gateway's own addresses in a component config: `numbers` / `addresses` keys and `numberPool` / `addressPool`. */
function configuredAddresses(config: ComponentConfig): Set<string> {
  const { numbers, numberPool, addresses, addressPool } = config as {
    numbers?: Record<string, string>;
    numberPool?: string[];
    addresses?: Record<string, string>;
    addressPool?: string[];
  };
  return new Set([...Object.keys(numbers ?? {}), ...(numberPool ?? []), ...Object.keys(addresses ?? {}), ...(addressPool ?? [])]);
}

/** A logger (for `logger` of adapterContext()) that appends each line it writes, parsed, to `lines`. */
export function recordingLogger(lines: Array<Record<string, unknown>>, level: Level = 'info'): Logger {
  return pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
}

/** The admin routes' view of a gateway without queues (servers built without a gateway). */
export function noQueues(): AdminDeps {
  return { inspector: new QueueInspector(() => new Map()) };
}

/** The gateway's HTTP server (its routes and one error handler) for adapter routes: no admin token, always ready. */
export function gatewayServer(logger: Logger, bodyLimitBytes = 1024 * 1024): GatewayServer {
  return buildServer({
    logger,
    metrics: new GatewayMetrics(),
    adminToken: undefined,
    bodyLimitBytes,
    readiness: async () => ({ ok: true, checks: {} }),
    admin: noQueues(),
  });
}

/** The `http` of an AdapterContext that mounts the adapter's routes on the gateway's server for `domain`. */
export function serverRoutes(app: GatewayServer, domain: string): AdapterContext['http'] {
  return {
    webhooks: (plugin) => app.registerAdapterRoutes({ domain, scope: 'webhooks', plugin }),
    sandbox: (plugin) => app.registerAdapterRoutes({ domain, scope: 'sandbox', plugin }),
  };
}

/** An emitInbound answer while Redis is down: the event cannot be stored (QUEUE_UNAVAILABLE, 503 to the provider). */
export const redisDown = async (): Promise<InboundAcceptance> => {
  throw new GatewayError('QUEUE_UNAVAILABLE', 'Redis is down');
};

/**
 * An emitInbound that answers with `answer()` (read at each call, so a test
 * can swap it) and records each event once it was answered.
 */
export function answeredAndRecorded(
  answer: () => (event: InboundEvent) => Promise<InboundAcceptance>,
  emitted: InboundEvent[],
): (event: InboundEvent) => Promise<InboundAcceptance> {
  return async (event) => {
    const result = await answer()(event);
    emitted.push(event);
    return result;
  };
}

/**
 * A context for adapter.start(): a silent logger, no HTTP routes, Redis
 * unavailable, emitInbound() recording each event and answering `queued`,
 * and the config's numbers and mail addresses as the gateway's addresses. Any field can be replaced.
 */
export function adapterContext(config: ComponentConfig, overrides: Partial<RecordingContext> = {}): RecordingContext {
  const own = configuredAddresses(config);
  const emitted: InboundEvent[] = [];
  return {
    logger: pino({ level: 'silent' }),
    config,
    publicUrl: 'http://127.0.0.1:1',
    emitInbound: async (event) => {
      emitted.push(event);
      return { outcome: 'queued', jobId: `j${emitted.length}` };
    },
    http: { webhooks: () => undefined, sandbox: () => undefined },
    redis: NO_REDIS,
    keyPrefix: 'test',
    isGatewayAddress: async (address) => own.has(address),
    ...overrides,
    emitted,
  };
}

/**
 * An outbound message as the core hands it to adapter.send(): from
 * alice@localhost/phone (gateway number +15550001111) to +15551234567 on
 * `sms.localhost`, with fresh ids.
 */
export function outboundMessage(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  const id = `o-${crypto.randomUUID()}`;
  const domain = overrides.componentDomain ?? COMPONENT_DEFAULTS.domain;
  const to = overrides.to ?? '+15551234567';
  return {
    id,
    componentDomain: domain,
    senderJid: 'alice@localhost/phone',
    contactJid: `${to}@${domain}`,
    to,
    // The core resolves the sender's number at acceptance.
    from: '+15550001111',
    body: 'hello',
    attachments: [],
    stanzaId: `s-${id}`,
    receiptRequested: false,
    acceptedAt: Date.now(),
    ...overrides,
  };
}

/** A message to `to` on `domain` whose sender asked for a receipt (what the contract suite sends). */
export function outbound(domain: string, to: string, body = 'hello'): OutboundMessage {
  return outboundMessage({ componentDomain: domain, to, body, receiptRequested: true });
}
