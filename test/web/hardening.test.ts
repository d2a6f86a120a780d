/**
 * What an attacker found (issue #14): spoofed X-Forwarded-For, NUL bytes in every input,
 * broken multipart and chunked bodies, numbers in hex and exponent notation, control characters
 * in feed author names. Each is answered as a reader or an operator would expect.
 */
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../src/app.ts';
import { main } from '../../src/cli/main.ts';
import { parseConfig } from '../../src/config/load.ts';
import { ingestBody } from '../../src/ingest/processor.ts';
import { signToken } from '../../src/mail/tokens.ts';
import type { PaperboyServer } from '../../src/web/server.ts';
import { runCli, storageTargets, tempDir, testApp } from '../harness/index.ts';
import { captureLog, multipart, preferencesFormToken, seedEdition, urlencoded, webApp } from './helpers.ts';

const subscribeAs = (server: PaperboyServer, remoteAddress: string, email: string, forwardedFor?: string) =>
  server.inject({
    method: 'POST',
    url: '/subscribe',
    remoteAddress,
    ...urlencoded([['email', email]]),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
  });

describe('the /subscribe rate limit counts the real client (#14.1)', () => {
  const limited = (trustProxy?: unknown) =>
    webApp({ server: { subscribeRateLimit: { max: 3, timeWindowMs: 60_000 } }, ...(trustProxy === undefined ? {} : { config: { web: { trustProxy } } }) });

  it('without configured proxies, X-Forwarded-For is the client talking: it neither escapes the limit nor spends another address', async () => {
    const { server } = await limited();
    try {
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await subscribeAs(server, '203.0.113.9', `spoof${i}@example.org`, `198.51.100.${i + 1}`)).statusCode);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      // the addresses it wrote were not charged: their owners still subscribe
      for (let i = 0; i < 3; i++) expect((await subscribeAs(server, '198.51.100.1', `victim${i}@example.org`)).statusCode).toBe(200);
      await server.settled();
    } finally {
      await server.close();
    }
  });

  it('behind one nginx (web.trustProxy ["127.0.0.1"]) the address nginx adds counts, whatever the client put before it', async () => {
    const { server } = await limited(['127.0.0.1']);
    try {
      // nginx's $proxy_add_x_forwarded_for appends the address it saw to what the client sent
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await subscribeAs(server, '127.0.0.1', `n${i}@example.org`, `10.9.9.${i}, 198.51.100.7`)).statusCode);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      expect((await subscribeAs(server, '127.0.0.1', 'other@example.org', '198.51.100.8')).statusCode).toBe(200);
      // a client reaching the service directly is not a proxy: its header is not believed
      const direct = [];
      for (let i = 0; i < 4; i++) direct.push((await subscribeAs(server, '203.0.113.60', `d${i}@example.org`, `198.51.100.${20 + i}`)).statusCode);
      expect(direct).toEqual([200, 200, 200, 429]);
      await server.settled();
    } finally {
      await server.close();
    }
  });

  it('behind a cloud load balancer (web.trustProxy 1) the last X-Forwarded-For entry counts', async () => {
    const { server } = await limited(1);
    try {
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await subscribeAs(server, `10.0.${i}.5`, `lb${i}@example.org`, `192.0.2.${i}, 198.51.100.30`)).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      expect((await subscribeAs(server, '10.0.0.5', 'lb-other@example.org', '198.51.100.31')).statusCode).toBe(200);
      await server.settled();
    } finally {
      await server.close();
    }
  });

  it('refuses web.trustProxy true and malformed ranges in the config, naming the path and the fix', () => {
    expect(() => parseConfig({ web: { trustProxy: true } }, 'test config')).toThrow(
      /web\.trustProxy: true would believe every client's X-Forwarded-For.*give the number of proxies/,
    );
    expect(() => parseConfig({ web: { trustProxy: ['10.0.0.0/99'] } }, 'test config')).toThrow(/web\.trustProxy\[0\]: expected an IP address or a CIDR range/);
    expect(parseConfig({}, 'test config').web.trustProxy).toBe(false);
    expect(parseConfig({ web: { trustProxy: ['10.0.0.0/8', 'fd00::/8', 'loopback'] } }, 'test config').web.trustProxy).toEqual([
      '10.0.0.0/8',
      'fd00::/8',
      'loopback',
    ]);
  });
});

