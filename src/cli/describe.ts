/**
 * `check-config`: what a valid config would connect to, and where, with
 * every secret masked, so an admin can read it over before starting (and
 * paste it into a ticket).
 */
import type { ComponentConfig, GatewayConfig } from '../config/schema.js';
import { parseRedisUrl, redisKeyPrefix, type RedisAddress } from '../config/redis-url.js';

const MASK = '****';

/** A URL with its password (and a user that is a token) replaced by ****. */
export function maskUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = MASK;
    else if (url.username !== '' && url.protocol.startsWith('redis')) url.username = MASK;
    return url.toString().replace(/\/$/, '');
  } catch {
    return MASK;
  }
}

/** Where redis.url points, its passwords masked. */
function describeRedis(url: string): string {
  const target = parseRedisUrl(url);
  const listed = (addresses: RedisAddress[]) => addresses.map((a) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`)).join(', ');
  const auth = (t: { password?: string }) => (t.password === undefined ? '' : `, password ${MASK}`);
  switch (target.kind) {
    case 'server':
      return maskUrl(url);
    case 'sentinel':
      return `master "${target.name}" from Sentinels ${listed(target.sentinels)}${target.db === undefined ? '' : `, db ${target.db}`}${auth(target)}`;
    case 'cluster':
      return `Cluster from nodes ${listed(target.nodes)}${auth(target)}`;
  }
}

function publicRoute(config: GatewayConfig, path: string): string {
  return `${config.http.publicUrl.replace(/\/$/, '')}${path}`;
}

/** One line per thing the component talks to. */
function componentLines(c: ComponentConfig, config: GatewayConfig): string[] {
  const webhooks = (path: string) => publicRoute(config, `/webhooks/${c.domain}/${path}`);
  switch (c.provider) {
    case 'sandbox':
      return ['sandbox: nothing leaves the gateway; messages are recorded (GET /sandbox/' + c.domain + '/outbox, admin token; or the console, GET /sandbox/console)'];
    case 'twilio':
      return [
        `Twilio REST API ${c.twilio.apiBaseUrl} as account ${c.twilio.accountSid} (auth token ${MASK})`,
        `Twilio calls back: ${webhooks('messages')} and ${webhooks('status')}`,
      ];
    case 'telnyx':
      return [`Telnyx API ${c.telnyx.apiBaseUrl} (API key ${MASK})`, `Telnyx calls back: ${webhooks('messages')} (Ed25519-signed)`];
    case 'smpp':
      return [`SMSC ${c.smpp.host}:${c.smpp.port}, bind_transceiver as system_id ${c.smpp.systemId} (password ${MASK})`];
    case 'smtp': {
      const lines = [`mail relay ${maskUrl(c.smtp.url)}${c.smtp.requireTls ? ' (STARTTLS required)' : ''}${c.smtp.dkim ? `, DKIM d=${c.smtp.dkim.domainName} s=${c.smtp.dkim.keySelector}` : ''}`];
      lines.push(c.inbound ? `SMTP listener ${c.inbound.host}:${c.inbound.port}${c.inbound.tls ? ' with STARTTLS' : ''} (MX for ${c.mailDomain ?? c.domain})` : 'no SMTP listener (inbound.host/port not set)');
      if (c.mailgun) lines.push(`Mailgun route: ${webhooks('inbound')} (signing key ${MASK})`);
      lines.push(`attachments kept in ${c.attachments.dir}, served under ${publicRoute(config, `/files/${c.domain}/`)}`);
      return lines;
    }
    case 'http': {
      const out = Object.entries(c.endpoints).map(([name, e]) => `endpoint ${name}@${c.domain} -> POST ${e.url} (signed, secret ${MASK})`);
      const hooks = Object.entries(c.inbound).map(([name, h]) => `hook ${name}: ${webhooks(name)} (verify ${h.verify ?? 'standard-webhooks'}) -> ${[...h.to, ...h.rooms].join(', ') || 'nobody'}`);
      return [...out, ...hooks].length > 0 ? [...out, ...hooks] : ['no endpoints and no hooks configured'];
    }
  }
}

function ownedLines(c: ComponentConfig): string[] {
  if (c.network === 'sms') {
    const n = Object.keys(c.numbers).length;
    return [`numbers: ${n} assigned in config, ${c.numberPool.length} in the pool`];
  }
  if (c.network === 'email') {
    return [`addresses: ${Object.keys(c.addresses).length} assigned in config`];
  }
  return [];
}

/** The summary `check-config` prints for a valid config. */
export function describeConfig(config: GatewayConfig, source: string): string {
  const x = config.xmpp;
  const lines = [
    `config ${source} is valid`,
    '',
    `XMPP server:  ${x.host}:${x.port} (XEP-0114 component port, ${x.tls?.enabled ? 'Direct TLS' : 'plaintext: keep it on loopback or a private network'})`,
    `Redis:        ${describeRedis(config.redis.url)} (key prefix ${redisKeyPrefix(config.redis)})`,
    `Standby:      ${
      x.standby.mode === 'lease'
        ? `lease (${redisKeyPrefix(config.redis)}:lease:component, TTL ${x.standby.ttlMs} ms): one component process connects, the others stand by and take over when it dies`
        : 'none: every component process connects at once (ejabberd domain_balancing)'
    }`,
    `HTTP:         listens on ${config.http.host}:${config.http.port}, public URL ${config.http.publicUrl}`,
    `              /metrics and /readyz ${config.http.opsPort === undefined ? 'on the same port, behind the admin token' : `on ${config.http.opsHost}:${config.http.opsPort} without a token`}; admin token ${config.http.adminToken === undefined ? 'not set: /admin, /sandbox (and /metrics without opsPort) answer 401' : MASK}`,
    `Admins:       ${config.admins.length > 0 ? config.admins.join(', ') : 'none'}`,
    '',
    `Components (${config.components.length}):`,
  ];
  for (const c of config.components) {
    lines.push(`  ${c.domain}  network ${c.network}, provider ${c.provider}, component secret ${MASK}`);
    for (const l of [...componentLines(c, config), ...ownedLines(c)]) lines.push(`    ${l}`);
  }
  return `${lines.join('\n')}\n`;
}
