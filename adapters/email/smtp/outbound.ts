/**
 * The relay side of the smtp provider: each outbound message becomes one mail
 * handed to the configured relay over nodemailer's pooled SMTP transport
 * (transport.ts), composed by compose.ts, with files from allowed hosts
 * attached (attachments.ts). The relay's 250 is the delivery (a requested
 * receipt goes then); its 5xx a permanent error carrying its reply; a 4xx or
 * a lost connection is retried (relay-errors.ts).
 *
 * Every mail's Message-ID is `<id@mailDomain>`, the id derived from the
 * outbound message (its job id and acceptance time), so a retry of the same
 * message sends the same Message-ID and a receiver can tell the copies
 * apart from new mail. The bare Message-ID is the provider message id:
 * bounces name it, and the thread store maps it to the XMPP `<thread>`.
 */
import { createHash, randomUUID } from 'node:crypto';
import type nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import { PermanentDeliveryError } from '../../../src/errors/registry.js';
import { lazyPackage } from '../../../src/lazy-package.js';
import { throwIfAborted } from '../../kit/abort.js';
import { AccountError } from '../../kit/account.js';
import type { AdapterHealth, OutboundMessage, SendOptions, SendResult } from '../../types.js';
import { gatherAttachments, type FetchRules } from './attachments.js';
import { composeMail, type ComposedMail } from './compose.js';
import type { SmtpEmailConfig } from './index.js';
import { relayFailure } from './relay-errors.js';
import type { MailThreads } from './threads.js';
import { relayName, relayOptions } from './transport.js';

const mailer = lazyPackage<typeof nodemailer>('nodemailer');

export interface RelayDeps {
  threads: MailThreads;
  logger: Logger;
}

/** What the relay needs of a nodemailer transporter (tests may hand in another). */
export interface MailTransport {
  sendMail(mail: ComposedMail): Promise<{ response?: string }>;
  verify(): Promise<unknown>;
  close(): void;
}

/** How long a known relay state (from a send or a check) answers health() before the relay is checked again. */
const HEALTH_FRESH_MS = 60_000;
/** How long a first health() waits for the relay check before answering without it (the check goes on). */
const HEALTH_WAIT_MS = 5_000;
/** The longest a file fetch may take, whatever the relay's timeout. */
const MAX_FETCH_MS = 30_000;

/**
 * The bare Message-ID of the mail for `m`: the same for every attempt at one
 * message, different for every message (RFC 5322 §3.6.4: globally unique).
 *
 * @example messageIdOf({ id: 'o-1', acceptedAt: 1700000000000 }, 'mail.example.org')  // 'Xk3…(26 chars)@mail.example.org'
 */
export function messageIdOf(m: Pick<OutboundMessage, 'id' | 'acceptedAt'>, mailDomain: string): string {
  const local = createHash('sha256').update(`${m.id}\n${m.acceptedAt}`).digest('base64url').slice(0, 26);
  return `${local}@${mailDomain}`;
}

export class MailRelay {
  private readonly transport: MailTransport;
  private readonly relay: string;
  private readonly mailDomain: string;
  private readonly fetchRules: FetchRules;
  private lastKnown: (AdapterHealth & { at: number }) | undefined;
  private checking: Promise<AdapterHealth> | undefined;
  /** What health() answers while a first check outlasts HEALTH_WAIT_MS. */
  private unanswered: AdapterHealth | undefined;

  constructor(
    readonly config: SmtpEmailConfig,
    private readonly deps: RelayDeps,
    transport?: MailTransport,
  ) {
    this.mailDomain = (config.mailDomain ?? config.domain).toLowerCase();
    this.relay = relayName(config.smtp.url);
    this.transport = transport ?? mailer().createTransport(relayOptions(config.smtp, this.mailDomain));
    this.fetchRules = {
      hosts: new Set(config.attachments.fetchHosts.map((h) => h.toLowerCase())),
      maxBytes: config.attachments.fetchMaxBytes,
      timeoutMs: Math.min(config.smtp.timeoutMs, MAX_FETCH_MS),
    };
  }

