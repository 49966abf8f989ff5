/**
 * The one config schema. Every key has a doc string (`.describe`) and, where it
 * is optional, a default; `docs.ts` renders this into the README table and
 * `config/example.yaml` is checked against it by the unit tests.
 */
import { z } from 'zod';
import { NETWORKS, PLANNED_PROVIDERS, PROVIDERS, type Network } from '../../adapters/providers.js';
import { isSupportedRegion } from '../addressing/index.js';

/** Accepts numbers written as strings, as `${VAR}` substitution produces. */
function integer(min: number, max: number) {
  return z.preprocess(
    (v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v),
    z.number().int().min(min).max(max),
  );
}

function boolean() {
  return z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
}

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, 'must be a DNS domain name');

const bareJid = z.string().regex(/^[^@/\s]+@[^@/\s]+$/, 'must be a bare JID (user@domain)');

export const xmppSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe("Host of the XMPP server's component (XEP-0114) port."),
    port: integer(1, 65535).default(5347).describe('The component port (Prosody `component_ports`, ejabberd `ejabberd_service`).'),
    keepaliveSeconds: integer(0, 3600)
      .default(30)
      .describe('Send a whitespace keepalive this often while connected; 0 turns it off.'),
    reconnectInitialMs: integer(100, 600_000).default(1000).describe('First reconnect delay after the server goes away; doubles each try, with jitter.'),
    reconnectMaxMs: integer(100, 3_600_000).default(30_000).describe('Cap on the reconnect delay.'),
  })
  .strict()
  .default({});

export const redisSchema = z
  .object({
    url: z.string().url().default('redis://127.0.0.1:6379').describe('Redis URL (redis:// or rediss://) for the queues and state.'),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only (no ":")')
      .default('xgw')
      .describe('Prefix of every Redis key, so several gateways can share one Redis.'),
  })
  .strict()
  .default({});

export const httpSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe('Address the HTTP server listens on.'),
    port: integer(0, 65535).default(8080).describe('Port the HTTP server listens on (0 picks a free one).'),
    publicUrl: z
      .string()
      .url()
      .default('http://127.0.0.1:8080')
      .describe('The URL providers call; used for callback URLs and webhook signatures.'),
    adminToken: z
      .string()
      .min(16, 'must be at least 16 characters')
      .optional()
      .describe('Bearer token for /admin and /sandbox routes; without it those routes answer 401.'),
    bodyLimitBytes: integer(1024, 50 * 1024 * 1024).default(1024 * 1024).describe('Largest request body accepted.'),
  })
  .strict()
  .default({});

export const logSchema = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('pino log level.'),
  })
  .strict()
  .default({});

export const shutdownSchema = z
  .object({
    timeoutMs: integer(0, 600_000)
      .default(10_000)
      .describe('On SIGTERM, how long in-flight deliveries may take before the process exits anyway (unfinished jobs are retried later).'),
  })
  .strict()
  .default({});

export const retrySchema = z
  .object({
    maxAgeSeconds: integer(1, 30 * 24 * 3600)
      .optional()
      .describe('Give up on a message this long after it was accepted (default: sms 14400, email 86400, webhook 3600).'),
    initialDelayMs: integer(10, 3_600_000).default(1000).describe('First retry delay; doubles each attempt, with jitter.'),
    maxDelayMs: integer(10, 24 * 3_600_000).default(300_000).describe('Cap on the retry delay.'),
  })
  .strict()
  .default({});

export const sandboxSchema = z
  .object({
    autoDeliver: boolean()
      .default(false)
      .describe('Report every sent message as delivered at once (otherwise inject statuses through the sandbox routes).'),
    outboxLimit: integer(1, 1_000_000).default(10_000).describe('How many sent messages the outbox keeps (oldest dropped first).'),
  })
  .strict()
  .default({});

/** Default body limits in characters, by network. */
export const DEFAULT_MAX_BODY: Record<Network, number> = { sms: 1600, email: 100_000, webhook: 65_536 };
/** Default maximum age of an undelivered message, by network. */
export const DEFAULT_MAX_AGE_SECONDS: Record<Network, number> = { sms: 4 * 3600, email: 24 * 3600, webhook: 3600 };

export const componentSchema = z
  .object({
    domain: hostname.describe('The component domain, as configured on the XMPP server.'),
    secret: z.string().min(1).describe('Component password for the XEP-0114 handshake.'),
    network: z.enum(NETWORKS).describe('Which foreign network this component bridges: sms, email or webhook.'),
    provider: z.string().describe('Which adapter carries the messages (sandbox for every network in this version).'),
    allow: z
      .array(z.union([hostname, bareJid]))
      .optional()
      .describe('Who may send through this component: domains and bare JIDs. Default: the parent domain of the component (users of the XMPP server).'),
    maxBodyLength: integer(1, 10_000_000).optional().describe('Longest accepted message body in characters (default: sms 1600, email 100000, webhook 65536).'),
    concurrency: integer(1, 1000).default(10).describe('Deliveries this process runs at once for this component.'),
    retry: retrySchema.describe('Retry policy for transient provider failures.'),
    numbers: z
      .record(z.string().regex(/^\+[1-9]\d{1,14}$|^\d{3,8}$/, 'must be E.164 (+15550001111) or a short code'), bareJid)
      .default({})
      .describe('sms: gateway number -> owner JID. Inbound texts to a number go to its owner.'),
    defaultRegion: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 region such as US')
      .refine(isSupportedRegion, 'not a region with a phone numbering plan (ISO 3166 alpha-2, e.g. US, GB, DE)')
      .optional()
      .describe('sms: region for numbers typed in national format.'),
    addresses: z
      .record(z.string().email(), bareJid)
      .default({})
      .describe('email: gateway address -> owner JID. Inbound mail to an address goes to its owner.'),
    sandbox: sandboxSchema.describe('Settings of the sandbox provider.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const known = PROVIDERS[c.network];
    if (!known.includes(c.provider)) {
      const planned = PLANNED_PROVIDERS[c.network].includes(c.provider);
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['provider'],
        message: planned
          ? `provider "${c.provider}" for network ${c.network} is not in this version yet (available: ${known.join(', ')})`
          : `unknown provider "${c.provider}" for network ${c.network} (available: ${known.join(', ')})`,
      });
    }
    if (c.network !== 'sms' && Object.keys(c.numbers).length > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['numbers'], message: 'only for network sms' });
    }
    if (c.network !== 'sms' && c.defaultRegion !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['defaultRegion'], message: 'only for network sms' });
    }
    if (c.network !== 'email' && Object.keys(c.addresses).length > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['addresses'], message: 'only for network email' });
    }
  });

export const configSchema = z
  .object({
    xmpp: xmppSchema.describe('Connection to the XMPP server.'),
    redis: redisSchema.describe('Redis, which holds every queued delivery.'),
    http: httpSchema.describe('HTTP server for health, metrics, provider webhooks and admin.'),
    log: logSchema.describe('Logging.'),
    shutdown: shutdownSchema.describe('Graceful shutdown.'),
    components: z
      .array(componentSchema)
      .min(1, 'configure at least one component')
      .describe('One entry per component domain; each bridges one network.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.components.forEach((comp, i) => {
      const first = seen.get(comp.domain);
      if (first !== undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['components', i, 'domain'],
          message: `duplicate domain (also components[${first}])`,
        });
      } else seen.set(comp.domain, i);
    });
  });

export type GatewayConfig = z.infer<typeof configSchema>;
export type ComponentConfig = z.infer<typeof componentSchema>;
export type RetryConfig = z.infer<typeof retrySchema>;
