/** Bearer-token check for /admin and /sandbox routes, constant-time. */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/registry.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function adminGuard(adminToken: string | undefined) {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return async function requireAdmin(req: FastifyRequest): Promise<void> {
    if (expected === undefined) {
      throw new GatewayError('UNAUTHORIZED', 'admin routes are off: set http.adminToken in the config');
    }
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1] || !timingSafeEqual(digest(match[1].trim()), expected)) {
      throw new GatewayError('UNAUTHORIZED', 'missing or wrong bearer token');
    }
  };
}
