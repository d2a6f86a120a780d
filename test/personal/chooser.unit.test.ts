/** For you's ranking, without a database: profiles from votes, seeds and an author id, and the picks they give. */
import { describe, expect, it } from 'vitest';
import { authorKeys, parseAuthorId } from '../../src/personal/authors.ts';
import { ForYouChooser } from '../../src/personal/chooser.ts';
import type { PaperText } from '../../src/personal/features.ts';
import { buildProfile, decayFactor } from '../../src/personal/profile.ts';
import { parseAuthorIdField, parseSeedPapers } from '../../src/personal/profiles.ts';
import type { EditionContent, EditionPaper } from '../../src/domain/edition.ts';

const NOW = new Date('2026-11-26T06:00:00Z');
const HALF_LIFE = 30;

/** Real-shaped papers of one day: a few on diffusion models, robot learning, LLM evaluation. */
const DAY: Omit<EditionPaper, 'links' | 'categories' | 'sources' | 'topics'>[] = [
  {
    id: '2611.00001',
    title: 'Scaling Laws for Mixture-of-Experts Language Models',
    abstract: 'We study how sparse mixture-of-experts language models scale with compute and data, and fit scaling laws for expert count.',
    authors: ['Ada Lovelace'],
    score: 90,
    primaryTopic: 'language-models',
  },
  {
    id: '2611.00002',
    title: 'A Benchmark for Long-Context Retrieval in Large Language Models',
    abstract: 'We introduce a benchmark that measures retrieval over contexts of a million tokens.',
    authors: ['Grace Hopper'],
    score: 80,
    primaryTopic: 'evaluation-benchmarks',
  },
  {
    id: '2611.00003',
    title: 'Reward Models Are Easily Fooled',
    abstract: 'We show that reward models used for alignment can be gamed by simple perturbations of the response.',
    authors: ['Alan Turing'],
    score: 70,
    primaryTopic: 'alignment-safety',
  },
  {
    id: '2611.00004',
    title: 'Consistency Distillation for One-Step Image Diffusion',
    abstract: 'We distil a latent diffusion model into a one-step image generator with consistency training, keeping image quality.',
    authors: ['Geoffrey E. Hinton', 'Yann LeCun'],
    score: 20,
    primaryTopic: 'generative-models',
  },
  {
    id: '2611.00005',
    title: 'Video Diffusion Transformers with Sparse Attention',
    abstract: 'A video diffusion transformer generates long videos; sparse attention keeps denoising affordable.',
    authors: ['Fei-Fei Li'],
    score: 15,
    primaryTopic: 'generative-models',
  },
  {
    id: '2611.00006',
    title: 'Sim-to-Real Transfer for Dexterous Robot Hands',
    abstract: 'Reinforcement learning policies for a robot hand trained in simulation transfer to the real robot with domain randomisation.',
    authors: ['Pieter Abbeel'],
    score: 30,
    primaryTopic: 'reinforcement-learning',
  },
  {
    id: '2611.00007',
    title: 'Offline Reinforcement Learning for Robot Manipulation',
    abstract: 'We learn robot manipulation policies from logged data with offline reinforcement learning.',
    authors: ['Sergey Levine'],
    score: 25,
    primaryTopic: 'reinforcement-learning',
  },
  {
    id: '2611.00008',
    title: 'Evaluating Code Generation with Unit Tests',
    abstract: 'We evaluate code generation of language models with generated unit tests and find benchmarks overestimate accuracy.',
    authors: ['Barbara Liskov'],
    score: 40,
    primaryTopic: 'evaluation-benchmarks',
  },
  {
    id: '2611.00009',
    title: 'Score-Based Diffusion for Audio Generation',
    abstract: 'A score-based diffusion model generates speech and music audio with a denoising network conditioned on text.',
    authors: ['Laurens van der Maaten'],
    score: 10,
    primaryTopic: 'generative-models',
  },
];

function edition(papers = DAY): EditionContent {
  const full: Record<string, EditionPaper> = {};
  for (const p of papers) full[p.id] = { ...p, links: {}, categories: [], sources: ['arxiv'], topics: [p.primaryTopic] };
  const topics = [...new Set(papers.map((p) => p.primaryTopic))];
  return {
    kind: 'daily',
    date: '2026-11-26',
    top: [],
    sections: topics.map((t) => ({ topic: t, title: t, description: '', paperIds: papers.filter((p) => p.primaryTopic === t).map((p) => p.id) })),
    papers: full,
    considered: papers.length,
  };
}

