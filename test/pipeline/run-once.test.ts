/**
 * The whole pipeline as an operator runs it: `paperboy run --once` on the sample feeds,
 * served from a loopback HTTP server, through BullMQ on a real Redis, into .eml files that
 * are parsed back like a mail client would.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, serveRoutes, storageTargets, tempDir, redisUrl, type CliResult } from '../harness/index.ts';

const DATE = '2026-11-26';
const feeds = path.join(repoRoot, 'demo', 'feeds');

async function sampleFeedServer() {
  return serveRoutes({
    '/arxiv.xml': { headers: { 'content-type': 'application/rss+xml; charset=utf-8' }, body: readFileSync(path.join(feeds, 'arxiv-cs.xml')) },
    '/hf.json': { headers: { 'content-type': 'application/json' }, body: readFileSync(path.join(feeds, 'hf-daily.json')) },
    '/blog.atom': { headers: { 'content-type': 'application/atom+xml' }, body: readFileSync(path.join(feeds, 'lab-blog.atom')) },
  });
}

function writeConfig(dir: string, base: string, extraSources: unknown[] = []): string {
  const defaults = JSON.parse(readFileSync(path.join(repoRoot, 'paperboy.config.json'), 'utf8'));
  const config = {
    ...defaults,
    sources: [
      { name: 'sample-arxiv', kind: 'arxiv-rss', url: `${base}/arxiv.xml`, allowLocal: true },
      { name: 'sample-hf', kind: 'hf-daily', url: `${base}/hf.json`, allowLocal: true },
      { name: 'sample-blog', kind: 'rss', url: `${base}/blog.atom`, allowLocal: true },
      ...extraSources,
    ],
  };
  const file = path.join(dir, 'paperboy.config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function emlFiles(outbox: string): string[] {
  const dir = path.join(outbox, DATE);
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => path.join(dir, f))
      .sort();
  } catch {
    return [];
  }
}

function expectNewOrUpdated(stdout: string, source: string, items: number): void {
  const m = new RegExp(`^${source}: (\\d+) new, (\\d+) updated, 0 unchanged$`, 'm').exec(stdout);
  expect(m, stdout).not.toBeNull();
  expect(Number(m![1]) + Number(m![2])).toBe(items);
}

function headerText(mail: ParsedMail, name: string): string {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase());
  return line
    ? line.line
        .slice(line.line.indexOf(':') + 1)
        .replace(/\r?\n\s+/g, ' ')
        .trim()
    : '';
}

for (const target of storageTargets()) {
  describe(`paperboy run --once on ${target.name}`, () => {
    let env: Record<string, string>;
    let outbox: string;
    let first: CliResult;
    let server: Awaited<ReturnType<typeof sampleFeedServer>>;

    beforeAll(async () => {
      server = await sampleFeedServer();
      const dir = tempDir('pb-e2e-');
      outbox = path.join(dir, 'outbox');
      env = {
        DATA_DIR: dir,
        DATABASE_URL: await target.databaseUrl(),
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: `e2e-${target.name}-${Date.now()}`,
        PAPERBOY_CONFIG: writeConfig(dir, server.url),
        MAIL_FROM: 'Daily Papers <papers@example.org>',
        PUBLIC_URL: 'https://papers.example.org',
        SECRET_KEY: 'e2e-secret-key-0123456789',
      };
      for (const [email, topics] of [
        ['ada@example.org', ''],
        ['grace@example.org', 'language-models,alignment-safety'],
      ] as const) {
        const added = await runCli(['subscribers', 'add', email, '--confirmed', ...(topics ? ['--topics', topics] : [])], { env });
        expect(added.code, added.stderr).toBe(0);
      }
      // a pending subscriber must get nothing
      expect((await runCli(['subscribers', 'add', 'pending@example.org'], { env })).code).toBe(0);
      first = await runCli(['run', '--once', '--date', DATE], { env });
    }, 240_000);

    it('finishes with exit 0 and a summary naming every source', () => {
      expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
      // the sources are read concurrently: a paper two of them share is "new" for whichever came first
      expectNewOrUpdated(first.stdout, 'sample-arxiv', 16);
      expectNewOrUpdated(first.stdout, 'sample-hf', 8);
      expect(first.stdout).toMatch(/sample-blog: /);
      expect(first.stdout).toMatch(new RegExp(`edition ${DATE}: 2 sent \\(2 by this run\\), 0 failed`));
    });

    it('writes one .eml per confirmed subscriber, each a complete digest of its variant', async () => {
      const files = emlFiles(outbox);
      expect(files).toHaveLength(2);
      const show = await runCli(['edition', 'show', '--date', DATE, '--json'], { env });
      expect(show.code, show.stderr).toBe(0);
      const edition = JSON.parse(show.stdout) as {
        date: string;
        sections: { topic: string; title: string; papers: { id: string; title: string; score: number }[] }[];
      };

      const mails = await Promise.all(files.map(async (f) => simpleParser(readFileSync(f))));
      const byRecipient = new Map(mails.map((m) => [(m.to as { text: string }).text, m]));
      const ada = byRecipient.get('ada@example.org')!;
      const grace = byRecipient.get('grace@example.org')!;
      expect(ada).toBeDefined();
      expect(grace).toBeDefined();

      const variants: [ParsedMail, string[]][] = [
        [ada, edition.sections.map((s) => s.topic)],
        [grace, ['language-models', 'alignment-safety']],
      ];
      for (const [mail, topics] of variants) {
        const sections = edition.sections.filter((s) => topics.includes(s.topic));
        const top = sections.flatMap((s) => s.papers).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))[0]!;
        expect(mail.subject).toContain('Daily papers');
        // the subject says what the top paper is about: its title, or the part after a name and
        // a colon, cut at a word ("Learning to Rank… + 17 more · Daily papers")
        const about = mail.subject!.replace(/ \+ \d+ more · .*$| · Daily papers$/, '').replace(/…$/, '');
        expect(about.length).toBeGreaterThan(10);
        expect(top.title.toLowerCase()).toContain(about.toLowerCase());
        expect(mail.subject!.length).toBeLessThanOrEqual(70);
        expect(mail.from?.value[0]).toMatchObject({ name: 'Daily Papers', address: 'papers@example.org' });
        expect(mail.text).toBeTruthy();
        expect(mail.html).toBeTruthy();
        for (const s of sections) {
          for (const p of s.papers) {
            expect(mail.text, `text part lacks ${p.id}`).toContain(p.title.slice(0, 30));
            expect(mail.html as string, `html part lacks ${p.id}`).toContain(p.title.replace(/&/g, '&amp;'));
          }
        }
        // sections the subscriber did not choose are not in their mail
        for (const s of edition.sections.filter((x) => !topics.includes(x.topic))) {
          for (const p of s.papers) expect(mail.text).not.toContain(p.title);
        }
        const listUnsubscribe = headerText(mail, 'List-Unsubscribe');
        expect(listUnsubscribe).toMatch(/^<https:\/\/papers\.example\.org\/unsubscribe\?token=[\w.-]+>, <mailto:unsubscribe@example\.org\?subject=[^>]+>$/);
        expect(headerText(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
        expect(headerText(mail, 'List-Id')).toMatch(/<[\w.-]+>$/);
        expect(mail.messageId).toMatch(new RegExp(`^<${DATE}\\.\\d+\\.\\w+@example\\.org>$`));
        // the per-subscriber links were filled in, no placeholder left
        expect(mail.html).not.toMatch(/%%PB_/);
        expect(mail.text).not.toMatch(/%%PB_/);
        expect(mail.text).toContain(listUnsubscribe.slice(1, listUnsubscribe.indexOf('>')));
      }
      expect(ada.messageId).not.toBe(grace.messageId);
    });

    it('answers edition show --json and papers list --json in the documented shapes', async () => {
      const show = JSON.parse((await runCli(['edition', 'show', '--date', DATE, '--json'], { env })).stdout);
      expect(show.date).toBe(DATE);
      expect(show.sections.length).toBeGreaterThan(3);
      for (const s of show.sections) {
        expect(typeof s.topic).toBe('string');
        expect(typeof s.title).toBe('string');
        const scores = s.papers.map((p: { score: number }) => p.score);
        expect(scores).toEqual([...scores].sort((a: number, b: number) => b - a));
        for (const p of s.papers) expect(Object.keys(p)).toEqual(expect.arrayContaining(['id', 'title', 'score']));
      }
      const list = await runCli(['papers', 'list', '--date', DATE, '--json'], { env });
      expect(list.code, list.stderr).toBe(0);
      const papers = JSON.parse(list.stdout) as { id: string; title: string; sources: string[]; topics: string[]; score: number; editionDate: string }[];
      for (const p of papers) {
        expect(Object.keys(p)).toEqual(expect.arrayContaining(['id', 'title', 'sources', 'topics', 'score', 'editionDate']));
        expect(p.editionDate).toBe(DATE);
      }
      // arXiv ids without version; the paper the three sources share is one paper with three sources
      const shared = papers.find((p) => p.id === '2611.12065')!;
      expect(shared.sources.sort()).toEqual(['sample-arxiv', 'sample-blog', 'sample-hf']);
      expect(papers.every((p) => !/v\d+$/.test(p.id))).toBe(true);

      const explain = await runCli(['papers', 'explain', '2611.12065'], { env });
      expect(explain.code, explain.stderr).toBe(0);
      expect(explain.stdout).toMatch(new RegExp(`primary: ${shared.topics[0]}`));
      expect(explain.stdout).toMatch(/title: lora/i);
      expect(explain.stdout).toMatch(/HF engagement \(\d+ upvotes/);
      expect(explain.stdout).toMatch(/code available/);
    });

    it('sends nothing new on a second run', async () => {
      const before = emlFiles(outbox).map((f) => readFileSync(f, 'utf8'));
      const second = await runCli(['run', '--once', '--date', DATE], { env });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(/sample-arxiv: (0 new, 0 updated, 16 unchanged|unchanged)/);
      expect(second.stdout).toMatch(new RegExp(`edition ${DATE}: unchanged`));
      expect(second.stdout).toMatch(new RegExp(`edition ${DATE}: 2 sent \\(0 by this run\\), 0 failed`));
      const after = emlFiles(outbox).map((f) => readFileSync(f, 'utf8'));
      expect(after).toEqual(before);
      const again = await runCli(['edition', 'send', '--date', DATE, '--wait'], { env });
      expect(again.code, again.stderr).toBe(0);
      expect(emlFiles(outbox).map((f) => readFileSync(f, 'utf8'))).toEqual(before);
    });
  });
}

describe('paperboy run --once with a broken source', () => {
  it('reports the source by name, keeps the others and exits 2', async () => {
    const server = await sampleFeedServer();
    const broken = await serveRoutes({ '/down.xml': { status: 503, body: 'maintenance' } });
    const dir = tempDir('pb-e2e-broken-');
    const env = {
      DATA_DIR: dir,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: `e2e-broken-${Date.now()}`,
      PAPERBOY_CONFIG: writeConfig(dir, server.url, [{ name: 'flaky-blog', kind: 'rss', url: `${broken.url}/down.xml`, allowLocal: true }]),
      SECRET_KEY: 'e2e-secret-key-0123456789',
    };
    expect((await runCli(['subscribers', 'add', 'ada@example.org', '--confirmed'], { env })).code).toBe(0);
    const result = await runCli(['run', '--once', '--date', DATE], { env });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toMatch(/flaky-blog: error: .*503/);
    expectNewOrUpdated(result.stdout, 'sample-arxiv', 16);
    expect(result.stdout).toMatch(new RegExp(`edition ${DATE}: 1 sent \\(1 by this run\\)`));
  }, 180_000);
});
