/**
 * The rank worker: topics, score and edition day for each queued paper; and at each cut-off
 * the freeze of the day's edition, which queues its render.
 */
import type { App } from '../src/app.ts';
import { addDays, currentEditionDay } from '../src/rank/calendar.ts';
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

/** How many days back a freeze also builds a day whose cut-off passed while no rank worker ran. */
export const MISSED_FREEZE_DAYS = 2;

/**
 * Days before `current` whose cut-off passed without a freeze: those after the last frozen
 * day (empty days count as frozen), at most MISSED_FREEZE_DAYS. A new installation, with no
 * frozen day yet, has none, so its first freeze does not send a backlog of old days.
 */
async function missedDays(app: App, current: string): Promise<string[]> {
  const last = await app.store.editions.latestDate('daily');
  if (!last) return [];
  const out: string[] = [];
  for (let i = MISSED_FREEZE_DAYS; i >= 1; i--) {
    const day = addDays(current, -i);
    if (day > last) out.push(day);
  }
  return out;
}

/**
 * Freezes an edition and queues its render; on the weekly day the weekly edition too. First
 * it ranks any paper stored but not ranked, so the edition misses none. A scheduled freeze
 * (no date) also freezes the last MISSED_FREEZE_DAYS days if their cut-off was missed.
 */
export async function freezeAndQueue(app: App, job: FreezeJob, now = new Date()): Promise<BuildOutcome[]> {
  await new Ranker(app.store, app.config).rankStragglers();
  const builder = new EditionBuilder(app.store, app.config);
  const current = job.date ?? currentEditionDay(now, app.config.edition);
  const days = job.date ? [job.date] : [...(await missedDays(app, current)), current];
  const outcomes: BuildOutcome[] = [];
  for (const day of days) {
    const built = await builder.build(job.kind, day);
    outcomes.push(built);
    if (job.kind === 'daily' && !job.date && built.status === 'built' && builder.isWeeklyDay(day)) outcomes.push(await builder.build('weekly', day));
  }
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
