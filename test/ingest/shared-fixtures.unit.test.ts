/**
 * Conformance over the real feed samples in ../shared/fixtures (see SOURCES.md there). Those files
 * belong to their publishers and are never copied into this repository, so this suite runs only
 * where that folder exists (a developer machine or CI with the shared checkout) and is skipped
 * elsewhere; the project's own fixtures in test/fixtures/feeds cover the same formats.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FeedError, parseFeed } from '../../src/ingest/formats/index.ts';
import type { ParseResult } from '../../src/ingest/formats/types.ts';
import { paperObservationSchema } from '../../src/domain/paper.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedFixtures = path.resolve(repoRoot, '../shared/fixtures');
const exists = existsSync(sharedFixtures);

const OBSERVED = '2026-09-24T06:00:00.000Z';
const parse = (name: string): ParseResult => parseFeed(readFileSync(path.join(sharedFixtures, name)), { source: 'shared', kind: 'rss', observedAt: OBSERVED });

/** The one file that is an error by design. */
const ERROR_FILES = new Set(['arxiv-api-atom-2026-04-error-400-bad-id.xml']);

describe.skipIf(!exists)('shared fixtures (../shared/fixtures)', () => {
  const files = exists
    ? readdirSync(sharedFixtures)
        .filter((f) => !f.endsWith('.md'))
        .sort()
    : [];

  it.each(files)('%s gives valid observations (or, for the error answer, a FeedError)', (name) => {
    if (ERROR_FILES.has(name)) {
      expect(() => parse(name)).toThrow(FeedError);
      return;
    }
    const result = parse(name);
    for (const o of result.observations) expect(paperObservationSchema.safeParse(o).success).toBe(true);
    expect(result.skipped).toBe(0);
  });

  it('arXiv RSS, combined categories: 4 items, 2 new / 1 cross / 1 replace', () => {
    const result = parse('arxiv-rss-combined-cs.LG+cs.AI+cs.CL+stat.ML-2026-09-24-4items.xml');
    expect(result.format).toBe('arxiv-rss');
    expect(result.observations).toHaveLength(4);
    const types = result.observations.map((o) => o.signal.announceType);
    expect(types.filter((t) => t === 'new')).toHaveLength(2);
    expect(types.filter((t) => t === 'cross')).toHaveLength(1);
    expect(types.filter((t) => t === 'replace')).toHaveLength(1);
    const cross = result.observations.find((o) => o.keys.arxivId === '2205.06398')!;
    expect(cross.doi).toBe('10.1093/bioinformatics/btac431');
    expect(cross.primaryCategory).toBeUndefined();
    expect(cross.authors).toEqual(['Pritam Dey', 'Zhengwu Zhang', 'David B. Dunson']);
    expect(result.observations.map((o) => o.keys.arxivId)).toContain('2609.26811');
    for (const o of result.observations) {
      expect(o.keys.arxivId).not.toMatch(/v\d+$/);
      expect(o.announcedAt).toBe('2026-09-24T00:00:00.000Z');
    }
  });

  it('arXiv RSS cs.LG (re-serialized): 3 new items with &amp; decoded once', () => {
    const result = parse('arxiv-rss-cs.LG-2026-04-27-trimmed-3items.xml');
    expect(result.format).toBe('arxiv-rss');
    expect(result.observations.map((o) => o.signal.announceType)).toEqual(['new', 'new', 'new']);
    expect(JSON.stringify(result.observations)).not.toContain('&amp;');
  });

  it('the Saturday feed: 0 items, no problem, no error', () => {
    const result = parse('arxiv-rss-cs.CL-2026-08-01-saturday-empty.xml');
    expect(result.format).toBe('arxiv-rss');
    expect(result.observations).toEqual([]);
    expect(result.problems).toEqual([]);
  });

  it('arXiv API: 100 entries (2026 serializer), 10 (legacy), and the error answer is a FeedError', () => {
    const current = parse('arxiv-api-atom-2026-04-search-testing-100.xml');
    expect(current.format).toBe('arxiv-api');
    expect(current.observations).toHaveLength(100);
    expect(current.observations.filter((o) => o.journalRef)).toHaveLength(18);
    expect(current.observations.filter((o) => o.doi)).toHaveLength(32);
    expect(current.observations.every((o) => o.primaryCategory && o.publishedAt && o.announcedAt)).toBe(true);
    expect(JSON.stringify(current.observations)).toContain('Lämmerzahl');

    const legacy = parse('arxiv-api-atom-legacy-2016-au-del_maestro.xml');
    expect(legacy.format).toBe('arxiv-api');
    expect(legacy.observations).toHaveLength(10);
    for (const o of legacy.observations) {
      expect(o.abstract).not.toMatch(/^\s|\n/);
      expect(o.links.abstract).toMatch(/^https:\/\/arxiv\.org\/abs\/[^v]+$/);
    }

    expect(() => parse('arxiv-api-atom-2026-04-error-400-bad-id.xml')).toThrow(/the arXiv API answered with an error: incorrect id format for abc/);
  });

  it('HF daily papers: 30 items with their optional keys', () => {
    const result = parse('hf-daily-papers-2026-06-12.json');
    expect(result.format).toBe('hf-daily');
    expect(result.observations).toHaveLength(30);
    expect(result.observations.filter((o) => o.signal.organization)).toHaveLength(16);
    expect(result.observations.filter((o) => o.links.code)).toHaveLength(16);
    expect(result.observations.filter((o) => o.links.project)).toHaveLength(13);
    expect(Math.max(...result.observations.map((o) => o.signal.upvotes ?? 0))).toBe(118);
    expect(result.observations.every((o) => o.signal.submittedOnDailyAt?.startsWith('2026-06-12'))).toBe(true);
    expect(result.observations.every((o) => !o.abstract.includes('\n'))).toBe(true);
  });

  it('bioRxiv API: 100 records; journal DOI only when not "NA"', () => {
    const result = parse('biorxiv-api-details-2024-page0-100records.json');
    expect(result.format).toBe('biorxiv-api');
    expect(result.observations).toHaveLength(100);
    expect(result.observations.filter((o) => o.journalRef)).toHaveLength(54);
    expect(result.observations[0]!.keys.doi).toBe('10.1101/029900');
    expect(result.observations[0]!.links.abstract).toBe('https://www.biorxiv.org/content/10.1101/029900v3');
  });

  it('bioRxiv RSS 1.0: the CDATA title is trimmed', () => {
    const result = parse('biorxiv-rss1.0-genomics-2023-12-trimmed-1item.xml');
    expect(result.observations).toHaveLength(1);
    const [o] = result.observations;
    expect(o!.title).toMatch(/^Complete genome of the Medicago anthracnose fungus.*core chromosome\.$/);
    expect(o!.keys.doi).toBe('10.1101/2023.12.16.571984');
    expect(o!.authors[0]).toBe('LAPALU, N.');
  });

  it('davidbau (declares iso-8859-1, bytes UTF-8): 15 items and no mojibake', () => {
    const result = parse('quirky-rss1.0-davidbau-iso8859-declared-utf8-mojibake.xml');
    expect(result.format).toBe('rdf');
    expect(result.observations).toHaveLength(15);
    expect(result.problems).toContain('declared iso-8859-1 but the bytes are UTF-8; read as UTF-8');
    expect(JSON.stringify(result.observations)).not.toContain('Ã');
  });

  it('Jekyll Atom: titles decoded exactly once', () => {
    const result = parse('quirky-atom-jekyll-localhost-links-double-escaped-title.xml');
    expect(result.title).toBe('Science & technology experiments');
    expect(result.observations).toHaveLength(10);
    for (const o of result.observations) expect(o.title).not.toMatch(/&amp;|&#/);
  });

  it('oceanbites Atom: 20 entries, &#038; in links decoded', () => {
    const result = parse('research-blog-atom-oceanbites-2026-02.xml');
    expect(result.observations).toHaveLength(20);
    for (const o of result.observations) expect(o.keys.url).not.toContain('&#038;');
  });
});
