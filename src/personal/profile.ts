/**
 * A reader's profile: weights over topics, terms and authors, learnt from their votes and
 * stated by their seed papers and author id.
 *
 * - A "more like this" vote adds the paper's features (see features.ts), a "less like this"
 *   vote subtracts them, each scaled by how old the vote is: it counts half after
 *   `forYou.halfLifeDays` (30 by default), a quarter after twice that. Tastes move on; a vote of
 *   last week outweighs one of last season.
 * - Seed papers add their features like a "more" vote that does not fade: the reader said
 *   so and can change it on the preferences page.
 * - The author id adds weight to papers by an author of that surname and initial.
 *
 * The profile is rebuilt from the stored votes and seeds whenever one of them changes, so
 * it is always what they say, whatever happened before (a vote replaced by its opposite, a
 * reset). Learnt weights are stored decayed to `asOf`; a later edition applies the decay
 * since then (one factor for the whole learnt part).
 */
import { paperFeatures, type PaperText } from './features.ts';

/** Weights by feature: topic id, stem, author key (`surname_i`). */
export interface WeightSet {
  topics: Record<string, number>;
  terms: Record<string, number>;
  authors: Record<string, number>;
}

export interface Profile {
  v: 1;
  /** When the learnt weights were decayed to. */
  asOf: string;
  /** From votes, decayed. */
  learned: WeightSet;
  /** From seed papers, not decayed. */
  stated: WeightSet;
  /** The author id's key (`hinton_g`) and as given (`hinton_g_1`). */
  author?: { id: string; key: string };
  /** Papers the reader voted on: not picked for them again. */
  voted: string[];
  /** What the profile was built from, for the reader's page and `paperboy explain`. */
  counts: { more: number; less: number; seeds: number };
}

export interface ProfileVote {
  paper: PaperText;
  vote: 'more' | 'less';
  /** When it was cast (ISO). */
  at: string;
}

export interface ProfileInput {
  votes: ProfileVote[];
  seeds: PaperText[];
  author?: { id: string; key: string };
}

/**
 * Terms kept per part of a profile, the heaviest: a reader's vocabulary, not every word they
 * met. The fan-out reads and scores every profile each edition: 150 terms cost half of 300
 * (JSON parse and scoring) and lost nothing measurable in the click simulation.
 */
const MAX_TERMS = 150;
/** Weights smaller than this are noise (a vote many half-lives old): dropped. */
const NEGLIGIBLE = 0.005;
/** Votes this many half-lives old count less than 0.4 %: not read when a profile is built. */
export const FORGOTTEN_AFTER_HALF_LIVES = 8;

const DAY_MS = 86_400_000;

/** How much a weight of `from` still counts at `to`: 1 now, ½ after one half-life. Never above 1. */
export function decayFactor(from: string | Date, to: string | Date, halfLifeDays: number): number {
  const ageMs = new Date(to).getTime() - new Date(from).getTime();
  if (!(ageMs > 0)) return 1;
  return 0.5 ** (ageMs / (halfLifeDays * DAY_MS));
}

function emptySet(): WeightSet {
  return { topics: {}, terms: {}, authors: {} };
}

function add(into: WeightSet, paper: PaperText, scale: number): void {
  const f = paperFeatures(paper);
  for (const [t, w] of f.topics) into.topics[t] = (into.topics[t] ?? 0) + scale * w;
  for (const [s, w] of f.terms) into.terms[s] = (into.terms[s] ?? 0) + scale * w;
  const perAuthor = scale / Math.sqrt(Math.max(1, f.authors.length));
  for (const a of f.authors) into.authors[a] = (into.authors[a] ?? 0) + perAuthor;
}

const round = (w: number) => Math.round(w * 1000) / 1000;

function prune(weights: Record<string, number>, keep: number): Record<string, number> {
  const entries = Object.entries(weights)
    .filter(([, w]) => Math.abs(w) >= NEGLIGIBLE)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || (a[0] < b[0] ? -1 : 1))
    .slice(0, keep);
  return Object.fromEntries(entries.map(([k, w]) => [k, round(w)]));
}

function pruned(set: WeightSet): WeightSet {
  return { topics: prune(set.topics, 100), terms: prune(set.terms, MAX_TERMS), authors: prune(set.authors, MAX_TERMS) };
}

const isEmpty = (s: WeightSet) => Object.keys(s.topics).length + Object.keys(s.terms).length + Object.keys(s.authors).length === 0;

/**
 * The profile of these votes, seeds and author id at `now`; undefined when nothing gives it a
 * weight (no votes, no seed paper known, no author id): such a reader gets no For you block.
 */
export function buildProfile(input: ProfileInput, now: Date, halfLifeDays: number): Profile | undefined {
  const learned = emptySet();
  const stated = emptySet();
  let more = 0;
  let less = 0;
  for (const v of input.votes) {
    const sign = v.vote === 'more' ? 1 : -1;
    add(learned, v.paper, sign * decayFactor(v.at, now, halfLifeDays));
    if (sign > 0) more++;
    else less++;
  }
  for (const s of input.seeds) add(stated, s, 1);
  const profile: Profile = {
    v: 1,
    asOf: now.toISOString(),
    learned: pruned(learned),
    stated: pruned(stated),
    voted: [...new Set(input.votes.map((v) => v.paper.id))],
    counts: { more, less, seeds: input.seeds.length },
  };
  if (input.author) profile.author = input.author;
  if (isEmpty(profile.learned) && isEmpty(profile.stated) && !profile.author) return undefined;
  return profile;
}

/** A stored profile, or undefined for one this version cannot read (it is rebuilt on the next change). */
export function parseProfile(json: string | null | undefined): Profile | undefined {
  if (!json) return undefined;
  try {
    const p = JSON.parse(json) as Profile;
    return p && p.v === 1 && p.learned && p.stated ? p : undefined;
  } catch {
    return undefined;
  }
}
