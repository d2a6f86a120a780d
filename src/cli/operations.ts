/**
 * The steps the commands are made of. Work always goes through the queues; when no worker of
 * a needed stage is connected to Redis, the command runs that stage in-process, so one
 * command completes on a single machine and shares the work when workers exist.
 */
import type { App } from '../app.ts';
import type { SourceConfig } from '../config/schema.ts';
import type { DeliveryStatus } from '../db/index.ts';
import type { IngestReport } from '../ingest/processor.ts';
import { ingestQueueOf, openQueueEvents, QUEUE, type QueueName } from '../queues/index.ts';
import type { EditionContent } from '../domain/edition.ts';
import type { BuildOutcome } from '../rank/editionBuilder.ts';
import { requeueOpenDeliveries } from '../send/fanout.ts';
import { RenderError } from '../render/renderVariant.ts';
import { editionDeliveries, possiblySentTwiceLine } from '../status/report.ts';
import { freezeEditions } from '../rank/freeze.ts';
import { STAGE_REGISTRY, startStages, type RunningStages, type Stage } from '../workers/index.ts';
import { startProgress } from './progress.ts';
import { output, waitFor } from './runtime.ts';

/** Starts in this process the stages that have no worker connected anywhere. */
export async function ensureWorkers(app: App, stages: Stage[]): Promise<RunningStages> {
  const missing: Stage[] = [];
  for (const stage of stages) {
    const counts = await Promise.all(STAGE_REGISTRY[stage].queues.map((q) => app.queues.workerCount(q)));
    if (counts.some((n) => n === 0)) missing.push(stage);
  }
  if (missing.length > 0) app.log.debug('running stages in-process', { stages: missing.join(',') });
  return startStages(app, missing);
}

/** Queues one fetch per source and waits for every report. */
export async function ingestSources(app: App, sources: SourceConfig[]): Promise<IngestReport[]> {
  const queueNames = [...new Set(sources.map(ingestQueueOf))];
  const events = new Map(queueNames.map((name) => [name, openQueueEvents(app.queues.settings, name)]));
  try {
    await Promise.all([...events.values()].map((e) => e.waitUntilReady()));
    const run = Date.now().toString(36);
    const jobs = await Promise.all(
      sources.map((s) =>
        app.queues.addIngestRun(
          { source: s.name, ...(app.config.sources.includes(s) ? {} : { url: s.url, kind: s.kind === 'arxiv-api' ? 'arxiv-api' : 'rss' }) },
          ingestQueueOf(s),
          run,
        ),
      ),
    );
    let finished = 0;
    const bar = startProgress('ingest', { event: { stage: 'ingest' } });
    bar.update(0, sources.length, 'sources read', { source: null });
    const reports = await Promise.all(
      jobs.map(async (job, i) => {
        const source = sources[i]!;
        let report: IngestReport;
        try {
          report = (await job.waitUntilFinished(events.get(ingestQueueOf(source))!, 15 * 60_000)) as IngestReport;
        } catch (err) {
          report = {
            source: source.name,
            status: 'error',
            counts: { new: 0, updated: 0, unchanged: 0, skipped: 0 },
            error: (err as Error).message,
            problems: [],
          };
        }
        bar.update(++finished, sources.length, `sources read (last: ${source.name})`, { source: source.name });
        printIngestReport(report);
        return report;
      }),
    );
    bar.stop();
    return reports;
  } finally {
    await Promise.all([...events.values()].map((e) => e.close()));
  }
}

/** A source's outcome in a `--json` result: the names of `paperboy status --json`'s sources. */
export function sourceResult(r: IngestReport) {
  return { name: r.source, status: r.status, ...r.counts, error: r.error ?? null, problems: r.problems };
}

export function printIngestReport(r: IngestReport): void {
  const c = r.counts;
  if (r.status === 'error' && c.new + c.updated + c.unchanged === 0) {
    output.line(`${r.source}: error: ${r.error}`);
    return;
  }
  const counts =
    r.status === 'not-modified'
      ? 'unchanged (not modified since the last fetch)'
      : `${c.new} new, ${c.updated} updated, ${c.unchanged} unchanged${c.skipped ? `, ${c.skipped} skipped` : ''}`;
  output.line(`${r.source}: ${counts}${r.error ? `; error: ${r.error}` : ''}`);
}

/** Waits until every queued paper is ranked. */
export async function waitForRanking(app: App): Promise<void> {
  // the most papers seen waiting is the total: ingest has queued them all by now
  let most = 0;
  await waitFor(async () => ((await app.queues.openJobs(QUEUE.papers)) === 0 ? true : undefined), {
    what: 'the ranking of new papers',
    timeoutMs: 30 * 60_000,
    progress: {
      label: 'ranking',
      event: { stage: 'rank' },
      measure: async () => {
        const open = await app.queues.openJobs(QUEUE.papers);
        most = Math.max(most, open);
        return { done: most - open, total: most, text: `papers ranked, ${open} to go`, counts: { pending: open } };
      },
    },
  });
}

/** Freezes the edition of a day through the one freeze path (the render is queued when it is sent). */
export async function buildEdition(app: App, kind: 'daily' | 'weekly', date: string, force: boolean): Promise<BuildOutcome> {
  const { outcomes, stragglers } = await freezeEditions(app, { kind, date, force, queueRender: false });
  if (stragglers > 0) output.note(`ranked ${stragglers} paper(s) that had been stored but not ranked`);
  return outcomes[0]!;
}

