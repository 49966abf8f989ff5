/**
 * Redis as operators run it for high availability, started by the test on
 * free loopback ports: a Cluster of masters (`redis-server --cluster-enabled`
 * joined with `redis-cli --cluster create`) and a master watched by a
 * Sentinel (`redis-server --sentinel`). Each gives the `redis.url` the
 * gateway connects with.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeOnExit } from './child-guard.js';
import { startPrivateRedis, type PrivateRedis } from './redis.js';
import { eventually } from './waits.js';

const run = promisify(execFile);
const REDIS_CLI = process.env.REDIS_CLI_BIN ?? 'redis-cli';

/** Runs redis-cli against 127.0.0.1:port and returns its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 30_000 });
  return stdout;
}

export interface RedisTopology {
  /** What goes in the gateway's `redis.url`. */
  url: string;
  /** The data nodes (the Cluster's masters; the Sentinel's master). */
  nodes: PrivateRedis[];
  stop(): Promise<void>;
}

/** `masters` Redis Cluster masters, no replicas, every slot assigned; resolves once the cluster says `cluster_state:ok`. */
export async function startRedisCluster(masters = 3): Promise<RedisTopology> {
  const nodes: PrivateRedis[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      // nodes.conf lands in each node's own temp dir (its --dir).
      nodes.push(await startPrivateRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'] }));
    }
    const first = nodes[0];
    if (first === undefined) throw new Error('a cluster needs a master');
    await redisCli(first.port, '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes');
    for (const node of nodes) {
      await eventually(async () => ((await redisCli(node.port, 'cluster', 'info')).includes('cluster_state:ok') ? true : undefined), 20_000, `cluster_state:ok on ${node.port}`);
    }
    return { url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`, nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A master, with `replica` a replica of it, and one Sentinel watching the
 * master as `name` (quorum 1, down after 1 s, so a killed master is failed
 * over within seconds); resolves once the Sentinel names the master.
 */
export async function startRedisSentinel(name = 'gateway', opts: { replica?: boolean } = {}): Promise<RedisTopology & { sentinel: PrivateRedis }> {
  const master = await startPrivateRedis();
  const nodes = [master];
  let sentinel: PrivateRedis | undefined;
  const stop = async () => {
    await sentinel?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    if (opts.replica) nodes.push(await startPrivateRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] }));
    const dir = await mkdtemp(join(tmpdir(), 'xgw-sentinel-'));
    removeOnExit(dir);
    const configFile = join(dir, 'sentinel.conf');
    // Sentinel rewrites its config file as it learns; it must be its own, writable.
    const settings = [`sentinel monitor ${name} 127.0.0.1 ${master.port} 1`, `sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 10000`];
    await writeFile(configFile, `${settings.join('\n')}\n`);
    sentinel = await startPrivateRedis({ configFile, args: ['--sentinel'] });
    const watching = sentinel;
    await eventually(async () => ((await sentinelMaster(watching, name)) === master.port ? true : undefined), 20_000, `the Sentinel to name master ${name}`);
    return { url: `redis+sentinel://127.0.0.1:${watching.port}/${name}`, nodes, sentinel: watching, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The port of the master the Sentinel names as `name` now. */
export async function sentinelMaster(sentinel: PrivateRedis, name: string): Promise<number> {
  const [, port] = (await redisCli(sentinel.port, 'sentinel', 'get-master-addr-by-name', name)).trim().split('\n');
  return Number(port);
}

/** Number of keys in each node (DBSIZE), in node order. */
export async function keysPerNode(topology: RedisTopology): Promise<number[]> {
  return Promise.all(topology.nodes.map(async (n) => Number((await redisCli(n.port, 'dbsize')).trim())));
}
