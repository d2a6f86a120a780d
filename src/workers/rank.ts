/**
 * The rank worker: topics, score and edition day for each queued paper; and at each cut-off
 * the freeze of the day's edition, which queues its render.
 */
import type { App } from '../app.ts';
import { RankBatcher } from '../rank/batcher.ts';
import { freezeEditions } from '../rank/freeze.ts';
import { Ranker } from '../rank/ranker.ts';
import { QUEUE, schedulerId, type FreezeJob, type PaperJob } from '../queues/index.ts';
import { makeWorker, type StageHandle } from './worker.ts';

export async function syncFreezeScheduler(app: App): Promise<void> {
  const { cutoffHour, timezone } = app.config.edition;
  await app.queues
    .get(QUEUE.editions)
    .upsertJobScheduler(
      schedulerId.freeze('daily'),
      { pattern: `0 ${cutoffHour} * * *`, tz: timezone },
      { name: 'freeze', data: { kind: 'daily' } satisfies FreezeJob },
    );
}

export function startRankWorkers(app: App): StageHandle {
  const batcher = new RankBatcher(new Ranker(app.store, app.config, app.clock));
  const papers = makeWorker<PaperJob, unknown>(
    app,
    QUEUE.papers,
    async (job) => {
      const outcome = await batcher.rank(job.data.paperId);
      return outcome ? { editionDate: outcome.editionDate, topic: outcome.primaryTopic, score: outcome.score } : null;
    },
    { concurrency: app.config.workers.concurrency.rank },
  );
  const editions = makeWorker<FreezeJob, unknown>(app, QUEUE.editions, async (job) =>
    (await freezeEditions(app, { kind: job.data.kind, date: job.data.date, queueRender: true })).outcomes.map((o) => o.status),
  );
  return { stage: 'rank', close: async () => void (await Promise.all([papers.close(), editions.close()])) };
}
