/**
 * The SMS network: contacts are E.164 numbers (or short codes), users send
 * from gateway numbers they own, texts are counted in segments and paced
 * per sending number.
 */
import type { SmsComponentConfig } from '../../config/schema.js';
import { NumberPacer } from '../../store/limits.js';
import type { NetworkProfile } from '../types.js';
import { smsCodec } from './codec.js';
import { destinationOpenToAll, destinationRules } from './destinations.js';
import { countQueuedSegments, smsBodyCheck, smsCost } from './policy.js';

/** Admins may assign short codes too. */
const adminInput = smsCodec({ allowShortCodes: true });

export const smsProfile: NetworkProfile<SmsComponentConfig> = {
  network: 'sms',
  identity: { gatewayType: 'sms', name: 'SMS gateway', contactType: 'sms' },
  defaults: { maxBody: 1600, dailyPerUser: 200, senderRate: { perSecond: 1, burst: 20 }, maxAgeSeconds: 4 * 3600, media: { maxCount: 10, maxUrlLength: 2048 } },
  codec: (c) => smsCodec({ ...(c.defaultRegion === undefined ? {} : { defaultRegion: c.defaultRegion }), allowShortCodes: c.allowShortCodes }),
  ownership: {
    // Redis key names from 0.1, kept so existing assignments stay.
    wording: {
      keys: { byAddress: 'numbers', byOwner: 'owners' },
      noun: 'number',
      aNoun: 'a number',
      field: { var: 'number', label: 'Phone number' },
      sendPhrase: 'send texts',
      adminLabel: 'Gateway number (E.164)',
    },
    configured: (c) => c.numbers,
    pool: (c) => c.numberPool,
    claims: (c) => ({ allow: c.numberPoolAllow, perUserPerDay: c.numberPoolClaimsPerDay }),
    parse: (input) => adminInput.fromUserInput(input),
    // The sandbox stands in for any provider and has no use for a From number.
    required: (c) => c.provider !== 'sandbox',
  },
  outboundPolicy: (c, deps) => ({
    checkBody: smsBodyCheck(c),
    queued: countQueuedSegments(c, deps.metrics),
    checkDestination: destinationRules(c),
    destinationOpenToAll: destinationOpenToAll(c),
    cost: smsCost,
    unit: 'SMS segments',
    pacer: new NumberPacer(deps.redis, deps.prefix, c.domain, c.limits.perNumberPerSecond),
  }),
};
