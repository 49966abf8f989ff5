/**
 * How an outbound message is stored as its job's data. Every queued message
 * is a Redis hash whose data field Redis keeps as it is, so the stored form
 * holds nothing that can be derived and leaves out what is empty:
 *
 * | key | OutboundMessage field | left out when |
 * |---|---|---|
 * | s | senderJid | never |
 * | t | to | never |
 * | c | contactJid | it is `<to>@<componentDomain>` (every SMS contact) |
 * | f | from | absent |
 * | b | body | never |
 * | u | subject | absent |
 * | h | thread | absent |
 * | n | nick (XEP-0172) | absent |
 * | m | attachments | none |
 * | i | stanzaId | '' |
 * | r | receiptRequested (1) | false |
 * | a | acceptedAt | always (the job's own timestamp; jobs stored before 0.3 carry it) |
 * | q | paced: the slot as ms after acceptedAt, or [that, attempt] after the first attempt | absent |
 *
 * The slot is stored relative to acceptedAt, not as a date: 13 digits
 * shorter. Redis keeps a data field of up to 252 bytes in a 256-byte
 * allocation and a longer one in 320 bytes; the bench's 140-character SMS
 * still comes out at 246-259 bytes, and a client's UUID stanza id puts it
 * over, so this saves JSON, not always an allocation size.
 * The producer measures the offset from the bridge's acceptance time and the
 * job's timestamp is taken a moment later, so the slot read back is never
 * earlier than the one booked: pacing is never broken, at worst a message
 * waits a millisecond longer.
 *
 * `id` is the job's id, `componentDomain` the queue's and `acceptedAt` the
 * job's timestamp (set as the job is stored, which is when the message is
 * accepted; BullMQ never changes it, so an email's Message-ID derived from
 * it stays the same across retries). The form is told by its `s` key. Jobs
 * stored before (the full OutboundMessage; 0.1's `mediaUrls` instead of
 * `attachments`; 0.2's `v: 2` and `a`; 0.3's `p`, the slot as a date) are
 * still read: see `readOutbound`.
 *
 * Example (an SMS, 140 characters of body): 488 bytes of JSON in the full
 * form, 250 here.
 */
import type { Attachment, OutboundMessage } from '../../adapters/types.js';

export interface StoredOutbound {
  /** 0.2 marked its form with `v: 2`; read, never written. */
  v?: 2;
  s: string;
  t: string;
  c?: string;
  f?: string;
  b: string;
  u?: string;
  h?: string;
  n?: string;
  m?: Attachment[];
  i?: string;
  r?: 1;
  /** 0.2 stored acceptedAt; read, never written (the job's timestamp is it). */
  a?: number;
  /** 0.3 stored the booking as [slot date, attempt]; read, never written. */
  p?: [number, number];
  q?: number | [number, number];
}

/** A job stored by 0.1: bare media links instead of attachments. */
export type LegacyOutbound = Omit<OutboundMessage, 'attachments'> & { attachments?: Attachment[]; mediaUrls?: string[] };

/** What an outbound job's data may be: the current form or one written by an earlier version. */
export type OutboundJobData = StoredOutbound | OutboundMessage | LegacyOutbound;

export function storeOutbound(m: OutboundMessage): StoredOutbound {
  return {
    s: m.senderJid,
    t: m.to,
    ...(m.contactJid === `${m.to}@${m.componentDomain}` ? {} : { c: m.contactJid }),
    ...(m.from === undefined ? {} : { f: m.from }),
    b: m.body,
    ...(m.subject === undefined ? {} : { u: m.subject }),
    ...(m.thread === undefined ? {} : { h: m.thread }),
    ...(m.nick === undefined ? {} : { n: m.nick }),
    ...(m.attachments.length === 0 ? {} : { m: m.attachments }),
    ...(m.stanzaId === '' ? {} : { i: m.stanzaId }),
    ...(m.receiptRequested ? { r: 1 as const } : {}),
    ...(m.paced === undefined ? {} : { q: pacedOffset(m.paced, m.acceptedAt) }),
  };
}

function pacedOffset(paced: { slot: number; attempt: number }, acceptedAt: number): number | [number, number] {
  const offset = paced.slot - acceptedAt;
  return paced.attempt === 1 ? offset : [offset, paced.attempt];
}

function readPaced(data: StoredOutbound, acceptedAt: number): { paced?: { slot: number; attempt: number } } {
  if (data.q !== undefined) {
    const [offset, attempt] = typeof data.q === 'number' ? [data.q, 1] : data.q;
    return { paced: { slot: acceptedAt + offset, attempt } };
  }
  return data.p === undefined ? {} : { paced: { slot: data.p[0], attempt: data.p[1] } };
}

function isStored(data: OutboundJobData): data is StoredOutbound {
  return typeof (data as StoredOutbound).s === 'string';
}

/**
 * The message a job holds, whichever version stored it. The job's id and
 * timestamp and `componentDomain` fill in what the current form leaves to the
 * job and its queue; a job of an earlier form carries them itself.
 */
export function readOutbound(data: OutboundJobData, job: { id?: string | undefined; timestamp: number }, componentDomain: string): OutboundMessage {
  if (!isStored(data)) {
    if (data.attachments !== undefined) return data as OutboundMessage;
    const { mediaUrls, ...rest } = data as LegacyOutbound;
    return { ...rest, attachments: (mediaUrls ?? []).map((url) => ({ url })) };
  }
  const acceptedAt = data.a ?? job.timestamp;
  return {
    id: String(job.id),
    componentDomain,
    senderJid: data.s,
    contactJid: data.c ?? `${data.t}@${componentDomain}`,
    to: data.t,
    ...(data.f === undefined ? {} : { from: data.f }),
    body: data.b,
    ...(data.u === undefined ? {} : { subject: data.u }),
    ...(data.h === undefined ? {} : { thread: data.h }),
    ...(data.n === undefined ? {} : { nick: data.n }),
    attachments: data.m ?? [],
    stanzaId: data.i ?? '',
    receiptRequested: data.r === 1,
    acceptedAt,
    ...readPaced(data, acceptedAt),
  };
}
