import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import type { SourceSignal } from '../../src/domain/paper.ts';
import { parseFeed } from '../../src/ingest/formats/index.ts';
import { TopicClassifier, type ClassifiablePaper } from '../../src/rank/topics.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shipped = parseConfig(JSON.parse(readFileSync(path.join(root, 'paperboy.config.json'), 'utf8')), 'paperboy.config.json');
const classifier = TopicClassifier.fromConfig(shipped);

function paper(title: string, abstract: string, over: Partial<ClassifiablePaper> = {}): ClassifiablePaper {
  return { title, abstract, categories: [], signals: {}, ...over };
}

function hf(aiKeywords: string[]): Record<string, SourceSignal> {
  return { hf: { source: 'hf', kind: 'hf-daily', observedAt: '2026-11-26T00:00:00Z', aiKeywords } };
}

/** A small taxonomy of one's own, for the mechanisms. */
function own(input: Record<string, unknown>): TopicClassifier {
  return TopicClassifier.fromConfig(parseConfig(input, 'test config'));
}

describe('topics: the shipped taxonomy', () => {
  // Invented papers, a few per subject: each group must share one section.
  const groups: Record<string, ClassifiablePaper[]> = {
    'efficient-training': [
      paper(
        'Sparse Adapters for Parameter-Efficient Fine-Tuning of Code Models',
        'We fine-tune only 0.3% of the weights with sparse adapters and match full fine-tuning on four code benchmarks.',
      ),
      paper(
        'LoRA Rank Schedules that Follow the Gradient',
        'Low-rank adaptation (LoRA) uses one rank for every layer. We grow the rank of layers whose gradients carry energy, cutting trainable parameters by half.',
      ),
      paper(
        'Distilling Step-by-Step Reasoning into Small Students',
        'Knowledge distillation from a large teacher gives small students most of its accuracy at a tenth of the training cost.',
        {
          categories: ['cs.CL', 'cs.LG'],
        },
      ),
    ],
    'systems-efficiency': [
      paper(
        'Four-Bit KV Cache Quantization for Long-Context Serving',
        'We quantize the KV cache to four bits, halving memory footprint and raising serving throughput by 1.8x at equal latency.',
      ),
      paper(
        'Speculative Decoding with Tiny Drafters on Edge Devices',
        'A 50M-parameter drafter enables speculative decoding on-device, with 2.3x speedup and no loss in quality.',
      ),
      paper(
        'Structured Pruning of Mixture-of-Experts Models',
        'We prune whole experts by their routing statistics; the compressed model keeps 97% of quality with 40% fewer parameters and lower inference latency.',
      ),
    ],
    'alignment-safety': [
      paper(
        'Refusal Directions Survive Fine-Tuning: A Jailbreak Study',
        'We show that harmful requests can be made to pass after a few steps of fine-tuning, and propose a guardrail that restores refusals without hurting helpfulness.',
      ),
      paper(
        'Preference Optimization Without a Reward Model',
        'We align language models to human preferences with a direct preference optimization objective that is robust to noisy preference data.',
      ),
      paper(
        'Sparse Autoencoders Find Deception Features in Chat Models',
        'Mechanistic interpretability with sparse autoencoders reveals features that fire when a model is deceptive; steering them reduces deception.',
      ),
    ],
    'generative-models': [
      paper(
        'Consistency Distillation for One-Step Text-to-Image Generation',
        'We distill a latent diffusion model into a one-step generator; FID on COCO is within 0.4 of the 50-step teacher.',
      ),
      paper(
        'Flow Matching for High-Resolution Video Generation',
        'A rectified flow matching objective with a diffusion transformer backbone generates 10-second videos at 1080p.',
      ),
    ],
    'reinforcement-learning': [
      paper(
        'Conservative Q-Learning with Adaptive Pessimism for Offline RL',
        'Offline reinforcement learning suffers from value overestimation; we adapt the pessimism of the Q-function to the data coverage.',
      ),
      paper(
        'Curriculum Environments for Robot Manipulation Policies',
        'We train manipulation policies for a robot arm with reinforcement learning in a simulator whose tasks grow harder as the policy improves.',
        {
          categories: ['cs.RO', 'cs.LG'],
          primaryCategory: 'cs.RO',
        },
      ),
    ],
    'evaluation-benchmarks': [
      paper(
        'ChartQA-Hard: A Benchmark for Chart Reasoning',
        'We introduce a benchmark of 5,000 chart questions and evaluate 20 multimodal models; the best reaches 54%.',
        {
          categories: ['cs.CV', 'cs.CL'],
          primaryCategory: 'cs.CV',
        },
      ),
      paper(
        'How Reliable Is LLM-as-a-Judge? An Evaluation Protocol',
        'We propose an evaluation protocol that measures agreement between LLM-as-a-judge scores and human evaluation across ten tasks.',
      ),
    ],
    applications: [
      paper(
        'Early Sepsis Prediction from Clinical Notes',
        'A transformer trained on clinical notes of 40,000 patients predicts sepsis six hours earlier than the hospital early-warning score.',
        {
          categories: ['cs.LG', 'cs.CL'],
          primaryCategory: 'cs.LG',
        },
      ),
      paper(
        'Deep Learning for Arrhythmia Detection in Wearable ECG',
        'A neural network detects atrial fibrillation from single-lead ECG recordings of 2,000 patients with 96% sensitivity.',
      ),
    ],
  };

  for (const [topic, papers] of Object.entries(groups)) {
    it(`files papers on the same subject under one topic: ${topic}`, () => {
      expect(papers.map((p) => classifier.classify(p).primary)).toEqual(papers.map(() => topic));
    });
  }

  it('puts papers without ML evidence in "other" (scope gate), and the ML version of the same subject in a topic', () => {
    const smartContracts = paper(
      'Mutation Operators for Smart Contract Test Suites',
      'We define twelve mutation operators for Solidity and measure the adequacy of the test suites of 40 open-source contracts; mutation score correlates with detected bugs.',
      { categories: ['cs.SE'], primaryCategory: 'cs.SE' },
    );
    const goodnessOfFit = paper(
      'A Goodness-of-Fit Test for the Weibull Distribution under Censoring',
      'We derive the asymptotic distribution of a new test statistic, prove its consistency and compare its power with the Anderson-Darling test in a simulation study.',
      { categories: ['stat.ME', 'math.ST'], primaryCategory: 'stat.ME' },
    );
    for (const p of [smartContracts, goodnessOfFit]) {
      const c = classifier.classify(p);
      expect(c.primary).toBe('other');
      expect(c.scope.inScope).toBe(false);
      expect(c.matches.some((m) => m.topic === 'other' && m.reason.startsWith('out of scope'))).toBe(true);
    }
    const llmTests = paper(
      'Large Language Models Write Unit Tests Developers Keep',
      'We prompt an LLM with the class under test and its documentation to generate unit tests; developers kept 61% of the generated tests.',
      { categories: ['cs.SE'], primaryCategory: 'cs.SE' },
    );
    expect(classifier.classify(llmTests).primary).toBe('applications');
  });

  it('does not file a method under applications for a domain it names once as an example', () => {
    const p = paper(
      'Oversmoothing in Deep Graph Neural Networks',
      'We analyse why deep graph networks collapse node features; our examples include a protein interaction graph.',
      {
        categories: ['cs.LG'],
        primaryCategory: 'cs.LG',
      },
    );
    const c = classifier.classify(p);
    expect(c.primary).toBe('other');
    expect(c.matches).toContainEqual(expect.objectContaining({ topic: 'applications', reason: 'abstract: protein' }));
  });

  it('files a benchmark about language models under evaluation, not under language models', () => {
    const p = paper(
      'LongBench-Code: Evaluating Large Language Models on Repository-Scale Code Reasoning',
      'We introduce a benchmark of 1,200 tasks that require large language models to reason over whole repositories, and evaluate 14 LLMs.',
    );
    expect(classifier.classify(p).primary).toBe('evaluation-benchmarks');
  });

  it('counts HF ai_keywords as evidence, and a paper from HF Daily Papers as in scope', () => {
    const text = paper('Sharper Tokens', 'We study how words are split and merged before training.');
    const withKeywords = { ...text, signals: hf(['byte-pair encoding', 'tokenization', 'language models']) };
    const plain = classifier.classify(text);
    const rich = classifier.classify(withKeywords);
    expect(plain.primary).toBe('other');
    expect(rich.primary).toBe('language-models');
    expect(rich.matches).toContainEqual(expect.objectContaining({ topic: 'language-models', reason: 'HF keyword: =tokenization' }));
    expect(rich.scope.matches).toContainEqual(expect.objectContaining({ reason: 'source hf-daily' }));
  });

  it('counts "large language models" once, not also as "language model"', () => {
    const c = classifier.classify(paper('Large Language Models as Annotators', 'We ask three large language models to annotate tweets.'));
    const lm = c.matches.filter((m) => m.topic === 'language-models').map((m) => m.reason);
    expect(lm).toEqual(['title: large language model', 'abstract: large language model']);
  });

  it('keeps "representation alignment" (a weight-0 phrase) from counting as alignment', () => {
    const c = classifier.classify(
      paper(
        'Representation Alignment Speeds Up Diffusion Training',
        'Aligning diffusion features with a frozen encoder through representation alignment halves the training steps of diffusion models.',
      ),
    );
    expect(c.primary).toBe('generative-models');
    expect(c.matches.filter((m) => m.topic === 'alignment-safety').map((m) => m.reason)).not.toContain('title: alignment');
  });

  it('agrees with the labelled set (regression guard)', () => {
    // Figure from `node --import tsx scripts/evaluate-topics.ts` (docs/ranking.md): 86.0 % strict
    // agreement (160 of 186 labelled papers) with the shipped config. This guard sits 3 points
    // below it (83.0 %), so losing more than five papers fails here.
    const items = JSON.parse(readFileSync(path.join(root, 'test/fixtures/ranking/labelled-papers.json'), 'utf8')) as {
      title: string;
      abstract: string;
      categories: string[];
      primaryCategory?: string;
      aiKeywords?: string[];
      label: string;
    }[];
    const agree = items.filter((it) => {
      const p = paper(it.title, it.abstract, {
        categories: it.categories,
        primaryCategory: it.primaryCategory,
        signals: it.aiKeywords ? hf(it.aiKeywords) : {},
      });
      return classifier.classify(p).primary === it.label;
    }).length;
    expect(items.length).toBeGreaterThanOrEqual(80);
    expect(agree / items.length).toBeGreaterThanOrEqual(0.83);
  });

  it('files the demo feeds sensibly: the same paper from two sources in one section', () => {
    const kinds = { 'arxiv-cs.xml': 'arxiv-rss', 'hf-daily.json': 'hf-daily', 'lab-blog.atom': 'rss' } as const;
    const byId = new Map<string, Set<string>>();
    const byTitle = new Map<string, string>();
    for (const [file, kind] of Object.entries(kinds)) {
      const parsed = parseFeed(readFileSync(path.join(root, 'demo/feeds', file)), { source: file, kind, observedAt: '2026-11-26T05:00:00Z' });
      for (const o of parsed.observations) {
        const c = classifier.classify({
          title: o.title,
          abstract: o.abstract,
          categories: o.categories,
          primaryCategory: o.primaryCategory,
          signals: { [file]: o.signal },
        });
        expect(c.primary, o.title).not.toBe('other');
        byTitle.set(o.title, c.primary);
        const id = o.keys.arxivId;
        if (id && kind !== 'rss') byId.set(id, (byId.get(id) ?? new Set()).add(c.primary));
      }
    }
    for (const [id, topics] of byId) expect([...topics], id).toHaveLength(1);
    const worldTiles = [...byTitle.entries()].find(([title]) => title.startsWith('WorldTiles'));
    expect(worldTiles?.[1]).toBe('reinforcement-learning');
    expect(new Set(byTitle.values()).size).toBeGreaterThanOrEqual(8);
  });
});

