/**
 * The rank worker: topics, score and edition day for each queued paper; and at each cut-off
 * the freeze of the day's edition, which queues its render.
 */
import type { App } from '../src/app.ts';
import { currentEditionDay } from '../src/rank/calendar.ts';
import { EditionBuilder, editionId, type BuildOutcome } from '../src/rank/edition.ts';
import { Ranker } from '../src/rank/ranker.ts';
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

export function startRankWorkers(app: App): StageHandle {
  const ranker = new Ranker(app.store, app.config);
  const papers = makeWorker<PaperJob, unknown>(
    app,
    QUEUE.papers,
    async (job) => {
      const outcome = await ranker.rank(job.data.paperId);
      return outcome ? { editionDate: outcome.editionDate, topic: outcome.primaryTopic, score: outcome.score } : null;
    },
    { concurrency: 8 },
  );
  const editions = makeWorker<FreezeJob, unknown>(app, QUEUE.editions, async (job) => (await freezeAndQueue(app, job.data)).map((o) => o.status));
  return { stage: 'rank', close: async () => void (await Promise.all([papers.close(), editions.close()])) };
}
