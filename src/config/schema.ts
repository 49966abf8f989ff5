/**
 * The one config schema. Every key has a doc string (`.describe`) and, where it
 * is optional, a default; `docs.ts` renders this into the README table and
 * `config/example.yaml` is checked against it by the unit tests.
 *
 * `components[]` is a union on `network` (and SMS a union on `provider`,
 * `sms.ts`): each variant holds only its own keys, typed, so a provider's
 * factory receives its settings and a key on the wrong network or provider
 * is reported by name (`union.ts`). Imports nothing of the gateway but this
 * folder.
 */
import { z } from 'zod';
import { bareJid, boolean, decimal, hostname, integer } from './fields.js';
import { providerName, unknownProvider, type Network } from './providers.js';
import { parseRedisUrl, RedisUrlError } from './redis-url.js';
import { smsComponentSchema } from './sms.js';
import { emailComponentSchema } from './email.js';
import { taggedUnion } from './union.js';
import { webhookComponentSchema as webhookSchema } from './webhook.js';

export { NETWORKS, type Network } from './providers.js';
export { smppSchema, telnyxSchema, twilioSchema } from './sms.js';
export { endpointSchema, httpProviderSchema } from './webhook.js';

export const xmppSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe("Host of the XMPP server's component (XEP-0114) port."),
    port: integer(1, 65535).default(5347).describe('The component port (Prosody `component_ports`, ejabberd `ejabberd_service`).'),
    keepaliveSeconds: integer(0, 3600)
      .default(30)
      .describe('Send a whitespace keepalive this often while connected; 0 turns it off.'),
    reconnectInitialMs: integer(100, 600_000).default(1000).describe('First reconnect delay after the server goes away; doubles each try, with jitter.'),
    reconnectMaxMs: integer(100, 3_600_000).default(30_000).describe('Cap on the reconnect delay.'),
    standby: z
      .object({
        mode: z
          .enum(['lease', 'none'])
          .default('lease')
          .describe('`lease`: one component process holds a lease in Redis and connects, others stand by and take over when it dies (Prosody: one connection per component domain). `none`: every component process connects at once (ejabberd `domain_balancing`).'),
        ttlMs: integer(1000, 600_000)
          .default(10_000)
          .describe('Lease lifetime: a standby takes over about this long after the holder died; the holder renews every quarter of it and stops at three quarters without a renewal.'),
      })
      .strict()
      .default({})
      .describe('Standby component processes (run several with the component role).'),
    tls: z
      .object({
        enabled: boolean()
          .default(false)
          .describe('Speak TLS to the component port from the first byte (ejabberd `ejabberd_service` with `tls: true`, or a TLS tunnel in front of Prosody). XEP-0114 is otherwise plaintext.'),
        servername: z.string().min(1).optional().describe("Name the server's certificate must carry (default: xmpp.host)."),
        caFile: z.string().min(1).optional().describe("PEM file of the CA that signed the server's certificate (default: the system's CAs)."),
        rejectUnauthorized: boolean()
          .default(true)
          .describe('Refuse a certificate that does not verify; turn off only for a test server.'),
      })
      .strict()
      .optional()
      .describe('TLS on the component link (absent: plaintext, for loopback or a private network).'),
  })
  .strict()
  .default({});

export const redisSchema = z
  .object({
    url: z
      .string()
      .superRefine((url, ctx) => {
        try {
          parseRedisUrl(url);
        } catch (err) {
          if (!(err instanceof RedisUrlError)) throw err;
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: err.message });
        }
      })
      .default('redis://127.0.0.1:6379')
      .describe(
        'Redis for the queues and state: one server, `redis://[[user]:password@]host:port[/db]` or `rediss://` (TLS); a Sentinel-watched master, `redis+sentinel://[[user]:password@]host:port[,host:port...]/master[?db=N&sentinelPassword=P]` (Sentinel port default 26379); or a Cluster, `redis+cluster://[[user]:password@]host:port[,host:port...]` (every key then carries the hash tag `{prefix}`).',
      ),
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
      .describe(
        'The URL providers call; used for callback URLs and webhook signatures. Must be HTTPS in production (TLS terminated in front of the gateway): Twilio signatures carry no timestamp, so a captured request could be replayed.',
      ),
    adminToken: z
      .string()
      .min(16, 'must be at least 16 characters')
      .optional()
      .describe('Bearer token for /admin, /sandbox, and /metrics and /readyz unless opsPort is set; without it those routes answer 401.'),
    opsHost: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address of the ops listener (with opsPort): keep it on loopback or a private network.'),
    opsPort: integer(0, 65535)
      .optional()
      .describe(
        'Serve /metrics and /readyz (and /healthz) on a second listener at opsHost:opsPort without a token, and not on the main port. Unset: they are on the main port behind adminToken; /healthz stays open there either way.',
      ),
    bodyLimitBytes: integer(1024, 50 * 1024 * 1024)
      .default(64 * 1024)
      .describe('Largest request body accepted (provider webhooks are a few KB; the sandbox inject route takes up to 1 MiB).'),
    requestTimeoutMs: integer(1000, 600_000)
      .default(15_000)
      .describe('A request must arrive complete within this long; slower clients are cut off (408).'),
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
      .describe('Give up on a message this long after it was accepted (default: sms 14400, email 432000 (5 days, like an MTA), webhook 3600; webhook http gives up after its retry schedule instead).'),
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
    outboxLimit: integer(1, 1_000_000).default(10_000).describe('How many sent messages the outbox keeps, and injected messages the inbox (oldest dropped first).'),
  })
  .strict()
  .default({});

