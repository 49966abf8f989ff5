/**
 * Who sends from which gateway address: an SMS number, a mail address. One
 * store for every network that gives users an address of their own.
 * Ownership lives in Redis so every process sees one truth and XEP-0077
 * claims and admin commands (XEP-0050) take effect at once; the config's
 * assignments (`numbers`, `addresses`) are written over it at start (config
 * wins), and the pool (`numberPool`) lists the addresses users may claim.
 *
 * Keys (names from the network's OwnershipKeys; sms keeps 0.1's): 
 * `<prefix>:<byAddress>:<domain>` address -> owner bare JID, and
 * `<prefix>:<byOwner>:<domain>` owner -> address (one address per user).
 */
import type { RedisClient } from '../queue/redis.js';
import { GatewayError } from '../errors/registry.js';
import { stored } from './unavailable.js';

/** Atomically gives ARGV[1] (owner) the address ARGV[2]; frees the owner's old address and the address's old owner. */
const ASSIGN = `
local byAddress, byOwner, owner, address = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local previousOwner = redis.call('HGET', byAddress, address)
if previousOwner then redis.call('HDEL', byOwner, previousOwner) end
local previousAddress = redis.call('HGET', byOwner, owner)
if previousAddress then redis.call('HDEL', byAddress, previousAddress) end
redis.call('HSET', byAddress, address, owner)
redis.call('HSET', byOwner, owner, address)
return previousOwner or ''
`;

/** Atomically claims ARGV[2] for ARGV[1] only if it is free (or already theirs) and the owner holds no other address. */
const CLAIM = `
local byAddress, byOwner, owner, address = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local current = redis.call('HGET', byOwner, owner)
if current then return {'owned', current} end
local holder = redis.call('HGET', byAddress, address)
if holder and holder ~= owner then return {'taken', holder} end
redis.call('HSET', byAddress, address, owner)
redis.call('HSET', byOwner, owner, address)
return {'claimed', address}
`;

const RELEASE = `
local byAddress, byOwner, owner = KEYS[1], KEYS[2], ARGV[1]
local address = redis.call('HGET', byOwner, owner)
if not address then return '' end
redis.call('HDEL', byOwner, owner)
redis.call('HDEL', byAddress, address)
return address
`;

/** Addresses are kept lower-case: mail addresses are matched without case, numbers have none. */
const key = (address: string) => address.trim().toLowerCase();

/** How one network names what users own, in Redis keys and in what users read. */
export interface OwnershipTerms {
  /** Redis key names: address -> owner, owner -> address. */
  keys: { byAddress: string; byOwner: string };
  /** What one address is called: 'number', 'address'. */
  noun: string;
  /** Its plural, where adding an s is wrong: 'addresses'. Default `<noun>s`. */
  nouns?: string;
}

/** The plural of the terms' noun: 'numbers', 'addresses'. */
export function pluralNoun(terms: OwnershipTerms): string {
  return terms.nouns ?? `${terms.noun}s`;
}

/**
 * Addresses users of allowed domains have without registering (email's
 * `<user>.<their domain>@<mail domain>`): computed, never stored, and always
 * second to an address held in Redis.
 */
export interface DefaultAddresses {
  /** The default address of a user, or undefined when they have none (not an allowed domain, a localpart no address can carry). */
  addressOf(ownerBareJid: string): string | undefined;
  /** The user whose default address this is, or undefined. */
  ownerOf(address: string): string | undefined;
}

