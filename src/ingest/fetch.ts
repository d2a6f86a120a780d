/**
 * Fetching one feed over HTTP(S), with everything a feed fetcher owes the feed's operator and
 * the machine it runs on:
 *
 * - conditional GET (If-None-Match / If-Modified-Since); a 304 reads no body;
 * - `Accept-Encoding: gzip, deflate, br`, decoded as a stream; `maxBytes` bounds both the bytes
 *   received and the decoded bytes, and the transfer is aborted the moment either passes it;
 * - a connect time-out (DNS + connect + TLS + response headers, per request) and a total time-out
 *   (the whole fetch, redirects and a trickling body included);
 * - at most `maxRedirects` redirects (301/302/303/307/308), http and https only;
 * - the SSRF guard: unless the source is marked `allowLocal`, every host (the first URL's and each
 *   redirect target's) is resolved once, refused if ANY of its addresses is not public, and the
 *   socket is then connected to exactly the addresses that were checked (a pinned `lookup`), so a
 *   DNS answer that changes between the check and the connect (rebinding) cannot get through.
 *
 * Every failure is a {@link FetchError} whose `kind` says what happened, whose `retryable` says
 * whether trying again later can help, and whose message names the host, the cause and the fix.
 *
 * Test seams (not configuration): `FetchRequest.allowAddresses` exempts exact addresses from the
 * guard while it stays on for everything else (a test reaches its 127.0.0.1 server and still sees
 * a redirect to 10.0.0.1 refused), and `FetchRequest.resolve` replaces the system resolver.
 */
import dns from 'node:dns';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

export interface FetchLimits {
  /** DNS + connect + TLS + response headers, for each request of the fetch (`fetch.connectTimeoutMs`). */
  connectTimeoutMs: number;
  /** The whole fetch, redirects and body included (`fetch.totalTimeoutMs`). */
  totalTimeoutMs: number;
  /** Largest body, both as received and decoded (`fetch.maxBytes`). */
  maxBytes: number;
  /** Redirects followed before giving up (`fetch.maxRedirects`). */
  maxRedirects: number;
}

/** Resolves a host name to all its addresses (the shape of `dns.lookup(host, { all: true })`). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;
export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface FetchRequest {
  url: string;
  /** Sent as If-None-Match. */
  etag?: string;
  /** Sent as If-Modified-Since. */
  lastModified?: string;
  limits: FetchLimits;
  /** e.g. "paperboy/0.1.0 (+mailto:ops@example.org)": see {@link userAgent}. */
  userAgent: string;
  /** The SSRF guard is off for this source (tests, the demo, feeds on the operator's network). */
  allowLocal: boolean;
  signal?: AbortSignal;
  /**
   * Test seam: exact addresses (e.g. "127.0.0.1") that pass the SSRF guard although they are not
   * public. The guard stays on for every other address, redirect targets included.
   */
  allowAddresses?: readonly string[];
  /** Test seam: replaces `dns.lookup(host, { all: true })` for the SSRF guard. */
  resolve?: Resolver;
}

export type FetchResult =
  | { status: 'not-modified'; url: string }
  | {
      status: 'ok';
      /** The final URL, after redirects. */
      url: string;
      /** The decoded (decompressed) body, bytes as sent: character decoding happens elsewhere. */
      body: Buffer;
      contentType?: string;
      etag?: string;
      lastModified?: string;
    };

export type FetchErrorKind =
  | 'timeout'
  | 'too-large'
  | 'too-many-redirects'
  | 'blocked-address'
  | 'http-status'
  | 'network'
  | 'bad-url';

const RETRYABLE_BY_DEFAULT: Record<FetchErrorKind, boolean> = {
  timeout: true,
  'too-large': false,
  'too-many-redirects': false,
  'blocked-address': false,
  'http-status': false,
  network: true,
  'bad-url': false,
};

export interface FetchErrorOptions {
  retryable?: boolean;
  status?: number;
  url?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

export class FetchError extends Error {
  readonly kind: FetchErrorKind;
  /** Trying again later may succeed (time-outs, network errors, 429 and 5xx). */
  readonly retryable: boolean;
  /** The HTTP status, for `http-status`. */
  readonly status?: number;
  /** The URL being fetched when it failed (a redirect target, possibly). */
  readonly url?: string;
  /** From a Retry-After header (429 / 503), when the server sent one. */
  readonly retryAfterMs?: number;

