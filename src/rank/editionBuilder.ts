/** Builds an edition from the day's stored papers: scores, topics, sections, the frozen snapshot. */
import type { Config } from '../config/schema.ts';
import type { Store } from '../db/index.ts';
import type { Edition, EditionContent, EditionPaper, EditionSection } from '../domain/edition.ts';
import { editionId } from '../domain/edition.ts';
import type { Paper } from '../domain/paper.ts';
import { addDays, cutoffOf, systemClock, weekday, type Clock } from '../domain/time.ts';
import { isReplacementOnly, scorePaper } from './score.ts';
import { TopicClassifier } from './topics.ts';

function snapshot(paper: Paper, score: number): EditionPaper {
  let upvotes: number | undefined;
  let comments: number | undefined;
  let githubStars: number | undefined;
  let aiSummary: string | undefined;
  let organization: string | undefined;
  let aiKeywords: string[] | undefined;
  for (const name of Object.keys(paper.signals).sort()) {
    const s = paper.signals[name]!;
    if (s.upvotes !== undefined) upvotes = Math.max(upvotes ?? 0, s.upvotes);
    if (s.comments !== undefined) comments = Math.max(comments ?? 0, s.comments);
    if (s.githubStars !== undefined) githubStars = Math.max(githubStars ?? 0, s.githubStars);
    aiSummary ??= s.aiSummary;
    organization ??= s.organization;
    if (s.aiKeywords?.length) aiKeywords ??= s.aiKeywords;
  }
  const out: EditionPaper = {
    id: paper.id,
    title: paper.title,
    abstract: paper.abstract,
    authors: paper.authors,
    links: paper.links,
    categories: paper.categories,
    score,
    primaryTopic: paper.primaryTopic ?? 'other',
    topics: paper.topics.map((t) => t.id),
    sources: paper.sources,
  };
  if (paper.announceType) out.announceType = paper.announceType;
  if (paper.publishedAt) out.publishedAt = paper.publishedAt;
  if (upvotes !== undefined) out.upvotes = upvotes;
  if (comments !== undefined) out.comments = comments;
  if (githubStars !== undefined) out.githubStars = githubStars;
  if (aiSummary) out.aiSummary = aiSummary;
  if (organization) out.organization = organization;
  if (aiKeywords) out.aiKeywords = aiKeywords;
  return out;
}

const byScore = (a: EditionPaper, b: EditionPaper) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export type BuildOutcome = { status: 'built' | 'rebuilt' | 'unchanged'; edition: Edition } | { status: 'empty'; date: string; kind: 'daily' | 'weekly' };

export class EditionBuilder {
  private readonly classifier: TopicClassifier;

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly clock: Clock = systemClock,
  ) {
    this.classifier = TopicClassifier.fromConfig(config);
  }

  /** Groups ranked papers into sections in taxonomy order, best first, top N each. */
  compose(kind: 'daily' | 'weekly', date: string, papers: EditionPaper[], from?: string): EditionContent {
    const perTopic = this.config.edition.papersPerTopic;
    const sorted = [...papers].sort(byScore);
    const sections: EditionSection[] = [];
    const shown = new Set<string>();
    for (const topic of this.classifier.sectionOrder()) {
      const ids = sorted
        .filter((p) => p.primaryTopic === topic)
        .slice(0, perTopic)
        .map((p) => p.id);
      if (ids.length === 0) continue;
      ids.forEach((id) => shown.add(id));
      sections.push({ topic, title: this.classifier.topicName(topic), description: this.classifier.topicDescription(topic), paperIds: ids });
    }
    const kept = sorted.filter((p) => shown.has(p.id));
    const top = kept.slice(0, this.config.edition.topPapers).map((p) => p.id);
    const content: EditionContent = { kind, date, top, sections, papers: Object.fromEntries(kept.map((p) => [p.id, p])), considered: papers.length };
    if (from) content.from = from;
    return content;
  }

  /** The papers of one edition day, scored against that day's cut-off. */
  async dailyPapers(date: string): Promise<EditionPaper[]> {
    const reference = cutoffOf(date, this.config.edition);
    const papers = await this.store.papers.forEditionDate(date);
    return papers.filter((p) => !isReplacementOnly(p) && p.primaryTopic).map((p) => snapshot(p, scorePaper(p, this.config.rank.weights, reference)));
  }

  /** The best of the seven daily editions ending on `date`. */
  async weeklyPapers(date: string): Promise<{ from: string; papers: EditionPaper[] }> {
    const from = addDays(date, -6);
    const dailies = await this.store.editions.dailyBetween(from, date);
    const papers = new Map<string, EditionPaper>();
    for (const daily of dailies) {
      for (const p of Object.values(daily.content.papers)) if (!papers.has(p.id)) papers.set(p.id, { ...p, editionDate: daily.date });
    }
    return { from, papers: [...papers.values()] };
  }

  /**
   * Freezes the edition of `date`. A frozen edition is returned unchanged unless `force`;
   * an edition whose mail has started going out is never rebuilt.
   */
  async build(kind: 'daily' | 'weekly', date: string, opts: { force?: boolean } = {}): Promise<BuildOutcome> {
    const id = editionId(kind, date);
    const now = this.clock.now().toISOString();
    const existing = await this.store.editions.get(id);
    if (existing && !opts.force) return existing.status === 'empty' ? { status: 'empty', date, kind } : { status: 'unchanged', edition: existing };
    let content: EditionContent;
    if (kind === 'daily') {
      content = this.compose('daily', date, await this.dailyPapers(date));
    } else {
      const { from, papers } = await this.weeklyPapers(date);
      content = this.compose('weekly', date, papers, from);
    }
    // an empty day is frozen too (as `empty`): a paper that turns up later for it goes to the
    // edition being collected instead of a day that will never be sent
    const empty = content.sections.length === 0 && this.config.edition.skipEmpty;
    if (existing) {
      if (!(await this.store.editions.replaceFrozen(id, content, now, empty))) {
        throw new EditionLockedError(id, existing.status);
      }
      if (empty) return { status: 'empty', date, kind };
      return { status: 'rebuilt', edition: (await this.store.editions.get(id))! };
    }
    const inserted = await this.store.editions.insertFrozen({ id, kind, date, content, empty }, now);
    if (empty) return { status: 'empty', date, kind };
    // another worker froze it first: theirs stands
    return { status: inserted ? 'built' : 'unchanged', edition: (await this.store.editions.get(id))! };
  }

  /** The weekly edition closes on the configured weekday. */
  isWeeklyDay(date: string): boolean {
    return weekday(date) === this.config.edition.weeklyDay;
  }
}

export class EditionLockedError extends Error {
  constructor(
    readonly editionId: string,
    readonly status: string,
  ) {
    super(`edition ${editionId} is already ${status}: its mail has started going out, so it cannot be rebuilt (the archive must show what was sent)`);
    this.name = 'EditionLockedError';
  }
}
