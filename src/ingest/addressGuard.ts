/**
 * The SSRF guard of feed fetching: which addresses are public, and a check of a host that
 * resolves it once, refuses it if ANY of its addresses is not public, and returns the checked
 * addresses so that the socket is connected to exactly those (a pinned `lookup`): a DNS answer
 * that changes between the check and the connect (rebinding) cannot get through.
 */
import dns from 'node:dns';
import net from 'node:net';
import { abortable, errorCode, FetchError } from './fetchError.ts';

/** Resolves a host name to all its addresses (the shape of `dns.lookup(host, { all: true })`). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;
export interface ResolvedAddress {
  address: string;
  family: number;
}

// ---------------------------------------------------------------------------------------------
// Address classification (the SSRF guard)

interface Range4 {
  base: number;
  bits: number;
  reason: string;
}

function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  const bare = text.split('%')[0] ?? '';
  if (!net.isIPv6(bare)) return undefined;
  const halves = bare.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): number[] | undefined => {
    if (!half) return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? '';
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4(part);
        if (v4 === undefined) return undefined;
        out.push(Math.floor(v4 / 0x10000), v4 % 0x10000);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(part)) return undefined;
        out.push(parseInt(part, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return all.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

const v4 = (text: string, bits: number, reason: string): Range4 => ({ base: parseIPv4(text)!, bits, reason });

/** First match wins: the metadata address before the link-local range that holds it. */
const IPV4_RANGES: readonly Range4[] = [
  v4('169.254.169.254', 32, 'cloud metadata (169.254.169.254)'),
  v4('0.0.0.0', 8, 'unspecified / "this network" (0.0.0.0/8)'),
  v4('10.0.0.0', 8, 'private (10.0.0.0/8)'),
  v4('100.64.0.0', 10, 'carrier-grade NAT (100.64.0.0/10)'),
  v4('127.0.0.0', 8, 'loopback (127.0.0.0/8)'),
  v4('169.254.0.0', 16, 'link-local (169.254.0.0/16)'),
  v4('172.16.0.0', 12, 'private (172.16.0.0/12)'),
  v4('192.0.0.0', 24, 'IETF protocol assignments (192.0.0.0/24)'),
  v4('192.0.2.0', 24, 'documentation (192.0.2.0/24)'),
  v4('192.168.0.0', 16, 'private (192.168.0.0/16)'),
  v4('198.18.0.0', 15, 'benchmarking (198.18.0.0/15)'),
  v4('198.51.100.0', 24, 'documentation (198.51.100.0/24)'),
  v4('203.0.113.0', 24, 'documentation (203.0.113.0/24)'),
  v4('224.0.0.0', 4, 'multicast (224.0.0.0/4)'),
  v4('240.0.0.0', 4, 'reserved / broadcast (240.0.0.0/4)'),
];

function classifyIPv4(value: number): string | undefined {
  for (const range of IPV4_RANGES) {
    const size = 2 ** (32 - range.bits);
    if (Math.floor(value / size) === Math.floor(range.base / size)) return range.reason;
  }
  return undefined;
}

interface Range6 {
  base: bigint;
  bits: number;
  /** A fixed reason, or how to find the IPv4 address embedded in this range. */
  reason: string | { embedded: string; shift: bigint };
}

const v6 = (text: string, bits: number, reason: Range6['reason']): Range6 => ({ base: parseIPv6(text)!, bits, reason });

const IPV6_RANGES: readonly Range6[] = [
  v6('::', 128, 'unspecified (::)'),
  v6('::1', 128, 'loopback (::1)'),
  v6('fd00:ec2::254', 128, 'cloud metadata (fd00:ec2::254)'),
  v6('::ffff:0:0', 96, { embedded: 'IPv4-mapped', shift: 0n }),
  v6('64:ff9b::', 96, { embedded: 'NAT64', shift: 0n }),
  v6('64:ff9b:1::', 48, 'local-use NAT64 (64:ff9b:1::/48)'),
  v6('::', 96, 'IPv4-compatible, deprecated (::/96)'),
  v6('100::', 64, 'discard-only (100::/64)'),
  v6('2001::', 32, 'Teredo (2001::/32)'),
  v6('2001:db8::', 32, 'documentation (2001:db8::/32)'),
  v6('2002::', 16, { embedded: '6to4', shift: 80n }),
  v6('fc00::', 7, 'unique-local (fc00::/7)'),
  v6('fe80::', 10, 'link-local (fe80::/10)'),
  v6('fec0::', 10, 'site-local, deprecated (fec0::/10)'),
  v6('ff00::', 8, 'multicast (ff00::/8)'),
];

