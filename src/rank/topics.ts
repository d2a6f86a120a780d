/**
 * Topic assignment from the operator's taxonomy: arXiv categories plus stemmed keywords and
 * phrases, a title match counting double, HF `ai_keywords` counting as title words.
 * Built once per process; classifying a paper is one pass over its tokens.
 */
import { stemmer } from 'stemmer';
import type { Config, TopicConfig } from '../config/schema.ts';
import type { Paper, TopicScore } from '../ingest/paper.ts';

export interface Match {
  topic: string;
  /** e.g. "category cs.CL (primary)", "title: language model", "abstract: llm ×3" */
  reason: string;
  points: number;
}

export interface Classification {
  primary: string;
  /** Every topic that scored, best first (primary first); the fallback has score 0. */
  topics: TopicScore[];
  matches: Match[];
  excluded: { topic: string; phrase: string }[];
}

interface Phrase {
  topic: string;
  text: string;
  stems: string[];
  weight: number;
}

const WORD = /[\p{L}\p{N}]+/gu;
const stemCache = new Map<string, string>();

function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = stemmer(word);
    if (stemCache.size < 200_000) stemCache.set(word, s);
  }
  return s;
}

export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(WORD)) out.push(stem(m[0]));
  return out;
}

/** Abstract hits beyond this count add nothing: a long abstract must not outvote a short one. */
const MAX_ABSTRACT_HITS = 3;
const MAX_TITLE_HITS = 1;

export class TopicClassifier {
  private readonly byFirstStem = new Map<string, Phrase[]>();
  private readonly exclusions: Phrase[] = [];
  private readonly categoryWeights = new Map<string, { topic: string; weight: number }[]>();
  private readonly order: string[];

  constructor(
    private readonly topics: TopicConfig[],
    private readonly fallback: { id: string; name: string },
    private readonly minScore: number,
    private readonly secondaryRatio: number,
  ) {
    this.order = topics.map((t) => t.id);
    for (const topic of topics) {
      for (const [text, weight] of Object.entries(topic.keywords)) {
        const stems = tokenize(text);
        if (stems.length === 0) continue;
        const phrase: Phrase = { topic: topic.id, text, stems, weight };
        const list = this.byFirstStem.get(stems[0]!) ?? [];
        list.push(phrase);
        this.byFirstStem.set(stems[0]!, list);
      }
      for (const text of topic.exclude) {
        const stems = tokenize(text);
        if (stems.length > 0) this.exclusions.push({ topic: topic.id, text, stems, weight: 0 });
      }
      for (const [category, weight] of Object.entries(topic.categories)) {
        const list = this.categoryWeights.get(category) ?? [];
        list.push({ topic: topic.id, weight });
        this.categoryWeights.set(category, list);
      }
    }
  }

  static fromConfig(config: Config): TopicClassifier {
    return new TopicClassifier(config.topics, config.fallbackTopic, config.rank.minTopicScore, config.rank.secondaryRatio);
  }

  topicName(id: string): string {
    return this.topics.find((t) => t.id === id)?.name ?? (id === this.fallback.id ? this.fallback.name : id);
  }

  topicDescription(id: string): string {
    return this.topics.find((t) => t.id === id)?.description ?? '';
  }

  /** Section order of an edition: the taxonomy's order, the fallback last. */
  sectionOrder(): string[] {
    return [...this.order, this.fallback.id];
  }

  private countPhrases(tokens: string[]): Map<Phrase, number> {
    const hits = new Map<Phrase, number>();
    for (let i = 0; i < tokens.length; i++) {
      const candidates = this.byFirstStem.get(tokens[i]!);
      if (!candidates) continue;
      for (const p of candidates) {
        let ok = true;
        for (let k = 1; k < p.stems.length; k++) {
          if (tokens[i + k] !== p.stems[k]) {
            ok = false;
            break;
          }
        }
        if (ok) hits.set(p, (hits.get(p) ?? 0) + 1);
      }
    }
    return hits;
  }

  private containsPhrase(tokens: string[], stems: string[]): boolean {
    outer: for (let i = 0; i + stems.length <= tokens.length; i++) {
      for (let k = 0; k < stems.length; k++) if (tokens[i + k] !== stems[k]) continue outer;
      return true;
    }
    return false;
  }

  classify(paper: Pick<Paper, 'title' | 'abstract' | 'categories' | 'primaryCategory' | 'signals'>): Classification {
    const scores = new Map<string, number>();
    const matches: Match[] = [];
    const add = (topic: string, points: number, reason: string) => {
      scores.set(topic, (scores.get(topic) ?? 0) + points);
      matches.push({ topic, points, reason });
    };

    const primaryCategory = paper.primaryCategory ?? paper.categories[0];
    for (const category of new Set(paper.categories.concat(primaryCategory ? [primaryCategory] : []))) {
      for (const { topic, weight } of this.categoryWeights.get(category) ?? []) {
        const isPrimary = category === primaryCategory;
        add(topic, isPrimary ? weight : weight / 2, `category ${category}${isPrimary ? ' (primary)' : ''}`);
      }
    }

    const titleTokens = tokenize(paper.title);
    const abstractTokens = tokenize(paper.abstract);
    const keywordTokens: string[] = [];
    for (const signal of Object.values(paper.signals)) {
      for (const kw of signal.aiKeywords ?? []) keywordTokens.push(...tokenize(kw), '|');
    }
    for (const [p, n] of this.countPhrases(titleTokens)) add(p.topic, 2 * p.weight * Math.min(n, MAX_TITLE_HITS), `title: ${p.text}`);
    for (const [p, n] of this.countPhrases(abstractTokens)) {
      const counted = Math.min(n, MAX_ABSTRACT_HITS);
      add(p.topic, p.weight * counted, `abstract: ${p.text}${counted > 1 ? ` ×${counted}` : ''}`);
    }
    for (const [p, n] of this.countPhrases(keywordTokens)) add(p.topic, p.weight * Math.min(n, 2), `HF keyword: ${p.text}`);

    const excluded: { topic: string; phrase: string }[] = [];
    const text = titleTokens.concat(['|'], abstractTokens);
    for (const ex of this.exclusions) {
      if (scores.has(ex.topic) && this.containsPhrase(text, ex.stems)) {
        scores.delete(ex.topic);
        excluded.push({ topic: ex.topic, phrase: ex.text });
      }
    }

    const rounded = (n: number) => Math.round(n * 1000) / 1000;
    const ranked = [...scores.entries()]
      .filter(([, s]) => s >= this.minScore)
      .map(([id, score]) => ({ id, score: rounded(score) }))
      // ties go to the topic listed first in the taxonomy, so the answer is stable
      .sort((a, b) => b.score - a.score || this.order.indexOf(a.id) - this.order.indexOf(b.id));
    const best = ranked[0];
    if (!best) {
      return { primary: this.fallback.id, topics: [{ id: this.fallback.id, score: 0 }], matches, excluded };
    }
    const topics = ranked.filter((t, i) => i === 0 || t.score >= best.score * this.secondaryRatio);
    return { primary: best.id, topics, matches: matches.filter((m) => !excluded.some((e) => e.topic === m.topic)), excluded };
  }
}
