/**
 * A received mail -> inbound events: a bounce becomes the delivery status of
 * the mail it returns; any other mail one chat message per gateway
 * recipient, in the XMPP `<thread>` of the mail it answers, with its subject
 * where clients show it, its attachments as XEP-0066 links. Shared by the
 * SMTP listener and the Mailgun route; resolves once every event is stored
 * (emitInbound), rejects when one cannot be (the sender must try again).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AdapterContext, InboundAcceptance } from '../../../types.js';
import type { MailThreads } from '../threads.js';
import { readBounce } from './bounce.js';
import { asAttachment, type AttachmentStore } from './files.js';
import type { ReceivedMail } from './parse.js';
import { cutText, htmlAsText, normalSubject, trimQuoted, withSubjectLine } from './text.js';

export interface MailDeliveryDeps {
  emitInbound: AdapterContext['emitInbound'];
  threads: MailThreads;
  store: AttachmentStore;
  logger: Logger;
  trimQuoted: boolean;
  maxBodyLength: number;
}

export interface Envelope {
  /** MAIL FROM ('' for the null sender). */
  from: string;
  /** Gateway addresses the mail is for (foreign recipients were refused at RCPT). */
  to: string[];
}

export type DeliveryOutcome =
  | { kind: 'message'; outcomes: InboundAcceptance[] }
  | { kind: 'bounce'; outcome: InboundAcceptance | 'unknown-message' | 'not-a-failure' };

/** A thread for a mail that answers nothing the gateway knows: derived from its Message-ID, so a resend lands in the same one. */
export function threadFor(messageId: string): string {
  return `mail-${createHash('sha256').update(messageId).digest('base64url').slice(0, 22)}`;
}

/**
 * A Message-ID for a mail without one, from what identifies it, so the
 * sender's retry after a 451 is still the same message (dedupe).
 */
function fallbackMessageId(mail: ReceivedMail, envelope: Envelope): string {
  const h = createHash('sha256').update(envelope.from).update('\0').update(mail.raw).digest('base64url').slice(0, 32);
  return `${h}@no-message-id.invalid`;
}

export class MailDelivery {
  constructor(private readonly deps: MailDeliveryDeps) {}

  async deliver(mail: ReceivedMail, envelope: Envelope): Promise<DeliveryOutcome> {
    if (mail.bounce) return { kind: 'bounce', outcome: await this.bounce(mail, envelope) };
    return { kind: 'message', outcomes: await this.message(mail, envelope) };
  }

  private async bounce(mail: ReceivedMail, envelope: Envelope): Promise<InboundAcceptance | 'unknown-message' | 'not-a-failure'> {
    const report = readBounce({
      contentType: mail.contentType,
      ...(mail.reportType === undefined ? {} : { reportType: mail.reportType }),
      envelopeFrom: envelope.from,
      ...(mail.from === undefined ? {} : { headerFrom: mail.from }),
      ...(mail.subject === undefined ? {} : { subject: mail.subject }),
      ...(mail.messageId === undefined ? {} : { messageId: mail.messageId }),
      text: mail.text ?? (mail.html === undefined ? '' : htmlAsText(mail.html)),
      raw: mail.raw,
    });
    const log = this.deps.logger.child({ bounce: mail.messageId, from: envelope.from || '<>' });
    if (report === undefined) {
      log.info('delivery report that is no failure (delay or success notice) dropped');
      return 'not-a-failure';
    }
    const original = report.originalMessageId;
    // Only a mail the gateway sent has a thread entry (the relay records each one): anything else is not ours to report.
    if (original === undefined || (await this.deps.threads.threadOf([original])) === undefined) {
      log.info({ original: original ?? null, diagnostic: report.diagnostic }, 'bounce for a mail the gateway does not know; dropped');
      return 'unknown-message';
    }
    const outcome = await this.deps.emitInbound({ kind: 'status', providerMessageId: original, status: 'failed', reason: report.diagnostic });
    log.info({ original, diagnostic: report.diagnostic, outcome: outcome.outcome }, 'bounce stored as a delivery failure');
    return outcome;
  }

  private async message(mail: ReceivedMail, envelope: Envelope): Promise<InboundAcceptance[]> {
    const messageId = mail.messageId ?? fallbackMessageId(mail, envelope);
    const from = mail.from ?? (envelope.from === '' ? undefined : envelope.from.toLowerCase());
    if (from === undefined) {
      this.deps.logger.info({ messageId }, 'mail without a sender address dropped');
      return [{ outcome: 'dropped', reason: 'the mail names no sender' }];
    }
    const known = await this.deps.threads.threadOf(mail.parents);
    const thread = known ?? threadFor(messageId);
    const threadSubject = known === undefined ? undefined : (await this.deps.threads.state(known))?.subject;
    const subject = mail.subject;
    const showSubject = subject !== undefined && (known === undefined || normalSubject(subject) !== normalSubject(threadSubject));

    let text = mail.text ?? (mail.html === undefined ? '' : htmlAsText(mail.html));
    if (this.deps.trimQuoted) text = trimQuoted(text);
    else text = text.trim();
    if ([...text].length > this.deps.maxBodyLength) {
      const whole = await this.deps.store.saveText(mail.text ?? text, 'message.txt');
      mail.files.push(whole);
      text = `${cutText(text, this.deps.maxBodyLength)}\n(the whole text: ${whole.url})`;
    }
    if (showSubject) text = withSubjectLine(text, subject);
    for (const r of mail.refused) text += `\n[attachment not kept: ${r.name}, ${r.reason}]`;

    const outcomes: InboundAcceptance[] = [];
    for (const to of envelope.to) {
      outcomes.push(
        await this.deps.emitInbound({
          kind: 'message',
          // Message-ID and recipient: a retry after a partial failure stores only the missing ones, and a sender
          // that splits one mail into a transaction per recipient still reaches each.
          id: `${messageId} ${to}`,
          from,
          to,
          body: text,
          ...(subject === undefined ? {} : { subject }),
          thread,
          attachments: mail.files.map(asAttachment),
        }),
      );
    }
    await this.deps.threads.record(messageId, thread, subject, 'received');
    return outcomes;
  }
}