describe('topics: the mechanisms', () => {
  const taxonomy = {
    topics: [
      { id: 'graphs', name: 'Graphs', keywords: { 'graph neural network': 3, gnn: 3 } },
      { id: 'biology', name: 'Biology', keywords: { protein: 3 } },
      { id: 'security', name: 'Security', keywords: { attack: 3, adversarial: 2 }, exclude: ['heart attack'] },
      { id: 'nlp', name: 'NLP', categories: { 'cs.CL': 3 }, keywords: { 'language model': 2 } },
    ],
  };

  it('lets a title match outweigh an incidental abstract mention', () => {
    const c = own(taxonomy).classify(
      paper(
        'Oversmoothing in Deep Graph Neural Networks',
        'We analyse why deep graph networks collapse node features; our examples include a protein interaction graph.',
      ),
    );
    expect(c.primary).toBe('graphs');
    expect(c.matches).toEqual([
      { topic: 'graphs', reason: 'title: graph neural network', points: 6 },
      { topic: 'biology', reason: 'abstract: protein', points: 3 },
    ]);
  });

  it('vetoes a topic when one of its exclusion phrases appears', () => {
    const c = own(taxonomy).classify(
      paper('Predicting Heart Attack Risk', 'A model predicts the risk of a heart attack from routine blood tests; the attack rate fell.'),
    );
    expect(c.primary).toBe('other');
    expect(c.excluded).toEqual([{ topic: 'security', phrase: 'heart attack' }]);
    expect(c.matches.some((m) => m.topic === 'security')).toBe(false);
  });

  it('explains its matches: categories and phrases with their points', () => {
    const c = own(taxonomy).classify(
      paper('Language Model Attacks', 'An adversarial suffix makes a language model comply; the attack transfers, and a second attack also works.', {
        categories: ['cs.CL', 'cs.CR'],
        primaryCategory: 'cs.CL',
      }),
    );
    expect(c.matches).toEqual(
      expect.arrayContaining([
        { topic: 'nlp', reason: 'category cs.CL (primary)', points: 3 },
        { topic: 'nlp', reason: 'title: language model', points: 4 },
        { topic: 'security', reason: 'title: attack', points: 6 },
        { topic: 'security', reason: 'abstract: attack ×2', points: 6 },
        { topic: 'security', reason: 'abstract: adversarial', points: 2 },
      ]),
    );
    expect(c.primary).toBe('security');
    // the secondary topic reaches half of the primary's score
    expect(c.topics).toEqual([
      { id: 'security', score: 14 },
      { id: 'nlp', score: 9 },
    ]);
  });

  it('breaks ties by the taxonomy order, and gives the same answer every time', () => {
    const twins = (order: string[]) => own({ topics: order.map((id) => ({ id, name: id, keywords: { 'graph neural network': 2 } })) });
    const p = paper('Graph Neural Networks', 'A graph neural network.');
    const first = twins(['alpha', 'beta']).classify(p);
    expect(first.primary).toBe('alpha');
    expect(twins(['beta', 'alpha']).classify(p).primary).toBe('beta');
    expect(twins(['alpha', 'beta']).classify(p)).toEqual(first);
    expect(JSON.stringify(twins(['alpha', 'beta']).classify(p))).toBe(JSON.stringify(first));
  });

  it('weighs topics (weight), title-only cues (titleKeywords), exact words (=) and endings (*)', () => {
    const c = own({
      rank: { titleWeight: 3 },
      topics: [
        { id: 'broad', name: 'Broad', weight: 0.5, keywords: { llm: 4 } },
        { id: 'bench', name: 'Benchmarks', keywords: { benchmark: 1 }, titleKeywords: { benchmark: 4, '*bench': 4 } },
        { id: 'optim', name: 'Optimizers', keywords: { '=optimizer': 3 } },
      ],
    });
    const benchmark = c.classify(paper('CodeBench: a Benchmark of LLM Coding', 'We benchmark an LLM.'));
    expect(benchmark.primary).toBe('bench');
    expect(benchmark.matches).toEqual(
      expect.arrayContaining([
        { topic: 'bench', reason: 'title: *bench', points: 12 },
        { topic: 'bench', reason: 'title: benchmark', points: 12 },
        { topic: 'bench', reason: 'abstract: benchmark', points: 1 },
        { topic: 'broad', reason: 'title: llm', points: 6 },
      ]),
    );
    // "optimization" and "optimal" share the stem "optim", but "=optimizer" wants the word itself
    expect(c.classify(paper('Optimal Transport Optimization', 'An optimization method.')).primary).toBe('other');
    expect(c.classify(paper('A Sign-Based Optimizer', 'A new optimizer.')).primary).toBe('optim');
  });

  it('applies the scope gate from categories, keywords and sources', () => {
    const gated = own({
      ...taxonomy,
      rank: { scope: { categories: { 'cs.LG': 3 }, keywords: { 'neural network': 3 }, sources: { 'hf-daily': 3 }, minScore: 3 } },
    });
    const protein = (over: Partial<ClassifiablePaper>) => gated.classify(paper('Protein Folding Kinetics', 'Measured rates of protein folding.', over));
    expect(protein({}).primary).toBe('other');
    expect(protein({ categories: ['cs.LG'], primaryCategory: 'cs.LG' }).primary).toBe('biology');
    expect(protein({ categories: ['q-bio.BM', 'cs.LG'], primaryCategory: 'q-bio.BM' }).primary).toBe('other');
    expect(protein({ signals: hf([]) }).primary).toBe('biology');
    expect(gated.classify(paper('Protein Folding with a Neural Network', 'Protein folding.')).primary).toBe('biology');
    // the gate is off by default
    expect(own(taxonomy).classify(paper('Protein Folding Kinetics', 'Measured rates of protein folding.')).primary).toBe('biology');
  });
});