/** A paper of an earlier day, as a vote or a seed names it. */
const earlier = (id: string, title: string, abstract: string, topic: string, authors = ['Some One']): PaperText => ({
  id,
  title,
  abstract,
  authors,
  topics: [topic],
});
const IMAGE_DIFFUSION = earlier(
  '2610.00001',
  'Faster Sampling for Latent Diffusion Models',
  'We speed up sampling of latent diffusion image models with fewer denoising steps and distillation.',
  'generative-models',
);
const ROBOTS = earlier(
  '2610.00002',
  'Learning Robot Grasping from Demonstrations',
  'Robot grasping policies learnt from human demonstrations and reinforcement learning.',
  'reinforcement-learning',
);

const chooser = (content = edition()) => new ForYouChooser(content, { size: 3, halfLifeDays: HALF_LIFE, at: NOW.toISOString() });

describe('For you picks', () => {
  it('gives a reader who asked for more of a diffusion paper the day’s diffusion papers, image first, never a paper of Top today', () => {
    const profile = buildProfile({ votes: [{ paper: IMAGE_DIFFUSION, vote: 'more', at: '2026-11-20T08:00:00Z' }], seeds: [] }, NOW, HALF_LIFE)!;
    const picks = chooser().choose(profile, []);
    expect(picks[0]).toBe('2611.00004');
    expect([...picks].sort()).toEqual(['2611.00004', '2611.00005', '2611.00009']);
    // the day's three best papers lead as Top today for this reader: For you leaves them out
    for (const top of ['2611.00001', '2611.00002', '2611.00003']) expect(picks).not.toContain(top);
  });

  it('keeps a reader’s topics: a diffusion fan who reads only reinforcement learning gets no diffusion paper', () => {
    const profile = buildProfile(
      {
        votes: [
          { paper: IMAGE_DIFFUSION, vote: 'more', at: '2026-11-20T08:00:00Z' },
          { paper: ROBOTS, vote: 'more', at: '2026-11-20T08:00:00Z' },
        ],
        seeds: [],
      },
      NOW,
      HALF_LIFE,
    )!;
    expect(chooser().choose(profile, ['reinforcement-learning']).sort()).toEqual(['2611.00006', '2611.00007']);
  });

  it('leaves out what a reader asked less of, and gives no block to a reader whose votes are all "less"', () => {
    const both = buildProfile(
      {
        votes: [
          { paper: ROBOTS, vote: 'more', at: '2026-11-25T08:00:00Z' },
          { paper: IMAGE_DIFFUSION, vote: 'less', at: '2026-11-25T08:00:00Z' },
        ],
        seeds: [],
      },
      NOW,
      HALF_LIFE,
    )!;
    const picks = chooser().choose(both, []);
    expect(picks.slice(0, 2).sort()).toEqual(['2611.00006', '2611.00007']);
    expect(picks).not.toContain('2611.00004');
    const onlyLess = buildProfile({ votes: [{ paper: IMAGE_DIFFUSION, vote: 'less', at: '2026-11-25T08:00:00Z' }], seeds: [] }, NOW, HALF_LIFE)!;
    expect(chooser().choose(onlyLess, [])).toEqual([]);
  });

  it('counts a vote half after the half-life, a quarter after two, and a fresh one whole', () => {
    const at = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
    const weight = (days: number) =>
      buildProfile({ votes: [{ paper: IMAGE_DIFFUSION, vote: 'more', at: at(days) }], seeds: [] }, NOW, HALF_LIFE)!.learned.topics['generative-models']!;
    expect(weight(0)).toBeCloseTo(1, 4);
    expect(weight(30)).toBeCloseTo(0.5, 4);
    expect(weight(60)).toBeCloseTo(0.25, 4);
    // a profile built last month fades as a whole by the next edition
    expect(decayFactor(at(30), NOW, HALF_LIFE)).toBeCloseTo(0.5, 6);
    // a newer vote outweighs an older opposite one on the same kind of paper
    const moved = buildProfile(
      {
        votes: [
          { paper: IMAGE_DIFFUSION, vote: 'less', at: at(90) },
          { paper: { ...IMAGE_DIFFUSION, id: '2610.00009' }, vote: 'more', at: at(1) },
        ],
        seeds: [],
      },
      NOW,
      HALF_LIFE,
    )!;
    expect(chooser().choose(moved, [])[0]).toBe('2611.00004');
  });

  it('has no profile and no picks for a reader with no votes, no known seed and no author id', () => {
    expect(buildProfile({ votes: [], seeds: [] }, NOW, HALF_LIFE)).toBeUndefined();
  });

  it('picks from seed papers, which do not fade, and from the reader’s arXiv author id', () => {
    const seeded = buildProfile({ votes: [], seeds: [ROBOTS] }, new Date('2025-01-01T00:00:00Z'), HALF_LIFE)!;
    expect(chooser().choose(seeded, []).slice(0, 2).sort()).toEqual(['2611.00006', '2611.00007']);
    const author = buildProfile({ votes: [], seeds: [], author: parseAuthorId('vandermaaten_l_1') }, NOW, HALF_LIFE)!;
    expect(chooser().choose(author, [])).toEqual(['2611.00009']);
    const hinton = buildProfile({ votes: [], seeds: [], author: parseAuthorId('https://arxiv.org/a/hinton_g_1') }, NOW, HALF_LIFE)!;
    expect(chooser().choose(hinton, [])).toEqual(['2611.00004']);
  });

  it('does not pick a paper the reader already voted on (a weekly edition shows the week’s papers again)', () => {
    const voted = DAY.find((p) => p.id === '2611.00004')!;
    const profile = buildProfile(
      { votes: [{ paper: { ...voted, topics: [voted.primaryTopic] }, vote: 'more', at: '2026-11-26T05:00:00Z' }], seeds: [] },
      NOW,
      HALF_LIFE,
    )!;
    const picks = chooser().choose(profile, []);
    // the other generative-models papers lead, a weak match (a shared word) may follow
    expect([...picks.slice(0, 2)].sort()).toEqual(['2611.00005', '2611.00009']);
  });

  it('explains each paper: its score, the features that gave it, and why the others were not picked', () => {
    const profile = buildProfile(
      { votes: [{ paper: IMAGE_DIFFUSION, vote: 'more', at: '2026-11-20T08:00:00Z' }], seeds: [ROBOTS], author: parseAuthorId('hinton_g_1') },
      NOW,
      HALF_LIFE,
    )!;
    const verdicts = chooser().explain(profile, []);
    const first = verdicts[0]!;
    expect(first).toMatchObject({ id: '2611.00004', status: 'picked' });
    expect(first.contributions.map((c) => `${c.kind}:${c.feature}:${c.from}`)).toEqual(
      expect.arrayContaining(['author id:hinton_g_1:author id', 'topic:generative-models:votes', 'term:diffus:votes']),
    );
    expect(first.score).toBeCloseTo(
      first.contributions.reduce((s, c) => s + c.points, 0),
      1,
    );
    expect(verdicts.find((v) => v.id === '2611.00001')!.status).toBe('top today');
    expect(verdicts.filter((v) => v.status === 'picked')).toHaveLength(3);
    expect(verdicts.find((v) => v.id === '2611.00008')!.status).toMatch(/lower score|no match/);
  });
});

