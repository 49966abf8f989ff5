/**
 * Who sends from which gateway number (sms). Ownership lives in Redis so
 * every process sees one truth and XEP-0077 claims and admin commands take
 * effect at once; the config's `numbers` are written over it at start
 * (config wins), and `numberPool` lists the numbers users may claim.
 *
 * Keys: `<prefix>:numbers:<domain>` number -> owner bare JID, and
 * `<prefix>:owners:<domain>` owner -> number (one number per user).
 */
import type { Redis } from 'ioredis';
import { GatewayError } from '../errors/registry.js';
import { stored } from './unavailable.js';

/** Atomically gives ARGV[1] (owner) the number ARGV[2]; frees the owner's old number and the number's old owner. */
const ASSIGN = `
local numbers, owners, owner, number = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local previousOwner = redis.call('HGET', numbers, number)
if previousOwner then redis.call('HDEL', owners, previousOwner) end
local previousNumber = redis.call('HGET', owners, owner)
if previousNumber then redis.call('HDEL', numbers, previousNumber) end
redis.call('HSET', numbers, number, owner)
redis.call('HSET', owners, owner, number)
return previousOwner or ''
`;

/** Atomically claims ARGV[2] for ARGV[1] only if it is free (or already theirs) and the owner holds no other number. */
const CLAIM = `
local numbers, owners, owner, number = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local current = redis.call('HGET', owners, owner)
if current then return {'owned', current} end
local holder = redis.call('HGET', numbers, number)
if holder and holder ~= owner then return {'taken', holder} end
redis.call('HSET', numbers, number, owner)
redis.call('HSET', owners, owner, number)
return {'claimed', number}
`;

const RELEASE = `
local numbers, owners, owner = KEYS[1], KEYS[2], ARGV[1]
local number = redis.call('HGET', owners, owner)
if not number then return '' end
redis.call('HDEL', owners, owner)
redis.call('HDEL', numbers, number)
return number
`;

export class NumberStore {
  private readonly numbersKey: string;
  private readonly ownersKey: string;
  readonly pool: readonly string[];

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly componentDomain: string,
    private readonly configured: Readonly<Record<string, string>>,
    pool: readonly string[],
  ) {
    this.numbersKey = `${prefix}:numbers:${componentDomain}`;
    this.ownersKey = `${prefix}:owners:${componentDomain}`;
    this.pool = pool;
  }

  /** Writes the config's assignments over whatever Redis holds for those numbers. */
  async applyConfig(): Promise<void> {
    for (const [number, owner] of Object.entries(this.configured)) {
      await this.assign(number, owner);
    }
  }

  /** The owner's gateway number, if any. */
  async numberOf(ownerBareJid: string): Promise<string | undefined> {
    return (await stored(this.redis.hget(this.ownersKey, ownerBareJid.toLowerCase()))) ?? undefined;
  }

  /** The owner of a gateway number, if any. */
  async ownerOf(number: string): Promise<string | undefined> {
    return (await stored(this.redis.hget(this.numbersKey, number))) ?? undefined;
  }

  /** Admin: gives `number` to `owner`, taking it from its previous owner. Returns that previous owner. */
  async assign(number: string, ownerBareJid: string): Promise<string | undefined> {
    const previous = (await stored(this.redis.eval(ASSIGN, 2, this.numbersKey, this.ownersKey, ownerBareJid.toLowerCase(), number))) as string;
    return previous === '' ? undefined : previous;
  }

  /**
   * A user claims a number from the pool: the one named, or the first free
   * one. Throws when the user already has another number, the number is not
   * in the pool or taken, or the pool is exhausted.
   */
  async claim(ownerBareJid: string, wanted?: string): Promise<string> {
    const owner = ownerBareJid.toLowerCase();
    if (wanted !== undefined && !this.pool.includes(wanted)) {
      throw new GatewayError('NOT_FOUND', `${wanted} is not a number you can register on ${this.componentDomain}`);
    }
    const candidates = wanted !== undefined ? [wanted] : await this.freeNumbers();
    if (candidates.length === 0) {
      const current = await this.numberOf(owner);
      if (current !== undefined) return current;
      throw new GatewayError('LIMIT_EXCEEDED', `no free numbers left on ${this.componentDomain}; ask the administrator`);
    }
    for (const number of candidates) {
      const [outcome, value] = (await stored(this.redis.eval(CLAIM, 2, this.numbersKey, this.ownersKey, owner, number))) as [string, string];
      if (outcome === 'claimed') return value;
      if (outcome === 'owned') {
        // Asking again (no particular number) is answered with the number they hold.
        if (value === number || wanted === undefined) return value;
        throw new GatewayError('BAD_REQUEST', `you already have ${value}; remove that registration first`);
      }
      if (wanted !== undefined) throw new GatewayError('NOT_FOUND', `${wanted} is already taken`);
    }
    throw new GatewayError('LIMIT_EXCEEDED', `no free numbers left on ${this.componentDomain}; ask the administrator`);
  }

  /** Releases the owner's number; returns it, or undefined when they had none. */
  async release(ownerBareJid: string): Promise<string | undefined> {
    const number = (await stored(this.redis.eval(RELEASE, 2, this.numbersKey, this.ownersKey, ownerBareJid.toLowerCase()))) as string;
    return number === '' ? undefined : number;
  }

  /** Admin: releases a number whoever holds it; returns the former owner. */
  async releaseNumber(number: string): Promise<string | undefined> {
    const owner = await this.ownerOf(number);
    if (owner === undefined) return undefined;
    await this.release(owner);
    return owner;
  }

  /** Pool numbers nobody holds, in pool order. */
  async freeNumbers(): Promise<string[]> {
    if (this.pool.length === 0) return [];
    const holders = await stored(this.redis.hmget(this.numbersKey, ...this.pool));
    return this.pool.filter((_, i) => holders[i] === null);
  }

  /** Every assignment, number -> owner. */
  async all(): Promise<Record<string, string>> {
    return stored(this.redis.hgetall(this.numbersKey));
  }
}
