/**
 * Where users may text: the toll-fraud guard. An allow list and a deny list
 * of E.164 prefixes (country calling codes or longer); the longer matching
 * prefix decides, deny winning a tie, so an admin can open one range inside a
 * denied block or close one inside an allowed country. Short codes are not
 * E.164 and are governed by `allowShortCodes` alone.
 *
 * Default allow: the calling codes of the gateway's own numbers (`numbers`,
 * `numberPool`, and the sender's own number, which may have been assigned at
 * run time); with none at all (a sandbox without numbers), every number not
 * denied. Default deny: `DEFAULT_DENIED_DESTINATIONS` (config/sms.ts).
 *
 * @example
 * const check = destinationRules({ numbers: { '+15550001111': 'a@x' }, numberPool: [], destinations: { deny: ['+881'] } }, 'sms.x')
 * check('+15551234567', undefined)   // passes
 * check('+881631234567', undefined)  // throws DESTINATION_FORBIDDEN '... destinations.deny "+881" ...'
 * check('+447700900123', undefined)  // throws DESTINATION_FORBIDDEN '... not in destinations.allow (default: +1) ...'
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { SmsComponentConfig } from '../../config/schema.js';
import { GatewayError } from '../../errors/registry.js';

type DestinationConfig = Pick<SmsComponentConfig, 'numbers' | 'numberPool' | 'destinations' | 'domain'>;

/** `+15550001111` -> `+1`; undefined for short codes and what libphonenumber cannot read. */
export function callingCodeOf(number: string): string | undefined {
  if (!number.startsWith('+')) return undefined;
  const code = parsePhoneNumberFromString(number)?.countryCallingCode;
  return code === undefined ? undefined : `+${code}`;
}

/** The longest prefix in `prefixes` that `number` starts with, or undefined. */
function longestMatch(number: string, prefixes: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const p of prefixes) if (number.startsWith(p) && (best === undefined || p.length > best.length)) best = p;
  return best;
}

/**
 * Whether `to` passes destinationRules(c) whatever the sender's own number:
 * then the check needs no Redis read first (the sender checks run as one
 * call, `src/store/sender-gate.ts`). A sender's number only adds its country
 * to the default allow list, which cannot refuse what passed without it,
 * except when the gateway has no number of its own to take countries from.
 */
export function destinationOpenToAll(c: DestinationConfig): (to: string) => boolean {
  const check = destinationRules(c);
  const fromMatters = c.destinations.allow === undefined && ownCallingCodes(c).size === 0;
  return (to) => {
    if (!to.startsWith('+')) return true;
    if (fromMatters) return false;
    try {
      check(to, undefined);
      return true;
    } catch {
      return false;
    }
  };
}

function ownCallingCodes(c: DestinationConfig): Set<string> {
  return new Set([...Object.keys(c.numbers), ...c.numberPool].map(callingCodeOf).filter((code): code is string => code !== undefined));
}

/** A check that throws GatewayError DESTINATION_FORBIDDEN, naming the rule, for a number users may not text. */
export function destinationRules(c: DestinationConfig): (to: string, from: string | undefined) => void {
  const deny = c.destinations.deny;
  const configured = c.destinations.allow;
  const ownCodes = ownCallingCodes(c);
  // `from` is always one of the gateway's numbers: a few, asked for every message. libphonenumber's
  // parse was 4% of the gateway's CPU in the outbound bench, so each number's code is kept.
  const codeOfSender = new Map<string, string | undefined>();
  const senderCode = (from: string): string | undefined => {
    if (codeOfSender.has(from)) return codeOfSender.get(from);
    if (codeOfSender.size >= 10_000) codeOfSender.clear();
    const code = callingCodeOf(from);
    codeOfSender.set(from, code);
    return code;
  };
  return (to, from) => {
    if (!to.startsWith('+')) return;
    const allow = configured ?? [...ownCodes, ...[from === undefined ? undefined : senderCode(from)].filter((x): x is string => x !== undefined)];
    const denied = longestMatch(to, deny);
    const allowed = configured === undefined && allow.length === 0 ? '+' : longestMatch(to, allow);
    if (denied !== undefined && (allowed === undefined || denied.length >= allowed.length)) {
      throw new GatewayError(
        'DESTINATION_FORBIDDEN',
        `${c.domain} does not send to ${to}: the number is in a blocked range (rule destinations.deny "${denied}"); ask the administrator if you need it`,
      );
    }
    if (allowed === undefined) {
      const list = [...new Set(allow)].join(', ');
      throw new GatewayError(
        'DESTINATION_FORBIDDEN',
        `${c.domain} does not send to ${to}: that country is not in destinations.allow (${configured === undefined ? 'default: ' : ''}${list}); ask the administrator if you need it`,
      );
    }
  };
}
