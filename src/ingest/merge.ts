import { createHash } from 'node:crypto';
import type { AnnounceType, Paper, PaperLinks, PaperObservation, SourceKind } from '../domain/paper.ts';

/** Whose title, abstract and author list wins when two sources disagree. */
const TEXT_AUTHORITY: Record<SourceKind, number> = {
  'arxiv-api': 5,
  'arxiv-rss': 5,
  'biorxiv-api': 4,
  'hf-daily': 3,
  rss: 2,
};

const ANNOUNCE_RANK: Record<AnnounceType, number> = { new: 0, cross: 1, replace: 2, 'replace-cross': 3 };

/**
 * The fields that make a change "material": a change in any of them re-ranks the paper.
 * Observation times are left out so that re-reading an unchanged feed changes nothing.
 */
export function contentHash(paper: Omit<Paper, 'contentHash'>): string {
  const signals = Object.keys(paper.signals)
    .sort()
    .map((name) => {
      const { observedAt: _observed, ...rest } = paper.signals[name]!;
      return [name, rest];
    });
  const material = [
    paper.title,
    paper.abstract,
    paper.authors,
    paper.categories,
    paper.primaryCategory ?? null,
    paper.links,
    paper.doi ?? null,
    paper.journalRef ?? null,
    paper.announceType ?? null,
    paper.announcedAt ?? null,
    paper.publishedAt ?? null,
    signals,
  ];
  return createHash('sha1').update(JSON.stringify(material)).digest('base64url');
}

function union(a: string[], b: string[]): string[] {
  const out = [...a];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out;
}

function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

function mergeLinks(kept: PaperLinks, incoming: PaperLinks, incomingWins: boolean): PaperLinks {
  const out: PaperLinks = { ...kept };
  for (const [key, value] of Object.entries(incoming) as [keyof PaperLinks, string | undefined][]) {
    if (value && (incomingWins || !out[key])) out[key] = value;
  }
  return out;
}

/**
 * The paper after one more observation. A `replace*` announcement never makes a paper new
 * again: it updates metadata but keeps the first announcement and its type.
 */
export function mergeObservation(existing: Paper | undefined, obs: PaperObservation, id: string, now: string): Paper {
  const kind = obs.signal.kind;
  const base: Omit<Paper, 'contentHash'> = existing
    ? { ...existing }
    : {
        id,
        title: obs.title,
        abstract: obs.abstract,
        authors: obs.authors,
        categories: [],
        links: {},
        firstSeenAt: now,
        updatedAt: now,
        sources: [],
        textSource: kind,
        signals: {},
        topics: [],
      };
  const incomingWins = !existing || TEXT_AUTHORITY[kind] >= TEXT_AUTHORITY[base.textSource as SourceKind];
  if (incomingWins) {
    base.title = obs.title;
    if (obs.abstract) base.abstract = obs.abstract;
    if (obs.authors.length > 0) base.authors = obs.authors;
    base.textSource = kind;
    if (obs.primaryCategory) base.primaryCategory = obs.primaryCategory;
  } else {
    if (!base.abstract && obs.abstract) base.abstract = obs.abstract;
    if (base.authors.length === 0) base.authors = obs.authors;
    base.primaryCategory ??= obs.primaryCategory;
  }
  base.categories = incomingWins ? union(obs.categories, base.categories) : union(base.categories, obs.categories);
  base.links = mergeLinks(base.links, obs.links, incomingWins);
  if (obs.doi) base.doi = incomingWins || !base.doi ? obs.doi : base.doi;
  if (obs.journalRef) base.journalRef = incomingWins || !base.journalRef ? obs.journalRef : base.journalRef;
  base.publishedAt = earliest(base.publishedAt, obs.publishedAt);

  const incomingType = obs.signal.announceType;
  const isReplacement = incomingType === 'replace' || incomingType === 'replace-cross';
  if (incomingType && (!base.announceType || ANNOUNCE_RANK[incomingType] < ANNOUNCE_RANK[base.announceType])) {
    // a paper first seen as a replacement becomes "new" if a later feed announces it as new
    base.announceType = incomingType;
  }
  if (!isReplacement) base.announcedAt = earliest(base.announcedAt, obs.announcedAt);
  else if (!existing) base.announcedAt = obs.announcedAt;

  base.signals = { ...base.signals, [obs.signal.source]: obs.signal };
  base.sources = Object.keys(base.signals).sort();
  const hash = contentHash(base);
  if (existing && hash === existing.contentHash) return existing;
  return { ...base, updatedAt: now, contentHash: hash };
}
