/**
 * One outbound message -> the mail nodemailer sends: pure, no I/O.
 *
 * - From: the sender's gateway address, with their XEP-0172 nickname as the
 *   display name when the stanza carried one.
 * - To: the contact's address (its domain already in A-label form).
 * - Subject: the stanza's `<subject>`; else the thread's subject ("Re: " +
 *   it when the correspondent set it); else the configured default.
 * - Message-ID `<id@mailDomain>`; in a known thread, In-Reply-To is its
 *   newest mail and References its mails, oldest first (RFC 5322 §3.6.4).
 * - Files fetched from an allowed host are attached; every other XEP-0066
 *   link stays a link in the text.
 *
 * @example
 * composeMail({ message: { from: 'alice.localhost@mail.localhost', nick: 'Alice', to: 'bob@example.net', body: 'hi', ... },
 *               messageId: 'k3j@mail.localhost', thread: undefined, defaultSubject: 'Message via XMPP', files: [], links: [] })
 * // { from: { name: 'Alice', address: 'alice.localhost@mail.localhost' }, to: 'bob@example.net',
 * //   subject: 'Message via XMPP', messageId: '<k3j@mail.localhost>', text: 'hi', attachments: [] }
 */
import type { Attachment, OutboundMessage } from '../../types.js';
import type { ThreadState } from './threads.js';

/** A file fetched from an allowed host, ready to attach. */
export interface FetchedFile {
  /** The XEP-0066 URL it was fetched from. */
  url: string;
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface ComposeInput {
  message: Pick<OutboundMessage, 'from' | 'nick' | 'to' | 'body' | 'subject'>;
  /** The bare Message-ID of this mail (`<local>@<mailDomain>` without brackets). */
  messageId: string;
  /** What the gateway knows of the message's thread, if it has one. */
  thread: ThreadState | undefined;
  defaultSubject: string;
  files: readonly FetchedFile[];
  /** Attachments that stay links in the text. */
  links: readonly Attachment[];
}

/** The fields of nodemailer's sendMail() the gateway sets. */
export interface ComposedMail {
  from: { name: string; address: string };
  to: string;
  subject: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  text: string;
  attachments: Array<{ filename: string; contentType: string; content: Buffer }>;
}

/** Control characters (CR, LF, tabs) never reach a header: a display name or subject is one line. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * The mail's Subject.
 *
 * @example mailSubject('Lunch', undefined, 'Message via XMPP')                              // 'Lunch'
 * @example mailSubject(undefined, { subject: 'Lunch', subjectFrom: 'sent', refs: [] }, 'x')   // 'Lunch'
 * @example mailSubject(undefined, { subject: 'Lunch', refs: [] }, 'x')                        // 'Re: Lunch' (the correspondent's)
 * @example mailSubject(undefined, { subject: 'RE: Lunch', refs: [] }, 'x')                   // 'RE: Lunch' (no second Re:)
 * @example mailSubject(undefined, undefined, 'Message via XMPP')                              // 'Message via XMPP'
 */
export function mailSubject(stanzaSubject: string | undefined, thread: ThreadState | undefined, defaultSubject: string): string {
  const own = stanzaSubject === undefined ? '' : oneLine(stanzaSubject);
  if (own !== '') return own;
  const theirs = thread?.subject === undefined ? '' : oneLine(thread.subject);
  if (theirs !== '') {
    // A subject the gateway sent first is the user's own: a follow-up keeps it as it was.
    if (thread?.subjectFrom === 'sent' || /^re:/i.test(theirs)) return theirs;
    return `Re: ${theirs}`;
  }
  return oneLine(defaultSubject);
}

/**
 * The text part: the body, without a bare link to a file that is now
 * attached (clients put the upload URL in the body too), then each link left
 * as a link that the body does not already show.
 */
export function mailText(body: string, files: readonly FetchedFile[], links: readonly Attachment[]): string {
  const attached = new Set(files.map((f) => f.url));
  const lines = body.split('\n').filter((line) => !attached.has(line.trim()));
  let text = lines.join('\n').trim();
  const extra = links.filter((l) => !text.includes(l.url)).map((l) => (l.name === undefined ? l.url : `${oneLine(l.name)}: ${l.url}`));
  if (extra.length > 0) text = text === '' ? extra.join('\n') : `${text}\n\n${extra.join('\n')}`;
  return text;
}

export function composeMail(input: ComposeInput): ComposedMail {
  const { message, thread } = input;
  if (message.from === undefined) throw new Error('composeMail: the message has no sending address');
  const refs = thread?.refs ?? [];
  const last = refs[refs.length - 1];
  return {
    from: { name: message.nick === undefined ? '' : oneLine(message.nick), address: message.from },
    to: message.to,
    subject: mailSubject(message.subject, thread, input.defaultSubject),
    messageId: `<${input.messageId}>`,
    ...(last === undefined ? {} : { inReplyTo: `<${last}>`, references: refs.map((r) => `<${r}>`) }),
    text: mailText(message.body, input.files, input.links),
    attachments: input.files.map((f) => ({ filename: f.filename, contentType: f.contentType, content: f.content })),
  };
}
