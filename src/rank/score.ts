/**
 * A paper's score from its signals, relative to a reference time (the cut-off of its
 * edition), so that the same inputs always give the same score whenever it is computed.
 */
import type { RankWeights } from '../config/schema.ts';
import type { Paper } from '../domain/paper.ts';

export interface ScorePart {
  name: string;
  points: number;
}

/** Sources of one family count once: two arXiv category feeds are not two opinions. */
function family(kind: string): string {
  return kind.startsWith('arxiv') ? 'arxiv' : kind;
}

export function scoreParts(
  paper: Pick<Paper, 'signals' | 'announceType' | 'announcedAt' | 'firstSeenAt' | 'links'>,
  weights: RankWeights,
  reference: Date,
): ScorePart[] {
  const parts: ScorePart[] = [];
  const signals = Object.values(paper.signals);
  const seenAt = Date.parse(paper.announcedAt ?? paper.firstSeenAt);
  const ageHours = Math.max(0, (reference.getTime() - seenAt) / 3600_000);

  let upvotes = 0;
  let comments = 0;
  for (const s of signals) {
    upvotes = Math.max(upvotes, s.upvotes ?? 0);
    comments = Math.max(comments, s.comments ?? 0);
  }
  if (upvotes > 0 || comments > 0) {
    const decay = 0.5 ** (ageHours / weights.engagementHalfLifeHours);
    const points = (weights.upvote * upvotes + weights.comment * comments) * decay;
    parts.push({ name: `HF engagement (${upvotes} upvotes, ${comments} comments, ×${decay.toFixed(2)} age decay)`, points });
  }

  const families = new Set(signals.map((s) => family(s.kind)));
  if (families.size > 1) parts.push({ name: `reported by ${families.size} kinds of source`, points: weights.extraSource * (families.size - 1) });

  if (paper.announceType === 'new') parts.push({ name: 'new on arXiv', points: weights.announceNew });
  else if (paper.announceType === 'cross') parts.push({ name: 'cross-listed on arXiv', points: weights.announceCross });

  if (paper.links.code) parts.push({ name: 'code available', points: weights.code });
  if (paper.links.project) parts.push({ name: 'project page', points: weights.projectPage });

  const ageDays = Math.floor(ageHours / 24);
  if (ageDays > 0 && weights.agePerDay > 0) parts.push({ name: `${ageDays} day(s) old`, points: -weights.agePerDay * ageDays });
  return parts;
}

export function scorePaper(paper: Parameters<typeof scoreParts>[0], weights: RankWeights, reference: Date): number {
  const total = scoreParts(paper, weights, reference).reduce((sum, p) => sum + p.points, 0);
  // three decimals: enough to order, and stable across platforms' float printing
  return Math.round(total * 1000) / 1000;
}

/**
 * A paper that only an arXiv replacement announced never enters an edition as new. One that
 * another kind of source brought (HF daily papers, a blog) is news there, whatever arXiv says.
 */
export function isReplacementOnly(paper: Pick<Paper, 'announceType' | 'signals'>): boolean {
  if (paper.announceType !== 'replace' && paper.announceType !== 'replace-cross') return false;
  return Object.values(paper.signals).every((s) => s.kind.startsWith('arxiv'));
}
