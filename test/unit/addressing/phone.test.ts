import { describe, expect, it } from 'vitest';
import {
  isE164Shaped,
  isShortCodeShaped,
  isSupportedRegion,
  normalizeRegion,
  parsePhoneAddress,
  type PhoneParseOptions,
} from '../../../src/addressing/phone.js';

const US: PhoneParseOptions = { defaultRegion: 'US' };

describe('parsePhoneAddress: accepted', () => {
  const accepted: Array<[string, PhoneParseOptions, string]> = [
    // E.164 as is, and formatted
    ['+15551234567', {}, '+15551234567'],
    ['+14155552671', {}, '+14155552671'],
    ['  +14155552671  ', {}, '+14155552671'],
    ['+1 555 123 4567', {}, '+15551234567'],
    ['+1 (555) 123-4567', {}, '+15551234567'],
    ['+1-415-555-2671', {}, '+14155552671'],
    ['+1.415.555.2671', {}, '+14155552671'],
    ['+1/415/555/2671', {}, '+14155552671'],
    ['+1\u00a0415\u00a0555\u00a02671', {}, '+14155552671'],
    ['+44 20 7946 0958', {}, '+442079460958'],
    ['+44 7700 900123', {}, '+447700900123'],
    ['+49 151 12345678', {}, '+4915112345678'],
    ['+33 6 12 34 56 78', {}, '+33612345678'],
    ['+61 491 570 156', {}, '+61491570156'],
    ['+7 800 555-35-35', {}, '+78005553535'],
    ['+800 1234 5678', {}, '+80012345678'], // non-geographic (universal freephone)
    ['+１４１５５５５２６７１', {}, '+14155552671'], // full-width digits
    ['+١٤١٥٥٥٥٢٦٧١', {}, '+14155552671'], // Arabic-Indic digits
    // '+' form ignores the default region
    ['+442079460958', US, '+442079460958'],
    ['+15551234567', { defaultRegion: 'GB' }, '+15551234567'],
    // national formats with a default region
    ['(415) 555-2671', US, '+14155552671'],
    ['415.555.2671', US, '+14155552671'],
    ['415 555 2671', US, '+14155552671'],
    ['4155552671', US, '+14155552671'],
    ['1 415 555 2671', US, '+14155552671'],
    ['1-555-123-4567', US, '+15551234567'],
    ['(415) 555-2671', { defaultRegion: 'us' }, '+14155552671'], // region is case-insensitive
    ['020 7946 0958', { defaultRegion: 'GB' }, '+442079460958'],
    ['07700 900123', { defaultRegion: 'GB' }, '+447700900123'],
    ['8 (800) 555-35-35', { defaultRegion: 'RU' }, '+78005553535'],
    ['0151 12345678', { defaultRegion: 'DE' }, '+4915112345678'],
    // international prefixes: the region's own, and '00'
    ['011 44 20 7946 0958', US, '+442079460958'],
    ['00 44 20 7946 0958', { defaultRegion: 'GB' }, '+442079460958'],
    ['0011 44 20 7946 0958', { defaultRegion: 'AU' }, '+442079460958'],
    ['0044 20 7946 0958', {}, '+442079460958'],
    ['00442079460958', {}, '+442079460958'],
    ['0044 20 7946 0958', US, '+442079460958'], // 00 is not US's prefix: read as '+'
    ['001 555 123 4567', {}, '+15551234567'],
    // digits that are both a short code shape and a possible national number: national wins
    ['12345678', { defaultRegion: 'DK', allowShortCodes: true }, '+4512345678'],
    ['12345678', { defaultRegion: 'DK' }, '+4512345678'],
  ];
  it.each(accepted)('%j %j -> %s', (input, opts, expected) => {
    expect(parsePhoneAddress(input, opts)).toEqual({ ok: true, e164: expected, kind: 'e164' });
  });
});

