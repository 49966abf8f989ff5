/**
 * The webhook network: contacts are the configured endpoint names
 * (`deploy@hooks.example.org`); users own no address here. With
 * `provider: http` only the configured endpoints exist (contacts.ts).
 */
import type { WebhookComponentConfig } from '../../config/schema.js';
import type { NetworkProfile } from '../types.js';
import { webhookCodec } from './codec.js';
import { endpointDirectory } from './contacts.js';

const codec = webhookCodec();

export const webhookProfile: NetworkProfile<WebhookComponentConfig> = {
  network: 'webhook',
  identity: { gatewayType: 'http', name: 'Webhook gateway', contactType: 'bot' },
  defaults: { maxBody: 65_536, dailyPerUser: 2000, senderRate: { perSecond: 5, burst: 50 }, maxAgeSeconds: 3600, media: { maxCount: 10, maxUrlLength: 2048 } },
  codec: () => codec,
  contacts: endpointDirectory,
  // Each hook with rooms sits in them as <hook>@<domain>, the JID its groupchat messages come from.
  rooms: (config) =>
    'inbound' in config
      ? Object.entries(config.inbound).flatMap(([name, hook]) => hook.rooms.map((room) => ({ localpart: name, room: room.toLowerCase(), nick: hook.nick ?? name })))
      : [],
};