describe('author ids and seed papers', () => {
  it('reads arXiv author ids and their page URLs, and matches names by surname and first initial', () => {
    expect(parseAuthorId('hinton_g_1')).toEqual({ id: 'hinton_g_1', key: 'hinton_g' });
    expect(parseAuthorId(' https://arxiv.org/a/warner_s_1.atom2 ')).toEqual({ id: 'warner_s_1', key: 'warner_s' });
    for (const bad of ['hinton', 'hinton_g', 'Geoffrey Hinton', 'hinton_gg_x', '0000-0002-7970-7855']) expect(parseAuthorId(bad)).toBeUndefined();
    expect(authorKeys('Geoffrey E. Hinton')).toEqual(['hinton_g']);
    expect(authorKeys('Laurens van der Maaten')).toEqual(['maaten_l', 'dermaaten_l', 'vandermaaten_l']);
    expect(authorKeys('Hinton, Geoffrey')).toEqual(['hinton_g']);
    expect(authorKeys('Łukasz Kaiser')[0]).toBe('kaiser_l');
    expect(authorKeys('José Hernández-Orallo')[0]).toBe('hernandezorallo_j');
    expect(parseAuthorIdField('Geoffrey Hinton')).toMatchObject({ ok: false, error: expect.stringContaining('"Geoffrey Hinton" is not an arXiv author id') });
  });

  it('takes arXiv ids and links as seed papers, once each, and refuses anything else by name', () => {
    expect(parseSeedPapers('2401.12345\nhttps://arxiv.org/abs/2312.00001v2, arXiv:2401.12345', 20)).toEqual({ ok: true, ids: ['2401.12345', '2312.00001'] });
    const bad = parseSeedPapers('2401.12345 attention-is-all-you-need https://example.org/paper', 20);
    expect(bad).toMatchObject({ ok: false });
    expect(!bad.ok && bad.error).toContain('"attention-is-all-you-need", "https://example.org/paper" are not arXiv ids');
    expect(parseSeedPapers('2401.00001 2401.00002 2401.00003', 2)).toMatchObject({ ok: false, error: 'at most 2 seed papers: you gave 3.' });
  });
});
