/**
 * What became of stanzas a test client sent: an error stanza carrying the id,
 * a receipt for it (accepted and, with sandbox autoDeliver, sent), an iq
 * result, or nothing yet.
 */
import type { Element, TestClient } from '../helpers/xmpp-client.js';
import { NS_RECEIPTS, sleep } from './support.js';

export type Outcome = { kind: 'error'; stanza: Element } | { kind: 'accepted'; stanza: Element } | { kind: 'result'; stanza: Element };

/** One pass over everything the client received: id -> outcome (first one wins). */
export function outcomesById(client: TestClient): Map<string, Outcome> {
  const map = new Map<string, Outcome>();
  for (const el of client.received) {
    const receiptFor = el.is('message') ? el.getChild('received', NS_RECEIPTS)?.attrs.id : undefined;
    if (typeof receiptFor === 'string') {
      if (!map.has(receiptFor)) map.set(receiptFor, { kind: 'accepted', stanza: el });
      continue;
    }
    const id = el.attrs.id;
    if (typeof id !== 'string' || map.has(id)) continue;
    if (el.attrs.type === 'error') map.set(id, { kind: 'error', stanza: el });
    else if (el.is('iq') && el.attrs.type === 'result') map.set(id, { kind: 'result', stanza: el });
  }
  return map;
}

/** Every stanza the client received carrying this id (to check "exactly one reply"). */
export function repliesWithId(client: TestClient, id: string): Element[] {
  return client.received.filter((el) => el.attrs.id === id);
}

/**
 * Waits until every id has an outcome or `timeoutMs` passes; resolves with
 * the outcomes found (ids without one are missing from the map).
 */
export async function awaitOutcomes(client: TestClient, ids: readonly string[], timeoutMs: number): Promise<Map<string, Outcome>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = outcomesById(client);
    const found = new Map<string, Outcome>();
    for (const id of ids) {
      const o = all.get(id);
      if (o !== undefined) found.set(id, o);
    }
    if (found.size === ids.length || Date.now() > deadline) return found;
    await sleep(50);
  }
}