function classifyIPv6(value: bigint): string | undefined {
  for (const range of IPV6_RANGES) {
    const shift = BigInt(128 - range.bits);
    if (value >> shift !== range.base >> shift) continue;
    if (typeof range.reason === 'string') return range.reason;
    const inner = Number((value >> range.reason.shift) & 0xffffffffn);
    const reason = classifyIPv4(inner);
    return reason === undefined ? undefined : `${range.reason.embedded} ${reason}`;
  }
  return undefined;
}

/**
 * Why an address must not be fetched (e.g. "loopback (127.0.0.0/8)", "IPv4-mapped private
 * (10.0.0.0/8)"), or undefined for a public address. Something that is not an IP address at all
 * is refused too ("not an IP address").
 */
export function classifyAddress(address: string): string | undefined {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const four = net.isIPv4(text) ? parseIPv4(text) : undefined;
  if (four !== undefined) return classifyIPv4(four);
  const six = parseIPv6(text);
  if (six !== undefined) return classifyIPv6(six);
  return 'not an IP address';
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address) === undefined;
}

/** Canonical form, so that "::1" and "0:0:0:0:0:0:0:1" compare equal in `allowAddresses`. */
function addressKey(address: string): string {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const four = net.isIPv4(text) ? parseIPv4(text) : undefined;
  if (four !== undefined) return `4:${four}`;
  const six = parseIPv6(text);
  return six === undefined ? `?:${text.toLowerCase()}` : `6:${six.toString(16)}`;
}

export interface AddressGuardOptions {
  /** Exact addresses exempt from the guard (a test seam, see {@link FetchRequest.allowAddresses}). */
  allowAddresses?: readonly string[];
  resolve?: Resolver;
  signal?: AbortSignal;
  /** Named in the error (defaults to the host). */
  target?: string;
}

const systemResolve: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true });

/**
 * Resolves `host` (a literal IP is taken as is) and throws a 'blocked-address' FetchError if ANY
 * of its addresses is not public. Returns the checked addresses: connect to these and nothing
 * else. A resolution failure is a retryable 'network' FetchError.
 */
export async function assertPublicAddress(host: string, options: AddressGuardOptions = {}): Promise<ResolvedAddress[]> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const target = options.target ?? host;
  const literal = net.isIP(bare);
  let addresses: ResolvedAddress[];
  if (literal) {
    addresses = [{ address: bare, family: literal }];
  } else {
    try {
      addresses = [...(await abortable((options.resolve ?? systemResolve)(bare), options.signal))];
    } catch (error) {
      if (error instanceof FetchError || options.signal?.aborted) throw error;
      const code = errorCode(error) ?? 'ENOTFOUND';
      throw new FetchError('network', `could not resolve host ${bare} (${code}) for ${target}; check the source's URL, or try again later if DNS is down`, {
        url: target,
        cause: error,
      });
    }
    if (addresses.length === 0) {
      throw new FetchError('network', `could not resolve host ${bare} (no addresses) for ${target}`, { url: target });
    }
  }
  const allowed = new Set((options.allowAddresses ?? []).map(addressKey));
  for (const { address } of addresses) {
    if (allowed.has(addressKey(address))) continue;
    const reason = classifyAddress(address);
    if (reason === undefined) continue;
    const where = literal ? `host ${bare} is` : `host ${bare} resolves to ${address},`;
    throw new FetchError(
      'blocked-address',
      `refusing to fetch ${target}: ${where} a ${reason} address (SSRF guard); mark the source allowLocal: true in the config if this is intended`,
      { url: target },
    );
  }
  return addresses;
}

/** A `lookup` for http.request that answers with the already-checked addresses only. */
export function pinnedLookup(host: string, addresses: readonly ResolvedAddress[]): net.LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    const usable = addresses.filter((a) => wanted === 0 || a.family === wanted);
    const first = usable[0];
    if (!first) {
      const error: NodeJS.ErrnoException = new Error(`no IPv${wanted} address for ${host} among the checked ones`);
      error.code = 'ENOTFOUND';
      callback(error, '', 0);
      return;
    }
    if (options.all)
      callback(
        null,
        usable.map((a) => ({ address: a.address, family: a.family })),
      );
    else callback(null, first.address, first.family);
  };
}
