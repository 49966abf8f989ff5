/**
 * Hostile stanzas from issue 8, through a real Prosody to the built gateway:
 * texts to premium and satellite ranges (toll fraud), a media flood, an
 * over-long media link and stanza id. Each is refused at once with an error
 * stanza naming why, well-formed messages still pass, the gateway stays up
 * and a well-behaved user's messages keep flowing. The stack is in
 * ./stanza-stack.ts (its sms component has no numbers, so by default every
 * country is allowed and only the denied ranges are refused).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCondition, errorText } from '../support/stanza-errors.js';
import { xml } from '../support/xmpp-client.js';
import { CONTACT, SMS, tracked, useStanzaAbuseStack, type StanzaAbuseParts } from './stanza-stack.js';
import { Tally } from './support.js';

const oob = (url: string) => xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url));

describe('hostile stanzas: toll fraud and unbounded fields (real Prosody + built gateway)', () => {
  const abuse = useStanzaAbuseStack();
  const { client, sendAll, expectCanaryFlows } = abuse;
  let { gateway } = {} as StanzaAbuseParts;
  beforeAll(() => void ({ gateway } = abuse.started));

  it('toll fraud: premium, satellite and international-network numbers are refused, naming the rule', async () => {
    const tally = new Tally('toll-fraud destinations');
    const cases = [
      { id: 'dest-iridium', to: '+881631234567', expect: 'error' },
      { id: 'dest-intl-network', to: '+882345678901', expect: 'error' },
      { id: 'dest-intl-network-883', to: '+883510012345', expect: 'error' },
      { id: 'dest-inmarsat', to: '+870772123456', expect: 'error' },
      { id: 'dest-iprs', to: '+979123456789', expect: 'error' },
      { id: 'dest-us', to: '+15551234567', expect: 'accepted' },
    ] as const;
    const outcomes = await sendAll(tally, client('mallory'), cases.map((c) => ({ id: c.id, stanza: tracked(`${c.to}@${SMS}`, c.id, 'a'.repeat(1530)) })), 15_000);
    for (const c of cases) {
      const o = outcomes.get(c.id);
      expect(o?.kind, c.id).toBe(c.expect);
      if (o?.kind === 'error') {
        expect(errorCondition(o.stanza)).toBe('forbidden');
        expect(errorText(o.stanza)).toMatch(/destinations\.deny "\+8[78][0-3]"|destinations\.deny "\+979"/);
      }
    }
    expect(await tally.print(gateway)).toBe(true);
    await expectCanaryFlows('after toll-fraud attempts');
  });

  it('media and per-message bounds: 2,200 OOB links, 11 links, a 5 KB link, a 300-character id', async () => {
    const tally = new Tally('media and per-message bounds');
    const url = (i: number) => `https://media.example.net/${i}.jpg`;
    const cases = [
      { id: 'media-2200', extra: Array.from({ length: 2200 }, (_, i) => oob(url(i))), expect: 'error', condition: 'not-acceptable' },
      { id: 'media-11', extra: Array.from({ length: 11 }, (_, i) => oob(url(i))), expect: 'error', condition: 'not-acceptable' },
      { id: 'media-long-url', extra: [oob(`https://media.example.net/${'a'.repeat(5000)}`)], expect: 'error', condition: 'not-acceptable' },
      { id: `id-${'i'.repeat(300)}`, extra: [], expect: 'error', condition: 'bad-request' },
      { id: 'media-10', extra: Array.from({ length: 10 }, (_, i) => oob(url(i))), expect: 'accepted', condition: undefined },
    ] as const;
    const outcomes = await sendAll(tally, client('mallory'), cases.map((c) => ({ id: c.id, stanza: tracked(CONTACT, c.id, 'look', [...c.extra]) })), 15_000);
    for (const c of cases) {
      const o = outcomes.get(c.id);
      expect(o?.kind, c.id.slice(0, 20)).toBe(c.expect);
      if (o?.kind === 'error') expect(errorCondition(o.stanza), errorText(o.stanza)).toBe(c.condition);
    }
    expect(await tally.print(gateway)).toBe(true);
    await expectCanaryFlows('after the media flood');
  });
});
