/**
 * Editions of real papers for the For you benches: the 186 papers of
 * test/fixtures/ranking/labelled-papers.json (titles and abstracts as published, each with a
 * human topic label), filed under topics by the shipped classifier as the pipeline files
 * them, with a popularity drawn at random (log-normal, like HF upvotes).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../src/config/load.ts';
import type { EditionContent, EditionPaper } from '../src/domain/edition.ts';
import { TopicClassifier } from '../src/rank/topics.ts';
import { baseConfig } from './edition.ts';
import { root } from './lib.ts';

export interface LabelledPaper {
  id: string;
  title: string;
  abstract: string;
  categories: string[];
  /** The human topic label (a topic id of the shipped config, or "other"). */
  label: string;
}

export const labelledPapers = JSON.parse(readFileSync(path.join(root, 'test', 'fixtures', 'ranking', 'labelled-papers.json'), 'utf8')) as LabelledPaper[];

/** Mulberry32: the same draws for the same seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const classifier = TopicClassifier.fromConfig(parseConfig(baseConfig, 'bench'));

/** A daily edition of `date` showing these papers, every one of them (no top-N cut). */
export function labelledEdition(papers: LabelledPaper[], date: string, rnd: () => number): EditionContent {
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const out: Record<string, EditionPaper> = {};
  const sections = new Map<string, string[]>();
  for (const p of papers) {
    const c = classifier.classify({ title: p.title, abstract: p.abstract, categories: p.categories, primaryCategory: p.categories[0], signals: {} });
    const topics = c.topics.map((t) => t.id);
    out[p.id] = {
      id: p.id,
      title: p.title,
      abstract: p.abstract,
      authors: [],
      links: { abstract: `https://arxiv.org/abs/${p.id}` },
      categories: p.categories,
      score: Math.round(Math.exp(1 + gauss()) * 10) / 10,
      primaryTopic: c.primary,
      topics,
      sources: ['bench'],
    };
    for (const t of topics) sections.set(t, [...(sections.get(t) ?? []), p.id]);
  }
  return {
    kind: 'daily',
    date,
    top: [],
    sections: [...sections].map(([topic, ids]) => ({ topic, title: topic, description: '', paperIds: ids })),
    papers: out,
    considered: papers.length,
  };
}
