/**
 * `format: template` hooks: the admin's LiquidJS template over the posted
 * JSON, in memory only and bounded (src/config/hook-template.ts). Rendering,
 * the limits (a huge loop is a 422, a long output is cut), the disabled
 * tags, and the config errors naming the key.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpWebhookAdapter } from '../../../adapters/webhook/http/index.js';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { parseHookTemplate, renderHookTemplate } from '../../../src/config/hook-template.js';
import { GatewayMetrics } from '../../../src/metrics.js';
import { adapterContext, gatewayServer, providerConfig, recordingLogger, serverRoutes, type RecordingContext } from '../../support/fixtures.js';
import { configProblems } from '../../support/config-problems.js';

const DOMAIN = 'hooks.example.org';
const TOKEN = 'bearer-token-0123456789';
const DEPLOY = "{{ service }} {{ version }} deployed to {{ env | default: 'prod' }} by {{ user.name }}{% if url %}: {{ url }}{% endif %}";

let logLines: Array<Record<string, unknown>>;
let ctx: RecordingContext;
let post: (hook: string, payload: unknown) => Promise<{ statusCode: number; json(): unknown }>;

beforeEach(async () => {
  logLines = [];
  const hook = (template: string) => ({ verify: 'bearer', token: TOKEN, format: 'template', template, to: ['alice@localhost'] });
  const config = providerConfig('http', {
    domain: DOMAIN,
    network: 'webhook',
    inbound: {
      deploys: hook(DEPLOY),
      // Loops over the payload's own array: LiquidJS charges no memory for
      // those, so only the render time limit can stop it (a range would
      // hit the memory limit first).
      loop: hook('{% for i in items %}{% for j in items %}{% for k in items %}{% endfor %}{% endfor %}{% endfor %}done'),
      range: hook('{% for i in (1..100000000) %}{{ i }}{% endfor %}'),
      long: hook('{% for i in (1..250) %}{{ word }} {% endfor %}'),
      strict: hook('{{ missing.field }}'),
    },
  });
  const logger = recordingLogger(logLines);
  const app = gatewayServer(logger, 4096);
  ctx = adapterContext(config, { logger, http: serverRoutes(app, DOMAIN), metrics: new GatewayMetrics() });
  await new HttpWebhookAdapter(config).start(ctx);
  await app.ready();
  post = (hook, payload) =>
    app.inject({ method: 'POST', url: `/webhooks/${DOMAIN}/${hook}`, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
});

const bodies = () => ctx.emitted.map((e) => (e as { body: string }).body);
const templateLogs = () => logLines.filter((l) => typeof l.msg === 'string' && l.msg.includes('template not rendered'));

describe('format: template hooks', () => {
  it('renders the template over the posted JSON object', async () => {
    const res = await post('deploys', { service: 'api', version: '1.4.2', user: { name: 'carol' }, url: 'https://ci.example.net/runs/88' });
    expect(res.statusCode).toBe(202);
    expect(bodies()).toEqual(['api 1.4.2 deployed to prod by carol: https://ci.example.net/runs/88']);
    expect((ctx.emitted[0] as { from: string }).from).toBe('deploys');
  });

  it('stops a loop that runs past the render time limit: 422 with the reason, logged, nothing delivered', async () => {
    const started = Date.now();
    const res = await post('loop', { items: Array.from({ length: 500 }, () => 0) });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ error: 'PAYLOAD_INVALID', message: expect.stringMatching(/template failed on this payload: template render limit exceeded/) });
    expect(ctx.emitted).toEqual([]);
    expect(templateLogs()).toHaveLength(1);
  });

  it('stops a loop over a huge range at the memory limit: 422, nothing delivered', async () => {
    const res = await post('range', {});
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ error: 'PAYLOAD_INVALID', message: expect.stringMatching(/limit exceeded/) });
    expect(ctx.emitted).toEqual([]);
  });

  it('cuts an output over the limit to 4000 characters with a note (it is not refused)', async () => {
    // 250 x 18 characters: over the 4000 cut, in few iterations (a slow machine must not hit the render time limit).
    expect((await post('long', { word: 'hello hello hello' })).statusCode).toBe(202);
    const [body] = bodies();
    expect([...(body as string)].length).toBe(4000 + '… (cut)'.length);
    expect(body).toMatch(/^hello hello .*… \(cut\)$/s);
  });

  it('refuses a payload that is not a JSON object, and one that renders nothing', async () => {
    const notObject = await post('deploys', ['api']);
    expect(notObject.statusCode).toBe(422);
    expect(notObject.json()).toMatchObject({ message: 'not a template payload: expected a JSON object' });
    const blank = await post('strict', { other: 1 });
    expect(blank.statusCode).toBe(422);
    expect(blank.json()).toMatchObject({ message: 'not a template payload: the template rendered nothing' });
    expect(ctx.emitted).toEqual([]);
  });

  it('does not reach the payload prototype chain', () => {
    expect(renderHookTemplate(parseHookTemplate('[{{ constructor }}{{ a.constructor.name }}{{ a.__proto__ }}]'), { a: { b: 1 } })).toBe('[]');
  });

  it.each(['{% include "secrets.txt" %}', '{% render "x" %}', '{% layout "base" %}x', '{% block b %}x{% endblock %}'])('refuses %s at parse: no file is ever read', (source) => {
    expect(() => parseHookTemplate(source)).toThrow(/tag is not allowed/);
  });
});

function problems(hook: string): string[] {
  const yaml = `
components:
  - domain: ${DOMAIN}
    secret: s3cret
    network: webhook
    provider: http
    inbound:
      deploys: ${hook}
`;
  return configProblems(yaml);
}

describe('format: template config', () => {
  const base = `{ verify: bearer, token: ${TOKEN}, to: [alice@localhost]`;

  it('accepts a template hook', () => {
    const c = parseConfig(`components:\n  - { domain: ${DOMAIN}, secret: s3cret, network: webhook, provider: http, inbound: { deploys: ${base}, format: template, template: "{{ service }} up" } } }`, {});
    expect(c.components[0]).toMatchObject({ inbound: { deploys: { format: 'template', template: '{{ service }} up' } } });
  });

  it('names the key of a template that does not parse', () => {
    expect(problems(`${base}, format: template, template: "{% if %}x" }`)).toEqual([expect.stringMatching(/^components\[0\]\.inbound\.deploys\.template: does not parse: /)]);
    expect(problems(`${base}, format: template, template: "{{ x | no_such_filter }}" }`)).toEqual([
      expect.stringMatching(/^components\[0\]\.inbound\.deploys\.template: does not parse: undefined filter: no_such_filter/),
    ]);
    expect(problems(`${base}, format: template, template: "{% include 'x' %}" }`)).toEqual([
      expect.stringMatching(/^components\[0\]\.inbound\.deploys\.template: does not parse: the include tag is not allowed/),
    ]);
  });

  it('requires template with format template and refuses it with any other format', () => {
    expect(problems(`${base}, format: template }`)).toEqual(['components[0].inbound.deploys.template: required with format template: a LiquidJS template over the JSON payload']);
    expect(problems(`${base}, format: alertmanager, template: "{{ x }}" }`)).toEqual(["components[0].inbound.deploys.template: only used with format template (this hook's format is alertmanager)"]);
    expect(problems(`${base}, template: "{{ x }}" }`)).toEqual(["components[0].inbound.deploys.template: only used with format template (this hook's format is plain)"]);
  });

  it('refuses a template over 10,000 characters', () => {
    expect(problems(`${base}, format: template, template: "${'x'.repeat(10_001)}" }`)[0]).toMatch(/^components\[0\]\.inbound\.deploys\.template: /);
  });
});
