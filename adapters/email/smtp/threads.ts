/**
 * Mail threads: which XMPP `<thread>` a mail belongs to, and what a follow-up
 * in that thread must say so mail clients keep the conversation together
 * (In-Reply-To, References, the Subject).
 *
 * Keys, under the adapter's prefix:
 *   `<prefix>:mid:<Message-ID>`  -> the thread the mail belongs to
 *   `<prefix>:thread:<thread>`   -> JSON { subject?, refs: Message-IDs, oldest first }
 * Both expire THREAD_TTL_SECONDS after the thread's last mail.
 */
import type { RedisClient } from '../../../src/queue/redis.js';
import { stored } from '../../../src/store/unavailable.js';

/** A conversation quiet this long is forgotten: a reply after it starts a new thread. */
export const THREAD_TTL_SECONDS = 180 * 24 * 3600;

/** RFC 5322 §3.6.4 suggests keeping the first reference and the latest ones when the list grows. */
const MAX_REFERENCES = 20;

export interface ThreadState {
  /** The subject of the conversation, as its first mail (either way) set it. */
  subject?: string;
  /**
   * Who set the subject: `sent` when it came with a mail the gateway sent (a
   * follow-up keeps it), anything else (`received`, or unknown) when the
   * correspondent set it (a follow-up answers it with "Re: ").
   */
  subjectFrom?: 'sent' | 'received';
  /** Message-IDs of the mails in the thread, oldest first, without angle brackets. */
  refs: string[];
}

/** `<abc@host>` -> `abc@host`; Message-IDs are compared without brackets and surrounding space. */
export function bareMessageId(id: string): string {
  return id.trim().replace(/^<|>$/g, '');
}

export class MailThreads {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds = THREAD_TTL_SECONDS,
  ) {}

  private threadKey(thread: string): string {
    return `${this.prefix}:thread:${thread}`;
  }

  private midKey(messageId: string): string {
    return `${this.prefix}:mid:${bareMessageId(messageId)}`;
  }

  async state(thread: string): Promise<ThreadState | undefined> {
    const raw = await stored(this.redis.get(this.threadKey(thread)));
    return raw === null ? undefined : (JSON.parse(raw) as ThreadState);
  }

  /**
   * The thread of the first of `messageIds` the gateway knows (a reply's
   * In-Reply-To first, then its References from the newest back).
   */
  async threadOf(messageIds: readonly string[]): Promise<string | undefined> {
    const ids = messageIds.map(bareMessageId).filter((id) => id !== '');
    if (ids.length === 0) return undefined;
    const found = await stored(this.redis.mget(...ids.map((id) => this.midKey(id))));
    return found.find((t): t is string => t !== null);
  }

  /**
   * Records that mail `messageId` (sent or received) belongs to `thread`:
   * it becomes the newest reference of the thread, and the thread's subject
   * when it has none yet. `origin`: whether the gateway sent the mail or
   * received it (who set the subject).
   */
  async record(messageId: string, thread: string, subject: string | undefined, origin?: 'sent' | 'received'): Promise<void> {
    const id = bareMessageId(messageId);
    const before = await this.state(thread);
    const refs = [...(before?.refs ?? []).filter((r) => r !== id), id];
    const kept = refs.length <= MAX_REFERENCES ? refs : [refs[0] as string, ...refs.slice(refs.length - MAX_REFERENCES + 1)];
    const keepsSubject = before?.subject !== undefined;
    const subjectNow = keepsSubject ? before?.subject : subject;
    const fromNow = keepsSubject ? before?.subjectFrom : origin;
    const state: ThreadState = {
      ...(subjectNow === undefined || subjectNow === '' ? {} : { subject: subjectNow, ...(fromNow === undefined ? {} : { subjectFrom: fromNow }) }),
      refs: kept,
    };
    await stored(
      this.redis
        .multi()
        .set(this.threadKey(thread), JSON.stringify(state), 'EX', this.ttlSeconds)
        .set(this.midKey(id), thread, 'EX', this.ttlSeconds)
        .exec(),
    );
  }
}
