/**
 * fetchFeed against a real loopback HTTP server (node:http on 127.0.0.1, port 0): real sockets,
 * no mocks. Time-outs are small so that each test stays well under a second or two.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPublicAddress, classifyAddress, isPublicAddress } from '../../src/ingest/addressGuard.ts';
import { FetchError } from '../../src/ingest/fetchError.ts';
import { fetchFeed, userAgent, type FetchLimits, type FetchRequest, type FetchResult } from '../../src/ingest/fetch.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
}

const routes = new Map<string, Handler>();
const seen: Seen[] = [];
/** Resolves when the server side of a request to that path is closed (the client hung up). */
const closed = new Map<string, Promise<void>>();
let server: http.Server;
let port = 0;
let base = '';

const UA = 'paperboy/test (+mailto:ops@example.org)';
const limits: FetchLimits = { connectTimeoutMs: 800, totalTimeoutMs: 1500, maxBytes: 1_000_000, maxRedirects: 5 };
const FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>';

function route(path: string, handler: Handler): void {
  routes.set(path, handler);
}

function request(path: string, over: Partial<FetchRequest> = {}): FetchRequest {
  return { url: `${base}${path}`, limits, userAgent: UA, allowLocal: true, ...over };
}

function hits(path: string): Seen[] {
  return seen.filter((s) => s.path === path);
}

async function failure(promise: Promise<unknown>): Promise<FetchError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FetchError);
    return error as FetchError;
  }
  throw new Error('expected the fetch to fail');
}

function ok(result: FetchResult): Extract<FetchResult, { status: 'ok' }> {
  if (result.status !== 'ok') throw new Error(`expected ok, got ${result.status}`);
  return result;
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.push({ path, headers: req.headers });
    closed.set(path, new Promise((resolve) => res.on('close', () => resolve())));
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no route ${path}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('conditional GET', () => {
  it('returns the body with ETag, Last-Modified and Content-Type, then 304 → not-modified', async () => {
    const etag = '"v1-abc"';
    const lastModified = 'Wed, 01 May 2024 10:00:00 GMT';
    route('/cond', (req, res) => {
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ETag: etag }).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/rss+xml; charset=utf-8', ETag: etag, 'Last-Modified': lastModified }).end(FEED);
    });

    const first = ok(await fetchFeed(request('/cond')));
    expect(first.body.toString('utf8')).toBe(FEED);
    expect(first.url).toBe(`${base}/cond`);
    expect(first.contentType).toBe('application/rss+xml; charset=utf-8');
    expect(first.etag).toBe(etag);
    expect(first.lastModified).toBe(lastModified);

    const second = await fetchFeed(request('/cond', { etag: first.etag, lastModified: first.lastModified }));
    expect(second).toEqual({ status: 'not-modified', url: `${base}/cond` });

    const [plain, conditional] = hits('/cond');
    expect(plain?.headers['user-agent']).toBe(UA);
    expect(plain?.headers['accept-encoding']).toBe('gzip, deflate, br');
    expect(plain?.headers['if-none-match']).toBeUndefined();
    expect(conditional?.headers['user-agent']).toBe(UA);
    expect(conditional?.headers['if-none-match']).toBe(etag);
    expect(conditional?.headers['if-modified-since']).toBe(lastModified);
  });

  it("returns the bytes untouched with the Content-Type (charset decoding is not fetch's job)", async () => {
    const latin1 = Buffer.from('<title>caf\u00e9</title>', 'latin1');
    route('/latin1', (_req, res) => res.writeHead(200, { 'Content-Type': 'text/xml; charset=ISO-8859-1' }).end(latin1));
    const result = ok(await fetchFeed(request('/latin1')));
    expect(result.body.equals(latin1)).toBe(true);
    expect(result.contentType).toBe('text/xml; charset=ISO-8859-1');
    expect(result.etag).toBeUndefined();
  });
});

