/**
 * The load side of a chaos case: messages that carry a unique token in their
 * body, paced senders, and a ledger that follows each token to its end (a
 * delivery at the provider or the client, an error stanza, a refusal).
 */
import type { HttpDouble } from '../doubles/base.js';
import { errorCondition, errorType } from '../support/stanza-errors.js';
import { chat } from '../support/stack.js';
import { sleep } from '../support/waits.js';
import type { ChaosSummary } from './report.js';
import type { Session } from './stack.js';

/** The body of a chaos message carries its token as the last word. */
export function bodyFor(token: string): string {
  return `chaos message ${token}`;
}

export function tokenOf(body: string): string {
  return body.slice(body.lastIndexOf(' ') + 1);
}


/** Runs `fn` for 0..count-1 with at most `parallel` at once, starting one every `intervalMs`. */
export async function paced(count: number, intervalMs: number, parallel: number, fn: (i: number) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    while (running.size >= parallel) await Promise.race(running);
    const p = fn(i).finally(() => running.delete(p));
    running.add(p);
    if (intervalMs > 0) await sleep(intervalMs);
  }
  await Promise.all(running);
}

/**
 * One chaos message in the ledger: how it ended, from the sender's or the
 * receiver's side (not to be confused with support's LedgerEntry, the first
 * answer to one stanza).
 */
export interface LedgerEntry {
  token: string;
  sentAt: number;
  /** Error stanzas for it, with their condition and arrival time. */
  errors: Array<{ type: string; condition: string; at: number }>;
  /** Arrival times of its deliveries (provider double or XMPP client), oldest first. */
  deliveries: number[];
  /** For webhooks: the HTTP status the gateway answered. */
  httpStatus?: number;
}

/** Conditions that mean "not stored, try again": the sender was told at once, so the message was never accepted. */
const REFUSAL_CONDITIONS = new Set(['resource-constraint', 'service-unavailable']);

export function refusal(o: LedgerEntry): LedgerEntry['errors'][number] | undefined {
  return o.errors.find((e) => e.type === 'wait' && REFUSAL_CONDITIONS.has(e.condition));
}

/** Follows messages by a unique token carried in each body. */
export class Ledger {
  readonly outcomes = new Map<string, LedgerEntry>();
  private seq = 0;
  readonly tag: string;

  constructor(readonly name: string) {
    this.tag = Math.random().toString(36).slice(2, 7);
  }

  /** A fresh token, e.g. `kill-x1y2z-u1-0042`; it is the stanza id and the body's last word. */
  next(who: string): string {
    const token = `${this.name}-${this.tag}-${who}-${String(this.seq++).padStart(4, '0')}`;
    this.outcomes.set(token, { token, sentAt: Date.now(), errors: [], deliveries: [] });
    return token;
  }

  get(token: string): LedgerEntry | undefined {
    return this.outcomes.get(token);
  }

  /**
   * Each session (user n) sends `perUser` chat messages to `to`, each with a
   * fresh token `...-u<n>-...`, paced as paced() does.
   */
  async burst(sessions: Session[], to: string, perUser: number, intervalMs: number, parallel: number): Promise<void> {
    await Promise.all(
      sessions.map((s, u) =>
        paced(perUser, intervalMs, parallel, async () => {
          const token = this.next(`u${u + 1}`);
          await s.client.send(chat(to, token, bodyFor(token)));
        }),
      ),
    );
  }

  /** Scans sessions for error stanzas whose id is one of our tokens. */
  collectErrors(sessions: Session[]): void {
    for (const o of this.outcomes.values()) o.errors = [];
    for (const s of sessions) {
      s.stamp();
      for (const el of s.client.received) {
        if (!el.is('message') || el.attrs.type !== 'error') continue;
        const o = this.outcomes.get(String(el.attrs.id));
        if (o === undefined) continue;
        o.errors.push({ type: errorType(el) ?? '?', condition: errorCondition(el) ?? '?', at: s.arrivedAt.get(el) ?? Date.now() });
      }
    }
  }

  /** Outbound: what the provider double accepted, by the token in each body. */
  collectProviderDeliveries(provider: HttpDouble<{ kind: string }>): void {
    for (const o of this.outcomes.values()) o.deliveries = [];
    for (const m of provider.accepted()) {
      const o = this.outcomes.get(tokenOf(m.body));
      o?.deliveries.push(m.at.getTime());
    }
  }

  /** Inbound: chat messages that reached the sessions, by the token in each body. */
  collectXmppDeliveries(sessions: Session[]): void {
    for (const o of this.outcomes.values()) o.deliveries = [];
    for (const s of sessions) {
      s.stamp();
      for (const el of s.client.received) {
        if (!el.is('message') || el.attrs.type === 'error') continue;
        const o = this.outcomes.get(tokenOf(el.getChildText('body') ?? ''));
        o?.deliveries.push(s.arrivedAt.get(el) ?? Date.now());
      }
    }
    for (const o of this.outcomes.values()) o.deliveries.sort((a, b) => a - b);
  }

  /** True when every message has an answer: delivered or an error (refusal included). */
  allAnswered(): boolean {
    return [...this.outcomes.values()].every((o) => o.deliveries.length > 0 || o.errors.length > 0 || (o.httpStatus ?? 200) >= 300);
  }

  summarize(faultEndedAt: number): ChaosSummary {
    const all = [...this.outcomes.values()];
    const accepted = all.filter((o) => refusal(o) === undefined && (o.httpStatus ?? 200) < 300);
    const refused = all.filter((o) => !accepted.includes(o));
    const delivered = all.filter((o) => o.deliveries.length > 0);
    const errored = all.filter((o) => o.errors.length > 0 || (o.httpStatus ?? 200) >= 300);
    const lost = accepted.filter((o) => o.deliveries.length === 0 && o.errors.length === 0);
    const duplicated = all.reduce((n, o) => n + Math.max(0, o.deliveries.length - 1), 0);
    const firstAfter = all
      .map((o) => o.deliveries.find((t) => t >= faultEndedAt))
      .filter((t): t is number => t !== undefined)
      .sort((a, b) => a - b)[0];
    const lastFirstDelivery = Math.max(faultEndedAt, ...delivered.map((o) => o.deliveries[0] ?? 0));
    // Nothing left to deliver after the fault counts as recovered at once.
    const recoveryMs = firstAfter === undefined ? (lost.length === 0 ? 0 : Number.POSITIVE_INFINITY) : firstAfter - faultEndedAt;
    return {
      name: this.name,
      sent: all.length,
      accepted: accepted.length,
      refused: refused.length,
      delivered: delivered.length,
      errored: errored.length,
      duplicated,
      lost: lost.map((o) => o.token),
      // Refused at once, yet stored and delivered after all: not a loss, but the sender was told otherwise.
      refusedButDelivered: refused.filter((o) => o.deliveries.length > 0).map((o) => o.token),
      erroredAndDelivered: accepted.filter((o) => o.errors.length > 0 && o.deliveries.length > 0).map((o) => o.token),
      recoveryMs,
      drainedMs: lastFirstDelivery - faultEndedAt,
    };
  }
}