describe('parsePhoneAddress: short codes', () => {
  it.each([
    ['123', {}],
    ['12345', {}],
    ['87654321', {}],
    ['  12345 ', {}],
    ['12345', US],
    ['1234', { defaultRegion: 'DK' }],
    ['00123', {}],
  ])('%j %j -> shortcode when allowShortCodes', (input, opts) => {
    expect(parsePhoneAddress(input, { ...opts, allowShortCodes: true })).toEqual({ ok: true, e164: input.trim(), kind: 'shortcode' });
  });

  it.each([['12345', {}, 'phone numbers must start with + and a country code unless a default region is configured'], ['12345', US, 'not a valid phone number for US (too short)']] as Array<[string, PhoneParseOptions, string]>)(
    '%j %j is refused without allowShortCodes',
    (input, opts, reason) => {
      expect(parsePhoneAddress(input, opts)).toEqual({ ok: false, reason });
    },
  );

  it.each(['12', '123456789', '12 345', '12-345', '+12345', '１２３４５'])('%j is not a short code', (input) => {
    const result = parsePhoneAddress(input, { allowShortCodes: true });
    expect(result.ok && result.kind === 'shortcode').toBe(false);
  });
});

describe('parsePhoneAddress: refused, with a reason', () => {
  const NEEDS_PLUS = 'phone numbers must start with + and a country code unless a default region is configured';
  const LETTERS = 'phone numbers contain only digits, spaces and + - . ( ) (no letters or extensions)';
  const refused: Array<[string, PhoneParseOptions, string]> = [
    ['', {}, 'a phone number cannot be empty'],
    ['   ', {}, 'a phone number cannot be empty'],
    ['abc', {}, LETTERS],
    ['+1 800 FLOWERS', {}, LETTERS],
    ['1-800-GOT-MILK', US, LETTERS],
    ['+1 415 555 2671 ext. 12', {}, LETTERS],
    ['+1 415 555 2671 x2', {}, LETTERS],
    ['+1 415 555 2671;ext=3', {}, LETTERS],
    ['tel:+14155552671', {}, LETTERS],
    ['Call +14155552671 now', {}, LETTERS],
    ['4155552671', {}, NEEDS_PLUS],
    ['(415) 555-2671', {}, NEEDS_PLUS],
    ['15551234567', {}, NEEDS_PLUS],
    ['+', {}, 'not a phone number'],
    ['++14155552671', {}, 'not a phone number'],
    ['+14155552671#', {}, 'not a phone number'],
    ['*123#', {}, 'not a phone number'],
    ['+1', {}, 'too short to be a phone number'],
    ['+12', {}, 'too short to be a phone number'],
    ['+123', {}, 'not a valid phone number for country code +1 (too short)'],
    ['+1555123', {}, 'not a valid phone number for country code +1 (too short)'],
    ['+1 555 0100', {}, 'not a valid phone number for country code +1 (too short)'],
    ['+1555123456789012', {}, 'not a valid phone number for country code +1 (too long)'],
    ['+44123', {}, 'not a valid phone number for country code +44 (too short)'],
    ['+999 123 456', {}, 'unknown country calling code'],
    ['+0 123 456 789', {}, 'unknown country calling code'],
    ['00999 123456', {}, 'unknown country calling code'],
    ['555-1234', US, 'not a valid phone number for US (too short)'],
    ['415 555 26711', US, 'not a valid phone number for US (too long)'],
    ['1234', { defaultRegion: 'DK' }, 'not a valid phone number for DK (too short)'],
    ['+1 415 555 2671', { defaultRegion: 'XX' }, 'unknown default region "XX" (expected an ISO 3166 alpha-2 code such as US)'],
    ['+1 415 555 2671', { defaultRegion: 'USA' }, 'unknown default region "USA" (expected an ISO 3166 alpha-2 code such as US)'],
    ['1'.repeat(65), US, 'a phone number cannot be longer than 64 characters'],
  ];
  it.each(refused)('%j %j: %s', (input, opts, reason) => {
    expect(parsePhoneAddress(input, opts)).toEqual({ ok: false, reason });
  });
});

