/** The render worker: an edition's variants (src/render), then its deliveries and send batches (src/send/fanout.ts). */
import type { App } from '../app.ts';
import { fanOutEdition, type FanoutOutcome } from '../send/fanout.ts';
import { QUEUE, type RenderJob } from '../queues/index.ts';
import { jobFields, makeWorker, type StageHandle } from './worker.ts';

export function startRenderWorker(app: App): StageHandle {
  const worker = makeWorker<RenderJob, FanoutOutcome>(
    app,
    QUEUE.render,
    // every event of this render names its edition and job
    (job) => fanOutEdition({ ...app, log: app.log.child(jobFields(QUEUE.render, job)) }, job.data.editionId, (p) => job.updateProgress(p)),
    { concurrency: app.config.workers.concurrency.render },
  );
  return { stage: 'render', close: () => worker.close() };
}
