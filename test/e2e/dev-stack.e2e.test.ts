/**
 * README's first command, ./scripts/dev.sh, run as a person runs it (on free
 * ports and in its own state dir, without rebuilding): the stack comes up
 * with a config that shows every feature (numbers, a pool, US numbers typed
 * nationally, an admin with commands, mail addresses, the webhook sandbox),
 * prints the console address with the token, answers a second run with
 * where to find it instead of a port clash, and `dev.sh stop` stops the
 * gateway too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { guardChild, removeOnExit } from '../support/child-guard.js';
import { canConnect, freePort } from '../support/ports.js';
import { uniquePrefix } from '../support/redis.js';
import { chat } from '../support/stack.js';
import { eventually } from '../support/waits.js';
import { connectClient, xml, type TestClient } from '../support/xmpp-client.js';

const SMS = 'sms.localhost';

interface Run {
  code: number | null;
  output: string;
}

describe('scripts/dev.sh', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let ports: { c2s: number; component: number; http: number };
  let stack: ChildProcess;
  let stackOutput = '';
  let token: string;
  let alice: TestClient | undefined;

  /** Runs dev.sh with `args` to completion. */
  const devSh = (args: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn('bash', ['scripts/dev.sh', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      guardChild(child);
      let output = '';
      child.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${ports.http}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xgw-devsh-'));
    removeOnExit(dir);
    ports = { c2s: await freePort(), component: await freePort(), http: await freePort() };
    env = {
      ...process.env,
      DEV_STACK_DIR: dir,
      DEV_STACK_BUILD: '0', // the e2e tier's globalSetup checked that dist/ is fresh
      DEV_STACK_REDIS_PREFIX: uniquePrefix('devsh'),
      XMPP_C2S_PORT: String(ports.c2s),
      XMPP_COMPONENT_PORT: String(ports.component),
      GATEWAY_HTTP_PORT: String(ports.http),
    };
    // In the foreground, as README says: dev.sh becomes the gateway.
    stack = spawn('bash', ['scripts/dev.sh'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    guardChild(stack);
    stack.stdout?.on('data', (d: Buffer) => (stackOutput += d.toString('utf8')));
    stack.stderr?.on('data', (d: Buffer) => (stackOutput += d.toString('utf8')));
    token = await eventually(async () => /GATEWAY_ADMIN_TOKEN=(\w+)/.exec(await readFile(join(dir, 'secrets.env'), 'utf8').catch(() => ''))?.[1], 30_000, 'dev.sh secrets');
    await eventually(
      async () => {
        if (stack.exitCode !== null) throw new Error(`dev.sh exited ${stack.exitCode}:\n${stackOutput}`);
        const res = await fetch(`http://127.0.0.1:${ports.http}/readyz`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
        // 200 with status standby means the process is up but has not taken the component lease yet.
        const body = res?.status === 200 ? ((await res.json()) as { status?: string }) : undefined;
        return body !== undefined && body.status !== 'standby' ? true : undefined;
      },
      45_000,
      'the dev stack to be ready',
    );
  }, 90_000);

  afterAll(async () => {
    await alice?.stop();
    if (stack !== undefined && stack.exitCode === null) await devSh(['stop']);
  });

  it('writes a config with numbers, a pool, a default region, admins, mail addresses and the webhook sandbox', async () => {
    const config = parseConfig(await readFile(join(dir, 'gateway.yaml'), 'utf8'), {});
    expect(config.admins).toEqual(['alice@localhost']);
    const [sms, mail, hooks] = config.components;
    expect(sms).toMatchObject({
      domain: SMS,
      provider: 'sandbox',
      numbers: { '+15550001111': 'alice@localhost', '+15550002222': 'bob@localhost' },
      numberPool: ['+15550003333', '+15550004444'],
      defaultRegion: 'US',
    });
    expect(mail).toMatchObject({ network: 'email', provider: 'sandbox', addresses: { 'alice@mail.localhost': 'alice@localhost', 'bob@mail.localhost': 'bob@localhost' } });
    expect(mail && 'addressPool' in mail ? mail.addressPool.length : 0).toBeGreaterThan(0);
    expect(hooks).toMatchObject({ network: 'webhook', provider: 'sandbox' });
  });

  it('prints the console address with the token, and the accounts', () => {
    expect(stackOutput).toContain(`http://127.0.0.1:${ports.http}/sandbox/console#token=${token}`);
    expect(stackOutput).toMatch(/alice@localhost {2}password [0-9a-f]{16}/);
    expect(stackOutput).toMatch(/bob@localhost {4}password [0-9a-f]{16}/);
  });

  it('lets alice use every feature: US numbers typed nationally, admin commands, texts from her own number', async () => {
    const credentials = await readFile(join(dir, 'credentials'), 'utf8');
    const password = /^alice=(\w+)$/m.exec(credentials)?.[1] ?? '';
    alice = await connectClient({ port: ports.c2s, domain: 'localhost', username: 'alice', password });
    const answer = await alice.iq(xml('iq', { type: 'set', to: SMS }, xml('query', { xmlns: 'jabber:iq:gateway' }, xml('prompt', {}, '(415) 555-2671'))));
    const contact = answer.getChild('query')?.getChildText('jid');
    expect(contact).toBe(`+14155552671@${SMS}`);

    const commands = await alice.iq(
      xml('iq', { type: 'get', to: SMS }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: 'http://jabber.org/protocol/commands' })),
    );
    expect(commands.getChild('query')?.getChildren('item').length).toBeGreaterThan(0);

    await alice.send(chat(contact ?? '', 'dev-1', 'hello from the dev stack'));
    const sent = await eventually(
      async () => (await api<Array<{ from: string; to: string; body: string }>>(`/sandbox/${SMS}/outbox`)).find((e) => e.body === 'hello from the dev stack'),
      15_000,
      'the text in the outbox',
    );
    expect(sent).toMatchObject({ from: '+15550001111', to: '+14155552671' });
  });

  it('a second run while the stack is up says where it is instead of failing on the HTTP port', async () => {
    const again = await devSh([]);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain('already up');
    expect(again.output).toContain(`/sandbox/console#token=${token}`);
    expect(again.output).not.toContain('EADDRINUSE');
    expect(stack.exitCode).toBeNull();
  });

  it('`dev.sh stop` stops the gateway and the Prosody it started', async () => {
    const stopped = await devSh(['stop']);
    expect(stopped.code, stopped.output).toBe(0);
    expect(stopped.output).toContain('stopping gateway');
    await eventually(() => (stack.exitCode !== null || stack.signalCode !== null ? true : undefined), 20_000, 'the gateway to exit');
    await eventually(async () => ((await canConnect(ports.c2s)) ? undefined : true), 20_000, "dev.sh's Prosody to stop");
  });
});
