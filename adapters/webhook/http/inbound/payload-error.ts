import { GatewayError } from '../../../../src/errors/registry.js';

/** A payload the hook's format cannot read: 422 with the reason. */
export function payloadInvalid(format: string, reason: string): GatewayError {
  return new GatewayError('PAYLOAD_INVALID', `not a ${format} payload: ${reason}`);
}

/** The object at the top of a JSON payload, or a 422. */
export function objectPayload(format: string, payload: unknown): Record<string, unknown> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw payloadInvalid(format, 'expected a JSON object');
  return payload as Record<string, unknown>;
}

/** A string field, or undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A nested field by path, or undefined. */
export function at(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
