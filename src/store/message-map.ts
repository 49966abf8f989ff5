/**
 * Provider message id -> the outbound message it came from, so a delivery
 * status that arrives later (a webhook, an SMPP receipt, a sandbox injection)
 * can be answered to the right sender with the right stanza id.
 */
import type { RedisClient } from '../queue/redis.js';
import type { MessageRef } from '../queue/jobs.js';

/** Providers report delivery within days; older statuses are dropped. */
const TTL_SECONDS = 7 * 24 * 3600;

export class MessageMap {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(domain: string, providerMessageId: string): string {
    return `${this.prefix}:msgmap:${domain}:${providerMessageId}`;
  }

  async put(domain: string, providerMessageId: string, ref: MessageRef): Promise<void> {
    await this.redis.set(this.key(domain, providerMessageId), JSON.stringify(ref), 'EX', TTL_SECONDS);
  }

  async get(domain: string, providerMessageId: string): Promise<MessageRef | undefined> {
    const raw = await this.redis.get(this.key(domain, providerMessageId));
    return raw === null ? undefined : (JSON.parse(raw) as MessageRef);
  }
}
