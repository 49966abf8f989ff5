/**
 * The gateway process's life: a bad config stops it before it connects
 * anywhere, a wrong secret is named in the log, Redis going away is told to
 * senders and to /readyz, and SIGTERM drains and exits 0.
 */
import { ADMIN_AUTH } from '../support/gateway.js';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayProcess } from '../support/gateway.js';
import { eventually } from '../support/waits.js';
import { ensureRedis, uniquePrefix, type PrivateRedis } from '../support/redis.js';
import { E2EStack } from '../support/stack.js';
import { xml, type TestClient } from '../support/xmpp-client.js';

const SMS = 'sms.localhost';
const CONTACT = `+15551234567@${SMS}`;

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/src/main.js', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('CLI', () => {
  it('prints every config problem with its key path and exits 2 without connecting', async () => {
    const file = join(tmpdir(), `xgw-bad-${process.pid}.yaml`);
    await writeFile(
      file,
      `xmpp: { port: "\${XGW_TEST_PORT}", bogus: true }
components:
  - { domain: sms.localhost, secret: "\${XGW_TEST_UNSET_SECRET}", network: sms, provider: sandbox, concurrency: many }
`,
    );
    const started = Date.now();
    const { code, stderr, stdout } = await runCli(['--config', file], { XGW_TEST_PORT: '99999' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('xmpp: unknown key bogus');
    expect(stderr).toContain('xmpp.port: Number must be less than or equal to 65535');
    expect(stderr).toContain('components[0].secret: environment variable XGW_TEST_UNSET_SECRET is not set');
    expect(stderr).toContain('components[0].concurrency: Expected number, received string');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('prints its usage for --help and its name and version for --version, exit 0, without a config', async () => {
    const help = await runCli(['--help', '--config', '/nonexistent/gateway.yaml']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage: xmpp-gateway /);
    for (const option of ['--config FILE', '--check', '--roles LIST']) expect(help.stdout).toContain(option);
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const version = await runCli(['--version', '--config', '/nonexistent/gateway.yaml']);
    expect(version).toEqual({ code: 0, stdout: `xmpp-gateway ${pkg.version}\n`, stderr: '' });
  });

  it('refuses an unknown role and an unknown option with exit 2, naming it, before reading the config', async () => {
    const role = await runCli(['--roles', 'component,mailer', '--config', '/nonexistent/gateway.yaml']);
    expect(role).toMatchObject({ code: 2, stdout: '' });
    expect(role.stderr).toBe('--roles: unknown role mailer (use component, worker)\n');
    const option = await runCli(['--role', 'worker']);
    expect(option).toMatchObject({ code: 2, stdout: '' });
    expect(option.stderr).toMatch(/--role/);
    expect(option.stderr).toContain('usage: xmpp-gateway');
  });

  it('reports a missing config file and validates a good one with --check', async () => {
    const missing = await runCli(['--config', '/nonexistent/gateway.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
    const example = await readFile('config/example.yaml', 'utf8');
    const env = Object.fromEntries([...example.matchAll(/\$\{(\w+)\}/g)].map((m) => [m[1], 'x'.repeat(24)]));
    const ok = await runCli(['--config', 'config/example.yaml', '--check'], env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});

describe('process lifecycle', () => {
  let stack: E2EStack;
  let redis: PrivateRedis;
  let gateway: GatewayProcess | undefined;
  let alice: TestClient | undefined;

  beforeAll(async () => {
    // The gateway is started by the cases themselves: one with the wrong secret, then the right one.
    stack = await E2EStack.start({
      label: 'redis-down',
      users: ['alice'],
      redis: 'private',
      gateway: false,
      components: [{ domain: SMS, secret: 'right-secret', network: 'sms' }],
    });
    redis = stack.redis;
  });

  afterAll(async () => {
    await gateway?.kill();
    await stack?.stop();
  });

  it('names the domain and the config key when the server rejects the secret, and keeps retrying', async () => {
    const wrong = await stack.launchGateway({
      redisUrl: await ensureRedis(),
      redisPrefix: uniquePrefix('secret'),
      components: [{ domain: SMS, secret: 'wrong-secret', network: 'sms' }],
    });
    try {
      const line = await wrong.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('configuration error for component'));
      expect(line).toMatchObject({ level: 50, domain: SMS, key: 'components[0].secret', condition: 'not-authorized' });
      await wrong.waitForLog((l) => l.msg === 'reconnecting to XMPP server' && Number(l.attempt) >= 2);
      expect((await fetch(`${wrong.httpUrl}/readyz`, ADMIN_AUTH)).status).toBe(503);
    } finally {
      await wrong.kill();
    }
  });

  it('tells senders to wait while Redis is down, and recovers when it is back', async () => {
    gateway = await stack.startGateway();
    alice = await stack.login('alice');

    await redis.kill();
    await eventually(async () => {
      const res = await fetch(`${gateway!.httpUrl}/readyz`, ADMIN_AUTH);
      const body = (await res.json()) as { down?: string[] };
      return res.status === 503 && body.down?.some((d) => d.startsWith('redis')) ? true : undefined;
    }, 10_000, 'readyz naming redis');

    await alice.send(xml('message', { type: 'chat', to: CONTACT, id: 'during-outage' }, xml('body', {}, 'hello?')));
    const error = await alice.waitFor((el) => el.attrs.type === 'error' && el.attrs.id === 'during-outage', 10_000);
    expect(error.getChild('error')?.attrs.type).toBe('wait');
    expect(error.getChild('error')?.getChild('resource-constraint')).toBeDefined();

    await redis.start();
    await gateway.waitReady(20_000);
    await alice.send(xml('message', { type: 'chat', to: CONTACT, id: 'after-outage' }, xml('body', {}, 'back again')));
    await eventually(async () => {
      const box = (await gateway!.api<Array<{ body: string }>>('GET', `/sandbox/${SMS}/outbox`)).body;
      return box.some((e) => e.body === 'back again') ? true : undefined;
    }, 20_000, 'delivery after Redis came back');
    await gateway.stop();
    gateway = undefined;
  });

  it('drains on SIGTERM: closes the stream and exits 0', async () => {
    // Its own gateway, so this case does not depend on the ones before it.
    const gw = await stack.launchGateway({});
    await gw.waitReady();
    const code = await gw.stop();
    expect(code).toBe(0);
    const messages = gw.logs().map((l) => l.msg);
    expect(messages).toContain('shutting down: refusing new messages, finishing deliveries in flight');
    expect(messages).toContain('gateway stopped');
    // The XMPP stream was closed with </stream:stream>, not dropped (component/connection.ts logs the fallback).
    expect(messages).not.toContain('stream close did not complete; dropping the socket');
  });
});
