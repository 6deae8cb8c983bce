/**
 * SSRF protection for every URL the gateway calls on someone's word: a requesting service's
 * `notificationUrl` and `jwksUri`, a provider's base URL and OAuth token URL.
 *
 * By default the gateway refuses loopback, private (RFC 1918, CGNAT), link-local (cloud metadata
 * at 169.254.169.254), unique-local, multicast, documentation and reserved addresses, in every
 * spelling (IPv4-mapped and NAT64 IPv6, decimal or hex IPv4 as WHATWG URL normalises them), and
 * the metadata and private host names (`metadata.google.internal`, `*.internal`, `localhost`…).
 *
 * Checked twice: when the URL is registered (its host as written) and when the connection is
 * made, on the address DNS answered (a name that resolved to a public address at registration
 * may resolve to 127.0.0.1 later: DNS rebinding). Node connects to the address our lookup
 * returns, so the address checked is the address used.
 *
 * OUTBOUND_ALLOW_LIST names the operator's own internal hosts that may be called anyway: host
 * names, IP addresses or CIDR ranges, each optionally with `:port` (`localhost:3201`,
 * `10.1.0.0/16`, `[fd00::1]:8443`). The demo launcher lists its localhost sandboxes.
 */
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { ApiError } from './problem.js';

export interface AllowEntry {
  /** Lower-case host name, or an address / CIDR (then `net` holds it). */
  host?: string;
  net?: BlockList;
  port?: number;
}

export type AllowList = readonly AllowEntry[];

/** The error code a refused connection fails with (the lookup's error). */
export const OUTBOUND_REFUSED = 'ERR_OUTBOUND_ADDRESS_REFUSED';

const FORBIDDEN_V4: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved (benchmarking)'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const FORBIDDEN_V6: [string, number, string][] = [
  ['::', 96, 'unspecified or IPv4-compatible'],
  ['::ffff:0:0', 96, 'IPv4-mapped'],
  ['64:ff9b::', 96, 'NAT64'],
  ['64:ff9b:1::', 48, 'NAT64'],
  ['100::', 64, 'discard'],
  ['2001::', 23, 'reserved (IETF protocol assignments, Teredo)'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

type Family = 'ipv4' | 'ipv6';
const forbidden: { list: BlockList; why: string; type: Family }[] = [
  ...FORBIDDEN_V4.map(([net, prefix, why]) => ({ net, prefix, why, type: 'ipv4' as Family })),
  ...FORBIDDEN_V6.map(([net, prefix, why]) => ({ net, prefix, why, type: 'ipv6' as Family })),
].map(({ net, prefix, why, type }) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return { list, why, type };
});

/** `::ffff:7f00:1` and `::ffff:127.0.0.1` → `127.0.0.1`; anything else unchanged. */
function unmapped(address: string): string {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return address;
}

/** Why the gateway must not connect to this IP address, or null for a public one. */
export function addressProblem(address: string): string | null {
  const ip = unmapped(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  // A mapped address is judged as the IPv4 address it carries (and refused anyway if private).
  if (ip !== address && family === 4) {
    const inner = forbidden.find((f) => f.type === 'ipv4' && f.list.check(ip, 'ipv4'));
    return inner ? `${inner.why} (IPv4-mapped)` : 'IPv4-mapped';
  }
  if (type === 'ipv4' && ip === '255.255.255.255') return 'broadcast';
  return forbidden.find((f) => f.type === type && f.list.check(ip, type))?.why ?? null;
}

/** Cloud metadata services' names, and the names reserved for private networks. */
const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.tencentyun.com',
  'metadata.platformequinix.com',
]);
const PRIVATE_SUFFIXES = ['.internal', '.local', '.localhost', '.home.arpa', '.intranet', '.lan'];

/** Why a host name (not an address) must not be called, or null. */
export function hostNameProblem(host: string): string | null {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (METADATA_HOSTS.has(name)) return 'a cloud metadata service';
  if (name === 'localhost' || PRIVATE_SUFFIXES.some((s) => name.endsWith(s)))
    return 'a private host name';
  if (!name.includes('.')) return 'a single-label (intranet) host name';
  return null;
}

/** Parses OUTBOUND_ALLOW_LIST; throws an Error naming the bad entry. */
export function parseAllowList(raw: string): AllowEntry[] {
  const entries: AllowEntry[] = [];
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    let host = item;
    let port: number | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?(\/\d+)?$/.exec(item);
    if (bracketed) {
      host = bracketed[1] + (bracketed[3] ?? '');
      port = bracketed[2] ? Number(bracketed[2]) : undefined;
    } else if ((item.match(/:/g) ?? []).length === 1) {
      const [h, p] = item.split(':');
      if (!/^\d+$/.test(p)) throw new Error(`"${item}" has an invalid port`);
      host = h;
      port = Number(p);
    }
    if (port !== undefined && (port < 1 || port > 65535))
      throw new Error(`"${item}" has an invalid port`);
    const [address, prefix] = host.split('/');
    const family = isIP(address);
    if (family) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
        throw new Error(`"${item}" has an invalid prefix length`);
      }
      const net = new BlockList();
      net.addSubnet(address, bits, type);
      entries.push({ net, port });
    } else {
      if (prefix !== undefined || !/^[a-z0-9.-]+$/i.test(host)) {
        throw new Error(`"${item}" is not a host name, an IP address or a CIDR range`);
      }
      entries.push({ host: host.toLowerCase(), port });
    }
  }
  return entries;
}

