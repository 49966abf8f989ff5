/**
 * The Twilio SMS/MMS provider.
 *
 * Sending: one Messages API call per outbound message (client.ts), From = the
 * sender's gateway number (resolved at acceptance, else the `numbers` entry
 * their bare JID owns) or the configured Messaging Service, StatusCallback = <publicUrl>/webhooks/<domain>/status.
 * Receiving: Twilio's signed webhooks (webhooks.ts).
 * Failures are classified in errors.ts by the kit's rules (adapters/kit).
 */
import type { ProviderConfig } from '../../../src/config/schema.js';
import { providerSettings } from '../../settings.js';
import { GatewayError } from '../../../src/errors/registry.js';
import type { Adapter, AdapterContext, OutboundMessage, SendOptions, SendResult } from '../../types.js';
import { HttpProviderAdapter } from '../../kit/http-provider.js';
import { createMessage, type CreateMessageRequest, type TwilioCredentials } from './client.js';
import { TWILIO } from './errors.js';
import { twilioWebhooks } from './webhooks.js';
import { senderNumber } from '../sender.js';

type TwilioSettings = ProviderConfig<'twilio'>['twilio'];

export class TwilioAdapter extends HttpProviderAdapter {
  private readonly settings: TwilioSettings;
  private readonly credentials: TwilioCredentials & { apiBaseUrl: string };

  constructor(config: ProviderConfig<'twilio'>) {
    const settings = providerSettings(config, 'twilio');
    super(config.domain, TWILIO, settings.apiBaseUrl);
    this.settings = settings;
    this.credentials = { accountSid: settings.accountSid, authToken: settings.authToken, apiBaseUrl: settings.apiBaseUrl };
  }

  async start(ctx: AdapterContext): Promise<void> {
    this.runtime.start(ctx, ({ publicUrl, logger, emitInbound }) =>
      twilioWebhooks({ authToken: this.settings.authToken, publicUrl, logger, emitInbound: (event) => emitInbound(event) }),
    );
  }

  /** The Messages API request for a message, From being the number the gateway resolved for the sender. */
  request(message: OutboundMessage, publicUrl: string): CreateMessageRequest {
    const from = senderNumber(message);
    return {
      to: message.to,
      ...(this.settings.messagingServiceSid === undefined ? { from } : { messagingServiceSid: this.settings.messagingServiceSid }),
      body: message.body,
      mediaUrls: message.attachments.map((a) => a.url),
      statusCallback: `${publicUrl.replace(/\/+$/, '')}/webhooks/${this.componentDomain}/status`,
    };
  }

  send(message: OutboundMessage, opts: SendOptions): Promise<SendResult> {
    return this.runtime.send(message.id, opts.signal, async (http, ctx) => {
      const created = await createMessage(http, this.credentials, this.request(message, ctx.publicUrl), opts.signal);
      return { providerMessageId: created.sid };
    });
  }
}

export function twilioAdapter(config: ProviderConfig<'twilio'>): Adapter {
  return new TwilioAdapter(config);
}
