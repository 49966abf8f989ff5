/** The `telnyx` section of a component: required with provider telnyx, only with it, each key checked. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../../src/config/load.js';
import type { ProviderConfig } from '../../../../src/config/schema.js';
import { rawPublicKeyBase64 } from '../../../doubles/telnyx.js';

const KEY = rawPublicKeyBase64(generateKeyPairSync('ed25519').publicKey);

function problems(component: string): string[] {
  try {
    parseConfig(`components:\n  - ${component}`, {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('config: telnyx section', () => {
  it('fills the default API base URL', () => {
    const c: { components: Array<{ domain: string; telnyx?: ProviderConfig<'telnyx'>['telnyx'] }> } = parseConfig(
      `components:\n  - { domain: sms.localhost, secret: x, network: sms, provider: telnyx, telnyx: { apiKey: KEY123, publicKey: "${KEY}" } }`,
      {},
    );
    expect(c.components[0]?.telnyx).toEqual({ apiKey: 'KEY123', publicKey: KEY, apiBaseUrl: 'https://api.telnyx.com' });
  });

  it('is required with provider telnyx and refused with any other', () => {
    expect(problems('{ domain: sms.localhost, secret: x, network: sms, provider: telnyx }')).toEqual([
      'components[0].telnyx: required for provider telnyx',
    ]);
    expect(problems(`{ domain: sms.localhost, secret: x, network: sms, provider: sandbox, telnyx: { apiKey: k, publicKey: "${KEY}" } }`)).toEqual([
      'components[0].telnyx: only for provider telnyx',
    ]);
  });

  it('checks every key: the public key must be a base64 Ed25519 key, the profile id a UUID, no unknown keys', () => {
    const found = problems(
      '{ domain: sms.localhost, secret: x, network: sms, provider: telnyx, telnyx: { apiKey: "", publicKey: "c2hvcnQ=", apiBaseUrl: nope, messagingProfileId: MG123, extra: 1 } }',
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^components\[0\]\.telnyx\.apiKey: /),
        'components[0].telnyx.publicKey: must be the 32-byte Ed25519 public key, base64 (as the Telnyx portal shows it)',
        expect.stringMatching(/^components\[0\]\.telnyx\.apiBaseUrl: /),
        'components[0].telnyx.messagingProfileId: must be a Telnyx messaging profile id (a UUID)',
        'components[0].telnyx.extra: unknown key',
      ]),
    );
    expect(problems('{ domain: sms.localhost, secret: x, network: sms, provider: telnyx, telnyx: { apiKey: k, publicKey: "not base64!" } }')).toEqual([
      'components[0].telnyx.publicKey: must be the 32-byte Ed25519 public key, base64 (as the Telnyx portal shows it)',
    ]);
  });
});
