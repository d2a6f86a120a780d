/**
 * Topic assignment from the operator's taxonomy.
 *
 * A paper first passes the scope gate (`rank.scope`): its evidence of being in scope (arXiv
 * categories, vocabulary, the sources that reported it) must reach `rank.scope.minScore`, or it
 * is filed under the fallback topic. Then every topic scores the paper from its arXiv categories
 * (primary full weight, the others `rank.secondaryCategoryWeight`), its stemmed keywords and
 * phrases (a title match counts `rank.titleWeight` times, with the topic's `titleKeywords`
 * weight when it has one; abstract hits are capped at `rank.maxAbstractHits` per phrase) and HF
 * `ai_keywords`; the sum is multiplied by the topic's `weight`. An exclusion phrase vetoes its
 * topic; a topic below its `minScore` (default `rank.minTopicScore`) is dropped; ties go to the
 * taxonomy's order.
 *
 * Phrases are matched longest first, per topic: "large language models" is one mention, not also
 * "language model", and a longer phrase with weight 0 masks a word of another sense. "=word"
 * matches the word as written (not its stem), "*ending" any word with that ending. Built once
 * per process; classifying a paper is one pass over its words (linear in the paper's length).
 */
import { stemmer } from 'stemmer';
import type { Config, TopicConfig } from '../config/schema.ts';
import type { Paper, TopicScore } from '../domain/paper.ts';

export interface Match {
  /** The topic the points went to ("scope" for the scope gate's evidence). */
  topic: string;
  /** e.g. "category cs.CL (primary)", "title: language model", "abstract: llm ×3" */
  reason: string;
  points: number;
}

export interface ScopeResult {
  /** ML evidence found (categories and vocabulary). */
  score: number;
  /** `rank.scope.minScore`; 0 means the gate is off. */
  minScore: number;
  /** False: the paper went to the fallback topic whatever its topic scores. */
  inScope: boolean;
  matches: Match[];
}

export interface Classification {
  primary: string;
  /** Every topic that scored, best first (primary first); the fallback has score 0. */
  topics: TopicScore[];
  /** Why each topic scored: categories and phrases, with points (after the topic's weight). */
  matches: Match[];
  excluded: { topic: string; phrase: string }[];
  scope: ScopeResult;
}

/** What `classify` reads of a paper. */
export type ClassifiablePaper = Pick<Paper, 'title' | 'abstract' | 'categories' | 'primaryCategory' | 'signals'>;

export interface ScopeOptions {
  categories: Record<string, number>;
  keywords: Record<string, number>;
  /** Evidence from the sources that reported the paper, by source kind or source name. */
  sources: Record<string, number>;
  minScore: number;
}

export interface ClassifierOptions {
  /** Points of a title match relative to one abstract match. */
  titleWeight: number;
  /** Abstract matches of one phrase beyond this count add nothing. */
  maxAbstractHits: number;
  /** HF `ai_keywords` matches of one phrase beyond this count add nothing. */
  maxKeywordHits: number;
  /** Share of a category's weight given when it is not the paper's primary category. */
  secondaryCategoryWeight: number;
  scope: ScopeOptions;
}

export const defaultClassifierOptions: ClassifierOptions = {
  titleWeight: 2,
  maxAbstractHits: 3,
  maxKeywordHits: 2,
  secondaryCategoryWeight: 0.5,
  scope: { categories: {}, keywords: {}, sources: {}, minScore: 0 },
};

type Where = 'any' | 'title';

interface Phrase {
  /** Index into the topic table; -1 for the scope gate. */
  topic: number;
  text: string;
  /** Stems, or lower-case words for an exact phrase. */
  stems: string[];
  /** Written "=word": matched on the words as written, not their stems. "*ending" phrases are exact too. */
  exact: boolean;
  weight: number;
  where: Where;
}

/** A text as lower-case words and as their stems, position by position. */
interface Tokens {
  words: string[];
  stems: string[];
}

/** What a classifier knows about one word: its stem and the phrases that start with that stem. */
interface WordInfo {
  stem: string;
  phrases: Phrase[];
}

/** Tokens and, per position, the phrases that may start there. */
interface Read extends Tokens {
  starts: Phrase[][];
}

/** Separates title, abstract and keywords: no phrase matches across it. */
const BREAK = '|';
const NONE: Phrase[] = [];
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
  return words(text).stems;
}

const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;

/** Runs of letters and digits, lower-cased (the same words as /[\p{L}\p{N}]+/gu), and their stems. */
function words(text: string): Tokens {
  return scan(text, (word) => stem(word));
}

