import type { Config } from '../config/schema.ts';
import type { Store } from '../db/store.ts';
import type { Paper } from '../ingest/paper.ts';
import { addDays, cutoffOf, editionDayOf } from './calendar.ts';
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

  constructor(
    private readonly store: Store,
    private readonly config: Config,
  ) {
    this.classifier = TopicClassifier.fromConfig(config);
  }

  /**
   * A paper keeps the edition day it was first given, so it enters exactly one daily edition.
   * A first-time paper whose day is already frozen joins the edition now being collected.
   */
  async editionDateFor(paper: Paper, now: Date): Promise<string> {
    if (paper.editionDate) return paper.editionDate;
    const clock = this.config.edition;
    let day = editionDayOf(new Date(paper.announcedAt ?? paper.firstSeenAt), clock);
    if (await this.store.editions.get(day)) {
      day = editionDayOf(now, clock);
      for (let i = 0; i < 60 && (await this.store.editions.get(day)); i++) day = addDays(day, 1);
    }
    return day;
  }

  async rank(paperId: string, now = new Date()): Promise<RankOutcome | undefined> {
    const paper = await this.store.papers.get(paperId);
    // the paper may have been removed since the job was queued: nothing to do
    if (!paper) return undefined;
    const editionDate = await this.editionDateFor(paper, now);
    const classification = this.classifier.classify(paper);
    const score = scorePaper(paper, this.config.rank.weights, cutoffOf(editionDate, this.config.edition));
    await this.store.papers.saveRanking({
      id: paper.id,
      editionDate,
      primaryTopic: classification.primary,
      topics: classification.topics,
      score,
      rankedAt: now.toISOString(),
    });
    return { paper, editionDate, primaryTopic: classification.primary, score };
  }
}
