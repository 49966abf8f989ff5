/**
 * The admin token check for /admin, /sandbox and the ops routes, constant-time.
 * API clients send `Authorization: Bearer <token>`; a browser (the /admin
 * dashboard) cannot, so HTTP Basic with any user name and the token as the
 * password is taken too (RFC 7617), and a refusal carries the Basic
 * challenge that makes a browser ask for it.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/registry.js';

/** The challenge sent with every 401 of an admin route (RFC 7235 §4.1). */
export const ADMIN_CHALLENGE = 'Basic realm="xmpp-gateway admin", charset="UTF-8"';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** The token an Authorization header offers: a Bearer token, or a Basic password (any user name). */
export function offeredToken(header: string | undefined): string | undefined {
  const match = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match?.[1] || !match[2]) return undefined;
  if (match[1].toLowerCase() === 'bearer') return match[2];
  const decoded = Buffer.from(match[2], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

export function adminGuard(adminToken: string | undefined) {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return async function requireAdmin(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (expected === undefined) {
      throw new GatewayError('UNAUTHORIZED', 'admin routes are off: set http.adminToken in the config');
    }
    const offered = offeredToken(req.headers.authorization);
    // Both sides hashed first: equal lengths for timingSafeEqual, and no early exit on the token's length.
    if (offered === undefined || !timingSafeEqual(digest(offered), expected)) {
      reply.header('www-authenticate', ADMIN_CHALLENGE);
      throw new GatewayError('UNAUTHORIZED', 'missing or wrong admin token (Bearer, or Basic with the token as password)');
    }
  };
}
