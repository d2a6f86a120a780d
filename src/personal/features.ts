/**
 * What For you knows of a paper: its topics (the ranking's), the stemmed words of its title
 * and abstract (the topic classifier's tokenisation and stemmer), and its authors (surname
 * and initial). Votes add a paper's features to a reader's profile; a day's papers are
 * scored by the same features.
 */
import { tokenize } from '../rank/topics.ts';
import { authorKeys } from './authors.ts';

/** What features are made from: a stored paper or an edition's snapshot of it. */
export interface PaperText {
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  /** Topic ids, the primary one first. */
  topics: string[];
}

export interface PaperFeatures {
  /** Topic id → weight: the primary topic 1, the others {@link SECONDARY_TOPIC}. */
  topics: Map<string, number>;
  /** Stem → weight; the weights of a paper have unit length, so a long abstract does not outvote a short one. */
  terms: Map<string, number>;
  /** One key per author (`surname_i`, the surname's last word), the first {@link MAX_AUTHORS}. */
  authors: string[];
  /** Every key an arXiv author id can match, for all of the paper's authors. */
  authorIdKeys: Set<string>;
}

export const SECONDARY_TOPIC = 0.5;
/** A title word counts as much as two mentions in the abstract. */
const TITLE_WEIGHT = 2;
/** Terms kept per paper, the heaviest: enough for any abstract's content words. */
const MAX_TERMS = 60;
/** A paper with 300 authors says little about each: only the first ones count for votes. */
export const MAX_AUTHORS = 10;

/**
 * Words that say nothing of a paper's subject: English function words and the phrases every
 * abstract uses ("we propose a novel method … outperforms"). Stemmed like the papers' words.
 */
const STOP = new Set(
  tokenize(
    `a about above across after again against all almost along already also although always am among an and another any are around as at be because been before
being below between both but by can cannot could did do does doing done down during each either else enough especially etc even ever every few for from further
get gets given had has have having here how however if in into is it its itself just least less like made make makes many may might more most much must near
neither no nor not now of off often on once one only onto or other others otherwise our ours out over own per perhaps rather same several shall should since so
some such than that the their theirs them then there these they this those though through thus to too toward towards under until up upon us use used uses using
very via was we well were what when where whether which while who whom whose why will with within without would yet you your
paper papers propose proposed proposes proposing present presents presented show shows shown showing study studies studied approach approaches method methods
result results work works new novel based existing different various recent recently first second two three four five demonstrate demonstrates demonstrated
introduce introduces introduced provide provides provided finally furthermore moreover specifically significant significantly experiment experiments experimental
extensive extensively outperform outperforms outperforming state art available code github com http https www achieve achieves achieved achieving
effective effectively improve improves improved improvement improvements task tasks problem problems framework frameworks key address addresses however`,
  ),
);

/** The content words of a text, stemmed; numbers and one- or two-letter words dropped. */
export function contentStems(text: string): string[] {
  return tokenize(text).filter((s) => s.length > 2 && !STOP.has(s) && !/^\d+$/.test(s));
}

export function paperFeatures(p: PaperText): PaperFeatures {
  const topics = new Map<string, number>();
  p.topics.forEach((t, i) => {
    if (!topics.has(t)) topics.set(t, i === 0 ? 1 : SECONDARY_TOPIC);
  });

  const raw = new Map<string, number>();
  for (const s of new Set(contentStems(p.title))) raw.set(s, TITLE_WEIGHT);
  const counts = new Map<string, number>();
  for (const s of contentStems(p.abstract)) counts.set(s, (counts.get(s) ?? 0) + 1);
  // one mention counts 1, more add slowly: an abstract repeating a word is still about it once
  for (const [s, n] of counts) raw.set(s, (raw.get(s) ?? 0) + 1 + Math.log(n));
  const kept = [...raw].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_TERMS);
  const norm = Math.sqrt(kept.reduce((sum, [, w]) => sum + w * w, 0)) || 1;
  const terms = new Map(kept.map(([s, w]) => [s, w / norm]));

  const authors: string[] = [];
  const authorIdKeys = new Set<string>();
  p.authors.forEach((name, i) => {
    const keys = authorKeys(name);
    if (keys.length === 0) return;
    if (i < MAX_AUTHORS) authors.push(keys[0]!);
    for (const k of keys) authorIdKeys.add(k);
  });
  return { topics, terms, authors: [...new Set(authors)], authorIdKeys };
}

/** A stored paper (`rowToPaper`) as For you reads it. */
export function paperTextOf(p: { id: string; title: string; abstract: string; authors: string[]; primaryTopic?: string; topics: { id: string }[] }): PaperText {
  const topics = p.topics.map((t) => t.id);
  if (p.primaryTopic && topics[0] !== p.primaryTopic) topics.unshift(p.primaryTopic);
  return { id: p.id, title: p.title, abstract: p.abstract, authors: p.authors, topics };
}
