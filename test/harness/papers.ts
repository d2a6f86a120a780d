import type { PaperObservation } from '../../src/domain/paper.ts';

/**
 * What an arXiv RSS feed says about a new cs.CL paper announced for the edition of
 * 2026-11-26 (UTC, 06:00 cut-off): the tests change only what they are about.
 */
export function arxivObservation(id: string, over: Partial<Omit<PaperObservation, 'keys'>> = {}): PaperObservation {
  return {
    keys: { arxivId: id },
    title: `Paper ${id}`,
    abstract: 'We train a large language model.',
    authors: ['A. Author'],
    categories: ['cs.CL'],
    links: { abstract: `https://arxiv.org/abs/${id}` },
    announcedAt: '2026-11-26T01:00:00.000Z',
    signal: { source: 'arxiv', kind: 'arxiv-rss', observedAt: '2026-11-26T02:00:00.000Z', announceType: 'new' },
    ...over,
  };
}
