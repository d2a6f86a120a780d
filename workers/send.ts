/** The send worker: one batch of deliveries per job, through the configured Messenger, under the shared rate limit. */
import { DelayedError } from 'bullmq';
import type { App } from '../src/app.ts';
import { sendBatch, sendConcurrency, type BatchOutcome } from '../src/send/processor.ts';
import { SendRateLimiter } from '../src/send/rateLimiter.ts';
import { dailyQuota } from '../src/send/quota.ts';
import { createMessenger } from '../src/mail/transport.ts';
import { QUEUE, type SendJob } from '../src/queues/index.ts';
import { makeWorker, type StageHandle } from './shared.ts';

export function startSendWorker(app: App): StageHandle {
  const messenger = createMessenger(app.env, { sesApi: app.config.send.sesApi, configurationSet: app.config.mail.configurationSet, maxSockets: 64 });
  // the quota is looked up once, in the background: a slow endpoint never delays the first sends
  let limiter: Promise<SendRateLimiter> | undefined;
  const limiterOf = () =>
    (limiter ??= dailyQuota(app, messenger).then((quota) => new SendRateLimiter(app.redis, app.queues.settings.prefix, app.config.send.ratePerSecond, quota)));
  const prepared = new Map();
  const worker = makeWorker<SendJob, BatchOutcome>(
    app,
    QUEUE.send,
    async (job, token) => {
      const outcome = await sendBatch(app, { messenger, prepared, limiter: messenger.metered ? await limiterOf() : undefined }, { ...job.data, lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
      if (outcome.deferUntil !== undefined) {
        // paused, or the quota used up: back to the delayed set without using up an attempt
        app.log.info('send batch deferred', { edition: job.data.editionId, until: new Date(outcome.deferUntil).toISOString(), reason: outcome.deferReason });
        await job.moveToDelayed(outcome.deferUntil, token);
        throw new DelayedError();
      }
      return outcome;
    },
    // a few batches at once: while one waits for its page's database work, another sends
    { concurrency: app.config.workers.concurrency.send },
  );
  app.log.debug('send worker started', { transport: messenger.name, inFlightPerBatch: sendConcurrency(app.config, messenger) });
  return {
    stage: 'send',
    close: async () => {
      await worker.close();
      await messenger.close();
      if (limiter) await (await limiter).close();
    },
  };
}
