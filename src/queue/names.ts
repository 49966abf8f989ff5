/**
 * Queue names and job ids. BullMQ forbids ':' in both, so DESIGN.md's
 * `out:<domain>` is spelled `out/<domain>` here.
 */
import { createHash } from 'node:crypto';

export function outboundQueueName(componentDomain: string): string {
  return `out/${componentDomain}`;
}

export function inboundQueueName(componentDomain: string): string {
  return `in/${componentDomain}`;
}

/** A short stable hash, safe as (part of) a BullMQ job id. */
export function stableId(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\u0000');
  return h.digest('base64url').slice(0, 27);
}

/**
 * Dedupe id of an outbound message: the same stanza (same sender, same id, same
 * contact) retransmitted after a reconnect is queued once. A stanza without an
 * id cannot be recognised again, so it gets a random one.
 */
export function outboundJobId(senderBareJid: string, contactJid: string, stanzaId: string): string {
  if (stanzaId === '') return `o-${stableId(senderBareJid, contactJid, crypto.randomUUID())}`;
  return `o-${stableId(senderBareJid, contactJid, stanzaId)}`;
}
