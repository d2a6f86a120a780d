/** The send worker: one batch of deliveries per job, through the configured Messenger. */
import type { App } from '../src/app.ts';
import { sendBatch, type BatchOutcome } from '../src/send/processor.ts';
import { createMessenger } from '../src/mail/transport.ts';
import { QUEUE, type SendJob } from '../src/queues/index.ts';
import { makeWorker, type StageHandle } from './shared.ts';

export function startSendWorker(app: App): StageHandle {
  const messenger = createMessenger(app.env);
  const worker = makeWorker<SendJob, BatchOutcome>(
    app,
    QUEUE.send,
    (job) => sendBatch(app, messenger, { ...job.data, lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) }),
    { concurrency: 2 },
  );
  return {
    stage: 'send',
    close: async () => {
      await worker.close();
      await messenger.close();
    },
  };
}