/**
 * Deliveries by status; `possiblySentTwice`: claimed again after their sender went silent (its
 * batch's lock expired, or the claim timeout passed); `later`: readers who get it at their own hour, the first at `nextAt`.
 */
export type DeliveryCounts = Record<DeliveryStatus, number> & { possiblySentTwice?: number; later?: number; nextAt?: string | null };

/** Queues the render of an edition and, with `wait`, returns once every delivery is settled. */
export async function sendEdition(app: App, editionId: string, opts: { wait: boolean; timeoutMs?: number }): Promise<DeliveryCounts> {
  const edition = await app.store.editions.get(editionId);
  if (!edition) throw new Error(`edition ${editionId} does not exist`);
  if (edition.status === 'empty') return app.store.deliveries.countByStatus(editionId);
  if (edition.status !== 'sent') {
    // the render is tried again: a cause recorded by the last attempt no longer stands
    if (edition.renderError) await app.store.editions.setRenderError(editionId, undefined, app.clock.now().toISOString());
    await app.queues.addRender(editionId);
    // a send batch that failed for good (its deliveries still open) is tried again
    const retried = await app.queues.retryFailed(QUEUE.send, (data) => (data as { editionId?: string }).editionId === editionId);
    if (retried > 0) output.note(`retrying ${retried} send batch(es) of ${editionId} that had failed`, 'warn');
    if (edition.fanoutDone) {
      const requeued = await requeueOpenDeliveries(app, editionId);
      if (requeued > 0) output.note(`${requeued} send batch(es) of ${editionId} were missing from Redis: queued again`, 'warn');
    }
  }
  if (!opts.wait) return app.store.deliveries.countByStatus(editionId);
  // settled, or every reader due by now settled while the rest wait for their hour
  await waitFor(
    async () => {
      const e = await app.store.editions.get(editionId);
      // a failed render never sends anything: waiting on would wait for ever
      if (e?.renderError) throw new RenderError(`edition ${editionId} was not sent: ${e.renderError}`);
      if (e?.status === 'sent') return true;
      return e?.fanoutDone && (await app.store.deliveries.dueAndNext(editionId, app.clock.now().toISOString())).due === 0 ? true : undefined;
    },
    {
      what: `the deliveries of edition ${editionId}`,
      timeoutMs: opts.timeoutMs ?? 6 * 3600_000,
      intervalMs: 300,
      progress: {
        label: `sending ${editionId}`,
        event: { stage: 'send', edition: editionId },
        measure: async () => {
          // every reader, reached by the fan-out or not: "0/200" while rendering for 397 was wrong
          const c = await editionDeliveries(app, (await app.store.editions.get(editionId)) ?? edition);
          return {
            done: c.total - c.open,
            total: c.total,
            text: c.total === 0 ? 'rendering…' : `${c.sent} sent, ${c.open} to go, ${c.failed} failed, ${c.skipped} skipped`,
            counts: { sent: c.sent, pending: c.open, failed: c.failed, skipped: c.skipped },
          };
        },
      },
    },
  );
  const waiting = await app.store.deliveries.dueAndNext(editionId, app.clock.now().toISOString());
  return {
    ...(await app.store.deliveries.countByStatus(editionId)),
    possiblySentTwice: await app.store.deliveries.possiblySentTwice(editionId),
    later: waiting.later,
    nextAt: waiting.nextAt ?? null,
  };
}

/** Totals of the edition, and how many of its messages this command sent. */
export function printDeliveries(editionId: string, c: DeliveryCounts, sentNow: number): void {
  if (c.later)
    output.line(
      `edition ${editionId}: ${c.later} reader(s) get it at their hour; the next at ${c.nextAt} (a running \`paperboy worker send\` sends them then, or run this command again after that time)`,
    );
  output.line(
    `edition ${editionId}: ${c.sent} sent (${sentNow} by this run), ${c.failed} failed, ${c.skipped} skipped${c.pending + c.sending ? `, ${c.pending + c.sending} still open` : ''}`,
  );
  // a sender died after SES accepted these and before recording them (see the README's policy)
  if (c.possiblySentTwice) output.line(`  ${possiblySentTwiceLine(c.possiblySentTwice)}`);
}

/**
 * An edition's outcome in a `--json` result: the names of `paperboy status --json`'s editions
 * (`pending`: not settled yet), and how many this command sent, the failures and who waits.
 */
export async function editionResult(app: App, editionId: string, c: DeliveryCounts, sentNow: number) {
  const e = await app.store.editions.get(editionId);
  return {
    id: editionId,
    kind: e?.kind ?? null,
    date: e?.date ?? null,
    status: e?.status ?? null,
    total: c.pending + c.sending + c.sent + c.failed + c.skipped,
    sent: c.sent,
    sentByThisRun: sentNow,
    pending: c.pending + c.sending,
    failed: c.failed,
    skipped: c.skipped,
    possiblySentTwice: c.possiblySentTwice ?? 0,
    later: c.later ?? 0,
    nextAt: c.nextAt ?? null,
    failures: await app.store.deliveries.failures(editionId),
  };
}
