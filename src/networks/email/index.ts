/**
 * The email network: contacts are mail addresses, XEP-0106 escaped
 * (`bob\40example.net@mail.example.org`); users send from gateway mail
 * addresses they own.
 */
import type { EmailComponentConfig } from '../../config/schema.js';
import type { NetworkProfile } from '../types.js';
import { emailCodec } from './codec.js';
import { defaultAddresses } from './defaults.js';

const codec = emailCodec();

export const emailProfile: NetworkProfile<EmailComponentConfig> = {
  network: 'email',
  identity: { gatewayType: 'smtp', name: 'Email gateway', contactType: 'pc' },
  defaults: {
    maxBody: 100_000,
    dailyPerUser: 500,
    senderRate: { perSecond: 2, burst: 30 },
    // A relay that defers mail (4xx) or cannot be reached is retried as long as an MTA would (RFC 5321 §4.5.4.1: 4-5 days).
    maxAgeSeconds: 5 * 24 * 3600,
    media: { maxCount: 20, maxUrlLength: 2048 },
  },
  codec: () => codec,
  ownership: {
    wording: {
      keys: { byAddress: 'addresses', byOwner: 'address-owners' },
      noun: 'address',
      aNoun: 'an address',
      field: { var: 'address', label: 'Mail address' },
      sendPhrase: 'send mail',
      adminLabel: 'Gateway mail address',
    },
    configured: (c) => c.addresses,
    pool: (c) => c.addressPool,
    claims: (c) => ({ allow: c.addressPoolAllow, perUserPerDay: c.addressPoolClaimsPerDay }),
    parse: (input) => codec.fromUserInput(input),
    // A relay needs a From address; the sandbox stands in for any provider and has no use for one.
    required: (c) => c.provider !== 'sandbox',
    defaults: (c, rules) => (c.defaultAddresses ? defaultAddresses(c.mailDomain ?? c.domain, rules) : undefined),
  },
};
