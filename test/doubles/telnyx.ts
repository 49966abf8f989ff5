/**
 * The Telnyx double (./telnyx/server.ts), its wire format (./telnyx/wire.ts)
 * and its webhook signing (./telnyx/signing.ts), from one import.
 */
export { TelnyxDouble } from './telnyx/server.js';
export * from './telnyx/signing.js';
export * from './telnyx/wire.js';
