/** The ingest worker: one job per source fetch, from the job schedulers or `paperboy ingest`. */
import type { App } from '../app.ts';
import type { SourceConfig } from '../config/schema.ts';
import { ingestSource, type IngestReport } from '../ingest/processor.ts';
import { ingestQueueOf, QUEUE, schedulerId, type IngestJob, PermanentJobError } from '../queues/index.ts';
import { makeWorker, type StageHandle } from './worker.ts';

/** When a source without `schedule` is fetched: hourly, the arXiv API every six hours. */
export function defaultSchedule(source: SourceConfig): string {
  return source.schedule ?? (source.kind === 'arxiv-api' ? '20 */6 * * *' : '5 * * * *');
}

/** One job scheduler per enabled source (idempotent across workers); stale ones are removed. */
export async function syncSourceSchedulers(app: App): Promise<void> {
  const wanted = new Map(app.config.sources.filter((s) => s.enabled).map((s) => [schedulerId.source(s.name), s]));
  for (const queueName of [QUEUE.ingest, QUEUE.ingestArxivApi]) {
    const queue = app.queues.get(queueName);
    for (const existing of await queue.getJobSchedulers()) {
      const s = existing.key ? wanted.get(existing.key) : undefined;
      if (existing.key?.startsWith('source-') && (!s || ingestQueueOf(s) !== queueName)) await queue.removeJobScheduler(existing.key);
    }
  }
  for (const [id, source] of wanted) {
    await app.queues
      .get(ingestQueueOf(source))
      .upsertJobScheduler(
        id,
        { pattern: defaultSchedule(source), tz: app.config.edition.timezone },
        { name: 'ingest', data: { source: source.name } satisfies IngestJob },
      );
  }
}

export function startIngestWorkers(app: App): StageHandle {
  const process = async (job: { data: IngestJob; attemptsMade: number; opts: { attempts?: number } }): Promise<IngestReport> => {
    const source = job.data.url
      ? { name: job.data.source, kind: job.data.kind ?? ('rss' as const), url: job.data.url, allowLocal: false }
      : app.config.sources.find((s) => s.name === job.data.source);
    if (!source) throw new PermanentJobError(`source "${job.data.source}" is not in this worker's configuration (${app.settings.configSource})`);
    const willRetry = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
    const report = await ingestSource(app, source, { willRetry });
    const level = report.status === 'error' ? 'warn' : 'info';
    app.log[level]('source ingested', { source: source.name, status: report.status, ...report.counts, error: report.error });
    return report;
  };
  const general = makeWorker<IngestJob, IngestReport>(app, QUEUE.ingest, process, { concurrency: app.config.workers.concurrency.ingest });
  // arXiv's terms: at most one API request every 3 s, counted in Redis across every worker;
  // one at a time whatever workers.concurrency.ingest says
  const arxivApi = makeWorker<IngestJob, IngestReport>(app, QUEUE.ingestArxivApi, process, { concurrency: 1, limiter: { max: 1, duration: 3_000 } });
  return { stage: 'ingest', close: async () => void (await Promise.all([general.close(), arxivApi.close()])) };
}
