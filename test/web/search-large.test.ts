/**
 * Search over more matches than it ranks or counts: every match is reachable, once; the count
 * is exact up to COUNT_CAP (or the page asked for) and says "more" past it.
 */
import { describe, expect, it } from 'vitest';
import { COUNT_CAP, RANKED_CANDIDATES } from '../../src/db/queries/papers.ts';
import type { Paper } from '../../src/domain/paper.ts';
import { openStore, storageTargets } from '../harness/index.ts';
import { searchPage } from '../../templates/pages/papers.ts';

function paper(i: number): Paper {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
  return {
    id: `2601.${String(i).padStart(5, '0')}`,
    title: i === 7 ? 'Widget widget widget' : `Paper ${i}`,
    abstract: `A study of the widget, number ${i}.`,
    authors: ['A. Author'],
    categories: ['cs.LG'],
    links: {},
    firstSeenAt: at,
    updatedAt: at,
    sources: ['arxiv'],
    textSource: 'arxiv-rss',
    signals: {},
    contentHash: String(i),
    editionDate: at.slice(0, 10),
    topics: [],
  };
}

describe.each(storageTargets())('search past the ranked matches on $name', (target) => {
  it('counts up to the cap, ranks the newest, and lists the older ones after them without repeating any', async () => {
    const store = await openStore(target);
    const n = RANKED_CANDIDATES + 30;
    for (let i = 0; i < n; i += 1000)
      await store.papers.saveMany(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ paper: paper(i + k), isNew: true, newAliases: [] })));
    const first = await store.papers.search(store.dialect, { query: 'widget', limit: 20, offset: 0 });
    // counting 100,000 matches of a common word took PostgreSQL half a second: the count stops
    expect(first).toMatchObject({ total: COUNT_CAP, more: true });
    const rare = await store.papers.search(store.dialect, { query: 'widget number 7', limit: 20, offset: 0 });
    expect(rare).toMatchObject({ total: 1, papers: [{ id: paper(7).id }] });
    expect(rare.more).toBeUndefined();
    const edge = await store.papers.search(store.dialect, { query: 'widget', limit: 20, offset: RANKED_CANDIDATES - 20 });
    const beyond = await store.papers.search(store.dialect, { query: 'widget', limit: 20, offset: RANKED_CANDIDATES });
    expect(beyond.papers).toHaveLength(20);
    // the older matches, newest first: papers 29 down to 10 (0–29 are the 30 oldest)
    expect(beyond.papers.map((p) => p.id)).toEqual(Array.from({ length: 20 }, (_, k) => paper(29 - k).id));
    const seen = new Set([...first.papers, ...edge.papers].map((p) => p.id));
    for (const p of beyond.papers) expect(seen.has(p.id)).toBe(false);
    const last = await store.papers.search(store.dialect, { query: 'widget', limit: 20, offset: RANKED_CANDIDATES + 20 });
    expect(last.papers.map((p) => p.id)).toEqual(Array.from({ length: 10 }, (_, k) => paper(9 - k).id));
    // far pages count far enough to know whether a next page exists; the last one is exact
    expect(beyond).toMatchObject({ total: RANKED_CANDIDATES + 20, more: true });
    expect(last.total).toBe(n);
    expect(last.more).toBeUndefined();
  }, 120_000);
});

describe('the search page past the count cap', () => {
  it('says "more than" and still offers the next page', () => {
    const hit = { id: '2601.00001', title: 'Widget', authors: 'A. Author', abstract: 'A study.', href: 'https://arxiv.org/abs/2601.00001' };
    const body = searchPage({
      listName: 'Daily Papers',
      query: 'widget',
      topics: [],
      hits: Array.from({ length: 20 }, () => hit),
      total: COUNT_CAP,
      more: true,
      page: 1,
      pageSize: 20,
      queryString: 'q=widget',
    });
    expect(body).toMatch(/More than 1,000 papers match &quot;widget&quot;; 1–20 shown\./);
    expect(body).toMatch(/href="\/papers\?q=widget&(amp;)?page=2" rel="next"/);
  });
});
