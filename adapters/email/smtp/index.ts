/**
 * The smtp email provider. Out: each message becomes a mail through the
 * configured relay (outbound.ts, nodemailer), From the sender's gateway
 * address, threaded with In-Reply-To/References (threads.ts); the relay's 250
 * is the delivery, its 5xx a permanent error, 4xx and lost connections are
 * retried like an MTA would. In: the built-in SMTP listener and Mailgun
 * routes (inbound/), one parsing path for both; bounces become errors on the
 * message that caused them.
 */
import type { ProviderConfig } from '../../../src/config/schema.js';
import { GatewayError } from '../../../src/errors/registry.js';
import type { Adapter, AdapterContext, AdapterHealth, OutboundMessage, SendOptions, SendResult } from '../../types.js';
import { startInbound, type InboundSide } from './inbound/index.js';
import { MailRelay } from './outbound.js';
import { MailThreads } from './threads.js';

export type SmtpEmailConfig = ProviderConfig<'smtp'>;

export class SmtpEmailAdapter implements Adapter {
  readonly network = 'email' as const;
  readonly provider = 'smtp';
  readonly componentDomain: string;
  private relay: MailRelay | undefined;
  private inbound: InboundSide | undefined;

  constructor(private readonly config: SmtpEmailConfig) {
    this.componentDomain = config.domain;
  }

  async start(ctx: AdapterContext): Promise<void> {
    const threads = new MailThreads(ctx.redis, ctx.keyPrefix);
    this.relay = new MailRelay(this.config, { threads, logger: ctx.logger });
    // A send-only process (no http role) leaves the listener and the attachment store to the receiving one.
    if (ctx.listens !== false) this.inbound = await startInbound(this.config, ctx, threads);
  }

  async stop(): Promise<void> {
    await this.inbound?.stop();
    this.relay?.close();
    this.inbound = undefined;
    this.relay = undefined;
  }

  async health(): Promise<AdapterHealth> {
    if (!this.relay) return { ok: false, detail: 'not started' };
    const [relay, inbound] = await Promise.all([this.relay.health(), this.inbound?.health() ?? NOT_LISTENING]);
    const details = [relay.detail, inbound.detail].filter((d): d is string => d !== undefined);
    return { ok: relay.ok && inbound.ok, ...(details.length === 0 ? {} : { detail: details.join('; ') }) };
  }

  async send(message: OutboundMessage, opts: SendOptions): Promise<SendResult> {
    if (!this.relay) throw new GatewayError('SERVICE_UNAVAILABLE', 'email adapter not started');
    return this.relay.send(message, opts);
  }
}

/** Health of the inbound side in a send-only process: nothing to be unwell. */
const NOT_LISTENING: AdapterHealth = { ok: true };

export function smtpEmailAdapter(config: SmtpEmailConfig): Adapter {
  return new SmtpEmailAdapter(config);
}
