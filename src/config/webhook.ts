/**
 * The webhook network's component settings: the sandbox, or `provider: http`
 * with its named `endpoints` (outbound: `<name>@<domain>` POSTs there, signed
 * per Standard Webhooks, https://www.standardwebhooks.com/) and the `http`
 * section (retry schedule). Imports nothing of the gateway but this folder.
 */
import { z } from 'zod';
import { bareJid, boolean, decimal, integer } from './fields.js';
import { parseHookTemplate, TEMPLATE_LIMITS } from './hook-template.js';
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

export const HOOK_VERIFIERS = ['standard-webhooks', 'github', 'bearer', 'basic'] as const;
export const HOOK_FORMATS = ['plain', 'alertmanager', 'grafana', 'github', 'template'] as const;

/** Which keys each verify scheme reads; any other credential key on the hook is a mistake worth naming. */
const CREDENTIALS: Record<(typeof HOOK_VERIFIERS)[number], Array<'secret' | 'token' | 'username' | 'password'>> = {
  'standard-webhooks': ['secret'],
  github: ['secret'],
  bearer: ['token'],
  basic: ['username', 'password'],
};

const isWhsec = (v: unknown) => whsecKey.safeParse(v).success;

/**
 * One inbound hook, `POST /webhooks/<domain>/<name>`. `verify` defaults to
 * standard-webhooks when `secret` is a whsec_ key (or a list of them).
 */
export const hookSchema = z
  .object({
    verify: z.enum(HOOK_VERIFIERS).optional(),
    secret: z.union([z.string().min(16), z.array(z.string().min(16)).min(1).max(10)]).optional(),
    token: z.string().min(16).optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(12).optional(),
    format: z.enum(HOOK_FORMATS).default('plain'),
    template: z.string().min(1).max(TEMPLATE_LIMITS.templateChars).optional(),
    to: z.array(bareJid).default([]),
    rooms: z.array(bareJid).default([]),
    nick: z.string().min(1).max(64).regex(/^[^\s/@][^/@]*$/, 'must be a room nickname: no "/" or "@", not starting with a space').optional(),
  })
  .strict()
  .superRefine((hook, ctx) => {
    if (hook.to.length === 0 && hook.rooms.length === 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['to'], message: 'a hook needs recipients: local JIDs in to, rooms (MUC JIDs) in rooms, or both' });
    }
    if (hook.nick !== undefined && hook.rooms.length === 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['nick'], message: 'only used with rooms' });
    }
    if (hook.format === 'template' && hook.template === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['template'], message: 'required with format template: a LiquidJS template over the JSON payload' });
    }
    if (hook.format !== 'template' && hook.template !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['template'], message: `only used with format template (this hook's format is ${hook.format})` });
    }
    if (hook.template !== undefined) {
      try {
        parseHookTemplate(hook.template);
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['template'], message: `does not parse: ${(err as Error).message}` });
      }
    }
    const secrets = hook.secret === undefined ? [] : Array.isArray(hook.secret) ? hook.secret : [hook.secret];
    const verify = hook.verify ?? (secrets.length > 0 && secrets.every(isWhsec) ? 'standard-webhooks' : undefined);
    if (verify === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['verify'], message: `required unless secret is a whsec_ key: one of ${HOOK_VERIFIERS.join(', ')}` });
      return;
    }
    const needs = CREDENTIALS[verify];
    for (const key of needs) {
      if (hook[key] === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `required for verify ${verify}` });
    }
    for (const key of ['secret', 'token', 'username', 'password'] as const) {
      if (hook[key] !== undefined && !needs.includes(key)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `not used by verify ${verify}` });
    }
    if (verify === 'standard-webhooks' && !secrets.every(isWhsec)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['secret'], message: 'verify standard-webhooks needs whsec_ keys' });
    }
  })
  .transform((hook) => {
    const secrets = hook.secret === undefined ? [] : Array.isArray(hook.secret) ? hook.secret : [hook.secret];
    return { ...hook, verify: hook.verify ?? ('standard-webhooks' as const), secrets };
  });

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
          inbound: z
            .record(endpointName, hookSchema)
            .default({})
            .describe(
              'webhook http: name -> hook, POST /webhooks/<domain>/<name>: { verify (standard-webhooks, the default for whsec_ secrets | github | bearer | basic), secret (whsec_ key, GitHub secret, or a list), token, username + password, format (plain | alertmanager | grafana | github | template), template (with format template: a LiquidJS template over the JSON payload; no include/render/layout, rendering limited in time and memory), to (local JIDs), rooms (group chat rooms, XEP-0045: the component joins each as <name>@<domain> and posts there), nick (the nickname in those rooms; default: the hook name) }.',
            ),
          http: httpProviderSchema.describe('Settings of the http webhook provider.'),
        })
        .strict(),
    },
    { unknownTag: unknownProvider('webhook') },
  );
}
