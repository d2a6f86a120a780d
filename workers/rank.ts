/**
 * The rank worker: topics, score and edition day for each queued paper; and at each cut-off
 * the freeze of the day's edition, which queues its render.
 */
import type { App } from '../src/app.ts';
import { currentEditionDay } from '../src/rank/calendar.ts';
import { EditionBuilder, editionId, type BuildOutcome } from '../src/rank/edition.ts';
import { Ranker, type RankOutcome } from '../src/rank/ranker.ts';
import { QUEUE, schedulerId, type FreezeJob, type PaperJob } from '../src/queues/index.ts';
import { makeWorker, type StageHandle } from './shared.ts';

export async function syncFreezeScheduler(app: App): Promise<void> {
  const { cutoffHour, timezone } = app.config.edition;
  await app.queues.get(QUEUE.editions).upsertJobScheduler(
    schedulerId.freeze('daily'),
    { pattern: `0 ${cutoffHour} * * *`, tz: timezone },
    { name: 'freeze', data: { kind: 'daily' } satisfies FreezeJob },
  );
}

/** Freezes an edition and queues its render; on the weekly day the weekly edition too. */
export async function freezeAndQueue(app: App, job: FreezeJob): Promise<BuildOutcome[]> {
  const builder = new EditionBuilder(app.store, app.config);
  const date = job.date ?? currentEditionDay(new Date(), app.config.edition);
  const outcomes = [await builder.build(job.kind, date)];
  if (job.kind === 'daily' && !job.date && builder.isWeeklyDay(date)) outcomes.push(await builder.build('weekly', date));
  for (const o of outcomes) {
    if (o.status === 'built' || o.status === 'rebuilt') await app.queues.addRender(o.edition.id);
    app.log.info('edition freeze', { edition: o.status === 'empty' ? editionId(o.kind, o.date) : o.edition.id, status: o.status });
  }
  return outcomes;
}

/**
 * Gathers the papers of the jobs running at the same moment into one `rankMany` call: one
 * read and one transaction for up to `max` papers instead of one each. A job still carries
 * one paper id and succeeds or fails on its own.
 */
export class RankBatcher {
  private pending: { id: string; resolve: (o: RankOutcome | undefined) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ranker: Ranker,
    private readonly max = 100,
    private readonly waitMs = 5,
  ) {}

  rank(id: string): Promise<RankOutcome | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push({ id, resolve, reject });
      if (this.pending.length >= this.max) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.waitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    this.ranker.rankMany(batch.map((b) => b.id)).then(
      (out) => batch.forEach((b) => b.resolve(out.get(b.id))),
      (err) => batch.forEach((b) => b.reject(err)),
    );
  }
}

export function startRankWorkers(app: App): StageHandle {
  const batcher = new RankBatcher(new Ranker(app.store, app.config));
  const papers = makeWorker<PaperJob, unknown>(
    app,
    QUEUE.papers,
    async (job) => {
      const outcome = await batcher.rank(job.data.paperId);
      return outcome ? { editionDate: outcome.editionDate, topic: outcome.primaryTopic, score: outcome.score } : null;
    },
    { concurrency: 100 },
  );
  const editions = makeWorker<FreezeJob, unknown>(app, QUEUE.editions, async (job) => (await freezeAndQueue(app, job.data)).map((o) => o.status));
  return { stage: 'rank', close: async () => void (await Promise.all([papers.close(), editions.close()])) };
}