  async send(message: OutboundMessage, opts: SendOptions): Promise<SendResult> {
    throwIfAborted(opts.signal, 'smtp');
    const log = this.deps.logger.child({ id: message.id });
    if (message.from === undefined) {
      throw new PermanentDeliveryError(`not sent: you have no mail address on ${this.config.domain} to send from`);
    }
    const thread = message.thread ?? `mail-${randomUUID()}`;
    const state = message.thread === undefined ? undefined : await this.deps.threads.state(message.thread);
    const { files, links } = await gatherAttachments(message.attachments, this.fetchRules, opts.signal);
    for (const link of links) {
      if (this.fetchRules.hosts.size > 0) log.info({ url: link.url, reason: link.reason }, 'attachment left as a link');
    }
    // Fetching may have taken the attempt's time: send nothing half-done.
    throwIfAborted(opts.signal, 'smtp');
    const messageId = messageIdOf(message, this.mailDomain);
    const mail = composeMail({ message, messageId, thread: state, defaultSubject: this.config.smtp.defaultSubject, files, links });
    let response: string | undefined;
    try {
      response = (await this.transport.sendMail(mail)).response;
    } catch (thrown) {
      const failure = relayFailure(thrown, this.relay);
      const reached = typeof (thrown as { responseCode?: unknown }).responseCode === 'number';
      // A reply (even a refusal) means the relay is up; a lost connection or a refused login does not.
      this.lastKnown = reached && !(failure instanceof AccountError) ? { ok: true, at: Date.now() } : { ok: false, detail: failure.message, at: Date.now() };
      throw failure;
    }
    this.lastKnown = { ok: true, at: Date.now() };
    log.info({ messageId, attached: files.length, links: links.length, relay: this.relay, response }, 'mail handed to the relay');
    try {
      await this.deps.threads.record(messageId, thread, mail.subject, 'sent');
    } catch (err) {
      // The mail is gone: failing now would send it again. A reply then starts a new conversation.
      log.warn({ messageId, thread, err: (err as Error).message }, 'mail sent, but its thread could not be recorded');
    }
    return { providerMessageId: messageId, delivered: true };
  }

  /**
   * The relay's state as last seen by a send or a check; checked again
   * (an SMTP connection, EHLO, AUTH, QUIT) only once that is a minute old,
   * so /readyz polling does not hammer the relay.
   */
  async health(): Promise<AdapterHealth> {
    const known = this.lastKnown;
    if (known !== undefined && Date.now() - known.at < HEALTH_FRESH_MS) return stateOf(known);
    this.checking ??= this.transport
      .verify()
      .then(
        (): AdapterHealth => ({ ok: true }),
        (err: unknown): AdapterHealth => ({ ok: false, detail: relayFailure(err, this.relay).message }),
      )
      .then((state) => {
        this.lastKnown = { ...state, at: Date.now() };
        this.checking = undefined;
        this.unanswered = undefined;
        return state;
      });
    // While a check runs, an earlier state answers at once; without one, /readyz waits a little, not the relay's whole timeout.
    if (known !== undefined) return stateOf(known);
    if (this.unanswered !== undefined) return this.unanswered;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<AdapterHealth>((resolve) => {
      timer = setTimeout(() => {
        this.unanswered = { ok: false, detail: `relay ${this.relay}: no answer yet (checking)` };
        resolve(this.unanswered);
      }, HEALTH_WAIT_MS);
      timer.unref();
    });
    try {
      return await Promise.race([this.checking, waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.transport.close();
  }
}

function stateOf(known: AdapterHealth & { at: number }): AdapterHealth {
  return known.detail === undefined ? { ok: known.ok } : { ok: known.ok, detail: known.detail };
}
