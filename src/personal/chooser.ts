/**
 * Picks each reader's For you papers from one edition: the papers of their variant (their
 * topics) that do not lead as "Top today", scored by their profile, the best few with a
 * positive score.
 *
 * Built once per edition: every paper's features, how rare each term is that day (a word in
 * every paper of the day, "model", tells nothing apart), and an index from each feature to
 * the papers that have it. A reader then costs one pass over their profile's features
 * through that index and one over their variant's candidates: no work per (reader, paper,
 * word), and nothing read from the database.
 *
 * score = 0.6 × Σ topic weight × topic share (primary 1, secondary ½)
 *       + 1.0 × Σ term weight × the paper's term weight × rarity that day
 *       + 0.5 × Σ author weight (authors of papers voted on or given as seeds)
 *       + 1.5 if an author matches the reader's arXiv author id
 * with the learnt part of each weight decayed from the profile's `asOf` to the edition. The
 * topic and term weights and the minimum score are the best of 27 tried in the click
 * simulation of `npm run bench -- foryou` (docs/benchmarks.md).
 */
import type { EditionContent, EditionPaper } from '../domain/edition.ts';
import { variantPapers } from '../../templates/email/view.ts';
import { paperFeatures, type PaperText } from './features.ts';
import { decayFactor, type Profile, type WeightSet } from './profile.ts';

export interface ScoreWeights {
  topic: number;
  term: number;
  author: number;
  authorId: number;
}

export const SCORE_WEIGHTS: Readonly<ScoreWeights> = { topic: 0.6, term: 1, author: 0.5, authorId: 1.5 };
/**
 * A paper needs at least this much to be picked: a profile that says nothing of a day's papers
 * gives no block rather than three arbitrary ones. Low on purpose: in the click simulation a
 * weak match (one telling word shared with a paper voted on) was still wanted more often
 * than the papers a reader's topics alone would give.
 */
export const MIN_SCORE = 0.05;

export type FeatureKind = 'topic' | 'term' | 'author' | 'author id';

export interface Contribution {
  kind: FeatureKind;
  /** Topic id, stem, author key (`hinton_g`) or the author id. */
  feature: string;
  points: number;
  /** Where the reader's weight came from. */
  from: 'votes' | 'seed papers' | 'votes and seed papers' | 'author id';
}

export type PaperStatus = 'picked' | 'top today' | 'not in your topics' | 'voted on' | 'lower score' | 'no match';

export interface PaperVerdict {
  id: string;
  title: string;
  score: number;
  status: PaperStatus;
  /** The features that gave the score, largest first. */
  contributions: Contribution[];
}

interface Posting {
  papers: number[];
  weights: number[];
}

export function editionPaperText(p: EditionPaper): PaperText {
  return { id: p.id, title: p.title, abstract: p.abstract, authors: p.authors, topics: [p.primaryTopic, ...p.topics.filter((t) => t !== p.primaryTopic)] };
}

export class ForYouChooser {
  private readonly papers: EditionPaper[];
  private readonly indexOf = new Map<string, number>();
  private readonly topicIndex = new Map<string, Posting>();
  private readonly termIndex = new Map<string, Posting>();
  private readonly authorIndex = new Map<string, Posting>();
  private readonly authorIdIndex = new Map<string, number[]>();
  private readonly candidatesOf = new Map<string, { candidates: Int32Array; top: Set<number>; inVariant: Set<number> }>();
  private readonly scores: Float64Array;
  /** The benchmark's click simulation tries others; the pipeline uses SCORE_WEIGHTS and MIN_SCORE. */
  private readonly weights: ScoreWeights;
  private readonly minScore: number;