/** Splits `text` into words; `onWord` gives each word's stem (and may note more about it). */
function scan(text: string, onWord: (word: string) => string): Tokens {
  const out: Tokens = { words: [], stems: [] };
  const lower = text.toLowerCase();
  let start = -1;
  for (let i = 0; i <= lower.length; ) {
    let inWord = false;
    let width = 1;
    if (i < lower.length) {
      const c = lower.charCodeAt(i);
      if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) inWord = true;
      else if (c >= 128) {
        const cp = lower.codePointAt(i)!;
        width = cp > 0xffff ? 2 : 1;
        inWord = LETTER_OR_DIGIT.test(String.fromCodePoint(cp));
      }
    }
    if (inWord) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      const word = lower.slice(start, i);
      out.words.push(word);
      out.stems.push(onWord(word));
      start = -1;
    }
    i += width;
  }
  return out;
}

function concat(parts: Read[]): Read {
  const out: Read = { words: [], stems: [], starts: [] };
  parts.forEach((p, i) => {
    if (i > 0) {
      out.words.push(BREAK);
      out.stems.push(BREAK);
      out.starts.push(NONE);
    }
    out.words.push(...p.words);
    out.stems.push(...p.stems);
    out.starts.push(...p.starts);
  });
  return out;
}

const SCOPE = -1;
const rounded = (n: number) => Math.round(n * 1000) / 1000;

/** A topic's name: the taxonomy's, the fallback topic's, else the id itself (a topic since removed from the config). */
export function topicNameOf(taxonomy: { topics: readonly { id: string; name: string }[]; fallbackTopic: { id: string; name: string } }, id: string): string {
  return taxonomy.topics.find((t) => t.id === id)?.name ?? (id === taxonomy.fallbackTopic.id ? taxonomy.fallbackTopic.name : id);
}

export class TopicClassifier {
  /** Keyword, title-cue and scope phrases by their first stem, longest first. */
  private readonly byFirstStem = new Map<string, Phrase[]>();
  /** Per word seen: its stem and `byFirstStem` of it, one lookup per word of a paper. */
  private readonly wordInfo = new Map<string, WordInfo>();
  /** "*ending" phrases, tried on every word. */
  private readonly suffixes: Phrase[] = [];
  private readonly exclusions: Phrase[] = [];
  private readonly categoryWeights = new Map<string, { topic: number; weight: number }[]>();
  private readonly order: string[];
  private readonly priors: number[];
  private readonly minScores: number[];
  private readonly options: ClassifierOptions;

  constructor(
    private readonly topics: TopicConfig[],
    private readonly fallback: { id: string; name: string },
    private readonly minScore: number,
    private readonly secondaryRatio: number,
    options: Partial<ClassifierOptions> = {},
  ) {
    this.options = { ...defaultClassifierOptions, ...options };
    this.order = topics.map((t) => t.id);
    this.priors = topics.map((t) => t.weight ?? 1);
    this.minScores = topics.map((t) => t.minScore ?? minScore);
    topics.forEach((topic, index) => {
      for (const [text, weight] of Object.entries(topic.keywords)) this.addPhrase(index, text, weight, 'any');
      for (const [text, weight] of Object.entries(topic.titleKeywords ?? {})) this.addPhrase(index, text, weight, 'title');
      for (const text of topic.exclude) {
        const stems = tokenize(text);
        if (stems.length > 0) this.exclusions.push({ topic: index, text, stems, exact: false, weight: 0, where: 'any' });
      }
      for (const [category, weight] of Object.entries(topic.categories)) this.addCategory(category, index, weight);
    });
    for (const [text, weight] of Object.entries(this.options.scope.keywords)) this.addPhrase(SCOPE, text, weight, 'any');
    for (const [category, weight] of Object.entries(this.options.scope.categories)) this.addCategory(category, SCOPE, weight);
    // longest phrase first, so that the first match of a topic at a position is its longest;
    // at equal length a title weight comes first, so that in a title it replaces the keyword's
    for (const list of this.byFirstStem.values()) {
      list.sort((a, b) => b.stems.length - a.stems.length || (a.where === 'title' ? 0 : 1) - (b.where === 'title' ? 0 : 1));
    }
  }