  constructor(kind: FetchErrorKind, message: string, options: FetchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FetchError';
    this.kind = kind;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT[kind];
    if (options.status !== undefined) this.status = options.status;
    if (options.url !== undefined) this.url = options.url;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

// ---------------------------------------------------------------------------------------------
// User-Agent

const VERSION = readVersion();

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * "paperboy/<version> (+mailto:<contact>)", or "(+<contact>)" when the contact is already a URL
 * (http:, https:, mailto:). Characters that cannot appear in a header comment are dropped.
 */
export function userAgent(contact: string): string {
  const clean = contact.replace(/[\u0000-\u001f\u007f()\\]/g, '').trim();
  const ref = /^(https?:|mailto:)/i.test(clean) ? clean : `mailto:${clean}`;
  return `paperboy/${VERSION} (+${ref})`;
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
function pinnedLookup(host: string, addresses: readonly ResolvedAddress[]): net.LookupFunction {
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
    if (options.all) callback(null, usable.map((a) => ({ address: a.address, family: a.family })));
    else callback(null, first.address, first.family);
  };
}

// ---------------------------------------------------------------------------------------------
// Fetching

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const ACCEPT =
  'application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.9, */*;q=0.5';
const SNIPPET_BYTES = 1024;
const SNIPPET_WAIT_MS = 1000;

interface FetchState {
  req: FetchRequest;
  /** Aborted by either time-out or the caller's signal; its reason is what the fetch throws. */
  controller: AbortController;
  /** The URL being fetched now (a redirect target, possibly). */
  url: URL;
  /** Bytes of the current response received so far. */
  received: number;
}

/** Fetches one feed; see the module comment for the rules. Rejects with a {@link FetchError}. */
export async function fetchFeed(req: FetchRequest): Promise<FetchResult> {
  if (req.signal?.aborted) throw req.signal.reason;
  const state: FetchState = { req, controller: new AbortController(), url: parseUrl(req.url), received: 0 };
  const { controller } = state;
  const first = state.url.href;
  const onCallerAbort = (): void => controller.abort(req.signal?.reason);
  req.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const totalTimer = setTimeout(() => {
    controller.abort(
      new FetchError(
        'timeout',
        `${state.url.href} did not complete within fetch.totalTimeoutMs = ${req.limits.totalTimeoutMs} ms (${state.received} bytes of the body received); raise fetch.totalTimeoutMs in the config if the server is slow but working`,
        { url: state.url.href },
      ),
    );
  }, req.limits.totalTimeoutMs);

  try {
    for (let redirects = 0; ; ) {
      const res = await requestHeaders(state);
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status) && res.headers.location !== undefined) {
        res.destroy();
        const location = res.headers.location;
        if (redirects >= req.limits.maxRedirects) {
          throw new FetchError(
            'too-many-redirects',
            `more than fetch.maxRedirects = ${req.limits.maxRedirects} redirects fetching ${first} (the last one: ${state.url.href} → ${location}); point the source at the final URL, or raise fetch.maxRedirects (at most 10)`,
            { url: state.url.href },
          );
        }
        redirects += 1;
        state.url = parseUrl(location, state.url);
        continue;
      }
      if (status === 304) {
        res.destroy();
        return { status: 'not-modified', url: state.url.href };
      }
      if (status >= 200 && status < 300) {
        const body = await readBody(res, state);
        return {
          status: 'ok',
          url: state.url.href,
          body,
          ...optional('contentType', res.headers['content-type']),
          ...optional('etag', header(res, 'etag')),
          ...optional('lastModified', header(res, 'last-modified')),
        };
      }
      throw await statusError(res, state);
    }
  } catch (error) {
    throw translate(error, state);
  } finally {
    clearTimeout(totalTimer);
    req.signal?.removeEventListener('abort', onCallerAbort);
    // Ends whatever may still be open (a request whose response was not needed, a decoder).
    if (!controller.signal.aborted) controller.abort(new Error('fetch finished'));
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: string };
}

function header(res: http.IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseUrl(text: string, base?: URL): URL {
  let url: URL;
  const what = base ? `redirect from ${base.href} to ${JSON.stringify(text)}` : JSON.stringify(text);
  try {
    url = new URL(text, base);
  } catch (error) {
    throw new FetchError('bad-url', `${what} is not a valid URL; fix the source's url in the config`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchError('bad-url', `${what}: only http:// and https:// URLs are fetched, not ${url.protocol}`, { url: url.href });
  }
  if (url.hostname === '') throw new FetchError('bad-url', `${what} has no host`, { url: url.href });
  return url;
}

function hostOf(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** One request: resolves (and guards) the host, sends the GET, waits for the response headers. */
async function requestHeaders(state: FetchState): Promise<http.IncomingMessage> {
  const { req, controller, url } = state;
  const host = hostOf(url);
  state.received = 0;
  const connectTimer = setTimeout(() => {
    controller.abort(
      new FetchError(
        'timeout',
        `no response headers from ${host} within fetch.connectTimeoutMs = ${req.limits.connectTimeoutMs} ms (${url.href}); raise fetch.connectTimeoutMs in the config if the server is slow but working`,
        { url: url.href },
      ),
    );
  }, req.limits.connectTimeoutMs);
  try {
    let lookup: net.LookupFunction | undefined;
    if (!req.allowLocal) {
      const addresses = await assertPublicAddress(url.hostname, {
        ...(req.allowAddresses ? { allowAddresses: req.allowAddresses } : {}),
        ...(req.resolve ? { resolve: req.resolve } : {}),
        signal: controller.signal,
        target: url.href,
      });
      // A literal IP is connected to directly: Node does not call `lookup` for it.
      lookup = pinnedLookup(host, addresses);
    }
    const headers: Record<string, string> = {
      'User-Agent': req.userAgent,
      Accept: ACCEPT,
      'Accept-Encoding': 'gzip, deflate, br',
    };
    if (req.etag) headers['If-None-Match'] = req.etag;
    if (req.lastModified) headers['If-Modified-Since'] = req.lastModified;
    const client = url.protocol === 'https:' ? https : http;
    return await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = client.request(
        {
          protocol: url.protocol,
          hostname: host,
          ...(url.port ? { port: Number(url.port) } : {}),
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers,
          // A fresh socket per request: no pooled connection skips the guard or outlives the fetch.
          agent: false,
          ...(lookup ? { lookup } : {}),
          signal: controller.signal,
        },
        resolve,
      );
      // Stays attached after the response: a late socket error must never go unhandled.
      request.on('error', reject);
      request.end();
    });
  } finally {
    clearTimeout(connectTimer);
  }
}

/** Streams the body through the decoders into memory, counting bytes before and after decoding. */
async function readBody(res: http.IncomingMessage, state: FetchState): Promise<Buffer> {
  const { maxBytes } = state.req.limits;
  const host = hostOf(state.url);
  const tooLarge = (detail: string): FetchError =>
    new FetchError(
      'too-large',
      `${state.url.href} is larger than fetch.maxBytes = ${maxBytes} bytes (${detail}); raise fetch.maxBytes in the config if this feed is really that large`,
      { url: state.url.href },
    );
  const declared = Number(header(res, 'content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw tooLarge(`${host} announced Content-Length: ${declared}`);
  }
  const codings = contentCodings(res, state);
  const raw = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      state.received += chunk.length;
      if (state.received > maxBytes) callback(tooLarge(`more than ${maxBytes} bytes received`));
      else callback(null, chunk);
    },
  });
  const decoders = [...codings].reverse().map((coding) => decoder(coding));
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(tooLarge(`more than ${maxBytes} bytes after decompressing ${codings.join(', ')}`));
        return;
      }
      chunks.push(chunk);
      callback();
    },
  });
  await pipeline([res, raw, ...decoders, sink], { signal: state.controller.signal });
  return Buffer.concat(chunks, size);
}