  constructor(
    private readonly content: EditionContent,
    private readonly opts: { size: number; halfLifeDays: number; at: string; weights?: ScoreWeights; minScore?: number },
  ) {
    this.weights = opts.weights ?? SCORE_WEIGHTS;
    this.minScore = opts.minScore ?? MIN_SCORE;
    this.papers = Object.values(content.papers).sort((a, b) => (a.id < b.id ? -1 : 1));
    this.scores = new Float64Array(this.papers.length);
    const features = this.papers.map((p, i) => {
      this.indexOf.set(p.id, i);
      return paperFeatures(editionPaperText(p));
    });
    const df = new Map<string, number>();
    for (const f of features) for (const t of f.terms.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    const n = this.papers.length;
    const post = (index: Map<string, Posting>, key: string, paper: number, weight: number) => {
      let p = index.get(key);
      if (!p) index.set(key, (p = { papers: [], weights: [] }));
      p.papers.push(paper);
      p.weights.push(weight);
    };
    features.forEach((f, i) => {
      for (const [t, w] of f.topics) post(this.topicIndex, t, i, w);
      // rarity that day: a word in one paper of 20 weighs 2.6, in all of them about 0
      for (const [t, w] of f.terms) post(this.termIndex, t, i, w * Math.max(0, Math.log((n + 1) / (df.get(t)! + 0.5))));
      for (const a of f.authors) post(this.authorIndex, a, i, 1);
      for (const k of f.authorIdKeys) {
        const list = this.authorIdIndex.get(k) ?? [];
        list.push(i);
        this.authorIdIndex.set(k, list);
      }
    });
  }

  /** The papers a reader of these sections may get in For you: their variant's, less "Top today". */
  private variant(topics: string[]) {
    const key = topics.join(',');
    let v = this.candidatesOf.get(key);
    if (!v) {
      const { papers, topCount } = variantPapers(this.content, topics);
      const indices = papers.map((p) => this.indexOf.get(p.id)!);
      v = { candidates: Int32Array.from(indices.slice(topCount)), top: new Set(indices.slice(0, topCount)), inVariant: new Set(indices) };
      this.candidatesOf.set(key, v);
    }
    return v;
  }

  /** Adds a profile's points to `this.scores` (reset first). */
  private score(profile: Profile): void {
    const s = this.scores;
    s.fill(0);
    const decay = decayFactor(profile.asOf, this.opts.at, this.opts.halfLifeDays);
    const apply = (index: Map<string, Posting>, weights: Record<string, number>, scale: number) => {
      for (const key in weights) {
        const p = index.get(key);
        if (!p) continue;
        const w = weights[key]! * scale;
        for (let j = 0; j < p.papers.length; j++) s[p.papers[j]!]! += w * p.weights[j]!;
      }
    };
    for (const [set, scale] of [
      [profile.learned, decay],
      [profile.stated, 1],
    ] as [WeightSet, number][]) {
      apply(this.topicIndex, set.topics, scale * this.weights.topic);
      apply(this.termIndex, set.terms, scale * this.weights.term);
      apply(this.authorIndex, set.authors, scale * this.weights.author);
    }
    const byAuthorId = profile.author ? this.authorIdIndex.get(profile.author.key) : undefined;
    if (byAuthorId) for (const i of byAuthorId) s[i]! += this.weights.authorId;
  }

  private better(a: number, b: number): boolean {
    const s = this.scores;
    if (s[a] !== s[b]) return s[a]! > s[b]!;
    const pa = this.papers[a]!;
    const pb = this.papers[b]!;
    return pa.score !== pb.score ? pa.score > pb.score : pa.id < pb.id;
  }

  /** The reader's For you papers, best first (at most `size`, none when nothing scores). */
  choose(profile: Profile, topics: string[]): string[] {
    const { candidates } = this.variant(topics);
    if (candidates.length === 0) return [];
    this.score(profile);
    const voted = new Set<number>();
    for (const id of profile.voted) {
      const i = this.indexOf.get(id);
      if (i !== undefined) voted.add(i);
    }
    const best: number[] = [];
    for (const i of candidates) {
      if (this.scores[i]! < this.minScore || voted.has(i)) continue;
      let at = best.length;
      while (at > 0 && this.better(i, best[at - 1]!)) at--;
      if (at < this.opts.size) {
        best.splice(at, 0, i);
        if (best.length > this.opts.size) best.pop();
      }
    }
    return best.map((i) => this.papers[i]!.id);
  }

  /** Every paper of the edition for this reader: its score, what gave it, and why it was or was not picked. */
  explain(profile: Profile, topics: string[]): PaperVerdict[] {
    const picked = new Set(this.choose(profile, topics));
    // `choose` skips scoring a variant with no candidates: every paper gets its score here
    this.score(profile);
    const { top, inVariant } = this.variant(topics);
    const voted = new Set(profile.voted);
    const decay = decayFactor(profile.asOf, this.opts.at, this.opts.halfLifeDays);
    const verdicts = this.papers.map((p, i): PaperVerdict => {
      const contributions = this.contributions(profile, p.id, decay);
      const score = this.scores[i]!;
      const status: PaperStatus = picked.has(p.id)
        ? 'picked'
        : !inVariant.has(i)
          ? 'not in your topics'
          : top.has(i)
            ? 'top today'
            : voted.has(p.id)
              ? 'voted on'
              : score >= this.minScore
                ? 'lower score'
                : 'no match';
      return { id: p.id, title: p.title, score: Math.round(score * 1000) / 1000, status, contributions };
    });
    const order: PaperStatus[] = ['picked', 'top today', 'lower score', 'voted on', 'no match', 'not in your topics'];
    const pickedOrder = [...picked];
    return verdicts.sort(
      (a, b) =>
        order.indexOf(a.status) - order.indexOf(b.status) ||
        (a.status === 'picked' ? pickedOrder.indexOf(a.id) - pickedOrder.indexOf(b.id) : b.score - a.score) ||
        (a.id < b.id ? -1 : 1),
    );
  }

  /** The features behind one paper's score, largest first (the same sums as `score`, kept apart). */
  private contributions(profile: Profile, id: string, decay: number): Contribution[] {
    const i = this.indexOf.get(id)!;
    const out: Contribution[] = [];
    const find = (index: Map<string, Posting>, key: string) => {
      const p = index.get(key);
      const at = p ? p.papers.indexOf(i) : -1;
      return at < 0 ? 0 : p!.weights[at]!;
    };
    const parts: [FeatureKind, keyof WeightSet, Map<string, Posting>, number][] = [
      ['topic', 'topics', this.topicIndex, this.weights.topic],
      ['term', 'terms', this.termIndex, this.weights.term],
      ['author', 'authors', this.authorIndex, this.weights.author],
    ];
    for (const [kind, part, index, weight] of parts) {
      const keys = new Set([...Object.keys(profile.learned[part]), ...Object.keys(profile.stated[part])]);
      for (const key of keys) {
        const x = find(index, key);
        if (x === 0) continue;
        const learned = (profile.learned[part][key] ?? 0) * decay;
        const stated = profile.stated[part][key] ?? 0;
        const points = weight * (learned + stated) * x;
        if (Math.abs(points) < 0.001) continue;
        out.push({
          kind,
          feature: key,
          points: Math.round(points * 1000) / 1000,
          from: learned !== 0 && stated !== 0 ? 'votes and seed papers' : learned !== 0 ? 'votes' : 'seed papers',
        });
      }
    }
    if (profile.author && this.authorIdIndex.get(profile.author.key)?.includes(i))
      out.push({ kind: 'author id', feature: profile.author.id, points: this.weights.authorId, from: 'author id' });
    return out.sort((a, b) => Math.abs(b.points) - Math.abs(a.points) || (a.feature < b.feature ? -1 : 1));
  }
}
