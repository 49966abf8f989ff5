/**
 * The email component's outbound keys: defaults, and every mistake named by
 * its key path before anything starts.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { emailProfile } from '../../../src/networks/email/index.js';
import { configProblems } from '../../support/config-problems.js';

const component = (keys: string) => `components:\n  - { domain: mail.localhost, secret: s3cret, network: email, provider: smtp, ${keys} }`;

describe('email smtp config', () => {
  it('fills the relay and attachment defaults', () => {
    const c = parseConfig(component('smtp: { url: "smtp://127.0.0.1:2525" }'), {}).components[0];
    expect(c).toMatchObject({
      smtp: { url: 'smtp://127.0.0.1:2525', requireTls: false, rejectUnauthorized: true, maxConnections: 5, timeoutMs: 60_000, defaultSubject: 'Message via XMPP' },
      attachments: { fetchHosts: [], fetchMaxBytes: 10 * 1024 * 1024 },
      defaultAddresses: true,
    });
    expect(c).not.toHaveProperty('smtp.dkim');
  });

  it('retries a message for 5 days unless retry.maxAgeSeconds says otherwise', () => {
    expect(emailProfile.defaults.maxAgeSeconds).toBe(5 * 24 * 3600);
  });

  it.each([
    ['smtp: { url: "http://relay.example.org" }', 'components[0].smtp.url: must be an smtp:// or smtps:// URL'],
    ['smtp: { url: "relay.example.org:25" }', 'components[0].smtp.url: must be an smtp:// or smtps:// URL'],
    ['smtp: { url: "not a url" }', 'components[0].smtp.url: Invalid url'],
    ['smtp: { url: "smtp://r.example.org", timeoutMs: 10 }', 'components[0].smtp.timeoutMs: Number must be greater than or equal to 1000'],
    ['smtp: { url: "smtp://r.example.org", maxConnections: 0 }', 'components[0].smtp.maxConnections: Number must be greater than or equal to 1'],
    ['smtp: { url: "smtp://r.example.org", requireTLS: true }', 'components[0].smtp.requireTLS: unknown key (did you mean requireTls?)'],
    ['smtp: { url: "smtp://r.example.org", dkim: { domainName: example.org, keySelector: s } }', 'components[0].smtp.dkim.privateKey: Required'],
    ['smtp: { url: "smtp://r.example.org" }, attachments: { fetchHosts: ["https://upload.example.org"] }', 'components[0].attachments.fetchHosts[0]: must be a DNS domain name'],
    ['smtp: { url: "smtp://r.example.org" }, attachments: { fetchMaxBytes: 0 }', 'components[0].attachments.fetchMaxBytes: Number must be greater than or equal to 1'],
    ['smtp: { url: "smtp://r.example.org" }, addresses: { "not-an-address": alice@localhost }', 'components[0].addresses.not-an-address: must be a mail address (local@domain)'],
  ])('%s -> %s', (keys, problem) => {
    expect(configProblems(component(keys))).toContain(problem);
  });

  it('takes the relay password from the environment without showing it in problems', () => {
    const problems = configProblems(component('smtp: { url: "smtp://gw:${SMTP_PASSWORD}@r.example.org", timeoutMs: 1 }'), { SMTP_PASSWORD: 'hunter2-secret' });
    expect(problems).toEqual(['components[0].smtp.timeoutMs: Number must be greater than or equal to 1000']);
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});
