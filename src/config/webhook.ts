/**
 * The webhook network's component settings: the sandbox, or `provider: http`
 * with its named `endpoints` (outbound: `<name>@<domain>` POSTs there, signed
 * per Standard Webhooks, https://www.standardwebhooks.com/) and the `http`
 * section (retry schedule). Imports nothing of the gateway but this folder.
 */
import { z } from 'zod';
import { boolean, decimal, integer } from './fields.js';
import { providerName, unknownProvider } from './providers.js';
import { taggedUnion } from './union.js';

/** A Standard Webhooks signing key: `whsec_` and the base64 of 24 to 64 random bytes. */
export const whsecKey = z
  .string()
  .refine(
    (v) => /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v.slice(6), 'base64').length >= 24,
    'must be a Standard Webhooks key: whsec_ followed by the base64 of at least 24 random bytes',
  );

/** Names as the codec accepts them (`src/addressing/endpoint.ts`), lower case. */
const endpointName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be an endpoint name: a-z, 0-9, ".", "_", "-", starting with a letter or digit');

export const endpointSchema = z
  .object({
    url: z
      .string()
      .url()
      .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http:// or https:// URL')
      .describe('The URL the gateway POSTs to; never taken from users.'),
    secret: z
      .union([whsecKey, z.array(whsecKey).min(1).max(10)])
      .describe('whsec_ key, or a list of them while rotating: every message is signed with each.'),
    timeoutMs: integer(100, 120_000).default(15_000),
    allowPrivateNetwork: boolean().default(false),
    description: z.string().max(200).optional(),
  })
  .strict();

/**
 * Svix's retry schedule (https://docs.svix.com/retries): the first attempt at
 * once, then retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h.
 */
export const SVIX_RETRY_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

export const httpProviderSchema = z
  .object({
    retryScheduleSeconds: z
      .array(integer(0, 7 * 86_400))
      .max(50)
      .default(SVIX_RETRY_SECONDS)
      .describe('webhook http: the first call goes at once; these are the waits before each retry, in seconds (Svix\'s schedule by default). After the last retry fails the sender gets an error.'),
    retryJitter: decimal(z.number().min(0).max(1))
      .default(0.2)
      .describe('webhook http: each wait is spread by up to this fraction either way, so endpoints coming back are not hit all at once.'),
  })
  .strict()
  .default({});

/** A webhook component: the sandbox, or `provider: http` with its endpoints. */
export function webhookComponentSchema<N extends z.ZodRawShape, S extends z.ZodRawShape>(name: N, base: S) {
  const head = { ...name, network: z.literal('webhook').describe('Which foreign network this component bridges: sms, email or webhook.') };
  return taggedUnion(
    'provider',
    {
      sandbox: z.object({ ...head, provider: providerName('sandbox'), ...base }).strict(),
      http: z
        .object({
          ...head,
          provider: providerName('http'),
          ...base,
          endpoints: z
            .record(endpointName, endpointSchema)
            .default({})
            .describe(
              'webhook http: name -> { url, secret (whsec_ key or a list, for rotation), timeoutMs (default 15000), allowPrivateNetwork (default false: loopback and private addresses are refused), description (shown in disco) }. A message to <name>@<domain> is POSTed to url.',
            ),
          http: httpProviderSchema.describe('Settings of the http webhook provider.'),
        })
        .strict(),
    },
    { unknownTag: unknownProvider('webhook') },
  );
}
