/**
 * Robustness over ../shared/corpus/feeds: real-world RSS 0.9 – Atom 1.0 feeds, podcasts, wrong or
 * missing encodings, UTF-16, Shift_JIS, truncated files, HTML pages, and a feed that once made
 * regex sanitizers backtrack for minutes. Each file must give observations or a FeedError — never
 * another exception, never a hang (each runs inside the default test timeout). The corpus belongs
 * to its publishers and is not in this repository, so the suite is skipped where it is absent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FeedError, parseFeed } from '../../src/ingest/formats/index.ts';
import { paperObservationSchema } from '../../src/domain/paper.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = path.resolve(repoRoot, '../shared/corpus/feeds');
const exists = existsSync(corpus);

describe.skipIf(!exists)('feed corpus (../shared/corpus/feeds)', () => {
  const files = exists
    ? readdirSync(corpus)
        .filter((f) => !f.endsWith('.md'))
        .sort()
    : [];
  const report: string[] = [];
  let withItems = 0;
  let empty = 0;
  let errors = 0;

  afterAll(() => {
    console.log(`corpus: ${files.length} files — ${withItems} gave papers, ${empty} gave none, ${errors} FeedErrors\n${report.join('\n')}`);
  });

  it.each(files)('%s: observations or a FeedError', (name) => {
    const body = readFileSync(path.join(corpus, name));
    try {
      const result = parseFeed(body, { source: name, kind: 'rss', observedAt: '2026-09-24T06:00:00.000Z' });
      for (const o of result.observations) expect(paperObservationSchema.safeParse(o).success).toBe(true);
      if (result.observations.length > 0) withItems++;
      else empty++;
      report.push(
        `  ${name}: ${result.format}, ${result.observations.length} items, ${result.skipped} skipped` +
          (result.problems.length > 0 ? ` — ${result.problems.join('; ')}` : ''),
      );
    } catch (error) {
      if (!(error instanceof FeedError)) throw error;
      errors++;
      report.push(`  ${name}: FeedError — ${error.message}`);
    }
  });

  it('known cases come out as expected', () => {
    const parse = (name: string) => parseFeed(readFileSync(path.join(corpus, name)), { source: name, kind: 'rss', observedAt: '2026-09-24T06:00:00.000Z' });
    // HTML pages served at a feed URL
    for (const html of ['node-feedparser__notafeed.html', 'feedjira__titleunknown.xml', 'rss-parser__unrecognized.rss']) {
      expect(() => parse(html)).toThrow(/server sent an HTML page/);
    }
    // only a comment
    expect(() => parse('feedparser__rss_empty_document.xml')).toThrow(FeedError);
    // truncated inside a CDATA section: the item cut in half is dropped, the cut reported
    const cdata = parse('feedparser__rss_incomplete_cdata.xml');
    expect(cdata.observations).toEqual([]);
    expect(cdata.problems.some((p) => p.startsWith('the document is truncated'))).toBe(true);
    // declares utf-16, bytes are UTF-8
    expect(parse('fastfeedparser__9e0834333e854116').observations).toHaveLength(59);
    // windows-1251 declared
    expect(parse('node-feedparser__iconv.xml').title).toBe('Новости Оренбурга и области / Раздел Новости');
    // Latin-1 with no declaration
    expect(parse('miniflux__no_encoding_ISO-8859-1.xml').title).toContain('Le Cercle Psy');
    // <item> illegally nested inside <item>: 10 real items
    expect(parse('node-feedparser__illegally-nested.xml').observations).toHaveLength(10);
    // relative links resolved against the self link
    expect(parse('node-feedparser__intertwingly.atom').observations[0]!.keys.url).toMatch(/^http:\/\/intertwingly\.net\/blog\//);
    // the sanitizer-backtracking feed
    expect(parse('feedparser__large_atom_feed_that_needs_css_sanitisation.xml').observations).toHaveLength(15);
  });
});
