/**
 * What became of stanzas a test client sent: an error stanza carrying the id,
 * a receipt for it (accepted and, with sandbox autoDeliver, sent), an iq
 * result, or nothing yet.
 */
import { waitUntil } from './waits.js';
import type { Element, TestClient } from './xmpp-client.js';

export const NS_RECEIPTS = 'urn:xmpp:receipts';

/** What became of one stanza a test client sent, by the first answer carrying its id. */
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
  const found = (): Map<string, Outcome> => {
    const all = outcomesById(client);
    return new Map(ids.flatMap((id) => {
      const o = all.get(id);
      return o === undefined ? [] : [[id, o] as const];
    }));
  };
  await waitUntil(() => found().size === ids.length, timeoutMs, 50);
  return found();
}
