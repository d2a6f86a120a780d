/** The render worker: variants of an edition, then the send batches. */
import type { App } from '../src/app.ts';
import { renderEdition, type RenderOutcome } from '../src/render/processor.ts';
import { QUEUE, type RenderJob } from '../src/queues/index.ts';
import { jobFields, makeWorker, type StageHandle } from './shared.ts';

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
