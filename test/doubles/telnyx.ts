/**
 * The Telnyx double (./telnyx/server.ts), its wire format (./telnyx/wire.ts)
 * and its webhook signing (./telnyx/signing.ts), from one import.
 */
export { TelnyxDouble } from './telnyx/server.js';
export { rawPublicKeyBase64, signTelnyxWebhook, type SignedWebhook, type SigningOptions } from './telnyx/signing.js';
export {
  inboundPayload,
  outboundPayload,
  telnyxEvent,
  validateSendRequest,
  type InboundSms,
  type TelnyxApiErrorEntry,
  type TelnyxDeliveryStatus,
  type TelnyxError,
  type TelnyxFailure,
  type TelnyxRecordedMessage,
} from './telnyx/wire.js';