describe('content encodings', () => {
  const text = `${FEED}\n${'<item>paper</item>'.repeat(2000)}`;
  const encoded: Record<string, Buffer> = {
    gzip: zlib.gzipSync(text),
    br: zlib.brotliCompressSync(text),
    deflate: zlib.deflateSync(text),
  };
  for (const [coding, body] of Object.entries(encoded)) {
    it(`decodes a ${coding} body`, async () => {
      route(`/enc-${coding}`, (_req, res) => res.writeHead(200, { 'Content-Encoding': coding, 'Content-Type': 'application/xml' }).end(body));
      const result = ok(await fetchFeed(request(`/enc-${coding}`)));
      expect(result.body.toString('utf8')).toBe(text);
    });
  }

  it('decodes raw deflate (no zlib header), as some servers send it', async () => {
    route('/enc-rawdeflate', (_req, res) => res.writeHead(200, { 'Content-Encoding': 'deflate' }).end(zlib.deflateRawSync(text)));
    expect(ok(await fetchFeed(request('/enc-rawdeflate'))).body.toString('utf8')).toBe(text);
  });

  it('reports a corrupt gzip body as a network error naming the coding', async () => {
    route('/enc-corrupt', (_req, res) => res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(Buffer.from('this is not gzip at all')));
    const error = await failure(fetchFeed(request('/enc-corrupt')));
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/not valid gzip/);
  });
});

describe('redirects', () => {
  it('follows relative Location headers of every redirect status and reports the final URL', async () => {
    route('/r/start', (_req, res) => res.writeHead(301, { Location: 'step2' }).end());
    route('/r/step2', (_req, res) => res.writeHead(302, { Location: '../s/step3?x=1' }).end());
    route('/s/step3', (_req, res) => res.writeHead(303, { Location: '/r/step4' }).end());
    route('/r/step4', (_req, res) => res.writeHead(307, { Location: `${base}/r/step5` }).end());
    route('/r/step5', (_req, res) => res.writeHead(308, { Location: '//127.0.0.1:' + port + '/r/final' }).end());
    route('/r/final', (_req, res) => res.writeHead(200, { ETag: '"final"' }).end(FEED));

    const result = ok(await fetchFeed(request('/r/start', { etag: '"old"' })));
    expect(result.url).toBe(`${base}/r/final`);
    expect(result.etag).toBe('"final"');
    expect(result.body.toString()).toBe(FEED);
    for (const path of ['/r/step2', '/s/step3', '/r/step4', '/r/step5', '/r/final']) {
      expect(hits(path)).toHaveLength(1);
      expect(hits(path)[0]?.headers['user-agent']).toBe(UA);
    }
  });

  it('gives up after maxRedirects with too-many-redirects', async () => {
    route('/loop', (req, res) => {
      const n = Number(new URL(req.url ?? '', base).searchParams.get('n') ?? 0);
      res.writeHead(302, { Location: `/loop?n=${n + 1}` }).end();
    });
    const error = await failure(fetchFeed(request('/loop', { limits: { ...limits, maxRedirects: 3 } })));
    expect(error.kind).toBe('too-many-redirects');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/fetch\.maxRedirects = 3/);
    expect(hits('/loop')).toHaveLength(4); // the first request and three redirects followed
  });

  it('follows exactly maxRedirects', async () => {
    route('/two', (_req, res) => res.writeHead(302, { Location: '/one' }).end());
    route('/one', (_req, res) => res.writeHead(302, { Location: '/zero' }).end());
    route('/zero', (_req, res) => res.writeHead(200).end(FEED));
    expect(ok(await fetchFeed(request('/two', { limits: { ...limits, maxRedirects: 2 } }))).url).toBe(`${base}/zero`);
  });

  it('refuses a redirect to a non-http(s) URL', async () => {
    route('/to-file', (_req, res) => res.writeHead(302, { Location: 'file:///etc/passwd' }).end());
    const error = await failure(fetchFeed(request('/to-file')));
    expect(error.kind).toBe('bad-url');
    expect(error.message).toMatch(/file:/);
  });
});

