/**
 * `redis.url`: one Redis server, a Sentinel-watched master, or a Cluster.
 * Pure: the config schema validates with it, src/queue/redis.ts connects
 * with what it returns.
 *
 * | url | target |
 * |---|---|
 * | `redis://[[user]:password@]host[:port][/db]`, `rediss://...` | one server (ioredis parses it, as always) |
 * | `redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/master[?db=N&sentinelPassword=P]` | the master Sentinels at those addresses name (port default 26379) |
 * | `redis+cluster://[[user]:password@]host[:port][,host[:port]...]` | a Cluster, discovered from any of those nodes (port default 6379) |
 *
 * The password is the data nodes' (`requirepass`, ACL user); `sentinelPassword`
 * is the Sentinels' own when they require one. Percent-encode `@ : / , ? &`
 * in passwords. IPv6 hosts go in brackets: `[::1]:26379`.
 *
 * @example parseRedisUrl('redis+sentinel://:pw@10.0.0.1,10.0.0.2:26380/gateway?db=2')
 *   // { kind: 'sentinel', name: 'gateway', db: 2, password: 'pw',
 *   //   sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26380 }] }
 * @example parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7000')
 *   // { kind: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }] }
 * https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/
 * https://redis.io/docs/latest/operate/oss_and_stack/management/scaling/
 */

export interface RedisAddress {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
}

export type RedisTarget =
  | { kind: 'server'; url: string }
  | ({ kind: 'sentinel'; sentinels: RedisAddress[]; name: string; db?: number; sentinelPassword?: string } & Credentials)
  | ({ kind: 'cluster'; nodes: RedisAddress[] } & Credentials);

const SENTINEL = 'redis+sentinel:';
const CLUSTER = 'redis+cluster:';
const FORM = /^([a-z][a-z0-9+.-]*:)\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i;
const ADDRESS = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/;

/** An invalid `redis.url`; the message says what is wrong and how the URL should look. */
export class RedisUrlError extends Error {}

/** Whether the URL names a Cluster (its keys then need one hash tag, see redisKeyPrefix). */
export function isClusterUrl(url: string): boolean {
  return url.toLowerCase().startsWith(`${CLUSTER}//`);
}

/**
 * The key prefix the gateway uses on this Redis. On a Cluster it is a hash
 * tag, `{prefix}`, so every key (BullMQ's, the stores', the Lua scripts')
 * lands in one slot and no multi-key command meets CROSSSLOT.
 * https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags
 */
export function redisKeyPrefix(redis: { url: string; prefix: string }): string {
  return isClusterUrl(redis.url) ? `{${redis.prefix}}` : redis.prefix;
}

/** Parses `redis.url`; throws RedisUrlError saying what is wrong. */
export function parseRedisUrl(url: string): RedisTarget {
  const form = FORM.exec(url.trim());
  const scheme = form?.[1]?.toLowerCase();
  if (form === null || scheme === undefined) {
    throw new RedisUrlError('not a URL: use redis://host:port, rediss://, redis+sentinel://host:port/master or redis+cluster://host:port,...');
  }
  if (scheme !== SENTINEL && scheme !== CLUSTER) {
    if (scheme.includes('+')) throw new RedisUrlError(`unknown scheme "${scheme}//": use redis+sentinel:// or redis+cluster://`);
    if (!URL.canParse(url)) throw new RedisUrlError('not a valid URL');
    return { kind: 'server', url };
  }
  const [, , auth, hostList = '', path = '', query] = form;
  const credentials = parseAuth(auth);
  const defaultPort = scheme === SENTINEL ? 26379 : 6379;
  const addresses = hostList.split(',').map((a) => parseAddress(a, defaultPort));
  const params = new URLSearchParams(query ?? '');
  if (scheme === CLUSTER) {
    if (path !== '' && path !== '/') throw new RedisUrlError('a Cluster has no database or name: redis+cluster://host:port[,host:port...]');
    const extra = [...params.keys()];
    if (extra.length > 0) throw new RedisUrlError(`unknown parameter "${extra[0]}" (redis+cluster:// takes none)`);
    return { kind: 'cluster', nodes: addresses, ...credentials };
  }
  const name = decode(path.slice(1), 'master name');
  if (name === '' || name.includes('/')) throw new RedisUrlError('name the master after the addresses: redis+sentinel://host:port[,host:port...]/master');
  let db: number | undefined;
  let sentinelPassword: string | undefined;
  for (const [key, value] of params) {
    if (key === 'db') {
      if (!/^\d{1,5}$/.test(value)) throw new RedisUrlError(`db must be a database number, not "${value}"`);
      db = Number(value);
    } else if (key === 'sentinelPassword') {
      sentinelPassword = value;
    } else {
      throw new RedisUrlError(`unknown parameter "${key}" (redis+sentinel:// takes db and sentinelPassword)`);
    }
  }
  return {
    kind: 'sentinel',
    sentinels: addresses,
    name,
    ...credentials,
    ...(db === undefined ? {} : { db }),
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
  };
}

function parseAuth(auth: string | undefined): Credentials {
  if (auth === undefined || auth === '') return {};
  const colon = auth.indexOf(':');
  // As in redis://: a lone value is the password (Redis before ACLs had no user names).
  const [user, password] = colon < 0 ? ['', auth] : [auth.slice(0, colon), auth.slice(colon + 1)];
  return {
    ...(user === '' ? {} : { username: decode(user, 'user name') }),
    ...(password === '' ? {} : { password: decode(password, 'password') }),
  };
}

function parseAddress(text: string, defaultPort: number): RedisAddress {
  if (text === '') throw new RedisUrlError('an address is missing: list host:port pairs separated by commas');
  const m = ADDRESS.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
  if (host === undefined || !(port >= 1 && port <= 65535)) throw new RedisUrlError(`"${text}" is not a host:port address`);
  return { host, port };
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RedisUrlError(`the ${what} has a broken %-escape`);
  }
}