  private addPhrase(topic: number, text: string, weight: number, where: Where): void {
    // "*bench": one word ending in "bench" (RewardBench); `stems` holds the ending
    if (/^\*[\p{L}\p{N}]+$/u.test(text)) {
      this.suffixes.push({ topic, text, stems: [text.slice(1).toLowerCase()], exact: true, weight, where });
      return;
    }
    const exact = text.startsWith('=');
    const tokens = words(exact ? text.slice(1) : text);
    const stems = exact ? tokens.words : tokens.stems;
    if (stems.length === 0) return;
    // indexed by the stem of the first word, exact or not
    const first = tokens.stems[0]!;
    const list = this.byFirstStem.get(first) ?? [];
    // "agent" and "agents" stem alike: one phrase, the larger weight
    const same = list.find((p) => p.topic === topic && p.where === where && p.exact === exact && p.stems.join(' ') === stems.join(' '));
    if (same) {
      if (weight > same.weight) Object.assign(same, { weight, text });
      return;
    }
    list.push({ topic, text, stems, exact, weight, where });
    this.byFirstStem.set(first, list);
  }

  private addCategory(category: string, topic: number, weight: number): void {
    const list = this.categoryWeights.get(category) ?? [];
    list.push({ topic, weight });
    this.categoryWeights.set(category, list);
  }

  static fromConfig(config: Config): TopicClassifier {
    const rank = config.rank;
    return new TopicClassifier(config.topics, config.fallbackTopic, rank.minTopicScore, rank.secondaryRatio, {
      titleWeight: rank.titleWeight,
      maxAbstractHits: rank.maxAbstractHits,
      maxKeywordHits: rank.maxKeywordHits,
      secondaryCategoryWeight: rank.secondaryCategoryWeight,
      scope: rank.scope,
    });
  }

  topicName(id: string): string {
    return topicNameOf({ topics: this.topics, fallbackTopic: this.fallback }, id);
  }

  topicDescription(id: string): string {
    return this.topics.find((t) => t.id === id)?.description ?? '';
  }

  /** Section order of an edition: the taxonomy's order, the fallback last. */
  sectionOrder(): string[] {
    return [...this.order, this.fallback.id];
  }

  /**
   * Phrase hits in one token list. At each position only the longest phrase of each topic counts,
   * and a phrase that starts inside an earlier match of the same topic is part of that match.
   */
  private read(text: string): Read {
    const starts: Phrase[][] = [];
    const tokens = scan(text, (word) => {
      let info = this.wordInfo.get(word);
      if (info === undefined) {
        const s = stem(word);
        info = { stem: s, phrases: this.byFirstStem.get(s) ?? NONE };
        if (this.wordInfo.size < 200_000) this.wordInfo.set(word, info);
      }
      starts.push(info.phrases);
      return info.stem;
    });
    return { ...tokens, starts };
  }

  private countPhrases(text: Read, inTitle: boolean, hits: Map<Phrase, number>): void {
    // per topic (index + 1; 0 is the scope gate): the position its last match ends at. A match
    // covers its own start too, so a topic matches at most once per position, longest first.
    const coveredUntil = new Int32Array(this.topics.length + 1);
    const { stems, words: raw } = text;
    for (let i = 0; i < stems.length; i++) {
      for (const p of text.starts[i]!) {
        if ((p.where === 'title' && !inTitle) || coveredUntil[p.topic + 1]! > i) continue;
        const tokens = p.exact ? raw : stems;
        let ok = true;
        for (let k = p.exact ? 0 : 1; k < p.stems.length; k++) {
          if (tokens[i + k] !== p.stems[k]) {
            ok = false;
            break;
          }
        }
        if (!ok) continue;
        coveredUntil[p.topic + 1] = i + p.stems.length;
        hits.set(p, (hits.get(p) ?? 0) + 1);
      }
      for (const p of this.suffixes) {
        if ((p.where === 'title' && !inTitle) || coveredUntil[p.topic + 1]! > i || !raw[i]!.endsWith(p.stems[0]!)) continue;
        coveredUntil[p.topic + 1] = i + 1;
        hits.set(p, (hits.get(p) ?? 0) + 1);
      }
    }
  }

  private containsPhrase(tokens: string[], stems: string[]): boolean {
    outer: for (let i = 0; i + stems.length <= tokens.length; i++) {
      for (let k = 0; k < stems.length; k++) if (tokens[i + k] !== stems[k]) continue outer;
      return true;
    }
    return false;
  }

