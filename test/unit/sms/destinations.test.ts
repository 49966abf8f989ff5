/** destinationOpenToAll: when the destination rule can be decided before the sender's number is read. */
import { describe, expect, it } from 'vitest';
import { destinationOpenToAll, destinationRules } from '../../../src/networks/sms/destinations.js';

const config = (over: { numbers?: Record<string, string>; numberPool?: string[]; allow?: string[]; deny?: string[] } = {}) => ({
  domain: 'sms.localhost',
  numbers: over.numbers ?? { '+15550001111': 'alice@localhost' },
  numberPool: over.numberPool ?? [],
  destinations: { ...(over.allow === undefined ? {} : { allow: over.allow }), deny: over.deny ?? [] },
});

describe('destinationOpenToAll', () => {
  it('is true exactly where the rule passes for every sender number', () => {
    const c = config({ deny: ['+1876'] });
    const open = destinationOpenToAll(c);
    const check = destinationRules(c);
    for (const to of ['+15551234567', '+18765550000', '+447700900123', 'shortcode']) {
      if (open(to)) {
        for (const from of [undefined, '+15550001111', '+447700900000', '+18765551111']) expect(() => check(to, from)).not.toThrow();
      }
    }
    expect(open('+15551234567')).toBe(true);
    expect(open('+18765550000')).toBe(false);
    // A UK number is allowed only for a sender with a UK number (an admin may assign one): ask Redis first.
    expect(open('+447700900123')).toBe(false);
    expect(open('shortcode')).toBe(true);
  });

  it('is false for every number when the gateway has no number of its own to take countries from', () => {
    const open = destinationOpenToAll(config({ numbers: {} }));
    expect(open('+15551234567')).toBe(false);
    expect(open('+447700900123')).toBe(false);
  });

  it('follows a configured allow list, which no sender number changes', () => {
    const open = destinationOpenToAll(config({ numbers: {}, allow: ['+44'] }));
    expect(open('+447700900123')).toBe(true);
    expect(open('+15551234567')).toBe(false);
  });
});
