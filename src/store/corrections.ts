/**
 * Stanza ids of messages a later one may correct in place (XEP-0308), per
 * component, recipient and correction key: an alert group's firing message,
 * replaced by its resolved one. Kept a week, like the message map.
 */
import type { RedisClient } from '../queue/redis.js';

const TTL_SECONDS = 7 * 24 * 3600;

export class CorrectionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(domain: string, recipient: string, correctionKey: string): string {
    return `${this.prefix}:lmc:${domain}:${recipient.toLowerCase()}:${correctionKey}`;
  }

  async put(domain: string, recipient: string, correctionKey: string, stanzaId: string): Promise<void> {
    await this.redis.set(this.key(domain, recipient, correctionKey), stanzaId, 'EX', TTL_SECONDS);
  }

  async get(domain: string, recipient: string, correctionKey: string): Promise<string | undefined> {
    return (await this.redis.get(this.key(domain, recipient, correctionKey))) ?? undefined;
  }
}
