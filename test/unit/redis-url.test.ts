import { describe, expect, it } from 'vitest';
import { describeConfig } from '../../src/cli/describe.js';
import { parseConfig } from '../../src/config/load.js';
import { isClusterUrl, parseRedisUrl, redisKeyPrefix } from '../../src/config/redis-url.js';
import { configProblems } from '../support/config-problems.js';

const withRedis = (url: string, prefix = 'xgw') => `redis: { url: "${url}", prefix: ${prefix} }
components:
  - { domain: sms.example.org, secret: s, network: sms, provider: sandbox }
`;

describe('redis.url', () => {
  it.each([
    ['redis://127.0.0.1:6379', { kind: 'server', url: 'redis://127.0.0.1:6379' }],
    ['rediss://:pw@redis.internal:6380/2', { kind: 'server', url: 'rediss://:pw@redis.internal:6380/2' }],
    ['redis+sentinel://10.0.0.1/gateway', { kind: 'sentinel', name: 'gateway', sentinels: [{ host: '10.0.0.1', port: 26379 }] }],
    [
      'redis+sentinel://:p%40ss@10.0.0.1:26380,sentinel-2,[::1]:5000/gateway?db=3',
      {
        kind: 'sentinel',
        name: 'gateway',
        password: 'p@ss',
        db: 3,
        sentinels: [
          { host: '10.0.0.1', port: 26380 },
          { host: 'sentinel-2', port: 26379 },
          { host: '::1', port: 5000 },
        ],
      },
    ],
    [
      'redis+sentinel://gw:pw@s1:26379/main?sentinelPassword=s%26p&db=0',
      { kind: 'sentinel', name: 'main', username: 'gw', password: 'pw', sentinelPassword: 's&p', db: 0, sentinels: [{ host: 's1', port: 26379 }] },
    ],
    ['REDIS+CLUSTER://node-1:7000,node-2', { kind: 'cluster', nodes: [{ host: 'node-1', port: 7000 }, { host: 'node-2', port: 6379 }] }],
    ['redis+cluster://secret@10.0.0.1:7000/', { kind: 'cluster', password: 'secret', nodes: [{ host: '10.0.0.1', port: 7000 }] }],
  ])('%s', (url, target) => {
    expect(parseRedisUrl(url)).toEqual(target);
    expect(parseConfig(withRedis(url), {}).redis.url).toBe(url);
  });

  it.each([
    ['redis+sentinel://s1:26379', 'redis.url: name the master after the addresses: redis+sentinel://host:port[,host:port...]/master'],
    ['redis+sentinel://s1:26379/', 'redis.url: name the master after the addresses: redis+sentinel://host:port[,host:port...]/master'],
    ['redis+sentinel://s1:26379/main?db=two', 'redis.url: db must be a database number, not "two"'],
    ['redis+sentinel://s1/main?role=slave', 'redis.url: unknown parameter "role" (redis+sentinel:// takes db and sentinelPassword)'],
    ['redis+sentinel://s1,,s2/main', 'redis.url: an address is missing: list host:port pairs separated by commas'],
    ['redis+sentinel:///main', 'redis.url: an address is missing: list host:port pairs separated by commas'],
    ['redis+sentinel://s1:99999/main', 'redis.url: "s1:99999" is not a host:port address'],
    ['redis+cluster://n1:7000:7001', 'redis.url: "n1:7000:7001" is not a host:port address'],
    ['redis+cluster://n1:7000/0', 'redis.url: a Cluster has no database or name: redis+cluster://host:port[,host:port...]'],
    ['redis+cluster://n1:7000?db=1', 'redis.url: unknown parameter "db" (redis+cluster:// takes none)'],
    ['redis+sentinal://s1/main', 'redis.url: unknown scheme "redis+sentinal://": use redis+sentinel:// or redis+cluster://'],
    ['127.0.0.1:6379', 'redis.url: not a URL: use redis://host:port, rediss://, redis+sentinel://host:port/master or redis+cluster://host:port,...'],
    ['redis://[oops', 'redis.url: not a valid URL'],
  ])('refuses %s, naming the key', (url, problem) => {
    expect(configProblems(withRedis(url))).toEqual([problem]);
  });

  it('never repeats a password in a problem', () => {
    const problems = configProblems(withRedis('redis+sentinel://:hunter2@s1:1,:x/main'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).not.toContain('hunter2');
  });

  it('puts every key of a Cluster gateway under one hash tag, and leaves other prefixes alone', () => {
    expect(isClusterUrl('redis+cluster://n1:7000')).toBe(true);
    expect(redisKeyPrefix({ url: 'redis+cluster://n1:7000', prefix: 'xgw' })).toBe('{xgw}');
    expect(redisKeyPrefix({ url: 'redis+sentinel://s1/main', prefix: 'xgw' })).toBe('xgw');
    expect(redisKeyPrefix({ url: 'redis://127.0.0.1:6379', prefix: 'xgw' })).toBe('xgw');
  });

  it('check-config shows where Sentinel and Cluster URLs point, passwords masked, and the key prefix in use', () => {
    const sentinel = describeConfig(parseConfig(withRedis('redis+sentinel://:hunter2@s1,s2:26380/main?db=1'), {}), 'gw.yaml');
    expect(sentinel).toContain('Redis:        master "main" from Sentinels s1:26379, s2:26380, db 1, password **** (key prefix xgw)');
    const cluster = describeConfig(parseConfig(withRedis('redis+cluster://n1:7000,[::1]:7001', 'gw'), {}), 'gw.yaml');
    expect(cluster).toContain('Redis:        Cluster from nodes n1:7000, [::1]:7001 (key prefix {gw})');
    expect(sentinel).not.toContain('hunter2');
  });
});