/** One item of an arXiv RSS feed as rss.arxiv.org writes it, with what a broken feed adds. */
function arxivRss(items: { id: string; title: string; creators: string; doi?: string }[]): Buffer {
  const entries = items.map(
    (i) => `    <item>
      <title>${i.title}</title>
      <link>https://arxiv.org/abs/${i.id}</link>
      <description>arXiv:${i.id}v1 Announce Type: new 
Abstract: We study names written by broken feed generators.</description>
      <guid isPermaLink="false">oai:arXiv.org:${i.id}v1</guid>
      <category>cs.CL</category>
      <pubDate>Thu, 26 Nov 2026 00:00:00 -0500</pubDate>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>${i.doi ? `\n      <arxiv:DOI>${i.doi}</arxiv:DOI>` : ''}
      <dc:creator>${i.creators}</dc:creator>
    </item>`,
  );
  return Buffer.from(`<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>cs.CL updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs.CL</link>
    <description>cs.CL updates on the arXiv.org e-print archive.</description>
    <atom:link href="https://rss.arxiv.org/rss/cs.CL" rel="self" type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>Thu, 26 Nov 2026 04:31:12 +0000</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>Thu, 26 Nov 2026 00:00:00 -0500</pubDate>
    <skipDays>
      <day>Sunday</day>
      <day>Saturday</day>
    </skipDays>
${entries.join('\n')}
  </channel>
</rss>
`);
}

describe.each(storageTargets())('NUL bytes and control characters from every door, on $name (#14.2, #14.8)', (target) => {
  let app: App;
  let server: PaperboyServer;
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await target.databaseUrl();
    ({ app, server } = await webApp({ databaseUrl }));
    await seedEdition(app, '2026-11-25', [{ id: '2611.60001', title: 'Attention Is Enough Again', abstract: 'Attention for everything.' }]);
  });
  afterAll(async () => {
    await server.close();
  });

  it('searches with a NUL in the query string as if it were not there', async () => {
    for (const url of ['/papers?q=a%00b', '/papers?q=atten%00tion', '/papers?q%00=attention', '/papers?q=attention&topic=%00']) {
      const res = await server.inject({ url });
      expect(res.statusCode, url).toBe(200);
    }
    expect((await server.inject({ url: '/papers?q=atten%00tion' })).body).toContain('Attention Is Enough Again');
  });

  it('drops a NUL typed into a form field, urlencoded or multipart, and keeps the rest of the value', async () => {
    for (const [email, body] of [
      [
        'nul-url@example.org',
        urlencoded([
          ['email', 'nul-url\u0000@example.org'],
          ['timezone', 'Asia/Tokyo\u0000'],
        ]),
      ],
      [
        'nul-multi@example.org',
        multipart([
          ['email', 'nul-multi@example.org\u0000'],
          ['timezone', 'Asia/Tokyo\u0000'],
        ]),
      ],
    ] as const) {
      const res = await server.inject({ method: 'POST', url: '/subscribe', ...body });
      await server.settled();
      expect(res.statusCode, email).toBe(200);
      expect(res.body).toContain('Check your inbox');
      const request = await app.store.subscribers.pendingRequest((await app.store.subscribers.getByEmail(email))!.id);
      expect(request?.timezone, email).toBe('Asia/Tokyo');
    }
  });

  it('stores a feed whose DOI holds a NUL byte and whose author names hold control characters, cleaned like titles, and shows the names clean', async () => {
    const feed = arxivRss([
      {
        id: '2611.60002',
        title: 'Names From A Broken Generator',
        creators: 'Ada\u0001 Lovelace, Grace&#1; Hopper and Alan\u0007Turing',
        doi: '10.1000/broken\u0000doi',
      },
      { id: '2611.60003', title: 'Another Paper Of Theirs', creators: '\u001bAda Lovelace' },
    ]);
    const report = await ingestBody(app, { name: 'broken-generator', kind: 'arxiv-rss' }, feed);
    expect(report.status, report.error).toBe('ok');
    expect(report.counts.new).toBe(2);
    const paper = (await app.store.papers.get('2611.60002'))!;
    expect(paper.authors).toEqual(['Ada Lovelace', 'Grace Hopper', 'AlanTuring']);
    expect(paper.doi).toBe('10.1000/brokendoi');
    expect((await app.store.papers.get('2611.60003'))!.authors).toEqual(['Ada Lovelace']);
    const page = await server.inject({ url: '/papers?q=lovelace' });
    expect(page.body).toContain('Ada Lovelace, Grace Hopper, AlanTuring');
    expect(page.body).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  });

  it('takes a NUL in a CLI argument that reaches SQL (papers search) as if it were not there', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'paperboy.config.json'), '{}');
    const saved = { ...process.env };
    Object.assign(process.env, { DATA_DIR: dir, PAPERBOY_CONFIG: path.join(dir, 'paperboy.config.json'), DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' });
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (printed.push(String(chunk)), true));
    try {
      const code = await main(['papers', 'search', 'atten\u0000tion', '--json']);
      expect(code).toBe(0);
      expect(JSON.parse(printed.join('')).papers.map((p: { id: string }) => p.id)).toContain('2611.60001');
    } finally {
      write.mockRestore();
      process.env = saved;
      process.exitCode = undefined;
    }
  });
});

