/**
 * Lua scripts run by their SHA1 (EVALSHA), sent in full (EVAL) only when
 * Redis does not have them yet (after a restart or SCRIPT FLUSH). EVAL sent
 * the script's text with every message: most of what went down the socket.
 * https://redis.io/docs/latest/commands/evalsha/
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../queue/redis.js';

export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export async function runScript(redis: RedisClient, script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}
