/** The render worker: variants of an edition, then the send batches. */
import type { App } from '../app.ts';
import { renderEdition, type RenderOutcome } from '../render/processor.ts';
import { QUEUE, type RenderJob } from '../queues/index.ts';
import { jobFields, makeWorker, type StageHandle } from './worker.ts';

export function startRenderWorker(app: App): StageHandle {
  const worker = makeWorker<RenderJob, RenderOutcome>(
    app,
    QUEUE.render,
    // every event of this render names its edition and job
    (job) => renderEdition({ ...app, log: app.log.child(jobFields(QUEUE.render, job)) }, job.data.editionId, (p) => job.updateProgress(p)),
    { concurrency: app.config.workers.concurrency.render },
  );
  return { stage: 'render', close: () => worker.close() };
}
