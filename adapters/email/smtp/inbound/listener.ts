/**
 * The built-in SMTP listener (an MX for the component's mail domains), on
 * smtp-server (https://nodemailer.com/extras/smtp-server/). Replies follow
 * RFC 5321 §4.2 with enhanced codes (RFC 3463, added by smtp-server):
 *
 * - RCPT for anything but a gateway address: 550 5.1.1, with the reason;
 * - a mail over `maxMessageBytes` (announced with SIZE): 552, with the limit;
 * - too many connections (all, or from one client address): 421;
 *   too many mails from one address in a minute: 451 at MAIL FROM;
 * - DMARC failure under p=reject (when `verifySenders`): 550 with the reason;
 * - 250 to DATA only once every recipient's inbound job is stored in Redis;
 *   451 4.3.0 while it cannot be (Redis down) — the sending MTA retries,
 *   and the Message-ID keeps a retry from being delivered twice.
 *
 * No AUTH (an MX takes mail from anyone for its own addresses, RFC 5321 §2.3.10);
 * STARTTLS only when a certificate is configured.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Logger } from 'pino';
import type { SMTPServer, SMTPServerAddress, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { GatewayError } from '../../../../src/errors/registry.js';
import { lazyPackage } from '../../../../src/lazy-package.js';
import type { GatewayMetrics } from '../../../../src/metrics.js';
import type { SmtpEmailConfig } from '../index.js';
import type { MailDelivery } from './deliver.js';
import type { AttachmentStore } from './files.js';
import { readMail } from './parse.js';
import { checkSender, type DNSResolver, type SenderVerdict } from './sender-auth.js';

const smtpServer = lazyPackage<typeof import('smtp-server')>('smtp-server');

export type ListenerConfig = NonNullable<SmtpEmailConfig['inbound']>;

export interface ListenerDeps {
  config: ListenerConfig;
  /** The component domain: the default greeting name and the metrics label. */
  domain: string;
  isGatewayAddress(address: string): Promise<boolean>;
  delivery: MailDelivery;
  store: AttachmentStore;
  attachments: { maxFileBytes: number; maxMailBytes: number };
  logger: Logger;
  /** DNS for SPF/DKIM/DMARC; tests inject a fake. */
  resolver: DNSResolver;
  /** Longest the sender checks may take before the mail is taken unchecked. Default 15 s. */
  authTimeoutMs?: number;
  metrics?: GatewayMetrics;
  /** Clock for the per-address rate, in ms (tests). */
  now?: () => number;
}

