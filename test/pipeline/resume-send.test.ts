/** `edition send` picks up a send batch that failed for good and completes the edition. */
import { Worker } from 'bullmq';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { arxivObservation } from '../harness/papers.ts';
import { EditionBuilder } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { fanOutEdition } from '../../src/send/fanout.ts';
import { connection, QUEUE } from '../../src/queues/index.ts';
import { ensureWorkers, sendEdition } from '../../src/cli/operations.ts';
import { shippedConfig, testApp } from '../harness/index.ts';

const paper = arxivObservation('2611.60001', {
  title: 'Chain-of-Thought Distillation for Small Language Models',
  abstract: 'We distil the reasoning of a large language model into a small one.',
});

/** An edition of one paper, fanned out to three subscribers in two send batches. */
async function fannedOutEdition() {
  const app = await testApp({ config: { ...shippedConfig(), sources: [], send: { batchSize: 2, ratePerSecond: 100 } } });
  const now = new Date().toISOString();
  for (const email of ['a@example.org', 'b@example.org', 'c@example.org']) await app.store.subscribers.upsert({ email, topics: [], confirmed: true }, now);
  await storeObservations(app.store, [paper], now);
  await new Ranker(app.store, app.config).rank('2611.60001', new Date('2026-11-26T02:00:00Z'));
  await new EditionBuilder(app.store, app.config).build('daily', '2026-11-26');
  await fanOutEdition(app, '2026-11-26');
  return app;
}

describe('resuming a send', () => {
  it('retries a send batch that failed for good, and every subscriber gets the edition once', async () => {
    const app = await fannedOutEdition();

    // the batches fail for good (say the database was down through every retry): re-queued
    // here with one attempt so that one failure is final
    const sendQueue = app.queues.get(QUEUE.send);
    const queued = await sendQueue.getJobs(['waiting']);
    expect(queued).toHaveLength(2);
    for (const job of queued) {
      await job.remove();
      await sendQueue.add('send', job.data, { jobId: job.id, attempts: 1 });
    }
    const broken = new Worker(
      QUEUE.send,
      async () => {
        throw new Error('connection to the database lost');
      },
      { connection: connection(app.queues.settings), prefix: app.queues.settings.prefix },
    );
    await new Promise<void>((resolve) => {
      let failed = 0;
      broken.on('failed', () => {
        if (++failed === queued.length) resolve();
      });
    });
    await broken.close();
    expect(await sendQueue.getFailedCount()).toBe(2);
    expect((await app.store.deliveries.countByStatus('2026-11-26')).pending).toBe(3);

    const running = await ensureWorkers(app, ['render', 'send']);
    try {
      const counts = await sendEdition(app, '2026-11-26', { wait: true, timeoutMs: 60_000 });
      expect(counts).toMatchObject({ sent: 3, failed: 0, pending: 0, sending: 0 });
    } finally {
      await running.close();
    }
    expect(readdirSync(path.join(app.env.outboxDir, '2026-11-26'))).toHaveLength(3);
  });

  it('queues again the batches a Redis that lost its data forgot, so the edition completes', async () => {
    const app = await fannedOutEdition();
    // Redis restarted without its data: the queued batches are gone, the deliveries still open
    await app.queues.get(QUEUE.send).obliterate({ force: true });
    expect((await app.store.deliveries.countByStatus('2026-11-26')).pending).toBe(3);

    const running = await ensureWorkers(app, ['render', 'send']);
    try {
      const counts = await sendEdition(app, '2026-11-26', { wait: true, timeoutMs: 60_000 });
      expect(counts).toMatchObject({ sent: 3, pending: 0, sending: 0 });
    } finally {
      await running.close();
    }
    expect(readdirSync(path.join(app.env.outboxDir, '2026-11-26'))).toHaveLength(3);
  });
});
