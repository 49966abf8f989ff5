import type { Network } from '../config/providers.js';
import type { PhoneParseOptions } from './phone.js';

/** The foreign network a component domain bridges (one definition: NETWORKS in src/config/providers.ts). */
export type { Network };

/**
 * A foreign address and the JID localpart that stands for it, or why there is none.
 * `reason` is a human-readable sentence fit for an error stanza's `<text/>`.
 */
export type AddressResult = { ok: true; address: string; localpart: string } | { ok: false; reason: string };

/**
 * Options of {@link addressCodec}. Only the sms codec reads them; see
 * {@link PhoneParseOptions} for each. `strict` applies to what users type
 * (fromUserInput) only: a canonical localpart (fromLocalpart) and a sender
 * the provider reports (toLocalpart) are accepted when merely possible, so
 * that every contact toLocalpart creates can be answered.
 */
export type AddressCodecOptions = PhoneParseOptions;

/**
 * Maps one network's foreign addresses to and from contact JID localparts.
 * Pure: no I/O, never throws on bad input (the result says why).
 *
 * Localparts produced here are already in the form an XMPP server delivers
 * back (escaped, lower-case where case does not matter), so a `localpart`
 * from any method can be compared directly with the localpart of a stanza's
 * `to`.
 */
export interface AddressCodec {
  network: Network;
  /** The XEP-0100 jabber:iq:gateway `<prompt>` text, e.g. 'Phone number'. */
  prompt: string;
  /** The XEP-0100 jabber:iq:gateway `<desc>` text: a sentence telling the user what to enter. */
  description: string;
  /** What a user typed (any reasonable format) -> canonical foreign address + JID localpart. */
  fromUserInput(input: string): AddressResult;
  /**
   * A contact JID's localpart (as received in a stanza's 'to', i.e. in
   * escaped form) -> foreign address. Strict: only the canonical form is
   * accepted, so that one foreign address is one contact; a non-canonical
   * localpart is refused with a reason naming the canonical one when there is one.
   */
  fromLocalpart(localpart: string): AddressResult;
  /** A foreign address (e.g. the sender in a provider webhook) -> localpart. */
  toLocalpart(address: string): AddressResult;
}