/** An SMTP reply to send instead of the default: smtp-server sends `responseCode` and the message. */
function reply(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

const RATE_WINDOW_MS = 60_000;

export class SmtpListener {
  private readonly server: SMTPServer;
  private readonly connectionsByIp = new Map<string, number>();
  private readonly counted = new Set<string>();
  private readonly mailsByIp = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly log: Logger;
  /** Set when listen() failed: what health() reports. */
  bindError: Error | undefined;

  constructor(private readonly deps: ListenerDeps) {
    this.now = deps.now ?? Date.now;
    this.log = deps.logger.child({ listener: 'smtp' });
    const { config } = deps;
    const tls = config.tls;
    const options: SMTPServerOptions = {
      name: config.hostname ?? deps.domain,
      banner: 'xmpp-gateway ESMTP',
      size: config.maxMessageBytes,
      maxClients: config.maxClients,
      disabledCommands: tls === undefined ? ['AUTH', 'STARTTLS'] : ['AUTH'],
      hideSTARTTLS: tls === undefined,
      authOptional: true,
      disableReverseLookup: true,
      logger: false,
      socketTimeout: 60_000,
      ...(tls === undefined ? {} : { key: readFileSync(tls.key), cert: readFileSync(tls.cert) }),
      onConnect: (session, done) => this.onConnect(session, done),
      onClose: (session) => this.onClose(session),
      onMailFrom: (_address, session, done) => this.onMailFrom(session, done),
      onRcptTo: (address, _session, done) => void this.onRcptTo(address, done),
      onData: (stream, session, done) => void this.onData(stream, session, done),
    };
    this.server = new (smtpServer().SMTPServer)(options);
    this.server.on('error', (err) => this.log.warn({ err }, 'SMTP listener error'));
  }

  /** Binds host:port; resolves either way (a failure is kept for health()). */
  async listen(): Promise<void> {
    const { host, port } = this.deps.config;
    await new Promise<void>((resolve) => {
      const failed = (err: Error) => {
        this.bindError = err;
        this.log.error({ err, host, port }, 'SMTP listener cannot bind; no mail is taken directly');
        resolve();
      };
      this.server.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.server.off('error', failed);
        this.log.info({ host, port: this.port() }, 'SMTP listener ready');
        resolve();
      });
    });
  }

  /** The bound port (the configured one, or the one picked for port 0). */
  port(): number | undefined {
    const address = this.server.server.address();
    return address !== null && typeof address === 'object' ? address.port : undefined;
  }

  async close(): Promise<void> {
    if (this.bindError !== undefined) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnect(session: SMTPServerSession, done: (err?: Error | null) => void): void {
    const ip = session.remoteAddress;
    const open = this.connectionsByIp.get(ip) ?? 0;
    if (open >= this.deps.config.maxConnectionsPerIp) {
      this.log.info({ ip, open }, 'SMTP connection refused: too many from this address');
      return done(reply(421, `4.7.0 too many connections from ${ip} (limit ${this.deps.config.maxConnectionsPerIp}), try again later`));
    }
    this.connectionsByIp.set(ip, open + 1);
    this.counted.add(session.id);
    done();
  }

  private onClose(session: SMTPServerSession): void {
    if (!this.counted.delete(session.id)) return;
    const ip = session.remoteAddress;
    const open = (this.connectionsByIp.get(ip) ?? 1) - 1;
    if (open <= 0) this.connectionsByIp.delete(ip);
    else this.connectionsByIp.set(ip, open);
  }

  private onMailFrom(session: SMTPServerSession, done: (err?: Error | null) => void): void {
    const ip = session.remoteAddress;
    const since = this.now() - RATE_WINDOW_MS;
    const recent = (this.mailsByIp.get(ip) ?? []).filter((t) => t > since);
    if (recent.length >= this.deps.config.messagesPerIpPerMinute) {
      this.mailsByIp.set(ip, recent);
      this.log.info({ ip }, 'SMTP mail deferred: too many from this address this minute');
      return done(reply(451, `4.7.0 too many mails from ${ip} (limit ${this.deps.config.messagesPerIpPerMinute} a minute), try again later`));
    }
    recent.push(this.now());
    this.mailsByIp.set(ip, recent);
    if (this.mailsByIp.size > 10_000) this.forgetQuietAddresses(since);
    done();
  }

  private forgetQuietAddresses(since: number): void {
    for (const [ip, times] of this.mailsByIp) if (!times.some((t) => t > since)) this.mailsByIp.delete(ip);
  }

  private async onRcptTo(address: SMTPServerAddress, done: (err?: Error | null) => void): Promise<void> {
    const rcpt = address.address.toLowerCase();
    try {
      if (await this.deps.isGatewayAddress(rcpt)) return done();
    } catch (err) {
      this.log.warn({ err, rcpt }, 'cannot check a recipient (Redis down?); deferred');
      return done(reply(451, '4.3.0 cannot check recipients right now, try again later'));
    }
    this.log.info({ rcpt }, 'SMTP recipient refused: not a gateway address');
    done(reply(550, `5.1.1 <${rcpt}>: no such address on this gateway`));
  }

  private async onData(stream: SMTPServerDataStream, session: SMTPServerSession, done: (err?: Error | null, message?: string) => void): Promise<void> {
    const envelopeFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
    const recipients = [...new Set(session.envelope.rcptTo.map((r) => r.address.toLowerCase()))];
    const log = this.log.child({ sessionId: session.id, ip: session.remoteAddress, from: envelopeFrom || '<>' });
    const toParser = new PassThrough();
    stream.pipe(toParser);
    let toAuth: PassThrough | undefined;
    if (this.deps.config.verifySenders) {
      toAuth = new PassThrough();
      stream.pipe(toAuth);
    }
    const facts = { ip: session.remoteAddress, helo: session.hostNameAppearsAs || session.clientHostname, sender: envelopeFrom, mta: this.deps.config.hostname ?? this.deps.domain };
    const [read, verdict] = await Promise.allSettled([
      readMail(toParser, { store: this.deps.store, ...this.deps.attachments, envelopeFrom }),
      toAuth === undefined ? Promise.resolve(undefined) : checkSender(toAuth, facts, this.deps.resolver, log, this.deps.authTimeoutMs),
    ]);
    if (read.status === 'rejected') {
      log.warn({ err: read.reason as unknown }, 'cannot read or store a received mail; deferred');
      return done(reply(451, '4.3.0 cannot take this mail right now, try again later'));
    }
    const mail = read.value;
    const sender = verdict.status === 'fulfilled' ? verdict.value : undefined;
    if (stream.sizeExceeded) {
      await this.deps.store.remove(mail.files);
      log.info({ bytes: stream.byteLength }, 'SMTP mail refused: too large');
      return done(reply(552, `5.3.4 message is larger than this gateway takes (${this.deps.config.maxMessageBytes} bytes)`));
    }
    if (sender !== undefined) this.count(sender, log);
    if (sender?.refuse !== undefined) {
      await this.deps.store.remove(mail.files);
      log.info({ messageId: mail.messageId, reason: sender.refuse }, 'SMTP mail refused by DMARC policy');
      return done(reply(550, `5.7.1 ${sender.refuse}`));
    }
    try {
      const outcome = await this.deps.delivery.deliver(mail, { from: envelopeFrom, to: recipients });
      log.info({ messageId: mail.messageId, to: recipients, outcome }, 'SMTP mail accepted');
      done(null, '2.6.0 OK: stored');
    } catch (err) {
      await this.deps.store.remove(mail.files).catch(() => undefined);
      const unavailable = err instanceof GatewayError && err.spec.httpStatus === 503;
      log.warn({ err, messageId: mail.messageId }, unavailable ? 'SMTP mail deferred: cannot store it (Redis down?)' : 'SMTP mail deferred: delivery failed');
      done(reply(451, '4.3.0 cannot store this mail right now, try again later'));
    }
  }

  private count(verdict: SenderVerdict, log: Logger): void {
    // Labelled by component domain: a label per sending domain would grow without bound (anyone can send).
    for (const [check, result] of Object.entries(verdict.results)) this.deps.metrics?.mailAuth.inc({ domain: this.deps.domain, check, result });
    log.info({ senderDomain: verdict.domain, ...verdict.results }, 'sender authentication');
  }
}
