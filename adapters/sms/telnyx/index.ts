/**
 * The Telnyx SMS/MMS provider.
 *
 * Sending: one Messages API call per outbound message (client.ts), from = the
 * sender's gateway number (the `numbers` entry their bare JID owns),
 * webhook_url = <publicUrl>/webhooks/<domain>/status, messaging_profile_id if
 * configured. Receiving: Telnyx's Ed25519-signed webhooks (webhooks.ts).
 * Failures are classified in errors.ts by the kit's rules (adapters/kit).
 */
import type { KeyObject } from 'node:crypto';
import type { ProviderConfig } from '../../../src/config/schema.js';
import { providerSettings } from '../../settings.js';
import { GatewayError } from '../../../src/errors/registry.js';
import type { Adapter, AdapterContext, OutboundMessage, SendOptions, SendResult } from '../../types.js';
import { HttpProviderAdapter } from '../../kit/http-provider.js';
import { sendMessage, type SendMessageBody } from './client.js';
import { TELNYX } from './errors.js';
import { telnyxPublicKey } from './signature.js';
import { telnyxWebhooks } from './webhooks.js';
import { senderNumber } from '../sender.js';

type TelnyxSettings = ProviderConfig<'telnyx'>['telnyx'];

export class TelnyxAdapter extends HttpProviderAdapter {
  private readonly settings: TelnyxSettings;
  private readonly credentials: { apiKey: string; apiBaseUrl: string };
  private readonly publicKey: KeyObject;

  constructor(config: ProviderConfig<'telnyx'>) {
    const settings = providerSettings(config, 'telnyx');
    super(config.domain, TELNYX, settings.apiBaseUrl);
    this.settings = settings;
    this.credentials = { apiKey: settings.apiKey, apiBaseUrl: settings.apiBaseUrl };
    try {
      this.publicKey = telnyxPublicKey(settings.publicKey);
    } catch (err) {
      throw new GatewayError('CONFIG_INVALID', `components[${config.domain}].telnyx.publicKey: ${(err as Error).message}`, { cause: err });
    }
  }

  async start(ctx: AdapterContext): Promise<void> {
    this.runtime.start(ctx, ({ logger, emitInbound }) =>
      telnyxWebhooks({
        publicKey: this.publicKey,
        isGatewayAddress: (address) => ctx.isGatewayAddress(address),
        logger,
        emitInbound: (event) => emitInbound(event),
      }),
    );
  }

  /** The send request for a message, from the number the gateway resolved for the sender. */
  request(message: OutboundMessage, publicUrl: string): SendMessageBody {
    const from = senderNumber(message);
    const mediaUrls = message.attachments.map((a) => a.url);
    const hasMedia = mediaUrls.length > 0;
    return {
      from,
      to: message.to,
      // An MMS may be media only; an empty text field would be refused (40316 when there is nothing at all).
      ...(message.body !== '' || !hasMedia ? { text: message.body } : {}),
      ...(hasMedia ? { media_urls: mediaUrls } : {}),
      webhook_url: `${publicUrl.replace(/\/+$/, '')}/webhooks/${this.componentDomain}/status`,
      ...(this.settings.messagingProfileId === undefined ? {} : { messaging_profile_id: this.settings.messagingProfileId }),
    };
  }

  send(message: OutboundMessage, opts: SendOptions): Promise<SendResult> {
    return this.runtime.send(message.id, opts.signal, async (http, ctx) => {
      const sent = await sendMessage(http, this.credentials.apiKey, this.request(message, ctx.publicUrl), opts.signal);
      return { providerMessageId: sent.id };
    });
  }
}

export function telnyxAdapter(config: ProviderConfig<'telnyx'>): Adapter {
  return new TelnyxAdapter(config);
}
