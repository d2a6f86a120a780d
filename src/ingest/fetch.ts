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
 * - the SSRF guard: every host (the first URL's and each redirect target's; for a source marked
 *   `allowLocal`, each redirect target off the first URL's origin) is resolved once (see
 *   addressGuard.ts), refused if ANY of its addresses is not public, and the socket is then connected to exactly the addresses that were checked (a pinned `lookup`), so a
 *   DNS answer that changes between the check and the connect (rebinding) cannot get through.
 *
 * Every failure is a {@link FetchError} whose `kind` says what happened, whose `retryable` says
 * whether trying again later can help, and whose message names the host, the cause and the fix.
 *
 * Test seams (not configuration): `FetchRequest.allowAddresses` exempts exact addresses from the
 * guard while it stays on for everything else (a test reaches its 127.0.0.1 server and still sees
 * a redirect to 10.0.0.1 refused), and `FetchRequest.resolve` replaces the system resolver.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertPublicAddress, pinnedLookup, type Resolver } from './addressGuard.ts';
import { errorCode, FetchError } from './fetchError.ts';
import { DECODING, decoder, KNOWN_CODINGS } from './streamDecode.ts';

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
// Fetching

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const ACCEPT = 'application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.9, */*;q=0.5';
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
  /** The origin of the source's own URL: the only one `allowLocal` exempts from the guard. */
  firstOrigin: string;
}

/** Fetches one feed; see the module comment for the rules. Rejects with a {@link FetchError}. */
export async function fetchFeed(req: FetchRequest): Promise<FetchResult> {
  if (req.signal?.aborted) throw req.signal.reason;
  const url = parseUrl(req.url);
  const state: FetchState = { req, controller: new AbortController(), url, received: 0, firstOrigin: url.origin };
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
    // `allowLocal` trusts the source's own server, not where it redirects: a local feed that
    // redirects to the cloud metadata address must not reach it. Later hops are guarded
    // unless they stay on the first URL's origin.
    if (!req.allowLocal || url.origin !== state.firstOrigin) {
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

/** A non-2xx answer: reads a short snippet of the body (briefly) for the message. */
async function statusError(res: http.IncomingMessage, state: FetchState): Promise<FetchError> {
  const status = res.statusCode ?? 0;
  const host = hostOf(state.url);
  const retryable = status === 429 || status >= 500;
  const snippet = await readSnippet(res, state);
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(header(res, 'retry-after')) : undefined;
  const reason = res.statusMessage ? ` ${res.statusMessage}` : '';
  const hint =
    status >= 300 && status < 400 ? ' (a redirect without a Location header)' : retryable ? '; will retry later' : "; check the source's URL in the config";
  return new FetchError('http-status', `${host} answered HTTP ${status}${reason} for ${state.url.href}${snippet ? `: "${snippet}"` : ''}${hint}`, {
    status,
    retryable,
    url: state.url.href,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
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
