/**
 * Phone numbers as SMS addresses: E.164 (ITU-T E.164, "+" then at most 15
 * digits) parsed with libphonenumber-js and its full ('max') metadata.
 *
 * Validity policy: by default a number is accepted when it is *possible*
 * (the right length for its country calling code), not only when it is
 * *valid* (in a range libphonenumber's metadata knows to be assigned).
 * Reasons: the fictional numbers used in tests, examples and docs all over
 * this project (+15551234567, +1 555 01xx) are possible but not valid;
 * libphonenumber's README itself prefers isPossible because range metadata
 * goes stale and then rejects newly assigned numbers; and the provider
 * (Twilio, Telnyx, the SMSC) makes the final decision anyway and reports a
 * permanent failure for numbers that do not exist. `strict: true` demands
 * isValid() instead.
 *
 * @module
 */

import {
  isSupportedCountry,
  parsePhoneNumberWithError,
  ParseError,
  validatePhoneNumberLength,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js/max';

/** Result of {@link parsePhoneAddress}. */
export type PhoneParse =
  | {
      ok: true;
      /** '+15551234567' for kind 'e164'; the bare digits ('12345') for kind 'shortcode'. */
      e164: string;
      kind: 'e164' | 'shortcode';
    }
  | { ok: false; reason: string };

/** Options of {@link parsePhoneAddress}. */
export interface PhoneParseOptions {
  /**
   * ISO 3166 alpha-2 region ('US', 'GB'; case-insensitive) whose national
   * format (and international call prefix, e.g. '011' for US) is accepted
   * for numbers typed without '+'. Without it only '+' and '00' forms parse.
   */
  defaultRegion?: string;
  /**
   * Accept 3–8 bare digits as a carrier short code (kind 'shortcode').
   * When a default region is set and the digits are also a possible
   * national number there (e.g. 8 digits in DK), the national number wins.
   * Default false.
   */
  allowShortCodes?: boolean;
  /** Require isValid() (a known assigned range) instead of isPossible(). Default false. */
  strict?: boolean;
}

/** A short code: 3 to 8 ASCII digits, no '+'. */
const SHORT_CODE = /^[0-9]{3,8}$/;
/** Canonical E.164: '+', a country code (no leading 0), at most 15 digits in all. */
const E164_PATTERN = /^\+[1-9][0-9]{1,14}$/;
/** Longest input considered at all: generous for spaces and brackets. */
const MAX_INPUT_LENGTH = 64;

/**
 * Normalizes a configured region code; undefined if libphonenumber does not know it.
 *
 * @example normalizeRegion(' us ') // 'US'
 * @example normalizeRegion('XX')   // undefined
 */
export function normalizeRegion(region: string): CountryCode | undefined {
  const upper = region.trim().toUpperCase();
  return isSupportedCountry(upper) ? upper : undefined;
}

/**
 * Whether `region` is an ISO 3166 alpha-2 code libphonenumber has metadata
 * for (case-insensitive). For config validation of `defaultRegion`.
 *
 * @example isSupportedRegion('US') // true
 * @example isSupportedRegion('gb') // true
 * @example isSupportedRegion('XX') // false
 */
export function isSupportedRegion(region: string): boolean {
  return normalizeRegion(region) !== undefined;
}

/**
 * Parses what a person typed, or what a provider sent, into an SMS address.
 * Surrounding whitespace is ignored. Never throws.
 *
 * @example parsePhoneAddress('+15551234567')                               // { ok: true, e164: '+15551234567', kind: 'e164' }
 * @example parsePhoneAddress('+1 (555) 123-4567')                          // { ok: true, e164: '+15551234567', kind: 'e164' }
 * @example parsePhoneAddress('(415) 555-2671', { defaultRegion: 'US' })    // { ok: true, e164: '+14155552671', kind: 'e164' }
 * @example parsePhoneAddress('011 44 20 7946 0958', { defaultRegion: 'US' }) // { ok: true, e164: '+442079460958', kind: 'e164' }
 * @example parsePhoneAddress('0044 20 7946 0958')                          // { ok: true, e164: '+442079460958', kind: 'e164' }
 * @example parsePhoneAddress('12345', { allowShortCodes: true })           // { ok: true, e164: '12345', kind: 'shortcode' }
 * @example parsePhoneAddress('4155552671')
 *   // { ok: false, reason: 'phone numbers must start with + and a country code unless a default region is configured' }
 * @example parsePhoneAddress('555-1234', { defaultRegion: 'US' })         // { ok: false, reason: 'not a valid phone number for US (too short)' }
 * @example parsePhoneAddress('+14155552671', { strict: true })             // { ok: true, e164: '+14155552671', kind: 'e164' }
 * @example parsePhoneAddress('+15551234567', { strict: true })
 *   // { ok: false, reason: 'not a valid phone number for country code +1 (not in an assigned number range)' }
 */
export function parsePhoneAddress(input: string, opts: PhoneParseOptions = {}): PhoneParse {
  const text = input.trim();
  let region: CountryCode | undefined;
  if (opts.defaultRegion !== undefined) {
    region = normalizeRegion(opts.defaultRegion);
    if (region === undefined) {
      return fail(`unknown default region "${opts.defaultRegion}" (expected an ISO 3166 alpha-2 code such as US)`);
    }
  }
  if (text === '') return fail('a phone number cannot be empty');
  if (text.length > MAX_INPUT_LENGTH) return fail(`a phone number cannot be longer than ${MAX_INPUT_LENGTH} characters`);
  if (/\p{L}/u.test(text)) {
    return fail('phone numbers contain only digits, spaces and + - . ( ) (no letters or extensions)');
  }

  if (opts.allowShortCodes === true && SHORT_CODE.test(text)) {
    const national = region === undefined ? undefined : tryParse(text, region);
    if (national !== undefined && acceptable(national, opts)) return e164(national);
    return { ok: true, e164: text, kind: 'shortcode' };
  }

  // '00' is the international prefix the ITU recommends and most countries
  // use: without a region it always means '+'; with one, libphonenumber first
  // applies that region's own prefix (US 011, AU 0011, GB 00), and the '+'
  // reading is the fallback (a US user typing 0044...).
  const intl = startsWithDoubleZero(text) ? tryParseWithReason('+' + text.replace(/^[^0-9]*00/, ''), undefined) : undefined;
  const direct = region === undefined && intl !== undefined ? intl : tryParseWithReason(text, region);
  if (!(direct instanceof PhoneParseFailure) && acceptable(direct, opts)) return e164(direct);
  if (intl !== undefined && !(intl instanceof PhoneParseFailure)) {
    if (acceptable(intl, opts)) return e164(intl);
    // A number that parses after '00' was most likely meant as international: explain that reading.
    return fail(reasonForUnacceptable(intl, text, undefined, opts));
  }
  if (direct instanceof PhoneParseFailure) return fail(reasonForFailure(direct, text, region));
  return fail(reasonForUnacceptable(direct, text, region, opts));
}

/**
 * Whether `s` is exactly a canonical E.164 string, with no check of its
 * country or length beyond E.164's own.
 *
 * @example isE164Shaped('+15551234567')   // true
 * @example isE164Shaped('+1 555 1234567') // false
 * @example isE164Shaped('15551234567')    // false
 */
export function isE164Shaped(s: string): boolean {
  return E164_PATTERN.test(s);
}

/** Whether `s` has the shape of a short code (3–8 ASCII digits). */
export function isShortCodeShaped(s: string): boolean {
  return SHORT_CODE.test(s);
}

function fail(reason: string): PhoneParse {
  return { ok: false, reason };
}

function e164(phone: PhoneNumber): PhoneParse {
  return { ok: true, e164: phone.number, kind: 'e164' };
}

function acceptable(phone: PhoneNumber, opts: PhoneParseOptions): boolean {
  if (phone.ext !== undefined) return false;
  if (!E164_PATTERN.test(phone.number)) return false;
  return opts.strict === true ? phone.isValid() : phone.isPossible();
}

function startsWithDoubleZero(text: string): boolean {
  return /^[^0-9+]*00[1-9]/.test(text);
}

function tryParse(text: string, region: CountryCode | undefined): PhoneNumber | undefined {
  const result = tryParseWithReason(text, region);
  return result instanceof PhoneParseFailure ? undefined : result;
}

/** Why libphonenumber refused to parse: its ParseError code, kept as a value (no throw across our API). */
class PhoneParseFailure {
  constructor(readonly libCode: string) {}
}

function tryParseWithReason(text: string, region: CountryCode | undefined): PhoneNumber | PhoneParseFailure {
  try {
    return parsePhoneNumberWithError(text, region === undefined ? { extract: false } : { defaultCountry: region, extract: false });
  } catch (error) {
    if (error instanceof ParseError) return new PhoneParseFailure(error.message);
    throw error;
  }
}

function reasonForFailure(failure: PhoneParseFailure, text: string, region: CountryCode | undefined): string {
  const international = /^[^0-9]*\+/.test(text) || startsWithDoubleZero(text);
  switch (failure.libCode) {
    case 'INVALID_COUNTRY':
      return international || region !== undefined
        ? 'unknown country calling code'
        : 'phone numbers must start with + and a country code unless a default region is configured';
    case 'TOO_SHORT':
      return 'too short to be a phone number';
    case 'TOO_LONG':
      return 'too long to be a phone number';
    default:
      return 'not a phone number';
  }
}

function reasonForUnacceptable(phone: PhoneNumber, text: string, region: CountryCode | undefined, opts: PhoneParseOptions): string {
  if (phone.ext !== undefined) return 'phone number extensions cannot receive SMS';
  const national = region !== undefined && !/^[^0-9]*\+/.test(text);
  const where = national ? region : (phone.country ?? `country code +${phone.countryCallingCode}`);
  const length = validatePhoneNumberLength(phone.number);
  const detail =
    length === 'TOO_SHORT' ? ' (too short)'
    : length === 'TOO_LONG' ? ' (too long)'
    : length === 'INVALID_LENGTH' ? ' (wrong length)'
    : opts.strict === true && phone.isPossible() ? ' (not in an assigned number range)'
    : '';
  return `not a valid phone number for ${where}${detail}`;
}
