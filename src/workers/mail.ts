/** The transactional mail worker: confirm, welcome, preferences-changed and test messages. */
import type { App } from '../app.ts';
import { createMessenger } from '../mail/transport.ts';
import { QUEUE, type MailJob } from '../queues/index.ts';
import { sendTransactional, type MailOutcome } from '../send/transactional.ts';
import { makeWorker, type StageHandle } from './worker.ts';

export function startMailWorker(app: App): StageHandle {
  // the same SES client and configuration set as editions, so bounces of confirmations reach the webhook too
  const messenger = createMessenger(app.env, { sesApi: app.config.send.sesApi, configurationSet: app.config.mail.configurationSet });
  const worker = makeWorker<MailJob, MailOutcome>(
    app,
    QUEUE.mail,
    async (job) => {
      const outcome = await sendTransactional(app, messenger, job.data, job.id ?? job.name);
      if (!outcome.sent) app.log.info('transactional mail not sent', { kind: job.data.kind, subscriber: job.data.subscriberId, reason: outcome.reason });
      return outcome;
    },
    { concurrency: app.config.workers.concurrency.mail },
  );
  return {
    stage: 'mail',
    close: async () => {
      await worker.close();
      await messenger.close();
    },
  };
}