  classify(paper: ClassifiablePaper): Classification {
    const n = this.topics.length;
    const raw = new Array<number>(n).fill(0);
    const scored = new Array<boolean>(n).fill(false);
    const rawMatches: { topic: number; reason: string; points: number }[] = [];
    const scopeMatches: Match[] = [];
    let scopeScore = 0;
    const add = (topic: number, points: number, reason: string) => {
      if (points === 0) return;
      if (topic === SCOPE) {
        scopeScore += points;
        scopeMatches.push({ topic: 'scope', points: rounded(points), reason });
        return;
      }
      raw[topic]! += points;
      scored[topic] = true;
      rawMatches.push({ topic, points, reason });
    };
    const { titleWeight, maxAbstractHits, maxKeywordHits, secondaryCategoryWeight } = this.options;

    const primaryCategory = paper.primaryCategory ?? paper.categories[0];
    for (const category of new Set(paper.categories.concat(primaryCategory ? [primaryCategory] : []))) {
      const isPrimary = category === primaryCategory;
      for (const { topic, weight } of this.categoryWeights.get(category) ?? []) {
        add(topic, isPrimary ? weight : weight * secondaryCategoryWeight, `category ${category}${isPrimary ? ' (primary)' : ''}`);
      }
    }

    const sources = this.options.scope.sources;
    const seenSources = new Set<string>();
    for (const signal of Object.values(paper.signals ?? {})) {
      for (const key of [signal.kind, signal.source]) {
        const weight = sources[key];
        if (weight === undefined || seenSources.has(key)) continue;
        seenSources.add(key);
        add(SCOPE, weight, `source ${key}`);
      }
    }

    const titleTokens = this.read(paper.title);
    const abstractTokens = this.read(paper.abstract);
    const keywordParts: Read[] = [];
    for (const signal of Object.values(paper.signals ?? {})) {
      for (const kw of signal.aiKeywords ?? []) keywordParts.push(this.read(kw));
    }
    const keywordTokens = concat(keywordParts);

    const titleHits = new Map<Phrase, number>();
    this.countPhrases(titleTokens, true, titleHits);
    for (const [p] of titleHits) add(p.topic, titleWeight * p.weight, `title: ${p.text}`);
    const abstractHits = new Map<Phrase, number>();
    this.countPhrases(abstractTokens, false, abstractHits);
    for (const [p, count] of abstractHits) {
      const counted = Math.min(count, maxAbstractHits);
      add(p.topic, p.weight * counted, `abstract: ${p.text}${counted > 1 ? ` ×${counted}` : ''}`);
    }
    const keywordHits = new Map<Phrase, number>();
    this.countPhrases(keywordTokens, false, keywordHits);
    for (const [p, count] of keywordHits) {
      const counted = Math.min(count, maxKeywordHits);
      add(p.topic, p.weight * counted, `HF keyword: ${p.text}${counted > 1 ? ` ×${counted}` : ''}`);
    }

    const excluded: { topic: string; phrase: string }[] = [];
    if (this.exclusions.length > 0) {
      const text = titleTokens.stems.concat([BREAK], abstractTokens.stems);
      for (const ex of this.exclusions) {
        if (scored[ex.topic] && this.containsPhrase(text, ex.stems)) {
          scored[ex.topic] = false;
          excluded.push({ topic: this.order[ex.topic]!, phrase: ex.text });
        }
      }
    }

    const matches: Match[] = [];
    for (const m of rawMatches) {
      if (scored[m.topic]) matches.push({ topic: this.order[m.topic]!, points: rounded(m.points * this.priors[m.topic]!), reason: m.reason });
    }

    const minScope = this.options.scope.minScore;
    const scope: ScopeResult = { score: rounded(scopeScore), minScore: minScope, inScope: scopeScore >= minScope, matches: scopeMatches };

    const ranked: TopicScore[] = [];
    for (let t = 0; t < n; t++) {
      if (!scored[t]) continue;
      const score = rounded(raw[t]! * this.priors[t]!);
      if (score >= this.minScores[t]! && score > 0) ranked.push({ id: this.order[t]!, score });
    }
    // ties go to the topic listed first in the taxonomy, so the answer is stable
    ranked.sort((a, b) => b.score - a.score || this.order.indexOf(a.id) - this.order.indexOf(b.id));
    const best = ranked[0];
    if (!scope.inScope) {
      const found = scopeMatches.length > 0 ? scopeMatches.map((m) => `${m.reason} +${m.points}`).join('; ') : 'none found';
      matches.push({ topic: this.fallback.id, points: 0, reason: `out of scope: evidence ${scope.score} (${found}) < rank.scope.minScore ${minScope}` });
      return { primary: this.fallback.id, topics: [{ id: this.fallback.id, score: 0 }], matches, excluded, scope };
    }
    if (!best) {
      return { primary: this.fallback.id, topics: [{ id: this.fallback.id, score: 0 }], matches, excluded, scope };
    }
    const topics = ranked.filter((t, i) => i === 0 || t.score >= best.score * this.secondaryRatio);
    return { primary: best.id, topics, matches, excluded, scope };
  }
}