describe('SSRF guard', () => {
  it('refuses the loopback test server at once when allowLocal is false', async () => {
    route('/guarded', (_req, res) => res.end(FEED));
    const error = await failure(fetchFeed(request('/guarded', { allowLocal: false })));
    expect(error.kind).toBe('blocked-address');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('127.0.0.1');
    expect(error.message).toContain('loopback');
    expect(error.message).toContain('allowLocal: true');
    // refused before any connection: the server never saw the request
    expect(hits('/guarded')).toHaveLength(0);
  });

  const privateTargets: Array<[string, RegExp]> = [
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254.*cloud metadata/],
    ['http://10.0.0.1/feed', /10\.0\.0\.1.*private/],
    ['http://[fd00:ec2::254]/', /cloud metadata/],
    [`http://[::ffff:127.0.0.1]:PORT/r/final`, /IPv4-mapped loopback/],
  ];
  for (const [target, reason] of privateTargets) {
    it(`refuses a redirect to ${target} (the guard is on, only 127.0.0.1 is exempt)`, async () => {
      const path = `/to-private-${encodeURIComponent(target)}`;
      route(path, (_req, res) => res.writeHead(302, { Location: target.replace('PORT', String(port)) }).end());
      const error = await failure(fetchFeed(request(path, { allowLocal: false, allowAddresses: ['127.0.0.1'] })));
      expect(error.kind).toBe('blocked-address');
      expect(error.message).toMatch(reason);
      expect(error.message).toContain('allowLocal: true');
      expect(hits(path)).toHaveLength(1); // the first hop (exempt 127.0.0.1) was fetched
    });
  }

  // allowLocal trusts the source's own server only: where it redirects is guarded like any URL
  const localSourceTargets: Array<[string, RegExp]> = [
    ['http://169.254.169.254/latest/meta-data/iam/security-credentials/', /169\.254\.169\.254.*cloud metadata/],
    ['http://10.0.0.1/feed', /10\.0\.0\.1.*private/],
    [`http://[::ffff:127.0.0.1]:PORT/r/final`, /IPv4-mapped loopback/],
  ];
  for (const [target, reason] of localSourceTargets) {
    it(`refuses a redirect of an allowLocal source to ${target}`, async () => {
      const path = `/local-to-${encodeURIComponent(target)}`;
      route(path, (_req, res) => res.writeHead(302, { Location: target.replace('PORT', String(port)) }).end());
      const error = await failure(fetchFeed(request(path, { allowLocal: true })));
      expect(error.kind).toBe('blocked-address');
      expect(error.message).toMatch(reason);
      expect(hits(path)).toHaveLength(1);
    });
  }

  it('follows the redirects of an allowLocal source that stay on its own server', async () => {
    route('/local-hop', (_req, res) => res.writeHead(301, { Location: '/local-final' }).end());
    route('/local-final', (_req, res) => res.end(FEED));
    const result = ok(await fetchFeed(request('/local-hop', { allowLocal: true })));
    expect(result.url).toBe(`${base}/local-final`);
  });

  it('refuses a host when ANY of its addresses is private', async () => {
    const error = await failure(
      fetchFeed(
        request('/x', {
          url: 'http://mixed.test/feed',
          allowLocal: false,
          resolve: async () => [
            { address: '93.184.216.34', family: 4 },
            { address: '10.1.2.3', family: 4 },
          ],
        }),
      ),
    );
    expect(error.kind).toBe('blocked-address');
    expect(error.message).toMatch(/mixed\.test resolves to 10\.1\.2\.3/);
  });

  it('connects to the address it checked (resolved once, no second lookup to rebind)', async () => {
    route('/pinned', (_req, res) => res.end(FEED));
    let calls = 0;
    const rebinding = async (): Promise<Array<{ address: string; family: number }>> => {
      calls += 1;
      return [{ address: calls === 1 ? '127.0.0.1' : '10.0.0.1', family: 4 }];
    };
    const result = ok(
      await fetchFeed(request('/pinned', { url: `http://feed.test:${port}/pinned`, allowLocal: false, allowAddresses: ['127.0.0.1'], resolve: rebinding })),
    );
    expect(result.body.toString()).toBe(FEED);
    expect(calls).toBe(1);
    expect(hits('/pinned')[0]?.headers.host).toBe(`feed.test:${port}`);
  });

  it('checks a literal IP host directly, without DNS', async () => {
    let calls = 0;
    const error = await failure(
      fetchFeed(
        request('/x', {
          url: 'http://0x7f.1/feed', // WHATWG URL normalises this to 127.0.0.1
          allowLocal: false,
          resolve: async () => {
            calls += 1;
            return [];
          },
        }),
      ),
    );
    expect(error.kind).toBe('blocked-address');
    expect(error.message).toContain('host 127.0.0.1 is a loopback');
    expect(calls).toBe(0);
  });

  it('assertPublicAddress returns the checked addresses of a public host', async () => {
    const addresses = await assertPublicAddress('example.test', { resolve: async () => [{ address: '8.8.8.8', family: 4 }] });
    expect(addresses).toEqual([{ address: '8.8.8.8', family: 4 }]);
  });
});

