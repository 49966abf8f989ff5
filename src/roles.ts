/**
 * `--roles`: which parts of the gateway one process runs. Roles add up; a
 * process with none of them is not a gateway, so the list may not be empty.
 *
 * @example parseRoles(undefined)              // every role
 * @example parseRoles('all')                  // every role
 * @example parseRoles('component,http')       // XMPP connections and the HTTP receivers, no deliveries
 * @example parseRoles('component,worker')     // every role: the default spelled out before `http` existed
 * @example parseRoles('smtp')                 // throws: --roles: unknown role "smtp" (use component, worker, http or all)
 */

/** Which parts a process runs. Several processes share the work around one Redis. */
export interface Roles {
  /** XMPP connections: stanzas in (accepted into the outbound queue), inbound jobs out as stanzas. */
  component: boolean;
  /** Outbound delivery workers: the calls to providers, SMTP relays and webhook endpoints. */
  worker: boolean;
  /** Inbound receivers: provider webhooks, the SMTP listener, attachment downloads, /sandbox and /admin routes. */
  http: boolean;
}

export const ROLE_NAMES = ['component', 'worker', 'http'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export const ALL_ROLES: Readonly<Roles> = Object.freeze({ component: true, worker: true, http: true });

/**
 * Parses a comma-separated `--roles` value; undefined (no flag) is every
 * role. `component,worker` was the whole gateway before the `http` role
 * existed (HTTP ran in every process): it keeps meaning every role, so
 * deployments that wrote it out do not lose their webhooks.
 */
export function parseRoles(value: string | undefined): Roles {
  if (value === undefined) return { ...ALL_ROLES };
  const names = value.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => n !== 'all' && !(ROLE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    const listed = unknown.map((n) => (n === '' ? 'an empty name' : `"${n}"`)).join(', ');
    throw new Error(`--roles: unknown role ${listed} (use component, worker, http or all, comma-separated)`);
  }
  if (names.includes('all')) return { ...ALL_ROLES };
  const has = (n: RoleName) => names.includes(n);
  if (has('component') && has('worker')) return { ...ALL_ROLES };
  return { component: has('component'), worker: has('worker'), http: has('http') };
}

/** The roles as a `--roles` value, for logs. */
export function describeRoles(roles: Roles): string {
  const on = ROLE_NAMES.filter((n) => roles[n]);
  return on.length === ROLE_NAMES.length ? 'all' : on.join(',');
}
