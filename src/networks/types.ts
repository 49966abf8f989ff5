/**
 * A network profile: what is particular to SMS, email or webhooks, in one
 * place per network (`src/networks/<network>/`). The core (assembly, router,
 * disco, registration, commands, bridges) asks the profile and never compares
 * a network name. To add a network: a folder here with its profile, a
 * variant in `src/config/schema.ts`, and its entry in `index.ts`.
 */
import type { RedisClient } from '../queue/redis.js';
import type { AddressCodec, AddressResult } from '../addressing/index.js';
import type { ComponentConfig, Network } from '../config/schema.js';
import type { GatewayMetrics } from '../metrics.js';
import type { DailyCap, NumberPacer, SenderBucket } from '../store/limits.js';
import type { DefaultAddresses, OwnershipTerms } from '../store/ownership.js';
import type { SenderGate } from '../store/sender-gate.js';

/** Rules applied to an outbound message before it is stored. */
export interface OutboundPolicy {
  /** The sender's own address on the network (their gateway number or mail address), if they have one. */
  senderAddress?(senderBareJid: string): Promise<string | undefined>;
  /** Refuse senders without an address: a real SMS provider needs a From number, a mail relay a From address. */
  requireSenderAddress?: boolean;
  /** What the refusal calls the address, with its article: 'a number' (the default), 'an address'. */
  senderAddressName?: string;
  /** Extra body rules (SMS segments); throws GatewayError. Returns facts to log. */
  checkBody?(body: string): Record<string, unknown>;
  /** Whether the sender (whose own address is `from`) may write to `to`; throws GatewayError naming the rule. */
  checkDestination?(to: string, from: string | undefined): void;
  /** Whether checkDestination passes `to` whatever the sender's address; absent: it may depend on it. */
  destinationOpenToAll?(to: string): boolean;
  /** What one message costs against the daily cap and the send rate (SMS: segments). Default 1. */
  cost?(body: string, mediaUrls: readonly string[]): number;
  /** The unit of `cost`, plural, for what users read: 'SMS segments'. Default 'messages'. */
  unit?: string;
  /** Per-user daily cap, in `unit`. */
  /**
   * A message was stored as new (not refused later, not a retransmission),
   * with the facts checkBody returned: count what it costs (SMS segments) here.
   */
  queued?(facts: Record<string, unknown>): void;
  /** Per-user daily cap. */
  dailyCap?: DailyCap;
  /** Per-user send rate, in `unit`. */
  senderRate?: SenderBucket;
  /** Books each message a send slot on its sender address at acceptance, so a burst keeps its order. */
  pacer?: NumberPacer;
  /**
   * senderAddress, senderRate, dailyCap and pacer in one Redis call, when all
   * of them are the Redis stores (assembly builds it); the bridge then asks
   * it instead of each of them.
   */
  gate?: SenderGate;
  /** Only these contacts exist; a message to any other is refused at once (item-not-found). */
  contacts?: ContactDirectory;
}

/** The XEP-0030 identities a network's component and contacts show (registry: gateway/sms, gateway/smtp, gateway/http). */
export interface NetworkIdentity {
  /** `<identity category="gateway" type=...>` of the component. */
  gatewayType: string;
  /** Human name of the component. */
  name: string;
  /** `<identity category="client" type=...>` of a contact. */
  contactType: string;
}

export interface NetworkDefaults {
  /** Longest body in characters. */
  maxBody: number;
  /** Messages per user per UTC day; 0 = none. */
  dailyPerUser: number;
  /** Per-sender rate (messages/s, 0 = none) and burst. */
  senderRate: { perSecond: number; burst: number };
  /** How long an undelivered message is retried. */
  maxAgeSeconds: number;
  /** XEP-0066 media links one message may carry, and the longest link (what the providers take). */
  media: { maxCount: number; maxUrlLength: number };
}

/**
 * How a network that gives users an address of their own (an SMS number, a
 * mail address) names it to them: registration (XEP-0077) and admin
 * commands (XEP-0050) are written in these words.
 */
export interface OwnershipWording extends OwnershipTerms {
  /** With its article: 'a number', 'an address'. */
  aNoun: string;
  /** The registration form field: var and label. */
  field: { var: string; label: string };
  /** What an address is for, after "you": 'send texts'. */
  sendPhrase: string;
  /** Admin command form label for an address. */
  adminLabel: string;
}

/** Users' own addresses on a network: the words, the configured seeds and pool, and how an admin's input is read. */
export interface Ownership<C> {
  wording: OwnershipWording;
  /** Config assignments, address -> owner bare JID. */
  configured(config: C): Record<string, string>;
  /** Addresses users may claim (XEP-0077). */
  pool(config: C): readonly string[];
  /** An address as an admin typed it -> canonical form. */
  parse(input: string): AddressResult;
  /** Whether sending needs an address of one's own (a real SMS provider needs a From number). */
  required(config: C): boolean;
  /**
   * Who may claim a pool address themselves (XEP-0077) and how often:
   * `allow` (domains and bare JIDs; undefined = everyone the component
   * serves) and claims per user per UTC day (0 = no limit).
   */
  claims(config: C): { allow: readonly string[] | undefined; perUserPerDay: number };
  /**
   * Addresses users have without registering (email's default addresses),
   * for the users the component serves (`rules`: its access rules, domains
   * and bare JIDs). Undefined where there are none.
   */
  defaults?(config: C, rules: readonly string[]): DefaultAddresses | undefined;
}

/**
 * The contacts of a network whose contacts are a configured list (webhook
 * endpoints) rather than every valid address.
 */
export interface ContactDirectory {
  /** What disco shows as the contact's name, or undefined when there is no such contact. */
  describe(address: string): string | undefined;
  /** Why a valid address is no contact here, for the error stanza. */
  unknown(address: string): string;
}

export interface PolicyDeps {
  redis: RedisClient;
  prefix: string;
  metrics: GatewayMetrics;
}

export interface NetworkProfile<C extends ComponentConfig = ComponentConfig> {
  network: Network;
  identity: NetworkIdentity;
  defaults: NetworkDefaults;
  /** The contact address codec, with the component's options. */
  codec(config: C): AddressCodec;
  /** Present where users own gateway addresses: turns on XEP-0077 registration and the admin commands. */
  ownership?: Ownership<C>;
  /** The network's own outbound rules (SMS: segments and pacing per number). */
  outboundPolicy?(config: C, deps: PolicyDeps): OutboundPolicy;
  /** Where only configured contacts exist (webhook endpoints): the list. Absent or undefined: every valid address is a contact. */
  contacts?(config: C): ContactDirectory | undefined;
  /** Group chat rooms (XEP-0045) the component sits in: `localpart@<domain>` joins `room` as `nick`. */
  rooms?(config: C): RoomSeatPlan[];
}

/** One room the component joins, as its network's config names it. */
export interface RoomSeatPlan {
  localpart: string;
  room: string;
  nick: string;
}