describe('address classifier', () => {
  const blocked: Array<[string, RegExp]> = [
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['10.20.30.40', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.255', /carrier-grade NAT/],
    ['169.254.169.254', /cloud metadata/],
    ['169.254.1.1', /link-local/],
    ['0.0.0.0', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /reserved/],
    ['::', /unspecified/],
    ['::1', /loopback/],
    ['0:0:0:0:0:0:0:1', /loopback/],
    ['::ffff:127.0.0.1', /IPv4-mapped loopback/],
    ['::ffff:7f00:1', /IPv4-mapped loopback/],
    ['::ffff:169.254.169.254', /IPv4-mapped cloud metadata/],
    ['::ffff:10.0.0.1', /IPv4-mapped private/],
    ['64:ff9b::a9fe:a9fe', /NAT64 cloud metadata/],
    ['2002:7f00:1::', /6to4 loopback/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['fc00::1', /unique-local/],
    ['fd12:3456::1', /unique-local/],
    ['fd00:ec2::254', /cloud metadata/],
    ['ff02::1', /multicast/],
    ['[::1]', /loopback/],
    ['not-an-ip', /not an IP address/],
  ];
  for (const [address, reason] of blocked) {
    it(`refuses ${address}`, () => {
      expect(classifyAddress(address)).toMatch(reason);
      expect(isPublicAddress(address)).toBe(false);
    });
  }

  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '169.253.0.1',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ];
  for (const address of allowed) {
    it(`allows ${address}`, () => {
      expect(classifyAddress(address)).toBeUndefined();
      expect(isPublicAddress(address)).toBe(true);
    });
  }
});

describe('time-outs', () => {
  it('a server that trickles its body hits the total time-out, and the connection is closed', async () => {
    let chunks = 0;
    route('/trickle', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      res.write('<');
      const timer = setInterval(() => res.write('x') && chunks++, 200);
      res.on('close', () => clearInterval(timer));
    });
    const error = await failure(fetchFeed(request('/trickle', { limits: { ...limits, connectTimeoutMs: 500, totalTimeoutMs: 700 } })));
    expect(error.kind).toBe('timeout');
    expect(error.retryable).toBe(true);
    // the total time-out ended it, with the body flowing, not the connect time-out (500 ms)
    expect(error.message).toMatch(/fetch\.totalTimeoutMs = 700 ms/);
    expect(error.message).not.toMatch(/connectTimeoutMs/);
    expect(chunks).toBeGreaterThan(0);
    await closed.get('/trickle');
  });

  it('a server slow to send its headers hits the connect time-out', async () => {
    let answered = false;
    route('/slow-headers', (_req, res) => {
      const timer = setTimeout(() => {
        answered = true;
        res.end(FEED);
      }, 3000);
      res.on('close', () => clearTimeout(timer));
    });
    const error = await failure(fetchFeed(request('/slow-headers', { limits: { ...limits, connectTimeoutMs: 300, totalTimeoutMs: 2000 } })));
    expect(error.kind).toBe('timeout');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/fetch\.connectTimeoutMs = 300 ms/);
    expect(error.message).toContain('127.0.0.1');
    // it gave up before the server's late answer, and hung up
    expect(answered).toBe(false);
    await closed.get('/slow-headers');
  });

  it("the caller's abort signal stops the fetch with its reason", async () => {
    route('/abortable', (_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 150);
    await expect(fetchFeed(request('/abortable', { signal: controller.signal }))).rejects.toThrow('shutting down');
    await closed.get('/abortable');
  });
});