/** Sends raw bytes, as a fuzzer does; `hangUp` closes the connection without reading the answer. */
function rawRequest(port: number, bytes: string, hangUp = false): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(bytes);
      if (hangUp) setTimeout(() => socket.destroy(), 100);
    });
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
    if (!hangUp) socket.setTimeout(5000, () => socket.destroy());
  });
}

describe('requests that cannot be read (#14.3, #14.4)', () => {
  let app: App;
  let server: PaperboyServer;
  let port: number;
  let log: string[];
  beforeAll(async () => {
    ({ app, server } = await webApp());
    log = captureLog(app);
    await server.listen({ port: 0, host: '127.0.0.1' });
    port = (server.server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await server.close();
  });
  const errors = () => log.filter((l) => / error /.test(l));

  it('answers a broken multipart body with a 400 page that says so, on every form route, and logs no error', async () => {
    const reader = (await app.store.subscribers.upsert({ email: 'form@example.org', confirmed: true }, new Date().toISOString())).subscriber;
    const boundary = '----broken-7MA4YWxk';
    const part = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n`;
    const bodies: [string, string][] = [
      ['multipart/form-data', part], // no boundary parameter
      [`multipart/form-data; boundary=${boundary}`, part], // no closing boundary
      [`multipart/form-data; boundary=${boundary}`, `--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n`], // cut in the part's header
    ];
    for (const url of [
      '/subscribe',
      `/unsubscribe?token=${signToken(app.secretKey, reader.id, 'unsubscribe')}`,
      `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`,
    ]) {
      for (const [type, payload] of bodies) {
        const res = await server.inject({ method: 'POST', url, headers: { 'content-type': type }, payload });
        expect(res.statusCode, `${url} ${type}`).toBe(400);
        expect(res.headers['content-type']).toMatch(/text\/html/);
        expect(res.body).toMatch(/The form could not be read \(its multipart\/form-data body is broken: [^)]+\); nothing was changed/);
      }
    }
    expect((await app.store.subscribers.getById(reader.id))!.status).toBe('confirmed');
    await server.settled();
    expect(errors()).toEqual([]);
  });

  it('logs a client that hangs up mid-upload at debug, not as an error', async () => {
    log.length = 0;
    const boundary = '----abort';
    await rawRequest(
      port,
      `POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 4000\r\n\r\n--${boundary}\r\nContent-Disposition: form-data; name="email"\r\n\r\nhalf`,
      true,
    );
    await rawRequest(
      port,
      `POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\nemail=half`,
      true,
    );
    await expect.poll(() => log.filter((l) => /closed the connection/.test(l)).length).toBe(2);
    expect(log.filter((l) => /closed the connection/.test(l)).every((l) => / debug /.test(l))).toBe(true);
    expect(errors()).toEqual([]);
  });

  it('answers an invalid chunked body with 400 and logs no error', async () => {
    log.length = 0;
    const answer = await rawRequest(
      port,
      `POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nemail=a@example.org\r\n0\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    // the rate limit, reading the address of a connection already closed, threw here
    await new Promise((r) => setTimeout(r, 300));
    await server.settled();
    expect(errors()).toEqual([]);
    expect(await app.store.subscribers.getByEmail('a@example.org')).toBeUndefined();
  });
});

describe('whole numbers are digits only, everywhere (#14.7)', () => {
  let app: App;
  let server: PaperboyServer;
  beforeAll(async () => {
    ({ app, server } = await webApp());
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses an empty, hex, exponent or signed delivery hour naming the field, and saves nothing', async () => {
    const reader = (await app.store.subscribers.upsert({ email: 'hour@example.org', topics: ['theory'], confirmed: true }, new Date().toISOString()))
      .subscriber;
    await app.store.subscribers.setPreferences(
      reader.id,
      { topics: ['theory'], sectionOrder: [], frequency: 'daily', timezone: 'UTC', deliveryHour: 9 },
      new Date().toISOString(),
    );
    const url = `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`;
    const formToken = await preferencesFormToken(server, url);
    for (const hour of ['', '0x3', '1e1', '+7', ' 7', '7.0', '-1', '24']) {
      const res = await server.inject({
        method: 'POST',
        url,
        ...urlencoded([
          ['topics', 'theory'],
          ['frequency', 'daily'],
          ['hour', hour],
          ['timezone', 'UTC'],
          ['form_token', formToken],
        ]),
      });
      expect(res.statusCode, JSON.stringify(hour)).toBe(400);
      expect(res.body).toContain(`Not saved: the hour &quot;${hour}&quot; is not a whole number from 0 to 23`);
    }
    expect((await app.store.subscribers.getById(reader.id))!.deliveryHour).toBe(9);
    const ok = await server.inject({
      method: 'POST',
      url,
      ...urlencoded([
        ['topics', 'theory'],
        ['frequency', 'daily'],
        ['hour', '07'],
        ['timezone', 'UTC'],
        ['form_token', formToken],
      ]),
    });
    expect(ok.statusCode).toBe(200);
    expect((await app.store.subscribers.getById(reader.id))!.deliveryHour).toBe(7);
  });

  it('refuses a search page in hex or exponent notation with a 400 naming the page', async () => {
    for (const page of ['0x10', '1e1', '', '0', '501', '2.5']) {
      const res = await server.inject({ url: `/papers?q=x&page=${encodeURIComponent(page)}` });
      expect(res.statusCode, page).toBe(400);
      expect(res.body).toContain(`the page &quot;${page}&quot; is not a whole number from 1 to 500`);
    }
    expect((await server.inject({ url: '/papers?q=x&page=2' })).statusCode).toBe(200);
  });

  it('holds the CLI integer options to the same rule', async () => {
    const dir = tempDir();
    const add = await testApp({ databaseUrl: `sqlite:${dir}/paperboy.db` });
    await add.close();
    const env = { DATA_DIR: dir, DATABASE_URL: `sqlite:${dir}/paperboy.db`, REDIS_URL: 'redis://127.0.0.1:1' };
    for (const [args, message] of [
      [['papers', 'search', 'graph', '--page', '0x2'], /--page "0x2" is not a whole number from 1 to/],
      [['papers', 'search', 'graph', '--limit', '1e1'], /--limit "1e1" is not a whole number from 1 to 500/],
      [['papers', 'list', '--limit', '0x10'], /--limit "0x10" is not a whole number from 1 to/],
      [['subscribers', 'add', 'h@example.org', '--timezone', 'UTC', '--hour', ' 7'], /--hour " 7" is not a whole number from 0 to 23/],
      [['serve', '--port', '0x50'], /--port "0x50" is not a whole number from 0 to 65535/],
      [['preview', '--serve', '--port', '8e3'], /--port "8e3" is not a whole number from 0 to 65535/],
    ] as [string[], RegExp][]) {
      const r = await runCli(['--defaults', ...args], { env, cwd: dir, timeoutMs: 30_000 });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  }, 120_000);
});
