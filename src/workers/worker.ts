import type { Job, Processor, Worker, WorkerOptions } from 'bullmq';
import type { Fields } from '../lib/log.ts';
import type { App } from '../app.ts';
import { openWorker, type QueueName } from '../queues/index.ts';
import { RepeatedEvents } from '../lib/log.ts';

/** How often a recurring worker error (Redis down) is summed up in the log. */
const ERROR_SUMMARY_MS = 60_000;

/** A BullMQ worker on the app's Redis and prefix, logging failures with their cause. */
export function makeWorker<D, R>(
  app: App,
  queue: QueueName,
  processor: Processor<D, R>,
  opts: Partial<WorkerOptions> & { explained?: (err: Error) => boolean } = {},
): Worker<D, R> {
  const { explained, ...workerOpts } = opts;
  const worker = openWorker<D, R>(app.queues.settings, queue, processor, { concurrency: 1, ...workerOpts });
  worker.on('failed', (job, err) => {
    app.log.warn('job failed', { ...jobFields(queue, job), attempt: job?.attemptsMade, error: err.message });
  });
  // a Redis that is down fails each reconnect of each connection, every second: said once,
  // then summed up once a minute, and closed when the worker works again
  const errors = new RepeatedEvents(app.log, {
    everyMs: ERROR_SUMMARY_MS,
    counted: 'times',
    summary: 'worker error still recurring',
    end: 'worker error over: the worker works again',
    level: 'error',
  });
  worker.on('completed', (job) => app.log.debug('job done', jobFields(queue, job)));
  worker.on('active', () => errors.ended(() => true));
  worker.on('error', (err) => {
    // closing a worker cuts its blocking connection under the pending fetch of the next job:
    // that is the close working, not a fault to report
    if (worker.closing && /Connection is closed/.test(err.message)) return;
    // an error the stage has already told the operator about, in its own words
    if (explained?.(err)) return app.log.debug('worker error', { queue, error: err.message });
    if (!errors.occurred(err.message, app.log, 'worker error', { queue, error: err.message }))
      app.log.debug('worker error again', { queue, error: err.message });
  });
  return worker;
}

/**
 * The ids a log line about a job carries, whatever the stage: a log collector can then follow
 * one edition, batch, source or paper through every process.
 */
export function jobFields(queue: QueueName, job: Job | undefined): Fields {
  const data = (job?.data ?? {}) as Record<string, unknown>;
  return {
    queue,
    job: job?.id,
    edition: data.editionId,
    batch: data.fromId !== undefined ? `${String(data.fromId)}-${String(data.toId)}` : undefined,
    source: data.source,
    paper: data.paperId,
  };
}

export interface StageHandle {
  stage: string;
  close(): Promise<void>;
}
