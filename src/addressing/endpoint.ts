/**
 * Webhook endpoint names: the localpart of `<name>@hooks.example.org` and the
 * last segment of `POST /webhooks/<domain>/<name>`.
 *
 * A name is 1–64 characters of `a-z 0-9 . _ -`, starting with a letter or a
 * digit (so never `.` or `..` in a URL path). Names are case-insensitive and
 * normalized to lower case, because JID localparts are case-insensitive:
 * the XMPP server may deliver `CI@hooks…` as `ci@hooks…`, and both must name
 * the same endpoint. Every allowed character is legal unescaped in a JID
 * localpart and in a URL path segment, so the name is used as is in both.
 *
 * @module
 */

/** Result of {@link parseEndpointName}. */
export type EndpointParse = { ok: true; name: string } | { ok: false; reason: string };

/** Longest endpoint name. */
export const MAX_ENDPOINT_NAME_LENGTH = 64;
const ENDPOINT_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Checks and normalizes a webhook endpoint name. Surrounding whitespace is
 * ignored; upper case is folded to lower case. Never throws.
 *
 * @example parseEndpointName('ci')            // { ok: true, name: 'ci' }
 * @example parseEndpointName('Build-Alerts')  // { ok: true, name: 'build-alerts' }
 * @example parseEndpointName('team.ops_2')    // { ok: true, name: 'team.ops_2' }
 * @example parseEndpointName('_private')      // { ok: false, reason: 'an endpoint name must start with a letter or a digit' }
 * @example parseEndpointName('a/b')           // { ok: false, reason: 'an endpoint name may only contain a-z, 0-9, ".", "_" and "-" (found "/")' }
 */
export function parseEndpointName(input: string): EndpointParse {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: 'an endpoint name cannot be empty' };
  if (trimmed.length > MAX_ENDPOINT_NAME_LENGTH) {
    return { ok: false, reason: `an endpoint name cannot be longer than ${MAX_ENDPOINT_NAME_LENGTH} characters` };
  }
  // Checked before lower-casing: some non-ASCII letters lower-case to ASCII
  // (U+212A KELVIN SIGN -> 'k').
  const bad = /[^A-Za-z0-9._-]/u.exec(trimmed);
  if (bad !== null) {
    return { ok: false, reason: `an endpoint name may only contain a-z, 0-9, ".", "_" and "-" (found ${JSON.stringify(bad[0])})` };
  }
  const name = trimmed.toLowerCase();
  if (!ENDPOINT_NAME.test(name)) return { ok: false, reason: 'an endpoint name must start with a letter or a digit' };
  return { ok: true, name };
}