const KNOWN_CODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/** The Content-Encoding codings in the order they were applied, "identity" left out. */
function contentCodings(res: http.IncomingMessage, state: FetchState): string[] {
  const value = header(res, 'content-encoding') ?? '';
  const codings = value
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  const unknown = codings.find((c) => !KNOWN_CODINGS.has(c));
  if (unknown !== undefined) {
    res.destroy();
    throw new FetchError(
      'http-status',
      `${hostOf(state.url)} sent the body of ${state.url.href} with Content-Encoding: ${unknown}, which was not asked for and cannot be decoded`,
      { url: state.url.href, status: res.statusCode ?? 0, retryable: false },
    );
  }
  return codings;
}

/** Marks errors from a decoder, so that the message can say the body was not valid <coding>. */
const DECODING = Symbol('decoding');

function decoder(coding: string): Transform {
  // Lenient on a missing end of stream, like browsers: a truncated document is the parser's to report.
  const stream =
    coding === 'br'
      ? zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
      : coding === 'deflate'
        ? new AutoInflate()
        : zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
  stream.once('error', (error: Error & { [DECODING]?: string }) => {
    error[DECODING] = coding;
  });
  return stream;
}

/**
 * "deflate" is meant to be zlib-wrapped (RFC 9110) but some servers send raw deflate: look at the
 * first two bytes and inflate accordingly, as browsers do. Keeps the inner stream's backpressure.
 */
