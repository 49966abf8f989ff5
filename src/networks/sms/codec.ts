import { unescapeLocalpart } from '../../addressing/index.js';
import { isE164Shaped, isShortCodeShaped, normalizeRegion, parsePhoneAddress, type PhoneParse } from '../../addressing/index.js';
import type { AddressCodec, AddressCodecOptions, AddressResult } from '../../addressing/index.js';

/** URI schemes a pasted number may carry: tel (RFC 3966), sms (RFC 5724). */
const PHONE_URI_SCHEME = /^\s*(?:tel|sms):/i;

/**
 * The sms codec. The localpart is the canonical E.164 number itself
 * (`+15551234567`; `+` is legal in a JID localpart) or, for a short code,
 * its bare digits (`12345`): a localpart without `+` is always a short code.
 *
 * Short codes: users may address them (fromUserInput, fromLocalpart) only
 * with `allowShortCodes`; toLocalpart always accepts them, since a message
 * from a short code (a verification code, say) is normal even where replying
 * to one is not enabled.
 *
 * `strict` (isValid instead of isPossible) applies to fromUserInput only:
 * fromLocalpart and toLocalpart accept any possible canonical number, so a
 * sender the provider reported can always be answered.
 *
 * @example
 * const sms = smsCodec({ defaultRegion: 'US' })
 * sms.fromUserInput('(415) 555-2671')   // { ok: true, address: '+14155552671', localpart: '+14155552671' }
 * sms.fromLocalpart('+15551234567')     // { ok: true, address: '+15551234567', localpart: '+15551234567' }
 * sms.fromLocalpart('4155552671')       // { ok: false, reason: '"4155552671" is not the canonical form of this number; address it as +14155552671' }
 * sms.toLocalpart('12345')              // { ok: true, address: '12345', localpart: '12345' }
 */
export function smsCodec(opts: AddressCodecOptions): AddressCodec {
  const shortCodes = opts.allowShortCodes === true;
  const examples = ['in international format, such as +15551234567'];
  if (opts.defaultRegion !== undefined) examples.push(`as a ${normalizeRegion(opts.defaultRegion) ?? opts.defaultRegion} national number`);
  if (shortCodes) examples.push('as a short code');
  const description = `Enter the contact's phone number ${examples.join(', or ')}.`;

  const memo = new Memo<AddressResult>(10_000);
  return {
    network: 'sms',
    prompt: 'Phone number',
    description,
    fromUserInput(input) {
      return fromPhoneParse(parsePhoneAddress(input.replace(PHONE_URI_SCHEME, ''), opts));
    },
    fromLocalpart(localpart) {
      // Parsing with the phone metadata costs more than anything else on the stanza path; contacts repeat.
      if (isE164Shaped(localpart)) return memo.get(`l:${localpart}`, () => fromPhoneParse(parsePhoneAddress(localpart)));
      if (shortCodes && isShortCodeShaped(localpart)) return ok(localpart);
      // Not canonical: name the canonical form if the localpart reads as a number at all.
      const suggestion = parsePhoneAddress(unescapeLocalpart(localpart), opts);
      if (suggestion.ok) {
        return fail(`"${localpart}" is not the canonical form of this number; address it as ${suggestion.e164}`);
      }
      if (isShortCodeShaped(localpart)) return fail('short codes are not enabled on this gateway');
      return fail('a phone number contact must be in E.164 form: + and the country code, e.g. +15551234567');
    },
    toLocalpart(address) {
      return memo.get(`a:${address}`, () => fromPhoneParse(parsePhoneAddress(address, { ...opts, allowShortCodes: true, strict: false })));
    },
  };
}

/** A bounded memo: pure results by key, the oldest dropped first. */
class Memo<T> {
  private readonly entries = new Map<string, T>();
  constructor(private readonly max: number) {}

  get(key: string, compute: () => T): T {
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const value = Object.freeze(compute());
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, value);
    return value;
  }
}

function fromPhoneParse(parse: PhoneParse): AddressResult {
  return parse.ok ? ok(parse.e164) : parse;
}

function ok(number: string): AddressResult {
  return { ok: true, address: number, localpart: number };
}

function fail(reason: string): AddressResult {
  return { ok: false, reason };
}