export const limitsSchema = z
  .object({
    dailyPerUser: integer(0, 1_000_000)
      .optional()
      .describe(
        'What one user may send per UTC day through this component; 0 = no cap. sms counts SMS segments (a 10-segment text counts 10, an MMS 1), the others messages (default: sms 200 segments, email 500, webhook 2000). SMS toll fraud is the classic abuse of a gateway.',
      ),
    maxSegments: integer(1, 255).default(10).describe('sms: refuse texts that need more SMS segments than this.'),
    perSenderPerSecond: decimal(z.number().min(0).max(10_000))
      .optional()
      .describe('What one user may send per second through this component, sustained, in SMS segments on sms and messages elsewhere; 0 = no limit (default: sms 1, email 2, webhook 5).'),
    perSenderBurst: integer(1, 100_000)
      .optional()
      .describe('How much one user may send at once before perSenderPerSecond applies, in the same unit (default: sms 20 segments, email 30, webhook 50); a text larger than the burst waits for a full bucket.'),
    perNumberPerSecond: decimal(z.number().positive().max(10_000))
      .default(1)
      .describe('sms: messages per second sent from one gateway number (1 = a US long code; short codes and toll-free take more).'),
  })
  .strict()
  .default({});


/** What every component has, whatever its network: first its name, then `network` and `provider`, then these. */
const componentName = {
  domain: hostname.describe('The component domain, as configured on the XMPP server.'),
  secret: z.string().min(1).describe('Component password for the XEP-0114 handshake.'),
};
const componentBase = {
  allow: z
    .array(z.union([hostname, bareJid]))
    .optional()
    .describe('Who may send through this component: domains and bare JIDs. Default: the parent domain of the component (users of the XMPP server).'),
  maxBodyLength: integer(1, 10_000_000).optional().describe('Longest accepted message body in characters (default: sms 1600, email 100000, webhook 65536).'),
  concurrency: integer(1, 1000)
    .default(50)
    .describe('Deliveries this process runs at once for this component (provider calls are I/O-bound; SMPP also keeps its own window).'),
  retry: retrySchema.describe('Retry policy for transient provider failures.'),
  limits: limitsSchema.describe('Abuse limits.'),
  sandbox: sandboxSchema.describe('Settings of the sandbox provider.'),
};

const networkName = <N extends Network>(name: N) =>
  z.literal(name).describe('Which foreign network this component bridges: sms, email or webhook.');

const webhookComponentSchema = webhookSchema(componentName, componentBase);

export const componentSchema = taggedUnion('network', {
  sms: smsComponentSchema(componentName, componentBase),
  email: emailComponentSchema(componentName, componentBase),
  webhook: webhookComponentSchema,
});

export const configSchema = z
  .object({
    xmpp: xmppSchema.describe('Connection to the XMPP server.'),
    admins: z
      .array(bareJid)
      .default([])
      .describe('Bare JIDs of gateway admins: they may run the ad-hoc commands (XEP-0050) that assign and release numbers and addresses, and those that show statistics, the backlog, failed deliveries (and retry them) and users.'),
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
export type SmsComponentConfig = Extract<ComponentConfig, { network: 'sms' }>;
export type EmailComponentConfig = Extract<ComponentConfig, { network: 'email' }>;
export type WebhookComponentConfig = Extract<ComponentConfig, { network: 'webhook' }>;
/** The component settings of one provider, e.g. `ProviderConfig<'twilio'>` has a `twilio` section. */
export type ProviderConfig<P extends ComponentConfig['provider']> = Extract<ComponentConfig, { provider: P }>;
export type RetryConfig = z.infer<typeof retrySchema>;
export type LimitsConfig = z.infer<typeof limitsSchema>;
