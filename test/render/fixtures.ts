import { readFileSync } from 'node:fs';
import { addDays } from '../../src/domain/time.ts';
import type { EditionContent, EditionPaper } from '../../src/domain/edition.ts';

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
      links: {
        abstract: 'https://arxiv.org/abs/2611.00001',
        pdf: 'https://arxiv.org/pdf/2611.00001',
        hf: 'https://huggingface.co/papers/2611.00001',
        code: 'https://github.com/example/tiny',
      },
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

export const viewOptions = {
  listName: 'paperboy daily papers',
  subjectPrefix: 'Daily papers',
  publicUrl: 'https://papers.example.org',
  postalAddress: '1 Example Street, Springfield',
};

/** The real papers of a captured Hugging Face "Daily Papers" page: title, abstract, author count. */
export function seedPapers(): { title: string; abstract: string; authorCount: number }[] {
  const text = readFileSync(new URL('../fixtures/render/daily-papers-page.txt', import.meta.url), 'utf8');
  const blocks = text.split(/\n\s*\n/).map((b) => b.trim());
  const out: { title: string; abstract: string; authorCount: number }[] = [];
  for (let i = 2; i < blocks.length; i++) {
    const m = /^•\s*(\d+) authors?/.exec(blocks[i]!);
    if (m && blocks[i - 2] && blocks[i - 1] && blocks[i - 1]!.length > 200)
      out.push({ title: blocks[i - 2]!.split('\n').pop()!, abstract: blocks[i - 1]!, authorCount: Number(m[1]) });
  }
  return out;
}

const TOPICS = [
  ['language-models', 'Language models'],
  ['vision-multimodal', 'Vision and multimodal'],
  ['agents', 'Agents and tool use'],
  ['alignment-safety', 'Alignment, safety and values'],
  ['reinforcement-learning', 'Reinforcement learning'],
  ['efficiency', 'Efficient training and inference'],
  ['theory', 'Theory'],
  ['medical', 'Medicine and biology'],
  ['robotics', 'Robotics'],
  ['speech-audio', 'Speech and audio'],
  ['other', 'Other papers'],
] as const;

const NAMES = [
  'Ada Lovelace',
  'Grace Hopper',
  'Alan Turing',
  'Edsger Dijkstra',
  'Barbara Liskov',
  'Donald Knuth',
  'Frances Allen',
  'John McCarthy',
  'Margaret Hamilton',
  'Ken Thompson',
  'Radia Perlman',
  'Tony Hoare',
  'Karen Spärck Jones',
  'Leslie Lamport',
  'Shafi Goldwasser',
  'Niklaus Wirth',
  'Sophie Wilson',
  'Dennis Ritchie',
  'Jean Sammet',
  'Robin Milner',
];

/**
 * A day of `count` real papers (the seed's, cycled, with their real author counts), spread over
 * eleven topics with a few one-paper topics, HF signals on most, most published the day before
 * and every sixth a week earlier (trending), like a busy day of the default config.
 */
export function dayEdition(count: number, date = '2026-11-26'): EditionContent {
  const seed = seedPapers();
  const papers: EditionPaper[] = [];
  for (let i = 0; i < count; i++) {
    const s = seed[i % seed.length]!;
    const id = `2611.${String(10000 + i).padStart(5, '0')}`;
    // topics 8–10 get one paper each: they merge into "More papers"
    const t = i < count - 3 ? i % 8 : 8 + (i - (count - 3));
    const topic = TOPICS[Math.min(t, TOPICS.length - 1)]![0];
    papers.push(
      paper(id, {
        title: i < seed.length ? s.title : `${s.title} (${Math.floor(i / seed.length) + 1})`,
        abstract: s.abstract,
        authors: NAMES.slice(0, Math.min(NAMES.length, s.authorCount)),
        publishedAt: `${addDays(date, i % 6 === 5 ? -7 : -1)}T00:00:00.000Z`,
        score: 100 - i * (90 / count),
        upvotes: i % 5 === 4 ? undefined : Math.max(1, 96 - i),
        comments: i % 3 === 0 ? (i % 7) + 1 : undefined,
        githubStars: i % 4 === 0 ? 312 - i : undefined,
        organization: i % 3 === 1 ? 'Example University' : undefined,
        aiKeywords: i % 2 === 0 ? ['federated learning', 'fairness', 'low-rank adaptation', 'medical imaging'] : undefined,
        primaryTopic: topic,
        topics: [topic],
        links: {
          abstract: `https://arxiv.org/abs/${id}`,
          pdf: `https://arxiv.org/pdf/${id}`,
          ...(i % 5 === 4 ? {} : { hf: `https://huggingface.co/papers/${id}` }),
          ...(i % 4 === 0 ? { code: `https://github.com/example/repo-${i}` } : {}),
        },
      }),
    );
  }
  const sections = TOPICS.map(([topic, title]) => ({
    topic,
    title,
    description: '',
    paperIds: papers.filter((p) => p.primaryTopic === topic).map((p) => p.id),
  })).filter((s) => s.paperIds.length > 0);
  return {
    kind: 'daily',
    date,
    top: papers.slice(0, 3).map((p) => p.id),
    sections,
    papers: Object.fromEntries(papers.map((p) => [p.id, p])),
    considered: count,
  };
}

/** An edition with no papers: for tests about an edition's states, not its content. */
export function emptyEdition(date = '2026-11-26', kind: 'daily' | 'weekly' = 'daily'): EditionContent {
  return { kind, date, top: [], sections: [], papers: {}, considered: 0 };
}
