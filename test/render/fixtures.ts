import type { EditionContent, EditionPaper } from '../../src/rank/edition.ts';

function paper(id: string, over: Partial<EditionPaper>): EditionPaper {
  return {
    id,
    title: `Paper ${id}`,
    abstract: 'An abstract.',
    authors: ['A. Author'],
    links: { abstract: `https://arxiv.org/abs/${id}`, pdf: `https://arxiv.org/pdf/${id}` },
    categories: ['cs.LG'],
    score: 1,
    primaryTopic: 'language-models',
    topics: ['language-models'],
    sources: ['arxiv'],
    ...over,
  };
}

/** A small edition with the awkward bits: HTML-looking and LaTeX text, long author lists, no links. */
export function sampleEdition(): EditionContent {
  const papers = [
    paper('2611.00001', {
      title: 'Scaling <script>alert(1)</script> Laws & "Quotes" for Tiny Models',
      abstract: 'We show that $p < 0.05$ holds & that <img src=x onerror=alert(1)> is just text here.',
      authors: ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra'],
      score: 42.5,
      upvotes: 37,
      comments: 4,
      organization: 'Example Lab',
      aiSummary: 'Tiny models follow scaling laws too.',
      links: { abstract: 'https://arxiv.org/abs/2611.00001', pdf: 'https://arxiv.org/pdf/2611.00001', hf: 'https://huggingface.co/papers/2611.00001', code: 'https://github.com/example/tiny' },
      githubStars: 120,
    }),
    paper('2611.00002', { title: 'Steering Vectors Considered Harmful', primaryTopic: 'alignment-safety', topics: ['alignment-safety'], score: 12 }),
    paper('2611.00003', { title: 'Retrieval Is All You Need, Again', score: 5 }),
    paper('2611.00004', { title: 'A Proof About Everything', primaryTopic: 'theory', topics: ['theory'], score: 3, authors: [] }),
  ];
  return {
    kind: 'daily',
    date: '2026-11-26',
    top: ['2611.00001', '2611.00002', '2611.00003'],
    sections: [
      { topic: 'language-models', title: 'Language models', description: '', paperIds: ['2611.00001', '2611.00003'] },
      { topic: 'alignment-safety', title: 'Alignment, safety and values', description: '', paperIds: ['2611.00002'] },
      { topic: 'theory', title: 'Theory', description: '', paperIds: ['2611.00004'] },
    ],
    papers: Object.fromEntries(papers.map((p) => [p.id, p])),
    considered: 4,
  };
}

export const viewOptions = { listName: 'paperboy daily papers', subjectPrefix: 'Daily papers', publicUrl: 'https://papers.example.org', postalAddress: '1 Example Street, Springfield' };
