/**
 * Endpoints on loopback or private addresses are refused unless the config
 * says `allowPrivateNetwork: true` for that endpoint: a gateway usually sits
 * inside a network its users cannot reach, and a webhook must not become a
 * way in (SSRF). Checked where the connection is made, after DNS, so a name
 * that resolves (or re-resolves) to a private address is refused too.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['192.0.0.0', 24],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

/**
 * Whether an IP address is loopback, private, link-local or otherwise not a
 * public unicast address. IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as IPv4.
 *
 * @example isPrivateAddress('127.0.0.1')       // true
 * @example isPrivateAddress('::ffff:192.168.1.5') // true
 * @example isPrivateAddress('93.184.216.34')   // false
 */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1] as string, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: refuse
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why a URL's host literal is refused, or undefined (a name is checked at connect time by {@link guardedLookup}). */
export function literalHostRefusal(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && isPrivateAddress(host)) return `${host} is a loopback or private address`;
  return undefined;
}

/** The code of the error {@link guardedLookup} fails a connection with. */
export const PRIVATE_ADDRESS_CODE = 'EPRIVATEADDRESS';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for net.connect that fails the connection when a name resolves to a private address. */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused !== undefined) {
      const e: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${refused.address}, a loopback or private address (set allowPrivateNetwork to allow it)`);
      e.code = PRIVATE_ADDRESS_CODE;
      return callback(e, '');
    }
    if (options.all === true) return callback(null, addresses);
    const first = addresses[0];
    if (first === undefined) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
    return callback(null, first.address, first.family);
  });
}
