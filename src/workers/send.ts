/** The send worker: one batch of deliveries per job, through the configured Messenger, under the shared rate limit. */
import { DelayedError } from 'bullmq';
import type { App } from '../app.ts';
import { sendBatch, sendConcurrency, type BatchOutcome } from '../send/processor.ts';
import { SendRateLimiter } from '../send/rateLimiter.ts';
import { dailyQuota } from '../send/quota.ts';
import { createMessenger } from '../mail/transport.ts';
import { QUEUE, type SendJob } from '../queues/index.ts';
import { RepeatedEvents } from '../lib/log.ts';
import { jobFields, makeWorker, type StageHandle } from './worker.ts';

/** How often a run of deferrals (an edition paused for a while) is summed up in the log. */
const DEFERRAL_SUMMARY_MS = 60_000;

export function startSendWorker(app: App): StageHandle {
  const messenger = createMessenger(app.env, { sesApi: app.config.send.sesApi, configurationSet: app.config.mail.configurationSet, maxSockets: 64 });
  // the quota is looked up once, in the background: a slow endpoint never delays the first sends
  let limiter: Promise<SendRateLimiter> | undefined;
  const limiterOf = () =>
    (limiter ??= dailyQuota(app, messenger).then((quota) => new SendRateLimiter(app.redis, app.queues.settings.prefix, app.config.send.ratePerSecond, quota)));
  const prepared = new Map();
  // a paused edition defers each of its batches once a second: said once, then summed up
  const deferrals = new RepeatedEvents(app.log, {
    everyMs: DEFERRAL_SUMMARY_MS,
    counted: 'deferrals',
    summary: 'send batches still deferred',
    end: 'send batches no longer deferred',
  });
  const fragments = new Map();
  /** Jobs this worker lost to another (it logged why): BullMQ's refusals to finish them are expected. */
  const takenOver = new Set<string>();
  const worker = makeWorker<SendJob, BatchOutcome>(
    app,
    QUEUE.send,
    async (job, token) => {
      // every event of this batch names its edition, subscriber range and job
      const log = app.log.child(jobFields(QUEUE.send, job));
      // the job's lock is the hold on its batch (BullMQ always gives a worker's run its token)
      const stillHeld = async () => token === undefined || (await app.queues.holdsLock(QUEUE.send, String(job.id), token));
      const outcome = await sendBatch(
        { ...app, log },
        { messenger, prepared, fragments, limiter: messenger.metered ? await limiterOf() : undefined, stillHeld },
        // an earlier run failed or lost the lock (stalled): what it left "sending" is this run's now
        { ...job.data, lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1), takeOver: job.attemptsMade > 0 || job.stalledCounter > 0 },
      );
      // the job is the new holder's to finish; BullMQ refuses this run's completion (the lock is not ours)
      if (outcome.takenOver) {
        takenOver.add(String(job.id));
        if (takenOver.size > 1000) takenOver.delete(takenOver.values().next().value!);
        return outcome;
      }
      const edition = job.data.editionId;
      if (outcome.deferUntil !== undefined) {
        // paused, the quota used up, the database not answering, deliveries another run holds:
        // back to the delayed set without using up an attempt
        const reason = outcome.deferReason ?? 'deferred';
        const until = new Date(outcome.deferUntil).toISOString();
        // one run per edition and kind of reason ("12 deliveries held" and "13 deliveries held" are one)
        if (!deferrals.occurred(`${edition}\n${reason.replace(/\d+/g, 'N')}`, log, 'send batch deferred', { edition, reason }, { until })) {
          log.debug('send batch deferred again', { reason, until });
        }
        await job.moveToDelayed(outcome.deferUntil, token);
        throw new DelayedError();
      }
      deferrals.ended((key) => key.startsWith(`${edition}\n`));
      return outcome;
    },
    // a few batches at once: while one waits for its page's database work, another sends;
    // a worker that stops answering for longer than the lock loses its batches to another
    {
      concurrency: app.config.workers.concurrency.send,
      lockDuration: app.config.send.lockDurationMs,
      stalledInterval: app.config.send.lockDurationMs,
      explained: (err) => takenOver.has(/^Missing lock for job (\S+)\./.exec(err.message)?.[1] ?? ''),
    },
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
