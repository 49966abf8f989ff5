/**
 * What an endpoint receives and what it may answer. The body is a Standard
 * Webhooks event: `{ type, timestamp, data }`; its reply is `{"reply": "..."}`
 * or a text/plain body, which comes back to the sender as a message.
 */
import { bare } from '../../../src/addressing/index.js';
import type { Attachment, OutboundMessage } from '../../types.js';
import type { ProviderResponse } from '../../kit/http-client.js';

/** `message.created` as POSTed. `data.id` is also the `webhook-id`, the same on every retry. */
export interface MessageCreated {
  type: 'message.created';
  /** ISO 8601 time of this attempt. */
  timestamp: string;
  data: {
    id: string;
    /** The sender's bare JID. */
    from: string;
    /** The endpoint name. */
    to: string;
    body: string;
    /** The conversation: the stanza's `<thread>`, else the message id (a reply comes back in it). */
    thread: string;
    /** The stanza's `<subject>`, if it had one. */
    subject?: string;
    attachments?: Attachment[];
  };
}

/** The thread a message and its reply share. */
export function threadOf(message: OutboundMessage): string {
  return message.thread ?? message.id;
}

export function messageCreated(message: OutboundMessage, now = new Date()): MessageCreated {
  return {
    type: 'message.created',
    timestamp: now.toISOString(),
    data: {
      id: message.id,
      from: bare(message.senderJid),
      to: message.to,
      body: message.body,
      thread: threadOf(message),
      ...(message.subject === undefined ? {} : { subject: message.subject }),
      ...(message.attachments.length === 0 ? {} : { attachments: message.attachments }),
    },
  };
}

/** Longest reply passed on, in characters; the rest is cut with a note. */
const MAX_REPLY_CHARS = 10_000;

/**
 * The reply in a 2xx answer: `{"reply": "text"}` (application/json) or a
 * text/plain body. Anything else (an empty body, other JSON) is no reply.
 */
export function replyOf(res: ProviderResponse): string | undefined {
  const type = (res.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let text: string | undefined;
  if (type === 'text/plain') text = res.text;
  else if (type === 'application/json' || type.endsWith('+json')) {
    try {
      const parsed = JSON.parse(res.text) as unknown;
      const reply = parsed !== null && typeof parsed === 'object' ? (parsed as { reply?: unknown }).reply : undefined;
      if (typeof reply === 'string') text = reply;
    } catch {
      return undefined;
    }
  }
  if (text === undefined || text.trim() === '') return undefined;
  const chars = [...text];
  return chars.length <= MAX_REPLY_CHARS ? text : `${chars.slice(0, MAX_REPLY_CHARS).join('')}… (reply cut at ${MAX_REPLY_CHARS} characters)`;
}
