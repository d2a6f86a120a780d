import type { Config } from '../config/schema.ts';
import type { Store } from '../db/index.ts';
import type { Paper } from '../domain/paper.ts';
import type { RankingUpdate } from '../db/index.ts';
import { addDays, cutoffOf, editionDayOf, systemClock, type Clock } from '../domain/time.ts';
import { scorePaper } from './score.ts';
import { TopicClassifier } from './topics.ts';

export interface RankOutcome {
  paper: Paper;
  editionDate: string;
  primaryTopic: string;
  score: number;
}

/** The rank stage: topics, score and edition day of one paper, stored on the paper. */
export class Ranker {
  readonly classifier: TopicClassifier;
  /** Frozen editions never thaw, so a day once seen frozen needs no second look. */
  private readonly frozen = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly clock: Clock = systemClock,
  ) {
    this.classifier = TopicClassifier.fromConfig(config);
  }

  /**
   * A paper keeps the edition day it was first given, so it enters exactly one daily edition.
   * A first-time paper whose day is already frozen joins the edition now being collected.
   */
  async editionDateFor(paper: Paper, now: Date, missedFrozenDay = false): Promise<string> {
    if (paper.editionDate && !missedFrozenDay) return paper.editionDate;
    const clock = this.config.edition;
    let day = editionDayOf(new Date(paper.announcedAt ?? paper.firstSeenAt), clock);
    if (await this.isFrozen(day)) {
      day = editionDayOf(now, clock);
      for (let i = 0; i < 60 && (await this.isFrozen(day)); i++) day = addDays(day, 1);
    }
    return day;
  }

  private async isFrozen(day: string): Promise<boolean> {
    if (this.frozen.has(day)) return true;
    if (await this.store.editions.get(day)) {
      this.frozen.add(day);
      return true;
    }
    return false;
  }

  /**
   * Ranks several papers with one read and one transaction: the rank worker gathers the
   * papers of concurrent jobs into one call (see RankBatcher in batcher.ts).
   */
  async rankMany(paperIds: string[], now = this.clock.now(), missedFrozenDay = new Set<string>()): Promise<Map<string, RankOutcome>> {
    const papers = await this.store.papers.getMany(paperIds);
    const out = new Map<string, RankOutcome>();
    const updates: RankingUpdate[] = [];
    const openDays = new Set<string>();
    for (const paper of papers.values()) {
      const editionDate = await this.editionDateFor(paper, now, missedFrozenDay.has(paper.id));
      if (!this.frozen.has(editionDate)) openDays.add(editionDate);
      const classification = this.classifier.classify(paper);
      const score = scorePaper(paper, this.config.rank.weights, cutoffOf(editionDate, this.config.edition));
      updates.push({ id: paper.id, editionDate, primaryTopic: classification.primary, topics: classification.topics, score, rankedAt: now.toISOString() });
      out.set(paper.id, { paper, editionDate, primaryTopic: classification.primary, score });
    }
    await this.store.papers.saveRankings(updates);
    // Another machine may have frozen one of those days between the look above and the write:
    // a paper that edition does not show moves on to the edition being collected.
    const missed = new Set<string>();
    for (const day of openDays) {
      const edition = await this.store.editions.get(day);
      if (!edition) continue;
      this.frozen.add(day);
      for (const u of updates) if (u.editionDate === day && !(u.id in edition.content.papers)) missed.add(u.id);
    }
    if (missed.size > 0) for (const [id, o] of await this.rankMany([...missed], now, missed)) out.set(id, o);
    // a paper removed since its job was queued is simply absent: nothing to do
    return out;
  }

  /**
   * Papers stored but not ranked since (a crash between storing and queuing them, a rank job
   * that failed for good): ranked now, so that the edition being frozen misses none.
   */
  async rankStragglers(): Promise<number> {
    const done = new Set<string>();
    for (;;) {
      // a paper changed again while this runs (another machine's ingest) is left to its own job
      const ids = (await this.store.papers.unrankedIds(500)).filter((id) => !done.has(id));
      if (ids.length === 0) return done.size;
      await this.rankMany(ids);
      for (const id of ids) done.add(id);
    }
  }

  async rank(paperId: string, now = this.clock.now()): Promise<RankOutcome | undefined> {
    return (await this.rankMany([paperId], now)).get(paperId);
  }
}