describe('parsePhoneAddress: possible vs valid (strict)', () => {
  // Fictional 555 numbers are possible (right length) but in no assigned
  // range; the project's tests use them, so the default accepts them.
  it.each(['+15551234567', '+1 555 010 0123', '+447700900123', '+11234567890'])('accepts possible-but-invalid %s by default', (input) => {
    expect(parsePhoneAddress(input)).toMatchObject({ ok: true, kind: 'e164' });
  });

  it.each([
    ['+15551234567', {}, 'not a valid phone number for country code +1 (not in an assigned number range)'],
    ['+447700900123', {}, 'not a valid phone number for country code +44 (not in an assigned number range)'],
    ['(415) 555-2671', { defaultRegion: 'GB' }, 'not a valid phone number for GB (not in an assigned number range)'],
    ['+1555123', {}, 'not a valid phone number for country code +1 (too short)'],
  ] as Array<[string, PhoneParseOptions, string]>)('strict refuses %j %j: %s', (input, opts, reason) => {
    expect(parsePhoneAddress(input, { ...opts, strict: true })).toEqual({ ok: false, reason });
  });

  it.each([
    ['+14155552671', {}, '+14155552671'],
    ['+12015550123', {}, '+12015550123'],
    ['(415) 555-2671', US, '+14155552671'],
    ['+44 20 7946 0958', {}, '+442079460958'],
    ['+4915112345678', {}, '+4915112345678'],
  ] as Array<[string, PhoneParseOptions, string]>)('strict accepts %j %j', (input, opts, expected) => {
    expect(parsePhoneAddress(input, { ...opts, strict: true })).toEqual({ ok: true, e164: expected, kind: 'e164' });
  });

  it('strict still accepts short codes (they have no metadata to validate against)', () => {
    expect(parsePhoneAddress('12345', { allowShortCodes: true, strict: true })).toEqual({ ok: true, e164: '12345', kind: 'shortcode' });
  });
});

describe('parsePhoneAddress: output is always canonical', () => {
  const inputs = ['+1 (555) 123-4567', '(415) 555-2671', '0044 20 7946 0958', '+１４１５５５５２６７１', '12345'];
  it.each(inputs)('%j parses to a form that parses to itself', (input) => {
    const opts = { defaultRegion: 'US', allowShortCodes: true };
    const first = parsePhoneAddress(input, opts);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(parsePhoneAddress(first.e164, opts)).toEqual(first);
    expect(first.kind === 'e164' ? isE164Shaped(first.e164) : isShortCodeShaped(first.e164)).toBe(true);
  });
});

describe('shape checks and regions', () => {
  it.each([
    ['+15551234567', true],
    ['+442079460958', true],
    ['+123456789012345', true], // 15 digits
    ['+1234567890123456', false], // 16 digits
    ['+1', false],
    ['+0123', false],
    ['15551234567', false],
    ['+1 555 123 4567', false],
    ['+1-555-123-4567', false],
    ['+１５５５１２３４５６７', false],
    ['', false],
  ])('isE164Shaped(%j) === %s', (input, expected) => {
    expect(isE164Shaped(input)).toBe(expected);
  });

  it.each([
    ['123', true],
    ['12345678', true],
    ['12', false],
    ['123456789', false],
    ['+12345', false],
    ['12 34', false],
    ['', false],
  ])('isShortCodeShaped(%j) === %s', (input, expected) => {
    expect(isShortCodeShaped(input)).toBe(expected);
  });

  it.each([
    ['US', 'US'],
    ['us', 'US'],
    [' gb ', 'GB'],
    ['DK', 'DK'],
    ['XX', undefined],
    ['USA', undefined],
    ['', undefined],
  ])('normalizeRegion(%j) === %s, isSupportedRegion agrees', (input, expected) => {
    expect(normalizeRegion(input)).toBe(expected);
    expect(isSupportedRegion(input)).toBe(expected !== undefined);
  });
});