function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function portMatches(entry: AllowEntry, port: number): boolean {
  return entry.port === undefined || entry.port === port;
}

/** Whether an address (as DNS answered it, or as written) is on the allow list for `port`. */
function addressAllowed(address: string, port: number, allow: AllowList): boolean {
  const ip = unmapped(address.replace(/^\[|\]$/g, ''));
  const type = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
  return allow.some((e) => e.net && portMatches(e, port) && e.net.check(ip, type));
}

function hostAllowed(host: string, port: number, allow: AllowList): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return allow.some((e) => e.host === name && portMatches(e, port));
}

/**
 * Why the gateway must not call `value`, judged on the host as written (registration time, and
 * again before each call for literal addresses, which Node connects to without a lookup).
 */
export function urlTargetProblem(value: string, allow: AllowList): string | null {
  const url = parsedUrl(value);
  return url ? parsedTargetProblem(url, allow) : 'is not a URL';
}

function parsedUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

function parsedTargetProblem(url: URL, allow: AllowList): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = defaultPort(url);
  if (hostAllowed(host, port, allow)) return null;
  if (isIP(host)) {
    if (addressAllowed(host, port, allow)) return null;
    const why = addressProblem(host);
    return why ? `points at a ${why} address (${host})` : null;
  }
  const why = hostNameProblem(host);
  return why ? `points at ${why} (${host})` : null;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http(s) requests to `target` (its host and port): resolves as Node would, then
 * refuses the connection when any address answered is forbidden (unless the host or the address
 * is allow-listed). Node then connects to an address from this very answer.
 */
export function guardedLookup(target: string, allow: AllowList) {
  const url = new URL(target);
  const port = defaultPort(url);
  const hostTrusted = hostAllowed(url.hostname.replace(/^\[|\]$/g, ''), port, allow);
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    // Read at call time: tests stub the DNS answer (no packet leaves the machine).
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (!hostTrusted) {
        for (const { address } of addresses) {
          const why = addressAllowed(address, port, allow) ? null : addressProblem(address);
          if (why) {
            const refusal = Object.assign(
              new Error(`outbound connection refused: ${hostname} resolves to a ${why} address`),
              { code: OUTBOUND_REFUSED },
            );
            return callback(refusal, []);
          }
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      return callback(null, first.address, first.family);
    });
  };
}

/**
 * The two checks before one call: the URL as written (literal addresses are not looked up),
 * then `lookup` for the connection. Throws an Error with code OUTBOUND_REFUSED.
 */
export function outboundRequestOptions(target: string, allow: AllowList) {
  const url = parsedUrl(target);
  const problem = url ? parsedTargetProblem(url, allow) : 'is not a URL';
  if (problem) {
    throw Object.assign(new Error(`outbound connection refused: ${problem}`), {
      code: OUTBOUND_REFUSED,
    });
  }
  return { lookup: lookupFor(url!, target, allow) };
}

type GuardedLookup = ReturnType<typeof guardedLookup>;

/** Per allow-list, the lookup made for each host and port (see lookupFor). */
const lookups = new WeakMap<AllowList, Map<string, GuardedLookup>>();
/** Bound of each map: notification URLs are chosen by the clients. */
const MAX_LOOKUPS = 1024;

/**
 * One lookup per host and port, kept: it holds no state of a call (each call resolves again and
 * checks every address answered). A new function per call made axios remember one more entry
 * per call in its map of lookups (keyed by the function), which V8's young collections keep
 * until a full one: measured with axios as the gateway configures it, one lookup per call cost
 * 4-13 % of the calls per second and 4-5 times the bytes moved to the old generation (a
 * standalone script, 16 calls in flight on keep-alive; issue 14).
 */
function lookupFor(url: URL, target: string, allow: AllowList): GuardedLookup {
  let byHost = lookups.get(allow);
  if (!byHost) {
    byHost = new Map();
    lookups.set(allow, byHost);
  }
  const key = `${url.hostname} ${defaultPort(url)}`;
  let lookup = byHost.get(key);
  if (!lookup) {
    if (byHost.size >= MAX_LOOKUPS) byHost.clear();
    lookup = guardedLookup(target, allow);
    byHost.set(key, lookup);
  }
  return lookup;
}

export function isOutboundRefusal(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  return e?.code === OUTBOUND_REFUSED || e?.cause?.code === OUTBOUND_REFUSED;
}

export const OutboundErrors = {
  /** 400 at registration: the URL points at an internal or metadata target. */
  targetForbidden: (field: string, problem: string) =>
    new ApiError(
      400,
      'url_target_forbidden',
      'URL target forbidden',
      `${field} ${problem}: the gateway does not call internal, loopback, link-local or metadata addresses.`,
      { errors: [{ field, messages: [`${field} ${problem}`] }] },
    ),
};

/** Throws 400 url_target_forbidden naming `field` when `value` points inside. */
export function assertOutboundTarget(
  field: string,
  value: string | null | undefined,
  allow: AllowList,
): void {
  if (value === null || value === undefined) return;
  const problem = urlTargetProblem(value, allow);
  if (problem) throw OutboundErrors.targetForbidden(field, problem);
}
