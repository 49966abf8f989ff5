/**
 * The email network's component settings: gateway mail addresses (configured,
 * a pool users may claim, and a default address per user), and with
 * `provider: smtp` the outbound relay (`smtp`), the built-in SMTP listener
 * (`inbound`), hosted inbound through Mailgun routes (`mailgun`), what
 * happens to mail text (`mail`) and attachments (`attachments`).
 * Imports nothing of the gateway but this folder.
 */
import { z } from 'zod';
import { bareJid, boolean, hostname, integer } from './fields.js';
import { providerName, unknownProvider } from './providers.js';
import { taggedUnion } from './union.js';

const MIB = 1024 * 1024;

/** A mail address as config names one: lower-cased, so `Alice@Mail.example.org` and `alice@mail.example.org` are one key. */
const mailAddress = z
  .string()
  .email('must be a mail address (local@domain)')
  .transform((a) => a.toLowerCase());

export const smtpRelaySchema = z
  .object({
    url: z
      .string()
      .url()
      // zod runs a refinement even after .url() failed: a string no URL parses must not throw here.
      .refine((u) => URL.canParse(u) && /^smtps?:$/.test(new URL(u).protocol), 'must be an smtp:// or smtps:// URL')
      .describe(
        'email smtp: the relay. smtp://host:587 upgrades with STARTTLS when offered, smtps://host:465 is TLS from the start; user:password@ in the URL logs in (percent-encode special characters).',
      ),
    requireTls: boolean()
      .default(false)
      .describe('email smtp: refuse to send when the relay does not offer STARTTLS (smtp:// URLs).'),
    rejectUnauthorized: boolean()
      .default(true)
      .describe("email smtp: refuse a relay certificate that does not verify; turn off only for a test relay."),
    maxConnections: integer(1, 100).default(5).describe('email smtp: pooled connections kept open to the relay.'),
    timeoutMs: integer(1000, 600_000)
      .default(60_000)
      .describe('email smtp: how long to wait for the relay (connection, greeting, each reply) before trying again later.'),
    dkim: z
      .object({
        domainName: hostname.describe('email smtp: the d= domain of the DKIM signature.'),
        keySelector: z.string().min(1).describe('email smtp: the s= selector; its public key is in DNS at <selector>._domainkey.<domain>.'),
        privateKey: z.string().min(1).describe('email smtp: the PEM private key (from the environment: ${DKIM_KEY}).'),
      })
      .strict()
      .optional()
      .describe('email smtp: sign outgoing mail with DKIM (leave out when the relay signs).'),
    defaultSubject: z
      .string()
      .max(200)
      .default('Message via XMPP')
      .describe("email smtp: the Subject of a mail whose stanza has no <subject> and whose thread has none yet."),
  })
  .strict();

export const smtpListenerSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe('email smtp: address the SMTP listener binds (0.0.0.0 to take mail from the internet on port 25).'),
    port: integer(0, 65_535).default(2525).describe('email smtp: port of the SMTP listener (25 for an MX).'),
    hostname: hostname.optional().describe('email smtp: the name the listener greets with (default: the component domain).'),
    maxMessageBytes: integer(1024, 200 * MIB)
      .default(25 * MIB)
      .describe('email smtp: largest mail accepted, in bytes (announced with SIZE; larger mail is refused with 552).'),
    tls: z
      .object({
        cert: z.string().min(1).describe('email smtp: path of the PEM certificate chain for STARTTLS.'),
        key: z.string().min(1).describe('email smtp: path of its PEM private key.'),
      })
      .strict()
      .optional()
      .describe('email smtp: offer STARTTLS with this certificate (without it the listener speaks plain SMTP only).'),
    maxClients: integer(1, 10_000).default(100).describe('email smtp: SMTP connections open at once, from everyone.'),
    maxConnectionsPerIp: integer(1, 1000).default(10).describe('email smtp: SMTP connections open at once from one client address.'),
    messagesPerIpPerMinute: integer(1, 100_000).default(60).describe('email smtp: mails one client address may deliver per minute (more get 421 and are retried by the sending server).'),
    verifySenders: boolean()
      .default(true)
      .describe('email smtp: check SPF, DKIM and DMARC of incoming mail (mailauth); a DMARC failure under a p=reject policy is refused with 550, other results are logged and counted.'),
  })
  .strict();