describe('size limit', () => {
  const small: FetchLimits = { ...limits, maxBytes: 50_000 };

  it('refuses an announced Content-Length above maxBytes without reading it', async () => {
    route('/big-length', (_req, res) => res.writeHead(200, { 'Content-Length': 200_000 }).end(Buffer.alloc(200_000, 'a')));
    const error = await failure(fetchFeed(request('/big-length', { limits: small })));
    expect(error.kind).toBe('too-large');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/fetch\.maxBytes = 50000/);
  });

  it('aborts an endless chunked body as soon as it passes maxBytes', async () => {
    let sent = 0;
    route('/endless', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const error = await failure(fetchFeed(request('/endless', { limits: small })));
    expect(error.kind).toBe('too-large');
    expect(error.message).toMatch(/more than 50000 bytes received/);
    await closed.get('/endless');
    expect(sent).toBeLessThan(10_000_000);
  });

  const bombs: Record<string, (data: Buffer) => Buffer> = {
    gzip: (data) => zlib.gzipSync(data, { level: 9 }),
    br: (data) => zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }),
    deflate: (data) => zlib.deflateSync(data, { level: 9 }),
  };
  const zeros = Buffer.alloc(32 * 1024 * 1024);
  for (const [coding, compress] of Object.entries(bombs)) {
    it(`stops a ${coding} bomb (small compressed, huge decompressed) at maxBytes`, async () => {
      const bomb = compress(zeros);
      expect(bomb.length).toBeLessThan(small.maxBytes);
      route(`/bomb-${coding}`, (_req, res) => res.writeHead(200, { 'Content-Encoding': coding }).end(bomb));
      const error = await failure(fetchFeed(request(`/bomb-${coding}`, { limits: small })));
      expect(error.kind).toBe('too-large');
      expect(error.message).toMatch(new RegExp(`after decompressing ${coding}`));
      expect(error.message).toMatch(/fetch\.maxBytes/);
    });
  }

  it('applies maxBytes to the compressed size as received too', async () => {
    const noise = zlib.gzipSync(randomBytes(120_000)); // incompressible: bigger than maxBytes on the wire
    route('/big-gzip', (_req, res) => {
      res.writeHead(200, { 'Content-Encoding': 'gzip' }); // chunked: no Content-Length to reject early
      res.end(noise);
    });
    const error = await failure(fetchFeed(request('/big-gzip', { limits: small })));
    expect(error.kind).toBe('too-large');
    expect(error.message).toMatch(/bytes received/);
  });
});

describe('HTTP and network errors', () => {
  it('404 is a non-retryable http-status error with a snippet of the body', async () => {
    route('/gone', (_req, res) => res.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body><h1>No such feed</h1></body></html>'));
    const error = await failure(fetchFeed(request('/gone')));
    expect(error.kind).toBe('http-status');
    expect(error.status).toBe(404);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('HTTP 404');
    expect(error.message).toContain('No such feed');
  });

  it('503 is retryable; 429 is retryable and carries Retry-After', async () => {
    route('/down', (_req, res) => res.writeHead(503).end('maintenance'));
    route('/slow-down', (_req, res) => res.writeHead(429, { 'Retry-After': '7' }).end());
    const down = await failure(fetchFeed(request('/down')));
    expect([down.kind, down.status, down.retryable]).toEqual(['http-status', 503, true]);
    const limited = await failure(fetchFeed(request('/slow-down')));
    expect([limited.kind, limited.status, limited.retryable, limited.retryAfterMs]).toEqual(['http-status', 429, true, 7000]);
  });

  it('connection refused is a retryable network error naming host and code', async () => {
    const spare = http.createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const sparePort = (spare.address() as AddressInfo).port;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    const error = await failure(fetchFeed(request('/x', { url: `http://127.0.0.1:${sparePort}/feed` })));
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`127.0.0.1:${sparePort}`);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('a connection reset in the middle of the body is a retryable network error', async () => {
    route('/reset', (req, res) => {
      res.writeHead(200, { 'Content-Length': 10_000 });
      res.write('<rss>partial');
      setTimeout(() => req.socket.destroy(), 50);
    });
    const error = await failure(fetchFeed(request('/reset')));
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('127.0.0.1');
  });

  it('a DNS failure is a retryable network error naming host and code', async () => {
    const error = await failure(
      fetchFeed(
        request('/x', {
          url: 'http://nowhere.test/feed',
          allowLocal: false,
          resolve: async () => {
            throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
          },
        }),
      ),
    );
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('nowhere.test');
    expect(error.message).toContain('ENOTFOUND');
  });

  it('rejects URLs that are not http(s) as bad-url', async () => {
    for (const url of ['ftp://example.org/feed', 'file:///etc/passwd', 'not a url']) {
      const error = await failure(fetchFeed(request('/x', { url })));
      expect(error.kind).toBe('bad-url');
      expect(error.retryable).toBe(false);
    }
  });
});

describe('userAgent', () => {
  const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

  it('puts the package version and a mailto: contact', () => {
    expect(userAgent('ops@example.org')).toBe(`paperboy/${version} (+mailto:ops@example.org)`);
  });

  it('keeps a URL contact as it is', () => {
    expect(userAgent('https://example.org/bot')).toBe(`paperboy/${version} (+https://example.org/bot)`);
    expect(userAgent('mailto:ops@example.org')).toBe(`paperboy/${version} (+mailto:ops@example.org)`);
  });

  it('drops characters that would break the header', () => {
    expect(userAgent('ops@example.org\r\nX-Evil: 1')).toBe(`paperboy/${version} (+mailto:ops@example.orgX-Evil: 1)`);
  });
});
