/**
 * `POST /webhooks/<domain>/<name>`: the inbound hooks, on the kit's signed
 * webhook routes (raw bytes, content-type gate, verify before parse, 503
 * while Redis cannot store, 2xx for a duplicate). Each answer is counted in
 * `xgw_webhook_requests_total{domain,hook,outcome}` and each refusal logged
 * once with its reason:
 *
 * 404 unknown hook, 401 bad or missing credentials, 400 stale timestamp,
 * 415 a media type the hook's format does not take, 413 too large,
 * 422 a payload the format cannot read; 202 queued, 200 duplicate.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError } from '../../../../src/errors/registry.js';
import type { GatewayMetrics } from '../../../../src/metrics.js';
import type { AdapterContext } from '../../../types.js';
import { signedWebhookRoutes } from '../../../kit/signed-webhook.js';
import type { Hook } from './hooks.js';
import { payloadInvalid } from './payload-error.js';
import { renderHook, type HookPayload } from './render.js';
import { checkHook, deliveryIdOf } from './verify.js';

/** Media types each format takes (GitHub may post JSON or a form with a `payload` field). */
const MEDIA_TYPES: Record<Hook['format'], readonly string[]> = {
  plain: ['application/json', 'text/plain'],
  alertmanager: ['application/json'],
  grafana: ['application/json'],
  github: ['application/json', 'application/x-www-form-urlencoded'],
  template: ['application/json'],
};

const OUTCOMES: Record<number, string> = { 200: 'duplicate', 202: 'queued', 400: 'stale', 401: 'unauthorized', 404: 'unknown_hook', 413: 'too_large', 415: 'unsupported_type', 422: 'invalid', 503: 'unavailable' };

export interface HookRoutesOptions {
  domain: string;
  hooks: ReadonlyMap<string, Hook>;
  logger: Logger;
  emitInbound: AdapterContext['emitInbound'];
  metrics?: GatewayMetrics;
  now?: () => number;
}

/** The hook a request names: the last path segment, lower case. */
function hookName(url: string): string {
  const path = url.split('?')[0] ?? '';
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)).toLowerCase();
}

function mediaType(req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function decode(hook: Hook, type: string, raw: Buffer, header: HookPayload['header']): HookPayload {
  const text = raw.toString('utf8');
  let json: unknown;
  try {
    if (type === 'application/json') json = JSON.parse(text) as unknown;
    if (type === 'application/x-www-form-urlencoded') json = JSON.parse(new URLSearchParams(text).get('payload') ?? '') as unknown;
  } catch {
    throw payloadInvalid(hook.format, type === 'application/json' ? 'the body is not JSON' : 'the form has no JSON payload field');
  }
  return { contentType: type, text, json, header };
}

export function hookRoutes(opts: HookRoutesOptions): FastifyPluginAsync {
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ webhooks: 'inbound' });
  const allTypes = [...new Set(Object.values(MEDIA_TYPES).flat())];

  function counted(req: FastifyRequest, reply: FastifyReply): void {
    const name = hookName(req.url);
    const hook = opts.hooks.has(name) ? name : 'unknown';
    const outcome = OUTCOMES[reply.statusCode] ?? (reply.statusCode < 300 ? 'accepted' : 'refused');
    opts.metrics?.webhookRequests.inc({ domain: opts.domain, hook, outcome });
    if (reply.statusCode >= 400) log.warn({ hook, status: reply.statusCode, outcome, ip: req.ip }, `inbound webhook ${hook} refused: ${outcome}`);
  }

  return signedWebhookRoutes({
    provider: { id: 'webhook', name: 'Inbound hook' },
    contentType: allTypes,
    logger: log,
    emitInbound: opts.emitInbound,
    parse: (raw) => raw,
    verify(req) {
      const name = hookName(req.url);
      const hook = opts.hooks.get(name);
      if (hook === undefined) return { ok: false, code: 'NOT_FOUND', reason: `no hook named ${name} on ${opts.domain}`, what: 'unknown hook' };
      return checkHook(hook, req, now());
    },
    routes(app, store) {
      app.addHook('onResponse', async (req, reply) => counted(req, reply));
      app.post<{ Params: { name: string } }>('/:name', async (req, reply) => {
        const name = req.params.name.toLowerCase();
        const hook = opts.hooks.get(name) as Hook; // verify() let only configured hooks through
        const type = mediaType(req);
        if (!MEDIA_TYPES[hook.format].includes(type)) {
          throw new GatewayError('MEDIA_TYPE_UNSUPPORTED', `hook ${name} (format ${hook.format}) takes ${MEDIA_TYPES[hook.format].join(' or ')}, not ${type || 'an untyped body'}`);
        }
        const header = (h: string) => {
          const v = req.headers[h];
          return Array.isArray(v) ? v[0] : v;
        };
        let rendered;
        try {
          rendered = renderHook(hook, decode(hook, type, req.body as Buffer, header));
        } catch (err) {
          // A template that fails on a payload is the administrator's to fix: say why, not only that it was refused.
          if (hook.format === 'template' && err instanceof GatewayError) log.warn({ hook: name, reason: err.message }, `inbound webhook ${name}: template not rendered: ${err.message}`);
          throw err;
        }
        const id = deliveryIdOf(hook, header) ?? rendered.dedupeKey ?? crypto.randomUUID();
        const result = await store({
          kind: 'message',
          id: `hook:${name}:${id}`,
          from: name,
          to: (hook.to[0] ?? hook.rooms[0]) as string,
          recipients: [...hook.to.map((jid) => ({ jid, type: 'chat' as const })), ...hook.rooms.map((jid) => ({ jid, type: 'groupchat' as const }))],
          body: rendered.body,
          ...(rendered.correction === undefined ? {} : { correction: { key: `${name}:${rendered.correction.key}`, mode: rendered.correction.mode } }),
        });
        if (result.outcome === 'dropped') throw new GatewayError('PAYLOAD_INVALID', result.reason);
        log.info({ hook: name, id, outcome: result.outcome }, `inbound webhook ${name} ${result.outcome}`);
        return reply.code(result.outcome === 'queued' ? 202 : 200).send(result);
      });
    },
  });
}