export class OwnershipStore {
  private readonly byAddressKey: string;
  private readonly byOwnerKey: string;
  private readonly noun: string;
  private readonly nouns: string;
  private readonly configured: Readonly<Record<string, string>>;
  readonly pool: readonly string[];

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    readonly componentDomain: string,
    terms: OwnershipTerms,
    configured: Readonly<Record<string, string>>,
    pool: readonly string[],
    private readonly defaults?: DefaultAddresses,
  ) {
    this.byAddressKey = `${prefix}:${terms.keys.byAddress}:${componentDomain}`;
    this.byOwnerKey = `${prefix}:${terms.keys.byOwner}:${componentDomain}`;
    this.noun = terms.noun;
    this.nouns = pluralNoun(terms);
    this.pool = pool.map(key);
    this.configured = Object.fromEntries(Object.entries(configured).map(([address, owner]) => [key(address), owner]));
  }

  /** The Redis hash of owner (lower-cased bare JID) -> address, for the sender checks' one Lua call. */
  get ownersKey(): string {
    return this.byOwnerKey;
  }

  /** Writes the config's assignments over whatever Redis holds for those addresses. */
  async applyConfig(): Promise<void> {
    for (const [address, owner] of Object.entries(this.configured)) {
      await this.assign(address, owner);
    }
  }

  /** The owner's gateway address, if any. */
  async addressOf(ownerBareJid: string): Promise<string | undefined> {
    return (await stored(this.redis.hget(this.byOwnerKey, ownerBareJid.toLowerCase()))) ?? undefined;
  }

  /** The owner of a gateway address, if any. */
  async ownerOf(address: string): Promise<string | undefined> {
    return (await stored(this.redis.hget(this.byAddressKey, key(address)))) ?? undefined;
  }

  /** The address a user sends from: the one they hold, else their default address (where the network gives one). */
  async sendingAddressOf(ownerBareJid: string): Promise<string | undefined> {
    return (await this.addressOf(ownerBareJid)) ?? this.defaults?.addressOf(ownerBareJid.toLowerCase());
  }

  /** Who receives what is sent to a gateway address: its holder, else the user whose default address it is. */
  async recipientOf(address: string): Promise<string | undefined> {
    return (await this.ownerOf(address)) ?? this.defaults?.ownerOf(key(address));
  }

  /**
   * Whether `address` is one of this gateway's: configured, in the pool, or
   * assigned by an admin. Adapters ask this to tell the gateway's own
   * addresses from the foreign ones in what a provider reports.
   */
  async isGatewayAddress(address: string): Promise<boolean> {
    const k = key(address);
    if (k in this.configured || this.pool.includes(k) || this.defaults?.ownerOf(k) !== undefined) return true;
    return (await stored(this.redis.hexists(this.byAddressKey, k))) === 1;
  }

  /** Admin: gives `address` to `owner`, taking it from its previous owner. Returns that previous owner. */
  async assign(address: string, ownerBareJid: string): Promise<string | undefined> {
    const previous = (await stored(this.redis.eval(ASSIGN, 2, this.byAddressKey, this.byOwnerKey, ownerBareJid.toLowerCase(), key(address)))) as string;
    return previous === '' ? undefined : previous;
  }

  /**
   * A user claims an address from the pool: the one named, or the first free
   * one. Throws when the user already has another address, the address is
   * not in the pool or taken, or the pool is exhausted.
   */
  async claim(ownerBareJid: string, wanted?: string): Promise<string> {
    const owner = ownerBareJid.toLowerCase();
    if (wanted !== undefined) wanted = key(wanted);
    if (wanted !== undefined && !this.pool.includes(wanted)) {
      throw new GatewayError('NOT_FOUND', `${wanted} is not a ${this.noun} you can register on ${this.componentDomain}`);
    }
    const candidates = wanted !== undefined ? [wanted] : await this.freeAddresses();
    if (candidates.length === 0) {
      const current = await this.addressOf(owner);
      if (current !== undefined) return current;
      throw new GatewayError('LIMIT_EXCEEDED', `no free ${this.nouns} left on ${this.componentDomain}; ask the administrator`);
    }
    for (const address of candidates) {
      const [outcome, value] = (await stored(this.redis.eval(CLAIM, 2, this.byAddressKey, this.byOwnerKey, owner, address))) as [string, string];
      if (outcome === 'claimed') return value;
      if (outcome === 'owned') {
        // Asking again (no particular address) is answered with the address they hold.
        if (value === address || wanted === undefined) return value;
        throw new GatewayError('BAD_REQUEST', `you already have ${value}; remove that registration first`);
      }
      if (wanted !== undefined) throw new GatewayError('NOT_FOUND', `${wanted} is already taken`);
    }
    throw new GatewayError('LIMIT_EXCEEDED', `no free ${this.nouns} left on ${this.componentDomain}; ask the administrator`);
  }

  /** Releases the owner's address; returns it, or undefined when they had none. */
  async release(ownerBareJid: string): Promise<string | undefined> {
    const address = (await stored(this.redis.eval(RELEASE, 2, this.byAddressKey, this.byOwnerKey, ownerBareJid.toLowerCase()))) as string;
    return address === '' ? undefined : address;
  }

  /** Admin: releases an address whoever holds it; returns the former owner. */
  async releaseAddress(address: string): Promise<string | undefined> {
    const owner = await this.ownerOf(address);
    if (owner === undefined) return undefined;
    await this.release(owner);
    return owner;
  }

  /** Pool addresses nobody holds, in pool order. */
  async freeAddresses(): Promise<string[]> {
    if (this.pool.length === 0) return [];
    const holders = await stored(this.redis.hmget(this.byAddressKey, ...this.pool));
    return this.pool.filter((_, i) => holders[i] === null);
  }

  /** Every assignment, address -> owner. */
  async all(): Promise<Record<string, string>> {
    return stored(this.redis.hgetall(this.byAddressKey));
  }
}
