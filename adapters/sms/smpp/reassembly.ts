/**
 * Reassembles concatenated inbound messages (parts carrying the same
 * reference from the same sender to the same number) in memory.
 *
 * Parts are acknowledged to the SMSC as they arrive, so a part the gateway
 * holds is the gateway's to deliver. When parts are still missing after the
 * timeout, what arrived is delivered with a visible note in place of each
 * missing part rather than dropped: the sender cannot be asked to resend, and
 * the recipient can at least ask. A process restart loses held parts.
 */
import { createHash } from 'node:crypto';
import type { ConcatInfo } from './codec.js';

export interface PartOf {
  /** Foreign sender, as the event's `from`. */
  from: string;
  /** Gateway number, as the event's `to`. */
  to: string;
  concat: ConcatInfo;
  text: string;
}

export interface Assembled {
  key: string;
  /** Stable across SMSC redeliveries: the inbound event id (dedupe key). */
  id: string;
  from: string;
  to: string;
  ref: number;
  refBits: 8 | 16;
  total: number;
  /** seq -> text of the parts held. */
  parts: Map<number, string>;
  firstAt: number;
  /** Delivery attempts of a timed-out partial message so far. */
  flushAttempts: number;
}

/** Note shown in place of a part that never arrived. */
export function missingNote(seq: number, total: number): string {
  return `[part ${seq} of ${total} did not arrive]`;
}

/** The body of an assembled (or partial) message: parts in order, notes for gaps. */
export function assembledText(a: Pick<Assembled, 'parts' | 'total'>): string {
  let body = '';
  for (let seq = 1; seq <= a.total; seq++) body += a.parts.get(seq) ?? missingNote(seq, a.total);
  return body;
}

/**
 * The inbound id of a concatenated message: a hash of sender, number,
 * reference (with its width) and part count, as the brief for dedupe asks,
 * plus the text, because an 8-bit reference repeats after 256 long messages
 * from the same sender and the gateway keeps inbound ids for a day.
 */
export function concatenatedId(from: string, to: string, concat: Pick<ConcatInfo, 'ref' | 'refBits' | 'total'>, body: string): string {
  const digest = createHash('sha256')
    .update([from, to, `${concat.refBits}:${concat.ref}`, String(concat.total), body].join('\u0000'))
    .digest('hex');
  return `smpp-c-${digest.slice(0, 32)}`;
}

export class Reassembler {
  private readonly pending = new Map<string, Assembled>();

  constructor(
    private readonly opts: { timeoutMs: number; maxPending?: number; now?: () => number },
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  get size(): number {
    return this.pending.size;
  }

  /** Adds a part; returns the whole message once every part is there (and forgets it). */
  add(part: PartOf): Assembled | undefined {
    const key = `${part.from}|${part.to}|${part.concat.refBits}:${part.concat.ref}|${part.concat.total}`;
    let entry = this.pending.get(key);
    if (entry === undefined) {
      const { ref, refBits, total } = part.concat;
      entry = { key, id: '', from: part.from, to: part.to, ref, refBits, total, parts: new Map(), firstAt: this.now(), flushAttempts: 0 };
      this.pending.set(key, entry);
      this.evictOverflow();
    }
    entry.parts.set(part.concat.seq, part.text);
    if (entry.parts.size < entry.total) return undefined;
    this.pending.delete(key);
    return this.withId(entry);
  }

  /** Puts an assembled message back without one part (its delivery failed; the SMSC resends that part). */
  putBack(assembled: Assembled, withoutSeq: number): void {
    const parts = new Map(assembled.parts);
    parts.delete(withoutSeq);
    if (parts.size === 0) return;
    const existing = this.pending.get(assembled.key);
    if (existing === undefined) {
      this.pending.set(assembled.key, { ...assembled, id: '', parts });
      return;
    }
    for (const [seq, text] of parts) if (!existing.parts.has(seq)) existing.parts.set(seq, text);
  }

  /** Keeps a partial message whose delivery failed for the next sweep. */
  retryLater(partial: Assembled): void {
    this.pending.set(partial.key, { ...partial, flushAttempts: partial.flushAttempts + 1 });
  }

  /** Removes and returns the messages still incomplete after the timeout, oldest first. */
  expired(): Assembled[] {
    const cutoff = this.now() - this.opts.timeoutMs;
    const out: Assembled[] = [];
    for (const [key, entry] of this.pending) {
      if (entry.firstAt > cutoff) continue;
      this.pending.delete(key);
      out.push(this.withId(entry));
    }
    return out;
  }

  private withId(entry: Assembled): Assembled {
    return { ...entry, id: concatenatedId(entry.from, entry.to, entry, assembledText(entry)) };
  }

  /** Bounds memory against senders that never finish: beyond the cap, the oldest go out (partial) at the next sweep. */
  private evictOverflow(): void {
    let over = this.pending.size - (this.opts.maxPending ?? 10_000);
    for (const entry of this.pending.values()) {
      if (over-- <= 0) return;
      entry.firstAt = Number.NEGATIVE_INFINITY;
    }
  }
}
