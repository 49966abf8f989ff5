/**
 * What the sandbox keeps in Redis, per component, so every gateway process
 * sees the same: the outbox (what users sent, a capped stream), the delivery
 * status an admin gave each sent message, and the inbox (the messages an
 * admin injected as the foreign side, so the console can show both halves
 * of a conversation).
 */
import type { RedisClient } from '../../src/queue/redis.js';

/** Where a sent message stands: `sent` until the admin (or autoDeliver) says delivered or failed. */
export type OutboxStatus = 'sent' | 'delivered' | 'failed';

/** One sent message as the outbox shows it. */
export interface OutboxEntry {
  id: string;
  /** The sender's gateway number/address if they own one, else their bare JID. */
  from: string;
  to: string;
  body: string;
  /** The attachments' URLs (the outbox's shape since 0.1). */
  mediaUrls: string[];
  subject?: string;
  thread?: string;
  senderJid: string;
  attempt: number;
  sentAt: string;
  /** `delivered` at once with `sandbox.autoDeliver`, else `sent` until a status is injected. */
  status: OutboxStatus;
  /** The reason given with a `failed` status. */
  statusReason?: string;
}

/** One message injected as the foreign side (`POST /sandbox/<domain>/inbound`). */
export interface InboxEntry {
  id: string;
  /** The id the message was injected with (the dedupe key). */
  messageId: string;
  from: string;
  to: string;
  body: string;
  receivedAt: string;
}

interface StoredStatus {
  status: OutboxStatus;
  reason?: string;
}

function parsed<T>(fields: string[]): T {
  return JSON.parse(fields[1] ?? '{}') as T;
}

export class SandboxRecords {
  private readonly outboxKey: string;
  private readonly statusKey: string;
  private readonly inboxKey: string;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    /** How many entries the outbox and the inbox keep (oldest dropped first). */
    private readonly limit: number,
  ) {
    this.outboxKey = `${keyPrefix}:outbox`;
    this.statusKey = `${keyPrefix}:outbox-status`;
    this.inboxKey = `${keyPrefix}:inbox`;
  }

  /** Appends a sent message; resolves with its outbox id (the provider message id). */
  async send(entry: Omit<OutboxEntry, 'id'>): Promise<string> {
    const id = await this.redis.xadd(this.outboxKey, 'MAXLEN', '~', String(this.limit), '*', 'entry', JSON.stringify(entry));
    if (id === null) throw new Error('sandbox outbox refused the entry');
    return id;
  }

  /** Sent messages, oldest first, each with its latest status. */
  async outbox(): Promise<OutboxEntry[]> {
    const [rows, statuses] = await Promise.all([this.redis.xrange(this.outboxKey, '-', '+'), this.redis.hgetall(this.statusKey)]);
    return rows.map(([id, fields]) => {
      const entry = { id, ...parsed<Omit<OutboxEntry, 'id'>>(fields) };
      // Entries written before statuses existed have none: they were sent.
      entry.status ??= 'sent';
      const set = statuses[id];
      if (set === undefined) return entry;
      const { status, reason } = JSON.parse(set) as StoredStatus;
      return { ...entry, status, ...(reason === undefined ? {} : { statusReason: reason }) };
    });
  }

  async has(id: string): Promise<boolean> {
    if (!/^\d+-\d+$/.test(id)) return false;
    return (await this.redis.xrange(this.outboxKey, id, id)).length > 0;
  }

  /**
   * Records the status given to outbox entry `id`. Statuses of entries the
   * capped outbox has dropped are pruned when they outnumber it.
   */
  async setStatus(id: string, status: Exclude<OutboxStatus, 'sent'>, reason?: string): Promise<void> {
    const stored: StoredStatus = { status, ...(reason === undefined ? {} : { reason }) };
    await this.redis.hset(this.statusKey, id, JSON.stringify(stored));
    if ((await this.redis.hlen(this.statusKey)) > this.limit) await this.prune();
  }

  private async prune(): Promise<void> {
    const first = await this.redis.xrange(this.outboxKey, '-', '+', 'COUNT', 1);
    const oldest = first[0]?.[0];
    const ids = await this.redis.hkeys(this.statusKey);
    const gone = oldest === undefined ? ids : ids.filter((id) => compareIds(id, oldest) < 0);
    if (gone.length > 0) await this.redis.hdel(this.statusKey, ...gone);
  }

  async receive(entry: Omit<InboxEntry, 'id'>): Promise<void> {
    await this.redis.xadd(this.inboxKey, 'MAXLEN', '~', String(this.limit), '*', 'entry', JSON.stringify(entry));
  }

  /** Injected messages, oldest first. */
  async inbox(): Promise<InboxEntry[]> {
    const rows = await this.redis.xrange(this.inboxKey, '-', '+');
    return rows.map(([id, fields]) => ({ id, ...parsed<Omit<InboxEntry, 'id'>>(fields) }));
  }

  async clearOutbox(): Promise<void> {
    await this.redis.del(this.outboxKey, this.statusKey);
  }

  async clearInbox(): Promise<void> {
    await this.redis.del(this.inboxKey);
  }
}

/** Orders Redis stream ids (`<ms>-<seq>`). */
function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}
