/**
 * The sandbox console: a static page at GET /sandbox/console (with its script
 * and stylesheet beside it) where a person plays every sandbox contact: reads
 * what users sent to a phone, mailbox or service, replies as it, and marks
 * sent messages delivered or failed. The page holds no data; it reads the
 * admin token from its URL fragment (`#token=...`, never sent to the server)
 * and calls the JSON routes below and the sandbox routes of each component,
 * all behind the token.
 *
 *   GET /sandbox/console                  the page (open: it is static)
 *   GET /sandbox/console/console.js|.css  its script and stylesheet (open)
 *   GET /sandbox/console/components       sandbox components (admin token)
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/** A component whose provider is the sandbox, as the console shows it. */
export interface SandboxComponentInfo {
  domain: string;
  network: string;
  /** The network's human name (its disco identity name). */
  name: string;
  /** What the network calls a user's own address ('Phone number'), where users own one. */
  addressLabel?: string;
  /** Gateway addresses (numbers, mail addresses) -> owner bare JID. */
  addresses: Record<string, string>;
}

export interface ConsoleDeps {
  components(): Promise<SandboxComponentInfo[]>;
}

const ASSETS = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
} as const;
type Asset = keyof typeof ASSETS;

/**
 * The console's files live in src/http/console/ (plain files, no build step);
 * found from the package root, so the same path serves from src/ in tests and
 * from dist/ in a build (the Dockerfile copies the folder beside dist/).
 */
function assetDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('sandbox console: no package.json above the server code');
    dir = up;
  }
  return join(dir, 'src', 'http', 'console');
}

/** The page may talk only to this server, load nothing else, and not be framed; the token never leaves in a Referer. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

const componentsSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['domain', 'network', 'name', 'addresses'],
    properties: {
      domain: { type: 'string' },
      network: { type: 'string' },
      name: { type: 'string' },
      addressLabel: { type: 'string' },
      addresses: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
} as const;

export function consoleRoutes(deps: ConsoleDeps, requireAdmin: (req: FastifyRequest, reply: FastifyReply) => Promise<void>): FastifyPluginAsync {
  const cache = new Map<Asset, string>();
  const load = async (name: Asset): Promise<string> => {
    const cached = cache.get(name);
    if (cached !== undefined) return cached;
    const text = await readFile(join(assetDir(), name), 'utf8');
    cache.set(name, text);
    return text;
  };

  return async (app) => {
    const serve = (url: string, name: Asset) =>
      app.get(url, async (_req, reply) => reply.headers(PAGE_HEADERS).type(ASSETS[name]).send(await load(name)));
    serve('/sandbox/console', 'index.html');
    serve('/sandbox/console/', 'index.html');
    serve('/sandbox/console/console.js', 'console.js');
    serve('/sandbox/console/console.css', 'console.css');

    app.register(async (api) => {
      api.addHook('onRequest', requireAdmin);
      api.get('/sandbox/console/components', { schema: { response: { 200: componentsSchema } } }, async () => deps.components());
    });
  };
}
