import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { configProblems } from '../support/config-problems.js';

const minimal = `
components:
  - { domain: sms.localhost, secret: s3cret, network: sms, provider: sandbox }
`;

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  return configProblems(yaml, env);
}

describe('config', () => {
  it('fills every default for a minimal file', () => {
    const c = parseConfig(minimal, {});
    expect(c.xmpp).toEqual({
      host: '127.0.0.1',
      port: 5347,
      keepaliveSeconds: 30,
      reconnectInitialMs: 1000,
      reconnectMaxMs: 30000,
      standby: { mode: 'lease', ttlMs: 10_000 },
    });
    expect(c.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'xgw' });
    expect(c.http.publicUrl).toBe('http://127.0.0.1:8080');
    expect(c.components[0]).toMatchObject({ concurrency: 50, numbers: {}, addresses: {}, retry: { initialDelayMs: 1000 } });
  });

  it('substitutes ${VAR} from the environment, including numbers', () => {
    const c = parseConfig(
      `xmpp: { port: "\${PORT}" }\ncomponents:\n  - { domain: sms.localhost, secret: "pre-\${S}", network: sms, provider: sandbox }`,
      { PORT: '15347', S: 'abc' },
    );
    expect(c.xmpp.port).toBe(15347);
    expect(c.components[0]?.secret).toBe('pre-abc');
  });

  it('reports every problem at once, each with its key path', () => {
    const found = problems(
      `
xmpp: { port: "abc", extra: 1 }
http: { adminToken: short }
components:
  - { domain: sms.localhost, secret: "\${MISSING}", network: sms, provider: sandbox }
  - { domain: mail.localhost, secret: x, network: fax, provider: sandbox }
`,
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'components[0].secret: environment variable MISSING is not set',
        'xmpp.port: Expected number, received string',
        'xmpp.extra: unknown key',
        'http.adminToken: must be at least 16 characters',
        expect.stringMatching(/^components\[1\]\.network: Invalid enum value/),
      ]),
    );
    // The missing variable is reported once, not again as an empty secret.
    expect(found.filter((p) => p.startsWith('components[0].secret'))).toHaveLength(1);
  });

  it('names the section a provider needs, and unknown providers', () => {
    expect(problems(`components:\n  - { domain: mail.localhost, secret: x, network: email, provider: smtp }`)).toEqual([
      'components[0].smtp: required for provider smtp',
    ]);
    expect(problems(`components:\n  - { domain: sms.localhost, secret: x, network: sms, provider: nexmo }`)[0]).toMatch(
      /unknown provider "nexmo"/,
    );
  });

  it('rejects network-specific keys on the wrong network and duplicate domains', () => {
    expect(
      problems(`components:
  - { domain: mail.localhost, secret: x, network: email, provider: sandbox, numbers: { "+15550001111": alice@localhost } }
  - { domain: mail.localhost, secret: y, network: email, provider: sandbox }`),
    ).toEqual(['components[0].numbers: only for network sms', 'components[1].domain: duplicate domain (also components[0])']);
    expect(
      problems(`components:
  - { domain: mail.localhost, secret: x, network: email, provider: sandbox }
  - { domain: mail.localhost, secret: y, network: email, provider: sandbox }`),
    ).toEqual(['components[1].domain: duplicate domain (also components[0])']);
  });

  it('rejects YAML syntax errors and an empty component list', () => {
    expect(problems('components: [')[0]).toMatch(/^: /);
    expect(problems('components: []')).toEqual(['components: configure at least one component']);
  });

  it('reports a YAML syntax error by line, column and key, never quoting the value (it may be a secret)', () => {
    const [first] = problems('http:\n  adminToken: s3cr3t-token-value: more\ncomponents: []\n');
    expect(first).toMatch(/line 2, column \d+/);
    expect(first).toMatch(/adminToken/);
    expect(first).not.toContain('s3cr3t');
    const quoted = problems('components:\n  - domain: a\n    secret: "s3cr3t-token-value\n    network: sms\n').join('\n');
    expect(quoted).toMatch(/line \d+, column \d+/);
    expect(quoted).not.toContain('s3cr3t');
  });

  it('reports only the first YAML error, with a hint for an unquoted ${VAR} in a flow map', () => {
    const found = problems('http: { adminToken: ${TOKEN}, port: 8080 }\ncomponents: []\n', { TOKEN: 'x'.repeat(20) });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^: YAML syntax error at line 1, column \d+ \(key "http"\)/);
    expect(found[0]).toContain('quote a value that holds ${VAR}');
    expect(found[0]).toMatch(/\(\d+ more parser errors follow from it\)$/);
  });

  it('names each unknown key under its own path, with the key a near miss probably meant', () => {
    const found = problems(`logging: { level: info }
components:
  - { domain: sms.localhost, secret: x, network: sms, provider: sandbox, concurency: 5, numbrs: {} }
`);
    expect(found).toEqual(
      expect.arrayContaining([
        'logging: unknown key',
        'components[0].concurency: unknown key (did you mean concurrency?)',
        'components[0].numbrs: unknown key (did you mean numbers?)',
      ]),
    );
  });

  it('reports problems across components together with field problems, in one round', () => {
    const found = problems(`components:
  - { domain: mail.localhost, secret: "", network: email, provider: sandbox, numbers: { "+15550001111": alice@localhost } }
  - { domain: mail.localhost, secret: x, network: sms, provider: twilio }
`);
    expect(found).toEqual(
      expect.arrayContaining([
        'components[0].secret: String must contain at least 1 character(s)',
        'components[0].numbers: only for network sms',
        'components[1].twilio: required for provider twilio',
        'components[1].domain: duplicate domain (also components[0])',
      ]),
    );
  });

  it.each(['config/default.yaml', 'config/example.yaml'])('%s is valid when its variables are set', (file) => {
    const text = readFileSync(file, 'utf8');
    const env = Object.fromEntries([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => [m[1], 'x'.repeat(24)]));
    expect(() => parseConfig(text, env, file)).not.toThrow();
  });
});

describe('config documentation', () => {
  it('config/example.yaml sets every key of the schema', async () => {
    const { configKeys } = await import('../../src/config/docs.js');
    const { parse } = await import('yaml');
    const example = parse(readFileSync('config/example.yaml', 'utf8')) as Record<string, unknown>;
    const has = (obj: unknown, parts: string[]): boolean => {
      if (parts.length === 0) return obj !== undefined;
      const [head, ...rest] = parts as [string, ...string[]];
      if (head.endsWith('[]')) {
        const list = (obj as Record<string, unknown>)[head.slice(0, -2)];
        return Array.isArray(list) && list.some((item) => has(item, rest));
      }
      return obj !== null && typeof obj === 'object' && has((obj as Record<string, unknown>)[head], rest);
    };
    const missing = configKeys()
      .map((k) => k.path)
      .filter((path) => !has(example, path.split('.')));
    expect(missing).toEqual([]);
  });

  it('README.md carries the table generated from the schema (npm run docs:config)', async () => {
    const { withConfigTable } = await import('../../src/config/docs.js');
    const readme = readFileSync('README.md', 'utf8');
    expect(withConfigTable(readme)).toBe(readme);
  });
});
