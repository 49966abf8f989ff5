/**
 * The SMS network's component settings: gateway numbers, numbering plan, and
 * one section per provider, chosen by `provider`.
 */
import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';
import { bareJid, boolean, decimal, hostname, integer } from './fields.js';
import { providerName, unknownProvider } from './providers.js';
import { taggedUnion } from './union.js';

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


const numberKey = z.string().regex(/^\+[1-9]\d{1,14}$|^\d{3,8}$/, 'must be E.164 (+15550001111) or a short code');

/** A destination rule: "+" and the leading digits of E.164 numbers, e.g. "+44", "+1876"; "+" alone matches every number. */
const numberPrefix = z.string().regex(/^\+\d{0,15}$/, 'must be "+" and the leading digits of E.164 numbers, e.g. "+44" or "+1876"');

/**
 * Ranges refused unless an admin allows them by a longer prefix: the ITU's
 * non-geographic codes for satellite and international networks (+870
 * Inmarsat, +881 GMSS: Iridium, Globalstar, Thuraya; +882/+883 international
 * networks), International Premium Rate Services (+979) and International
 * Shared Cost Service (+808): what toll fraud sends to.
 */
export const DEFAULT_DENIED_DESTINATIONS = ['+870', '+881', '+882', '+883', '+979', '+808'] as const;

export const destinationsSchema = z
  .object({
    allow: z
      .array(numberPrefix)
      .optional()
      .describe(
        'sms: prefixes (country calling codes or longer) users may text. Default: the calling codes of the gateway numbers (`numbers`, `numberPool` and the sender\'s own number); with none at all, every number not denied.',
      ),
    deny: z
      .array(numberPrefix)
      .default([...DEFAULT_DENIED_DESTINATIONS])
      .describe(
        'sms: prefixes users may not text, even inside an allowed country. The longer matching prefix of allow and deny decides (deny on a tie). Default: satellite and international networks (+870, +881, +882, +883), premium rate (+979) and shared cost (+808).',
      ),
  })
  .strict()
  .default({});

/** What every SMS component has, whatever its provider. */
function smsFields<S extends z.ZodRawShape>(base: S) {
  return {
    ...base,
    numbers: z
      .record(numberKey, bareJid)
      .default({})
      .describe('sms: gateway number -> owner JID. Inbound texts to a number go to its owner.'),
    defaultRegion: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 region such as US')
      .refine(isSupportedCountry, 'not a region with a phone numbering plan (ISO 3166 alpha-2, e.g. US, GB, DE)')
      .optional()
      .describe('sms: region for numbers typed in national format.'),
    /** Configs written for 0.1 parsed to an empty `addresses` on every component; kept so they still do. */
    addresses: z
      .record(z.string(), z.unknown())
      .refine((m) => Object.keys(m).length === 0, 'only for network email')
      .default({}),
    numberPool: z
      .array(numberKey)
      .default([])
      .describe('sms: numbers users may claim for themselves through in-band registration (XEP-0077).'),
    numberPoolAllow: z
      .array(z.union([hostname, bareJid]))
      .optional()
      .describe('sms: who may claim a pool number (domains and bare JIDs). Default: everyone in `allow`. Others must ask an admin.'),
    numberPoolClaimsPerDay: integer(0, 1000)
      .default(2)
      .describe('sms: pool numbers one user may claim per UTC day (a claim after a release counts again); 0 = no limit.'),
    destinations: destinationsSchema.describe('sms: which numbers users may text (toll fraud: premium and satellite ranges).'),
    allowShortCodes: boolean().default(false).describe('sms: let users write to short codes (3–8 digits) where the provider supports them.'),
  };
}

/** An SMS component: one variant per provider, each with its own section. */
export function smsComponentSchema<N extends z.ZodRawShape, S extends z.ZodRawShape>(name: N, base: S) {
  const fields = smsFields(base);
  const head = { ...name, network: z.literal('sms').describe('Which foreign network this component bridges: sms, email or webhook.') };
  return taggedUnion(
    'provider',
    {
      sandbox: z.object({ ...head, provider: providerName('sandbox'), ...fields }).strict(),
      twilio: z
        .object({ ...head, provider: providerName('twilio'), ...fields, twilio: twilioSchema.describe('Settings of the Twilio provider (required with provider twilio, only allowed with it).') })
        .strict(),
      telnyx: z
        .object({ ...head, provider: providerName('telnyx'), ...fields, telnyx: telnyxSchema.describe('Settings of the Telnyx provider (required with provider telnyx, only allowed with it).') })
        .strict(),
      smpp: z
        .object({ ...head, provider: providerName('smpp'), ...fields, smpp: smppSchema.describe('Settings of the SMPP provider (required with provider smpp, only allowed with it).') })
        .strict(),
    },
    { unknownTag: unknownProvider('sms') },
  );
}
