/**
 * The one registry of gateway errors. Each code maps to the XMPP stanza error
 * (RFC 6120 §8.3) it becomes, the HTTP status it becomes, and whether the
 * queue retries it. Code throughout the gateway throws {@link GatewayError}
 * with one of these codes; `component/stanza-errors.ts` and the HTTP error
 * handler are the only places that turn them into wire errors.
 */

/** RFC 6120 §8.3.2 error types. */
export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/** The RFC 6120 §8.3.3 defined conditions the gateway uses. */
export type StanzaErrorCondition =
  | 'bad-request'
  | 'feature-not-implemented'
  | 'forbidden'
  | 'internal-server-error'
  | 'item-not-found'
  | 'jid-malformed'
  | 'not-acceptable'
  | 'not-allowed'
  | 'policy-violation'
  | 'recipient-unavailable'
  | 'registration-required'
  | 'remote-server-timeout'
  | 'resource-constraint'
  | 'service-unavailable'
  | 'undefined-condition';

export interface ErrorSpec {
  condition: StanzaErrorCondition;
  type: StanzaErrorType;
  httpStatus: number;
  /** Whether the outbound queue tries the delivery again. */
  retryable: boolean;
  /**
   * What users read instead of the error's own message, for codes whose
   * messages are written for operators (hosts, ports, raw provider or library
   * errors); the message itself goes to the log.
   */
  publicReason?: string;
}

export const ERROR_REGISTRY = {
  /** The config file is invalid; reported before anything starts. */
  CONFIG_INVALID: { condition: 'internal-server-error', type: 'cancel', httpStatus: 500, retryable: false },
  /** A foreign address (phone number, email, endpoint) is malformed. */
  ADDRESS_INVALID: { condition: 'jid-malformed', type: 'modify', httpStatus: 400, retryable: false },
  /** The sender is not allowed to use this component. */
  SENDER_FORBIDDEN: { condition: 'forbidden', type: 'auth', httpStatus: 403, retryable: false },
  /** The destination is refused by the component's destination rules (toll fraud: premium, satellite, other countries). */
  DESTINATION_FORBIDDEN: { condition: 'forbidden', type: 'cancel', httpStatus: 403, retryable: false },
  /** The sender must register (e.g. own a number) first. */
  REGISTRATION_REQUIRED: { condition: 'registration-required', type: 'auth', httpStatus: 403, retryable: false },
  /** The message body is empty, too long, or otherwise unacceptable for the network. */
  BODY_INVALID: { condition: 'not-acceptable', type: 'modify', httpStatus: 413, retryable: false },
  /** A request is malformed (HTTP body, iq payload). */
  BAD_REQUEST: { condition: 'bad-request', type: 'modify', httpStatus: 400, retryable: false },
  /** No such contact, endpoint, route or record. */
  NOT_FOUND: { condition: 'item-not-found', type: 'cancel', httpStatus: 404, retryable: false },
  /** Admin bearer token missing or wrong. */
  UNAUTHORIZED: { condition: 'not-allowed', type: 'auth', httpStatus: 401, retryable: false },
  /** A provider webhook's signature is missing or does not verify. */
  SIGNATURE_INVALID: { condition: 'not-allowed', type: 'auth', httpStatus: 403, retryable: false },
  /** Redis cannot take the job right now: the sender should retry later. */
  QUEUE_UNAVAILABLE: { condition: 'resource-constraint', type: 'wait', httpStatus: 503, retryable: true },
  /** The gateway is shutting down or a dependency is down. */
  SERVICE_UNAVAILABLE: { condition: 'service-unavailable', type: 'wait', httpStatus: 503, retryable: true },
  /** The provider refused the message for good (invalid recipient, opted out, ...). */
  DELIVERY_REJECTED: { condition: 'recipient-unavailable', type: 'cancel', httpStatus: 422, retryable: false },
  /** The network reported the message undelivered after it was sent. */
  DELIVERY_FAILED: { condition: 'recipient-unavailable', type: 'cancel', httpStatus: 422, retryable: false },
  /** Transient provider failures went on for longer than the network's maximum age. */
  DELIVERY_EXPIRED: { condition: 'remote-server-timeout', type: 'wait', httpStatus: 504, retryable: false },
  /** The provider is failing in a way that may pass (5xx, network error). */
  PROVIDER_TRANSIENT: {
    condition: 'remote-server-timeout',
    type: 'wait',
    httpStatus: 502,
    retryable: true,
    publicReason: 'the provider could not be reached or was failing',
  },
  /** The provider asks us to slow down. */
  RATE_LIMITED: { condition: 'policy-violation', type: 'wait', httpStatus: 429, retryable: true },
  /** A limit the admin configured (daily cap, segments) was reached. */
  LIMIT_EXCEEDED: { condition: 'policy-violation', type: 'modify', httpStatus: 429, retryable: false },
  /** The stanza is of a kind a contact cannot take (e.g. groupchat to a phone). */
  UNSUPPORTED_STANZA: { condition: 'service-unavailable', type: 'cancel', httpStatus: 400, retryable: false },
  /** An HTTP body in a content type the route does not take. */
  MEDIA_TYPE_UNSUPPORTED: { condition: 'bad-request', type: 'modify', httpStatus: 415, retryable: false },
  /** A signed, well-formed request whose payload the hook's format cannot read (e.g. not an Alertmanager payload). */
  PAYLOAD_INVALID: { condition: 'bad-request', type: 'modify', httpStatus: 422, retryable: false },
  /** The request is valid but this gateway does not do that. */
  NOT_IMPLEMENTED: { condition: 'feature-not-implemented', type: 'cancel', httpStatus: 501, retryable: false },
  /** A bug or an unexpected failure. */
  INTERNAL: {
    condition: 'internal-server-error',
    type: 'cancel',
    httpStatus: 500,
    retryable: true,
    publicReason: 'the gateway hit an internal error; the administrator can find the details in its log',
  },
} as const satisfies Record<string, ErrorSpec>;

