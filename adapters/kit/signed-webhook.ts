/**
 * The one way a provider's signed webhooks are received (Twilio, Telnyx, and
 * next Standard Webhooks, GitHub X-Hub-Signature-256, Mailgun): a Fastify
 * plugin for the routes under /webhooks/<domain>/ that
 *
 * 1. refuses any media type but the provider's (415, unread: no parser for it);
 * 2. keeps the exact bytes received, since signatures are over them;
 * 3. checks the signature with the provider's callback, and optionally a
 *    timestamp header against a window, before the body is parsed or
 *    validated, so an unsigned request learns nothing about the fields:
 *    a refusal is 403 SIGNATURE_INVALID with a JSON reason and one log line
 *    of bounded length, the only one that holds the URL (reasons must not
 *    repeat it);
 * 4. parses the verified bytes into the body the routes' schemas validate;
 * 5. gives the routes `store(event)`: an event is answered 2xx only once it is
 *    stored (a duplicate is stored already, so 2xx too); while it cannot be
 *    stored the request is answered 503 and the provider retries (DESIGN).
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError, type ErrorCode } from '../../src/errors/registry.js';
import { bounded } from '../../src/log-bounds.js';
import type { AdapterContext, InboundAcceptance, InboundEvent } from '../types.js';
import type { ProviderName } from './provider.js';

/** What a signature callback sees of the request. */
export interface SignedRequest {
  /** The body exactly as received. */
  raw: Buffer;
  /** A header's (first) value, by lower-case name. */
  header(name: string): string | undefined;
  /** Path and query as requested, e.g. `/webhooks/sms.example.org/messages?x=1`. */
  url: string;
}

/**
 * A verdict; the reason is for the log and the answer, so it names the failed
 * check, never a secret. A refusal is 403 SIGNATURE_INVALID unless it names
 * another `code` (an unknown hook: NOT_FOUND; a missing credential:
 * UNAUTHORIZED; a stale timestamp: BAD_REQUEST), and is logged as "bad
 * signature" unless it says `what` failed.
 */
export type SignatureCheck = { ok: true } | { ok: false; reason: string; code?: ErrorCode; what?: string };

/** A header carrying Unix seconds that must be within `toleranceSeconds` of now, either way (replay protection). */
export interface TimestampWindow {
  header: string;
  toleranceSeconds: number;
}

/** Stores an inbound event; rejects with a 503 GatewayError while it cannot. */
export type StoreInbound = (event: InboundEvent) => Promise<InboundAcceptance>;

export interface SignedWebhookOptions {
  provider: ProviderName;
  /** The media type the provider posts, e.g. `application/json` (or the few it may use). */
  contentType: string | readonly string[];
  /** Checks the signature over the raw bytes (and URL, headers, as the scheme needs). */
  verify(req: SignedRequest): SignatureCheck;
  /** Checked after a valid signature, where the scheme signs a timestamp the callback does not itself check. */
  timestamp?: TimestampWindow;
  /** The verified bytes -> the body the routes validate. Default: JSON for `application/json`, else a form. */
  parse?(raw: Buffer): unknown;
  /** The 403 answer's message for a reason. Default: "<Name> webhook signature refused: <reason>". */
  refusal?(reason: string): string;
  logger: Logger;
  emitInbound: AdapterContext['emitInbound'];
  /** Registers the provider's routes; `store` is emitInbound with the 503 rule. */
  routes(app: FastifyInstance, store: StoreInbound): void | Promise<void>;
  /** Clock in ms, for the timestamp window (tests). */
  now?: () => number;
}


/**
 * Checks a Unix-seconds timestamp against a window around `nowMs`.
 *
 * @example checkTimestampWindow('telnyx-timestamp', '1700000000', 300, 1_700_000_301_000)
 *   // { ok: false, reason: 'telnyx-timestamp is 301 s old (allowed: 300 s either way)' }
 */