class AutoInflate extends Transform {
  #inner: zlib.Inflate | zlib.InflateRaw | undefined;
  #head: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let input = chunk;
    if (!this.#inner) {
      this.#head = Buffer.concat([this.#head, chunk]);
      if (this.#head.length < 2) {
        callback();
        return;
      }
      input = this.#head;
      this.#head = Buffer.alloc(0);
      this.#start(input);
    }
    const inner = this.#inner!;
    if (inner.write(input)) callback();
    else inner.once('drain', () => callback());
  }

  override _flush(callback: TransformCallback): void {
    if (!this.#inner) {
      if (this.#head.length === 0) {
        callback();
        return;
      }
      this.#start(this.#head);
      this.#inner!.write(this.#head);
    }
    this.#inner!.once('end', () => callback());
    this.#inner!.end();
  }

  override _read(size: number): void {
    this.#inner?.resume();
    super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner?.destroy();
    callback(error);
  }

  #start(head: Buffer): void {
    const b0 = head[0] ?? 0;
    const b1 = head[1] ?? 0;
    const zlibHeader = (b0 & 0x0f) === 8 && b0 >> 4 <= 7 && ((b0 << 8) | b1) % 31 === 0;
    const options = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
    const inner = zlibHeader ? zlib.createInflate(options) : zlib.createInflateRaw(options);
    inner.on('data', (data: Buffer) => {
      if (!this.push(data)) inner.pause();
    });
    inner.on('error', (error) => this.destroy(error));
    this.#inner = inner;
  }
}

/** A non-2xx answer: reads a short snippet of the body (briefly) for the message. */
async function statusError(res: http.IncomingMessage, state: FetchState): Promise<FetchError> {
  const status = res.statusCode ?? 0;
  const host = hostOf(state.url);
  const retryable = status === 429 || status >= 500;
  const snippet = await readSnippet(res, state);
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(header(res, 'retry-after')) : undefined;
  const reason = res.statusMessage ? ` ${res.statusMessage}` : '';
  const hint =
    status >= 300 && status < 400
      ? ' (a redirect without a Location header)'
      : retryable
        ? '; will retry later'
        : "; check the source's URL in the config";
  return new FetchError(
    'http-status',
    `${host} answered HTTP ${status}${reason} for ${state.url.href}${snippet ? `: "${snippet}"` : ''}${hint}`,
    { status, retryable, url: state.url.href, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
  );
}

async function readSnippet(res: http.IncomingMessage, state: FetchState): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const enough = new Error('snippet complete');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      size += chunk.length;
      callback(size >= SNIPPET_BYTES ? enough : null);
    },
  });
  try {
    const codings = [...contentCodings(res, state)].reverse();
    const signal = AbortSignal.any([state.controller.signal, AbortSignal.timeout(SNIPPET_WAIT_MS)]);
    await pipeline([res, ...codings.map((coding) => decoder(coding)), sink], { signal });
  } catch {
    // The snippet is a courtesy: whatever arrived in time is enough.
    res.destroy();
  }
  const text = Buffer.concat(chunks)
    .subarray(0, SNIPPET_BYTES)
    .toString('utf8')
    .replace(/<[^>]{0,200}>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

// ---------------------------------------------------------------------------------------------
// Errors

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const NETWORK_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  ERR_STREAM_PREMATURE_CLOSE: 'connection closed before the end of the body',
};

/** TLS certificate problems and malformed HTTP do not fix themselves by waiting. */
function permanent(code: string): boolean {
  return (
    code.startsWith('CERT_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('HPE_') ||
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'].includes(code)
  );
}

function translate(error: unknown, state: FetchState): unknown {
  if (error instanceof FetchError) return error;
  // A time-out, or the caller's own abort (whose reason is thrown as is).
  if (state.controller.signal.aborted) return state.controller.signal.reason;
  const url = state.url.href;
  const host = hostOf(state.url);
  const coding = (error as { [DECODING]?: string } | null)?.[DECODING];
  const message = error instanceof Error ? error.message : String(error);
  if (coding !== undefined) {
    return new FetchError('network', `the body of ${url} from ${host} is not valid ${coding} data (${message})`, {
      url,
      retryable: true,
      cause: error,
    });
  }
  const code = errorCode(error) ?? 'ERR_UNKNOWN';
  const cause = NETWORK_CAUSES[code] ?? message;
  const port = state.url.port || (state.url.protocol === 'https:' ? '443' : '80');
  return new FetchError('network', `network error fetching ${url}: ${cause} (${code}) from ${host}:${port}`, {
    url,
    retryable: !permanent(code),
    cause: error,
  });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as unknown);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
