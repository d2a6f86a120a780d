/** Search over more matches than it ranks: the count stays exact and every match is reachable, once. */
import { describe, expect, it } from 'vitest';
import { RANKED_CANDIDATES } from '../../src/db/queries/papers.ts';
import type { Paper } from '../../src/ingest/paper.ts';
import { openStore, storageTargets } from '../harness/index.ts';

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
  it('counts every match, ranks the newest, and lists the older ones after them without repeating any', async () => {
    const store = await openStore(target);
    const n = RANKED_CANDIDATES + 30;
    for (let i = 0; i < n; i += 1000) await store.papers.saveMany(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ paper: paper(i + k), isNew: true, newAliases: [] })));
    const first = await store.papers.search(store.dialect, { query: 'widget', limit: 20, offset: 0 });
    expect(first.total).toBe(n);
    const edge = await store.papers.search(store.dialect, { query: 'widget', limit: 20, offset: RANKED_CANDIDATES - 20 });
    const beyond = await store.papers.search(store.dialect, { query: 'widget', limit: 20, offset: RANKED_CANDIDATES });
    expect(beyond.papers).toHaveLength(20);
    // the older matches, newest first: papers 29 down to 10 (0–29 are the 30 oldest)
    expect(beyond.papers.map((p) => p.id)).toEqual(Array.from({ length: 20 }, (_, k) => paper(29 - k).id));
    const seen = new Set([...first.papers, ...edge.papers].map((p) => p.id));
    for (const p of beyond.papers) expect(seen.has(p.id)).toBe(false);
    const last = await store.papers.search(store.dialect, { query: 'widget', limit: 20, offset: RANKED_CANDIDATES + 20 });
    expect(last.papers.map((p) => p.id)).toEqual(Array.from({ length: 10 }, (_, k) => paper(9 - k).id));
  }, 120_000);
});
