/**
 * docker-compose.yml cannot run here (no Docker engine), so its parts are
 * checked against each other: the gateway config it carries is valid and
 * names the services and ports that exist, Prosody's config knows the same
 * component domains and reads the secrets compose passes, Redis keeps what
 * it queues, and nothing private is published beyond loopback.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  configs?: Array<{ source: string; target: string }>;
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as Compose;
const prosodyLua = readFileSync('config/prosody/compose.cfg.lua', 'utf8');
const dockerfile = readFileSync('Dockerfile', 'utf8');
const { redis, prosody, gateway, worker } = compose.services as Record<'redis' | 'prosody' | 'gateway' | 'worker', Service>;

/** The gateway config as the container reads it: compose turns $${VAR} into ${VAR}, which the gateway fills from its environment. */
function gatewayConfig() {
  const text = (compose.configs['gateway-config']?.content ?? '').replaceAll('$${', '${');
  const env = Object.fromEntries(Object.keys(gateway.environment ?? {}).map((k) => [k, k === 'GATEWAY_PUBLIC_URL' ? 'https://gateway.example.org' : `${k.toLowerCase()}-value-0123456789`]));
  return parseConfig(text, env, 'docker-compose.yml configs.gateway-config');
}

describe('docker-compose.yml', () => {
  it('has redis, prosody, the gateway and an optional second worker, from one image built by the Dockerfile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'prosody', 'redis', 'worker']);
    expect(gateway.build).toBe('.');
    expect(worker.image).toBe(gateway.image);
    expect(worker.profiles).toEqual(['scale']);
    expect(worker.command).toEqual(expect.arrayContaining(['--roles', 'worker']));
    expect(worker.configs).toEqual(gateway.configs);
    expect(gateway.depends_on?.redis?.condition).toBe('service_healthy');
  });

  it('runs Redis with the AOF fsynced every second and without eviction', () => {
    const args = (redis.command ?? []).join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--appendfsync everysec');
    expect(args).toContain('--maxmemory-policy noeviction');
    expect(redis.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/:\/data$/)]));
  });

  it("carries a valid gateway config that points at the compose services and Prosody's component port", () => {
    const config = gatewayConfig();
    expect(config.xmpp.host).toBe('prosody');
    expect(prosodyLua).toMatch(new RegExp(`^component_ports = \\{ ${config.xmpp.port} \\}$`, 'm'));
    expect(new URL(config.redis.url).hostname).toBe('redis');
    const published = (gateway.ports ?? []).map((p) => p.split(':'));
    expect(published).toEqual([['127.0.0.1', String(config.http.port), String(config.http.port)]]);
    expect(config.http.host).toBe('0.0.0.0');
  });

  it("gives Prosody every component domain with the secret the gateway uses, read from the same variables", () => {
    const text = compose.configs['gateway-config']?.content ?? '';
    for (const c of gatewayConfig().components) {
      const variable = new RegExp(`domain: ${c.domain.replace(/\./g, '\\.')}\\n\\s+secret: "\\$\\$\\{(\\w+)\\}"`).exec(text)?.[1];
      expect(variable, c.domain).toBeDefined();
      expect(prosodyLua).toContain(`Component "${c.domain}"\n\tcomponent_secret = ENV_${variable}`);
      expect(prosody.environment?.[variable as string]).toBe(gateway.environment?.[variable as string]);
    }
  });

  it('lets the gateway container reach Prosody on the compose network without publishing the component port', () => {
    // Prosody 0.12 listens on loopback only for components unless component_interfaces says otherwise.
    expect(prosodyLua).toMatch(/^component_interfaces = \{ "0\.0\.0\.0" \}$/m);
    expect((prosody.ports ?? []).some((p) => p.endsWith(':5347'))).toBe(false);
    expect(prosody.volumes).toContain('./config/prosody/compose.cfg.lua:/etc/prosody/prosody.cfg.lua:ro');
  });

  it('asks for an admin token the gateway accepts, and serves metrics on the private ops port', () => {
    expect(gateway.environment?.GATEWAY_ADMIN_TOKEN).toContain('16+ characters');
    const config = gatewayConfig();
    expect(config.http.opsPort).toBe(9090);
    expect((gateway.ports ?? []).some((p) => p.includes('9090'))).toBe(false);
  });

  it('builds an image on a supported Node LTS that runs as a non-root user', () => {
    const froms = [...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((m) => Number(m[1]));
    expect(froms.length).toBe(2);
    for (const major of froms) expect(major).toBeGreaterThanOrEqual(22);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
