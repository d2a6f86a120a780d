import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { isReplacementOnly, scoreParts, scorePaper } from '../../src/rank/score.ts';
import type { Paper } from '../../src/domain/paper.ts';

const weights = parseConfig({}, 'defaults').rank.weights;
const reference = new Date('2026-11-26T06:00:00Z');

function paper(over: Partial<Paper> = {}): Parameters<typeof scorePaper>[0] {
  return {
    signals: { arxiv: { source: 'arxiv', kind: 'arxiv-rss', observedAt: '2026-11-26T02:00:00Z', announceType: 'new' } },
    announceType: 'new',
    announcedAt: '2026-11-26T01:00:00Z',
    firstSeenAt: '2026-11-26T02:00:00Z',
    links: {},
    ...over,
  };
}

describe('score', () => {
  it('ranks HF engagement, several kinds of source, code and new announcements above a bare cross-list', () => {
    const bare = scorePaper(
      paper({ announceType: 'cross', signals: { arxiv: { source: 'arxiv', kind: 'arxiv-rss', observedAt: '2026-11-26T02:00:00Z', announceType: 'cross' } } }),
      weights,
      reference,
    );
    const fresh = scorePaper(paper(), weights, reference);
    const withCode = scorePaper(paper({ links: { code: 'https://github.com/a/b' } }), weights, reference);
    const popular = scorePaper(
      paper({
        signals: { arxiv: paper().signals.arxiv!, hf: { source: 'hf', kind: 'hf-daily', observedAt: '2026-11-26T02:00:00Z', upvotes: 40, comments: 3 } },
      }),
      weights,
      reference,
    );
    expect(fresh).toBeGreaterThan(bare);
    expect(withCode).toBeGreaterThan(fresh);
    expect(popular).toBeGreaterThan(withCode);
  });

  it('decays engagement with age and takes points off older papers', () => {
    const hf = { source: 'hf', kind: 'hf-daily' as const, observedAt: '2026-11-26T02:00:00Z', upvotes: 40 };
    const today = scorePaper(paper({ signals: { hf } }), weights, reference);
    const older = scorePaper(paper({ signals: { hf }, announcedAt: '2026-11-22T01:00:00Z' }), weights, reference);
    expect(older).toBeLessThan(today);
  });

  it('counts two arXiv feeds as one kind of source', () => {
    const twoFeeds = paper({ signals: { a: paper().signals.arxiv!, b: { ...paper().signals.arxiv!, source: 'b' } } });
    expect(scoreParts(twoFeeds, weights, reference).some((p) => p.name.startsWith('reported by'))).toBe(false);
  });

  it('gives the same score for the same input, whenever it is computed', () => {
    expect(scorePaper(paper(), weights, reference)).toBe(scorePaper(paper(), weights, new Date(reference)));
  });

  it('keeps replacement-only papers out of editions, but not one that HF or a blog brought', () => {
    const arxivOnly = { arxiv: { source: 'arxiv', kind: 'arxiv-rss' as const, observedAt: '2026-11-26T02:00:00Z' } };
    expect(isReplacementOnly({ announceType: 'replace', signals: arxivOnly })).toBe(true);
    expect(isReplacementOnly({ announceType: 'replace-cross', signals: arxivOnly })).toBe(true);
    expect(isReplacementOnly({ announceType: 'new', signals: arxivOnly })).toBe(false);
    expect(isReplacementOnly({ signals: {} })).toBe(false);
    const trending = { ...arxivOnly, hf: { source: 'hf', kind: 'hf-daily' as const, observedAt: '2026-11-26T02:00:00Z', upvotes: 50 } };
    expect(isReplacementOnly({ announceType: 'replace', signals: trending })).toBe(false);
  });
});