export function checkTimestampWindow(header: string, value: string | undefined, toleranceSeconds: number, nowMs: number): SignatureCheck {
  if (value === undefined || value === '') return { ok: false, reason: `${header} is missing` };
  if (!/^\d{1,12}$/.test(value)) return { ok: false, reason: `${header} is not a Unix time` };
  const skew = Math.floor(nowMs / 1000) - Number(value);
  if (Math.abs(skew) > toleranceSeconds) {
    const when = skew > 0 ? `${skew} s old` : `${-skew} s in the future`;
    return { ok: false, reason: `${header} is ${when} (allowed: ${toleranceSeconds} s either way)` };
  }
  return { ok: true };
}

/** Form fields as posted: a repeated name gives an array (Twilio signs every value). */
export type FormParams = Record<string, string | string[]>;

/** An application/x-www-form-urlencoded body as {@link FormParams}. */
export function parseForm(raw: Buffer): FormParams {
  const params: FormParams = {};
  for (const [name, value] of new URLSearchParams(raw.toString('utf8'))) {
    const seen = params[name];
    params[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new GatewayError('BAD_REQUEST', 'the signed body is not JSON');
  }
}

/**
 * emitInbound, but a failure to store is always a 503 (QUEUE_UNAVAILABLE as
 * it comes, anything else SERVICE_UNAVAILABLE), so the provider retries.
 */
export function storeOr503(emitInbound: AdapterContext['emitInbound']): StoreInbound {
  return async (event) => {
    try {
      return await emitInbound(event);
    } catch (err) {
      if (err instanceof GatewayError && err.spec.httpStatus === 503) throw err;
      throw new GatewayError('SERVICE_UNAVAILABLE', 'cannot store the event right now; retry later', { cause: err });
    }
  };
}

/** The plugin for a provider's signed webhook routes (see the top of this file). */
export function signedWebhookRoutes(opts: SignedWebhookOptions): FastifyPluginAsync {
  const now = opts.now ?? Date.now;
  const contentTypes = (typeof opts.contentType === 'string' ? [opts.contentType] : opts.contentType).map((t) => t.toLowerCase());
  const contentType = contentTypes.join(' or ');
  const parse = opts.parse ?? (contentType === 'application/json' ? parseJson : parseForm);
  const refusal = opts.refusal ?? ((reason: string) => `${opts.provider.name} webhook signature refused: ${reason}`);

  function check(req: FastifyRequest, raw: Buffer): SignatureCheck {
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const verdict = opts.verify({ raw, header, url: req.url });
    if (!verdict.ok || opts.timestamp === undefined) return verdict;
    return checkTimestampWindow(opts.timestamp.header, header(opts.timestamp.header), opts.timestamp.toleranceSeconds, now());
  }

  /** Runs before schema validation: an unsigned request learns nothing about the expected fields. */
  async function requireSignature(req: FastifyRequest): Promise<void> {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = check(req, raw);
    if (!verdict.ok) {
      opts.logger.warn(
        { url: bounded(req.url), ip: req.ip, reason: bounded(verdict.reason) },
        `${opts.provider.name} webhook refused: ${verdict.what ?? 'bad signature'}`,
      );
      throw new GatewayError(verdict.code ?? 'SIGNATURE_INVALID', verdict.code === undefined ? refusal(verdict.reason) : verdict.reason);
    }
    req.body = parse(raw);
  }

  return async (app) => {
    // Scoped to these routes: the provider's one media type, kept as bytes; anything else is refused unread. A parser,
    // not an onRequest hook: an async hook ahead of the body made an oversized chunked upload end in EPIPE, not 413.
    const unsupported = (type: string | undefined) =>
      new GatewayError('MEDIA_TYPE_UNSUPPORTED', `${opts.provider.name} webhooks are ${contentType}, not ${type || 'an untyped body'}`);
    app.removeAllContentTypeParsers();
    app.addContentTypeParser([...contentTypes], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.addContentTypeParser('*', (req, _payload, done) => done(unsupported((req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()), undefined));
    app.addHook('preValidation', requireSignature);
    await opts.routes(app, storeOr503(opts.emitInbound));
  };
}
