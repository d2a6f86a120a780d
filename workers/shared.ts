import { Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { App } from '../src/app.ts';
import { connection, type QueueName } from '../src/queues/index.ts';

/** A BullMQ worker on the app's Redis and prefix, logging failures with their cause. */
export function makeWorker<D, R>(app: App, queue: QueueName, processor: Processor<D, R>, opts: Partial<WorkerOptions> = {}): Worker<D, R> {
  const worker = new Worker<D, R>(queue, processor, {
    connection: connection(app.queues.settings),
    prefix: app.queues.settings.prefix,
    concurrency: 1,
    ...opts,
  });
  worker.on('failed', (job, err) => {
    app.log.warn('job failed', { queue, job: job?.id, attempt: job?.attemptsMade, error: err.message });
  });
  worker.on('error', (err) => {
    // closing a worker cuts its blocking connection under the pending fetch of the next job:
    // that is the close working, not a fault to report
    if (worker.closing && /Connection is closed/.test(err.message)) return;
    app.log.error('worker error', { queue, error: err.message });
  });
  return worker;
}

export interface StageHandle {
  stage: string;
  close(): Promise<void>;
}
