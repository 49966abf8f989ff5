/**
 * The gateway process's life: a bad config stops it before it connects
 * anywhere, a wrong secret is named in the log, Redis going away is told to
 * senders and to /readyz, and SIGTERM drains and exits 0.
 */
import { ADMIN_AUTH, configuredSecrets, runCli, writeGatewayConfig } from '../support/gateway.js';
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

describe('CLI', () => {
  it('check-config prints what would connect where, every secret masked; exit 2 with every problem on a bad config', async () => {
    const config = await writeGatewayConfig(
      {
        componentPort: 5347,
        redisUrl: 'redis://:redis-pass-4242@127.0.0.1:6379',
        redisPrefix: 'cli',
        components: [
          { domain: 'sms.localhost', secret: 'sms-secret-4242', network: 'sms', provider: 'twilio', extra: 'twilio: { accountSid: AC0123456789abcdef0123456789abcdef, authToken: twilio-token-4242 }' },
          { domain: 'hooks.localhost', secret: 'hooks-secret-4242', network: 'webhook', provider: 'http', extra: 'endpoints: { ci: { url: "https://ci.example.net/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw } }' },
        ],
      },
      8080,
    );
    const ok = await runCli(['check-config', '--config', config]);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    for (const line of [
      'XMPP server:  127.0.0.1:5347',
      'Redis:        redis://:****@127.0.0.1:6379 (key prefix cli)',
      'Standby:      lease (cli:lease:component, TTL 10000 ms)',
      'sms.localhost  network sms, provider twilio, component secret ****',
      'Twilio calls back: http://127.0.0.1:8080/webhooks/sms.localhost/messages',
      'hooks.localhost  network webhook, provider http',
      'endpoint ci@hooks.localhost -> POST https://ci.example.net/hook',
    ]) {
      expect(ok.stdout).toContain(line);
    }
    const secrets = [...(await configuredSecrets(config)), 'redis-pass-4242'];
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const secret of secrets) expect(ok.stdout).not.toContain(secret);

    const bad = join(tmpdir(), `xgw-check-${process.pid}.yaml`);
    await writeFile(bad, 'components:\n  - { domain: a.localhost, secret: "", network: sms, provider: twilio, concurency: 2 }\n  - { domain: a.localhost, secret: x, network: sms, provider: sandbox }\n');
    const failed = await runCli(['check-config', '--config', bad]);
    expect(failed).toMatchObject({ code: 2, stdout: '' });
    for (const problem of ['components[0].secret', 'components[0].twilio: required', 'components[0].concurency: unknown key (did you mean concurrency?)', 'components[1].domain: duplicate domain']) {
      expect(failed.stderr).toContain(problem);
    }
  });

  it('server-config prints a Prosody snippet that a real Prosody accepts the gateway with', async () => {
    const components = [{ domain: SMS, secret: 'snippet-secret-0042', network: 'sms' as const, provider: 'sandbox' }];
    let snippet = '';
    const stack = await E2EStack.start({
      label: 'cli-snippet',
      components,
      users: ['alice'],
      serverSnippet: async (componentPort) => {
        const config = await writeGatewayConfig({ componentPort, redisUrl: 'redis://127.0.0.1:6379', redisPrefix: 'unused', components }, 8080);
        const out = await runCli(['server-config', '--server', 'prosody', '--config', config]);
        expect(out).toMatchObject({ code: 0, stderr: '' });
        snippet = out.stdout;
        return out.stdout;
      },
    });
    try {
      expect(snippet).toContain(`component_ports = { ${stack.prosody.componentPort} }`);
      expect(snippet).toContain(`Component "${SMS}"\n\tcomponent_secret = "snippet-secret-0042"`);
      // A standby that took the lease replaces a connection Prosody still holds (mod_component 0.12).
      expect(snippet).toContain('component_conflict_resolve = "kick_old"');
      const alice = await stack.login('alice');
      const reply = await alice.iq(xml('iq', { type: 'get', to: SMS, id: 'cli-disco' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      expect(reply.attrs.type).toBe('result');
    } finally {
      await stack.stop();
    }
  });

  it('server-config needs a known --server, and each command has its own --help', async () => {
    const missing = await runCli(['server-config', '--config', 'config/example.yaml']);
    expect(missing).toMatchObject({ code: 2, stdout: '', stderr: 'server-config needs --server prosody|ejabberd|openfire\n' });
    const unknown = await runCli(['server-config', '--server', 'jabberd2', '--config', 'config/example.yaml']);
    expect(unknown.stderr).toContain('(not "jabberd2")');
    for (const [command, mentions] of [
      ['check-config', 'secret masked'],
      ['server-config', '--server NAME'],
      ['start', '--roles LIST'],
    ] as const) {
      const help = await runCli([command, '--help']);
      expect(help).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(new RegExp(`^usage: xmpp-gateway (\\[)?${command}`));
      expect(help.stdout).toContain(mentions);
    }
    const stray = await runCli(['check-config', '--roles', 'worker', '--config', 'config/example.yaml']);
    expect(stray).toMatchObject({ code: 2 });
    expect(stray.stderr).toMatch(/^--roles belongs to start/);
  });

  it('prints every config problem with its key path and exits 2 without connecting', async () => {
    const file = join(tmpdir(), `xgw-bad-${process.pid}.yaml`);
    await writeFile(
      file,
      `xmpp: { port: "\${XGW_TEST_PORT}", bogus: true }
components:
  - { domain: sms.localhost, secret: "\${XGW_TEST_UNSET_SECRET}", network: sms, provider: sandbox, concurrency: many }
`,
    );
    const { code, stderr, stdout } = await runCli(['--config', file], { XGW_TEST_PORT: '99999' });
    expect(code).toBe(2);
    // Nothing logged: it never started connecting (its log goes to stdout).
    expect(stdout).toBe('');
    expect(stderr).toContain('xmpp.bogus: unknown key');
    expect(stderr).toContain('xmpp.port: Number must be less than or equal to 65535');
    expect(stderr).toContain('components[0].secret: environment variable XGW_TEST_UNSET_SECRET is not set');
    expect(stderr).toContain('components[0].concurrency: Expected number, received string');
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
    expect(role.stderr).toBe('--roles: unknown role "mailer" (use component, worker, http or all, comma-separated)\n');
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
      const ready = await fetch(`${wrong.httpUrl}/readyz`, ADMIN_AUTH);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toContain('the XMPP server rejected the component secret (check components[0].secret');
      // One line per failed try, not two (the stream error and the close used to log it each).
      const logs = wrong.logs();
      const errors = logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('configuration error for component')).length;
      const retries = logs.filter((l) => l.msg === 'reconnecting to XMPP server').length;
      expect(retries).toBeGreaterThanOrEqual(2);
      expect(errors).toBeLessThanOrEqual(retries + 1);
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
    const redisUp = async () => /^xgw_redis_up (\d+)$/m.exec(await (await fetch(`${gateway!.httpUrl}/metrics`, ADMIN_AUTH)).text())?.[1];
    expect(await redisUp()).toBe('0');

    await alice.send(xml('message', { type: 'chat', to: CONTACT, id: 'during-outage' }, xml('body', {}, 'hello?')));
    const error = await alice.waitFor((el) => el.attrs.type === 'error' && el.attrs.id === 'during-outage', 10_000);
    expect(error.getChild('error')?.attrs.type).toBe('wait');
    expect(error.getChild('error')?.getChild('resource-constraint')).toBeDefined();

    await redis.start();
    await gateway.waitReady(20_000);
    expect(await redisUp()).toBe('1');
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
