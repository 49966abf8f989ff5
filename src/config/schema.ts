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

/** Settings of the Twilio SMS/MMS provider (https://www.twilio.com/docs/messaging/api/message-resource). */
export const twilioSchema = z
  .object({
    accountSid: z
      .string()
      .regex(/^AC[0-9a-f]{32}$/i, 'must be a Twilio Account SID: AC followed by 32 hex digits')
      .describe('Twilio Account SID (AC + 32 hex digits): the REST API user name and part of its URL.'),
    authToken: z
      .string()
      .min(1)
      .describe('Twilio Auth Token: the REST API password, and the key that signs webhooks (X-Twilio-Signature).'),
    apiBaseUrl: z
      .string()
      .url()
      .default('https://api.twilio.com')
      .describe('Base URL of the Twilio REST API; change only for a local test double or a proxy.'),
    messagingServiceSid: z
      .string()
      .regex(/^MG[0-9a-f]{32}$/i, 'must be a Twilio Messaging Service SID: MG followed by 32 hex digits')
      .optional()
      .describe(
        "Send through this Messaging Service (MG...) instead of From = the sender's own number; senders must still own a number.",
      ),
  })
  .strict();

/** Settings of the Telnyx SMS/MMS provider (https://developers.telnyx.com/docs/messaging/messages/send-message). */
export const telnyxSchema = z
  .object({
    apiKey: z.string().min(1).describe('Telnyx API key (KEY...): sent as the Bearer token of every Messaging API call.'),
    publicKey: z
      .string()
      .refine(
        (v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && [32, 44].includes(Buffer.from(v, 'base64').length),
        'must be the 32-byte Ed25519 public key, base64 (as the Telnyx portal shows it)',
      )
      .describe("Telnyx account's Ed25519 public key, base64 (portal: Keys & Credentials > Public Key); verifies webhook signatures."),
    apiBaseUrl: z
      .string()
      .url()
      .default('https://api.telnyx.com')
      .describe('Base URL of the Telnyx API; change only for a local test double or a proxy.'),
    messagingProfileId: z
      .string()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a Telnyx messaging profile id (a UUID)')
      .optional()
      .describe("Sent as messaging_profile_id with every message; without it Telnyx uses the profile of the sender's number."),
  })
  .strict();

/** Settings of the SMPP v3.4 provider: one bind_transceiver link to an SMSC (https://smpp.org/SMPP_v3_4_Issue1_2.pdf). */
export const smppSchema = z
  .object({
    host: z.string().min(1).describe('Host name or address of the SMSC.'),
    port: integer(1, 65535).default(2775).describe('SMPP port of the SMSC (2775 is the registered one).'),
    systemId: z.string().min(1).max(15).describe('system_id of the bind: the account name the SMSC gave you (at most 15 characters, SMPP 3.4 §5.2.1).'),
    password: z
      .string()
      .describe('password of the bind. SMPP 3.4 §5.2.2 allows 8 characters; a longer one is sent as given, for SMSCs that accept it.'),
    systemType: z.string().max(12).default('').describe('system_type of the bind; leave empty unless the SMSC asks for one.'),
    sourceTon: integer(0, 6).default(1).describe('TON of the sender address for E.164 numbers (1 = international); short codes go as 3 (network specific).'),
    sourceNpi: integer(0, 18).default(1).describe('NPI of the sender address for E.164 numbers (1 = ISDN/E.164); short codes go as 0 (unknown).'),
    destTon: integer(0, 6).default(1).describe('TON of the destination address (1 = international, sent without the "+").'),
    destNpi: integer(0, 18).default(1).describe('NPI of the destination address (1 = ISDN/E.164).'),
    enquireLinkSeconds: integer(0, 3600)
      .default(30)
      .describe('Send enquire_link this often while bound; a link that leaves one unanswered is dropped and re-bound. 0 turns it off.'),
    window: integer(1, 1000).default(10).describe('Most submit_sm awaiting their submit_sm_resp at once; further parts wait for a free slot.'),
    reconnectInitialMs: integer(100, 600_000).default(1000).describe('First reconnect delay after the link drops or a bind fails; doubles each try, with jitter.'),
    reconnectMaxMs: integer(100, 3_600_000).default(30_000).describe('Cap on the reconnect delay (a refused bind keeps being retried at this pace).'),
    submitTimeoutMs: integer(100, 600_000)
      .default(10_000)
      .describe('How long the SMSC may take to answer a bind, submit_sm or enquire_link; an unanswered submit_sm is retried later.'),
    reassemblyTimeoutSeconds: integer(1, 86_400)
      .default(300)
      .describe('How long parts of a concatenated inbound SMS are held waiting for the rest; then what arrived is delivered with a note per missing part.'),
    inboundRetryStatus: z
      .enum(['ESME_RX_T_APPN', 'ESME_RSYSERR', 'ESME_RMSGQFUL', 'ESME_RTHROTTLED'])
      .default('ESME_RX_T_APPN')
      .describe(
        'command_status of the deliver_sm_resp when an inbound message or receipt cannot be stored (Redis down), so the SMSC delivers it again. SMPP 3.4 defines ESME_RX_T_APPN for this; some SMSCs retry only on ESME_RSYSERR.',
      ),
  })
  .strict();

export const limitsSchema = z
  .object({
    dailyPerUser: integer(0, 1_000_000)
      .optional()
      .describe('Messages one user may send per UTC day through this component; 0 = no cap (default: sms 200, others 0). SMS toll fraud is the classic abuse of a gateway.'),
    maxSegments: integer(1, 255).default(10).describe('sms: refuse texts that need more SMS segments than this.'),
    perSenderPerSecond: z
      .preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().min(0).max(10_000))
      .optional()
      .describe('Messages per second one user may send through this component, sustained; 0 = no limit (default: sms 1, email 2, webhook 5).'),
    perSenderBurst: integer(1, 100_000)
      .optional()
      .describe('How many messages one user may send at once before perSenderPerSecond applies (default: sms 20, email 30, webhook 50).'),
    perNumberPerSecond: z
      .preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().positive().max(10_000))
      .default(1)
      .describe('sms: messages per second sent from one gateway number (1 = a US long code; short codes and toll-free take more).'),
  })
  .strict()
  .default({});