/** What a user may read of an error: its message, or its code's public reason where messages are for operators. */
export function publicText(err: GatewayError): string {
  return err.spec.publicReason ?? err.message;
}

export type ErrorCode = keyof typeof ERROR_REGISTRY;

/**
 * Every error the gateway raises on purpose. `message` is human-readable and
 * safe to show to users, except for codes with a `publicReason` (transient
 * provider failures, internal errors), whose messages are for the log;
 * `publicText()` picks what a user reads.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** For RATE_LIMITED: how long to wait before the next attempt. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.retryAfterMs = opts.retryAfterMs;
  }

  get spec(): ErrorSpec {
    return ERROR_REGISTRY[this.code];
  }
}

/** Adapter failure that must not be retried: it becomes an error stanza to the sender. */
export class PermanentDeliveryError extends GatewayError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('DELIVERY_REJECTED', message, opts);
    this.name = 'PermanentDeliveryError';
  }
}

/** Adapter failure that should be retried after `retryAfterMs`, without counting as a failed attempt. */
export class RateLimitedError extends GatewayError {
  constructor(message: string, retryAfterMs: number, opts: { cause?: unknown } = {}) {
    super('RATE_LIMITED', message, { ...opts, retryAfterMs });
    this.name = 'RateLimitedError';
  }
}

/** Adapter failure that may pass: retried with backoff. Any non-GatewayError is treated the same. */
export class TransientDeliveryError extends GatewayError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('PROVIDER_TRANSIENT', message, opts);
    this.name = 'TransientDeliveryError';
  }
}

/** Turns anything thrown into a GatewayError; unknown errors become INTERNAL with their message kept. */
export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof Error) return new GatewayError('INTERNAL', err.message, { cause: err });
  return new GatewayError('INTERNAL', String(err));
}
