import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { maskUrl } from '../../src/cli/describe.js';
import { describeRoles, parseRoles } from '../../src/roles.js';
import { serverSnippet } from '../../src/cli/server-config.js';
import { parseConfig } from '../../src/config/load.js';

const config = (xmpp = '{ host: 127.0.0.1, port: 5347 }') =>
  parseConfig(`xmpp: ${xmpp}
components:
  - { domain: sms.example.org, secret: 'sms "quoted" secret', network: sms, provider: sandbox }
  - { domain: hooks.example.org, secret: hooks-secret, network: webhook, provider: sandbox }
`);

describe('server-config', () => {
  it('ejabberd: one ejabberd_service listener on the component port with every domain and its password', () => {
    const parsed = parse(serverSnippet('ejabberd', config())) as { listen: Array<Record<string, unknown>> };
    expect(parsed.listen).toEqual([
      {
        port: 5347,
        ip: '127.0.0.1',
        module: 'ejabberd_service',
        hosts: { 'sms.example.org': { password: 'sms "quoted" secret' }, 'hooks.example.org': { password: 'hooks-secret' } },
      },
    ]);
  });

  it('ejabberd and Prosody listen beyond loopback, and say so, when the gateway connects from another host', () => {
    const remote = config('{ host: xmpp.internal, port: 5347 }');
    expect((parse(serverSnippet('ejabberd', remote)) as { listen: Array<{ ip: string }> }).listen[0]?.ip).toBe('0.0.0.0');
    expect(serverSnippet('prosody', remote)).toMatch(/^component_interfaces = \{ "0\.0\.0\.0" \}.*xmpp\.internal is not loopback/m);
  });

  it('Prosody: component_ports, then a Component block per domain with its secret as a Lua string', () => {
    const text = serverSnippet('prosody', config());
    expect(text).toContain('component_ports = { 5347 }\ncomponent_interfaces = { "127.0.0.1" }');
    expect(text).toContain('Component "sms.example.org"\n\tcomponent_secret = "sms \\"quoted\\" secret"\n');
    expect(text).toContain('Component "hooks.example.org"\n\tcomponent_secret = "hooks-secret"\n');
  });

  it('Prosody: lets a standby that took the lease replace a stale connection (kick_old), and warns without one', () => {
    expect(serverSnippet('prosody', config())).toMatch(/^component_conflict_resolve = "kick_old"/m);
    const none = serverSnippet('prosody', config('{ host: 127.0.0.1, port: 5347, standby: { mode: none } }'));
    expect(none).not.toContain('component_conflict_resolve');
    expect(none).toContain('-- xmpp.standby.mode is none: Prosody accepts one connection per component domain');
  });

  it('Openfire: the admin-console steps with each subdomain and its shared secret', () => {
    const text = serverSnippet('openfire', config());
    expect(text).toContain('Port: 5347');
    expect(text).toContain('Subdomain: sms    Shared secret: sms "quoted" secret');
    expect(text).toContain('Subdomain: hooks    Shared secret: hooks-secret');
  });
});

describe('maskUrl', () => {
  it.each([
    ['redis://:hunter2@redis.internal:6379/0', 'redis://:****@redis.internal:6379/0'],
    ['redis://default:hunter2@redis.internal:6379', 'redis://default:****@redis.internal:6379'],
    ['rediss://tokenonly@redis.internal', 'rediss://****@redis.internal'],
    ['smtp://user:p%40ss@relay.example.net:587', 'smtp://user:****@relay.example.net:587'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['not a url', '****'],
  ])('%s -> %s', (raw, masked) => {
    expect(maskUrl(raw)).toBe(masked);
  });
});

describe('--roles', () => {
  const all = { component: true, worker: true, http: true };
  it.each([
    [undefined, all],
    ['all', all],
    ['component', { component: true, worker: false, http: false }],
    ['worker', { component: false, worker: true, http: false }],
    ['http', { component: false, worker: false, http: true }],
    ['component,http', { component: true, worker: false, http: true }],
    [' worker , http ', { component: false, worker: true, http: true }],
    ['worker,all', all],
    // The whole gateway before the http role existed: deployments that wrote it out keep their webhooks.
    ['component,worker', all],
    ['worker,component', all],
  ])('%s -> %o', (value, roles) => {
    expect(parseRoles(value)).toEqual(roles);
  });

  it.each([
    ['component,mailer', '--roles: unknown role "mailer" (use component, worker, http or all, comma-separated)'],
    ['smtp,webhooks', '--roles: unknown role "smtp", "webhooks" (use component, worker, http or all, comma-separated)'],
    ['', '--roles: unknown role an empty name (use component, worker, http or all, comma-separated)'],
    ['worker,', '--roles: unknown role an empty name (use component, worker, http or all, comma-separated)'],
    ['Worker', '--roles: unknown role "Worker" (use component, worker, http or all, comma-separated)'],
  ])('refuses %j naming the role', (value, message) => {
    expect(() => parseRoles(value)).toThrow(message);
  });

  it('describes roles as a --roles value', () => {
    expect(describeRoles(parseRoles('http,component'))).toBe('component,http');
    expect(describeRoles(parseRoles('component,worker'))).toBe('all');
    expect(describeRoles(parseRoles('worker'))).toBe('worker');
  });
});