/** Default per-sender rate (messages/s, 0 = none) and burst, by network. */
export const DEFAULT_SENDER_RATE: Record<Network, { perSecond: number; burst: number }> = {
  sms: { perSecond: 1, burst: 20 },
  email: { perSecond: 2, burst: 30 },
  webhook: { perSecond: 5, burst: 50 },
};

/** Default daily cap per user, by network (0 = none). */
export const DEFAULT_DAILY_PER_USER: Record<Network, number> = { sms: 200, email: 0, webhook: 0 };

/** Default body limits in characters, by network. */
export const DEFAULT_MAX_BODY: Record<Network, number> = { sms: 1600, email: 100_000, webhook: 65_536 };
/** Default maximum age of an undelivered message, by network. */
export const DEFAULT_MAX_AGE_SECONDS: Record<Network, number> = { sms: 4 * 3600, email: 24 * 3600, webhook: 3600 };

export const componentSchema = z
  .object({
    domain: hostname.describe('The component domain, as configured on the XMPP server.'),
    secret: z.string().min(1).describe('Component password for the XEP-0114 handshake.'),
    network: z.enum(NETWORKS).describe('Which foreign network this component bridges: sms, email or webhook.'),
    provider: z.string().describe('Which adapter carries the messages: sms: twilio, telnyx, smpp or sandbox; email and webhook: sandbox in this version.'),
    allow: z
      .array(z.union([hostname, bareJid]))
      .optional()
      .describe('Who may send through this component: domains and bare JIDs. Default: the parent domain of the component (users of the XMPP server).'),
    maxBodyLength: integer(1, 10_000_000).optional().describe('Longest accepted message body in characters (default: sms 1600, email 100000, webhook 65536).'),
    concurrency: integer(1, 1000)
      .default(50)
      .describe('Deliveries this process runs at once for this component (provider calls are I/O-bound; SMPP also keeps its own window).'),
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
    numberPool: z
      .array(z.string().regex(/^\+[1-9]\d{1,14}$|^\d{3,8}$/, 'must be E.164 (+15550001111) or a short code'))
      .default([])
      .describe('sms: numbers users may claim for themselves through in-band registration (XEP-0077).'),
    allowShortCodes: boolean().default(false).describe('sms: let users write to short codes (3–8 digits) where the provider supports them.'),
    limits: limitsSchema.describe('Abuse limits.'),
    sandbox: sandboxSchema.describe('Settings of the sandbox provider.'),
    twilio: twilioSchema.optional().describe('Settings of the Twilio provider (required with provider twilio, only allowed with it).'),
    telnyx: telnyxSchema.optional().describe('Settings of the Telnyx provider (required with provider telnyx, only allowed with it).'),
    smpp: smppSchema.optional().describe('Settings of the SMPP provider (required with provider smpp, only allowed with it).'),
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
    if (c.provider === 'twilio' && known.includes(c.provider) && c.twilio === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['twilio'], message: 'required for provider twilio' });
    }
    if (c.provider !== 'twilio' && c.twilio !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['twilio'], message: 'only for provider twilio' });
    }
    if (c.provider === 'telnyx' && known.includes(c.provider) && c.telnyx === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['telnyx'], message: 'required for provider telnyx' });
    }
    if (c.provider !== 'telnyx' && c.telnyx !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['telnyx'], message: 'only for provider telnyx' });
    }
    if (c.provider === 'smpp' && known.includes(c.provider) && c.smpp === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['smpp'], message: 'provider smpp requires the smpp section' });
    }
    if (c.provider !== 'smpp' && c.smpp !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['smpp'], message: 'smpp section only with provider smpp' });
    }
    if (c.network !== 'sms' && Object.keys(c.numbers).length > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['numbers'], message: 'only for network sms' });
    }
    if (c.network !== 'sms' && c.numberPool.length > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['numberPool'], message: 'only for network sms' });
    }
    if (c.network !== 'sms' && c.allowShortCodes) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['allowShortCodes'], message: 'only for network sms' });
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
    admins: z
      .array(bareJid)
      .default([])
      .describe('Bare JIDs of gateway admins: they may run the ad-hoc commands (XEP-0050) that assign and release numbers.'),
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
