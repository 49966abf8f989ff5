/**
 * The Twilio SMS/MMS provider.
 *
 * Sending: one Messages API call per outbound message (client.ts), From = the
 * sender's gateway number (resolved at acceptance, else the `numbers` entry
 * their bare JID owns) or the configured Messaging Service, StatusCallback = <publicUrl>/webhooks/<domain>/status.
 * Receiving: Twilio's signed webhooks (webhooks.ts).
 * Failures are classified in errors.ts.
 */
import type { Logger } from 'pino';
import type { ProviderConfig } from '../../../src/config/schema.js';
import { providerSettings } from '../../settings.js';
import { GatewayError } from '../../../src/errors/registry.js';
import type { Adapter, AdapterContext, AdapterHealth, OutboundMessage, SendOptions, SendResult } from '../../types.js';
import { createMessage, type CreateMessageRequest, type TwilioCredentials } from './client.js';
import { TwilioAccountError } from './errors.js';
import { twilioWebhooks } from './webhooks.js';
import { AccountWatch } from '../account-watch.js';
import { senderNumber } from '../sender.js';

type TwilioSettings = ProviderConfig<'twilio'>['twilio'];

export class TwilioAdapter implements Adapter {
  readonly network = 'sms' as const;
  readonly provider = 'twilio';
  readonly componentDomain: string;
  private readonly settings: TwilioSettings;
  private readonly credentials: TwilioCredentials;
  private ctx: AdapterContext | undefined;
  private logger: Logger | undefined;
  /** The last time Twilio refused the account settings, until a send succeeds again. */
  private readonly account = new AccountWatch({ id: 'twilio', name: 'Twilio' }, (err): err is TwilioAccountError => err instanceof TwilioAccountError);

  constructor(config: ProviderConfig<'twilio'>) {
    const settings = providerSettings(config, 'twilio');
    this.componentDomain = config.domain;
    this.settings = settings;
    this.credentials = {
      accountSid: settings.accountSid,
      authToken: settings.authToken,
      apiBaseUrl: settings.apiBaseUrl,
    };
  }

  async start(ctx: AdapterContext): Promise<void> {
    this.ctx = ctx;
    this.logger = ctx.logger;
    ctx.http.webhooks(
      twilioWebhooks({
        authToken: this.settings.authToken,
        publicUrl: ctx.publicUrl,
        logger: ctx.logger,
        emitInbound: (event) => ctx.emitInbound(event),
      }),
    );
  }

  async stop(): Promise<void> {
    this.ctx = undefined;
  }

  /** Does not call Twilio: /readyz runs often and Twilio has no free ping. Reports a refused account as a detail. */
  async health(): Promise<AdapterHealth> {
    return this.account.health(this.ctx !== undefined);
  }

  /** The Messages API request for a message, From being the number the gateway resolved for the sender. */
  request(message: OutboundMessage, publicUrl: string): CreateMessageRequest {
    const from = senderNumber(message);
    return {
      to: message.to,
      ...(this.settings.messagingServiceSid === undefined ? { from } : { messagingServiceSid: this.settings.messagingServiceSid }),
      body: message.body,
      mediaUrls: message.mediaUrls,
      statusCallback: `${publicUrl.replace(/\/+$/, '')}/webhooks/${this.componentDomain}/status`,
    };
  }

  async send(message: OutboundMessage, opts: SendOptions): Promise<SendResult> {
    const ctx = this.ctx;
    if (!ctx) throw new GatewayError('SERVICE_UNAVAILABLE', 'twilio adapter not started');
    return this.account.send(opts.signal, this.logger, message.id, async () => {
      const created = await createMessage(this.credentials, this.request(message, ctx.publicUrl), opts.signal);
      return { providerMessageId: created.sid };
    });
  }

}

export function twilioAdapter(config: ProviderConfig<'twilio'>): Adapter {
  return new TwilioAdapter(config);
}