export const mailgunSchema = z
  .object({
    signingKey: z
      .string()
      .min(16)
      .describe('email mailgun: the HTTP webhook signing key (Mailgun: Sending > Webhooks); verifies POST /webhooks/<domain>/inbound.'),
  })
  .strict();

export const mailTextSchema = z
  .object({
    trimQuoted: boolean()
      .default(true)
      .describe('email: cut the quoted history and signature below a reply from incoming mail (the full text stays one link away).'),
    maxBodyLength: integer(100, 1_000_000)
      .default(10_000)
      .describe('email: longest mail text delivered as a chat message, in characters; longer text is cut with a link to the whole.'),
  })
  .strict()
  .default({});

export const attachmentsSchema = z
  .object({
    dir: z
      .string()
      .min(1)
      .default('./data/attachments')
      .describe('email: directory where received attachments (and cut mail texts) are kept and served from; several gateway processes serve them when they share it.'),
    maxFileBytes: integer(1, 1024 * MIB).default(25 * MIB).describe('email: largest attachment kept, in bytes (larger ones are named in the message, not kept).'),
    maxMailBytes: integer(1, 4096 * MIB).default(50 * MIB).describe('email: most attachment bytes kept from one mail.'),
    expiryDays: integer(1, 3650).default(30).describe('email: days a received attachment stays downloadable.'),
    fetchHosts: z
      .array(hostname)
      .default([])
      .describe(
        "email: hosts (your XEP-0363 upload service) whose file links in a user's message are fetched and attached to the mail; links to any other host stay links in the text. The gateway never fetches other URLs.",
      ),
    fetchMaxBytes: integer(1, 1024 * MIB).default(10 * MIB).describe('email: most bytes of files fetched from fetchHosts and attached to one mail, all together; files beyond it stay links.'),
  })
  .strict()
  .default({});

/** What every email component has, whatever its provider. */
function emailFields<S extends z.ZodRawShape>(base: S) {
  return {
    ...base,
    addresses: z
      .record(mailAddress, bareJid)
      .default({})
      .describe('email: gateway address -> owner JID. Inbound mail to an address goes to its owner; the owner sends from it.'),
    addressPool: z
      .array(mailAddress)
      .default([])
      .describe('email: addresses users may claim for themselves through in-band registration (XEP-0077).'),
    addressPoolAllow: z
      .array(z.union([hostname, bareJid]))
      .optional()
      .describe('email: who may claim a pool address (domains and bare JIDs). Default: everyone in `allow`.'),
    addressPoolClaimsPerDay: integer(0, 1000)
      .default(2)
      .describe('email: pool addresses one user may claim per UTC day; 0 = no limit.'),
    defaultAddresses: boolean()
      .default(true)
      .describe(
        'email: a user of an allowed domain who owns no address sends and receives as <user>.<their domain>@<mailDomain> (alice@example.org -> alice.example.org@mail.example.org). Off: such a user is told to register (registration-required).',
      ),
    mailDomain: hostname
      .optional()
      .describe('email: the domain of the default addresses (default: the component domain); its MX record must point at the listener.'),
  };
}

/** An email component: the sandbox (for trying it), or smtp (a relay out, a listener and Mailgun routes in). */
export function emailComponentSchema<N extends z.ZodRawShape, S extends z.ZodRawShape>(name: N, base: S) {
  const fields = emailFields(base);
  const head = { ...name, network: z.literal('email').describe('Which foreign network this component bridges: sms, email or webhook.') };
  return taggedUnion(
    'provider',
    {
      sandbox: z.object({ ...head, provider: providerName('sandbox'), ...fields }).strict(),
      smtp: z
        .object({
          ...head,
          provider: providerName('smtp'),
          ...fields,
          smtp: smtpRelaySchema.describe('Outbound relay (required with provider smtp).'),
          inbound: smtpListenerSchema
            .optional()
            .describe('email smtp: the built-in SMTP listener (leave out to take no mail directly, e.g. with Mailgun routes only).'),
          mailgun: mailgunSchema.optional().describe('email smtp: hosted inbound through Mailgun routes, POST /webhooks/<domain>/inbound.'),
          mail: mailTextSchema.describe('email: what incoming mail text becomes.'),
          attachments: attachmentsSchema.describe('email: attachments in both directions.'),
        })
        .strict(),
    },
    { unknownTag: unknownProvider('email') },
  );
}
