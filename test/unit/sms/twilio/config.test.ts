/** The `twilio` section of a component (src/config/schema.ts). */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../../src/config/load.js';
import type { ProviderConfig } from '../../../../src/config/schema.js';
import { configProblems } from '../../../support/config-problems.js';

const SID = 'AC' + '0123456789abcdef'.repeat(2);

function problems(yaml: string): string[] {
  return configProblems(yaml);
}

const component = (extra: string) => `components:\n  - { domain: sms.localhost, secret: x, network: sms, ${extra} }`;

describe('config: twilio section', () => {
  it('is accepted with provider twilio, defaulting the API base URL', () => {
    const c: { components: Array<{ domain: string; twilio?: ProviderConfig<'twilio'>['twilio'] }> } = parseConfig(component(`provider: twilio, twilio: { accountSid: ${SID}, authToken: tok }`), {});
    expect(c.components[0]?.twilio).toEqual({ accountSid: SID, authToken: 'tok', apiBaseUrl: 'https://api.twilio.com' });
  });

  it('is required for provider twilio', () => {
    expect(problems(component('provider: twilio'))).toEqual(['components[0].twilio: required for provider twilio']);
  });

  it('is only allowed with provider twilio', () => {
    expect(problems(component(`provider: sandbox, twilio: { accountSid: ${SID}, authToken: tok }`))).toEqual([
      'components[0].twilio: only for provider twilio',
    ]);
  });

  it('checks its keys: SIDs, token, URL, no unknown keys', () => {
    const found = problems(
      component('provider: twilio, twilio: { accountSid: AC123, authToken: "", apiBaseUrl: not-a-url, messagingServiceSid: MG1, region: us1 }'),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'components[0].twilio.accountSid: must be a Twilio Account SID: AC followed by 32 hex digits',
        expect.stringMatching(/^components\[0\]\.twilio\.authToken: /),
        expect.stringMatching(/^components\[0\]\.twilio\.apiBaseUrl: /),
        'components[0].twilio.messagingServiceSid: must be a Twilio Messaging Service SID: MG followed by 32 hex digits',
        'components[0].twilio.region: unknown key',
      ]),
    );
  });
});
