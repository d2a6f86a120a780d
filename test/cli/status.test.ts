/**
 * `paperboy status` in a second process shows an edition in flight as the sending processes
 * left it in the shared Redis and database: on SQLite and on PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { QUEUE } from '../../src/queues/index.ts';
import { EditionBuilder } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { formatStatus, statusReport, type StatusReport } from '../../src/status/report.ts';
import { arxivObservation } from '../harness/papers.ts';
import { manualClock, runCli, shippedConfig, storageTargets, testApp } from '../harness/index.ts';
import { kyselyOf } from '../../src/db/store.ts';

const DAY = '2026-11-26';

for (const target of storageTargets()) {
  describe(`paperboy status (${target.name})`, () => {
    it("shows a running edition's progress, its queue and workers, sources and suppressions from a second process", async () => {
      const databaseUrl = await target.databaseUrl();
      const config = { ...shippedConfig(), sources: [{ name: 'blog', kind: 'rss', url: 'https://example.org/feed.xml' }] };
      const app = await testApp({ databaseUrl, config });
      const now = new Date();
      const iso = now.toISOString();
      const paper = arxivObservation('2611.70001', {
        title: 'Speculative Decoding With Small Draft Models',
        abstract: 'We speed up large language models with speculative decoding.',
      });
      await storeObservations(app.store, [paper], iso);
      await new Ranker(app.store, app.config).rank(paper.keys.arxivId!, new Date(`${DAY}T02:00:00Z`));
      await new EditionBuilder(app.store, app.config).build('daily', DAY);
      await app.store.sources.recordSuccess('blog', iso, { counts: { new: 3, updated: 1, unchanged: 6, skipped: 0 } });

      // 40 subscribers: 12 sent in the last minute, 1 failed, 1 skipped as suppressed, 1 skipped (left), 25 open
      const ids: number[] = [];
      for (let i = 0; i < 40; i++)
        ids.push((await app.store.subscribers.upsert({ email: `reader${i}@example.org`, topics: [], confirmed: true }, iso)).subscriber.id);
      await app.store.deliveries.insertPending(
        ids.map((id) => ({ editionId: DAY, subscriberId: id, variantKey: 'all', messageId: `<${id}@example.org>` })),
        iso,
      );
      // every reader reached: the fan-out is done and the edition sending
      await app.store.editions.markFanoutDone(DAY, iso);
      for (const id of ids.slice(0, 12)) await app.store.deliveries.transition(DAY, id, ['pending'], 'sent', new Date(now.getTime() - 5_000).toISOString());
      await app.store.deliveries.transition(DAY, ids[12]!, ['pending'], 'failed', iso, { error: '550 no such mailbox' });
      await app.store.suppressions.add('Reader13@example.org', 'bounce', 'permanent bounce', iso);
      await app.store.deliveries.transition(DAY, ids[13]!, ['pending'], 'skipped', iso);
      await app.store.deliveries.transition(DAY, ids[14]!, ['pending'], 'skipped', iso);
      await app.queues.get(QUEUE.send).add('send', { editionId: DAY, fromId: ids[15]!, toId: ids[39]! });
      // two of the sent ones were taken over from a sender that went silent: possibly sent twice
      await kyselyOf(app.store)
        .updateTable('deliveries')
        .set({ reclaimed_at: iso })
        .where('edition_id', '=', DAY)
        .where('subscriber_id', 'in', ids.slice(0, 2))
        .execute();

      const env = { REDIS_URL: app.env.redisUrl!, QUEUE_PREFIX: app.env.queuePrefix, DATABASE_URL: databaseUrl, DATA_DIR: app.env.dataDir };
      const r = await runCli(['status', '--json'], { env: { ...env, PAPERBOY_CONFIG: await writeConfig(app.env.dataDir, config) } });
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as StatusReport;
      expect(report.editions).toHaveLength(1);
      expect(report.editions[0]).toMatchObject({
        id: DAY,
        status: 'sending',
        state: 'running',
        total: 40,
        sent: 12,
        pending: 25,
        notReached: 0,
        failed: 1,
        suppressed: 1,
        skipped: 1,
        possiblySentTwice: 2,
      });
      // the 12 sent since the first send (how long ago depends on this machine: the exact rate is tested below)
      expect(report.editions[0]!.ratePerSecond).toBeGreaterThan(0);
      expect(report.editions[0]!.etaSeconds).toBeGreaterThan(0);
      expect(report.queues.find((q) => q.queue === QUEUE.send)).toMatchObject({ waiting: 1, active: 0, workers: 0 });
      expect(report.sources).toEqual([expect.objectContaining({ name: 'blog', lastSuccessAt: iso, lastItems: 10, lastError: null })]);
      expect(report.suppressions.total).toBe(1);

      // paused by the operator: the same view says so, and gives no ETA
      await app.store.editions.pause(DAY, 'operator', iso);
      const paused = await runCli(['status'], { env: { ...env, PAPERBOY_CONFIG: await writeConfig(app.env.dataDir, config) } });
      expect(paused.code, paused.stderr).toBe(0);
      expect(paused.stdout).toMatch(new RegExp(`${DAY} sending, PAUSED \\(operator\\): 12/40 sent, 25 pending, 1 failed, 1 suppressed, 1 skipped`));
      expect(paused.stdout).toMatch(/ETA none while paused/);
      expect(paused.stdout).toMatch(/possibly sent twice: 2 \(/);
      expect(paused.stdout).toMatch(/send\s+1\s+0\s+0\s+0\s+0/);
      expect(paused.stdout).toMatch(/blog \(rss\): ok; last success .* \(10 items\)/);
      expect(paused.stdout).toMatch(/suppression list: 1 address\(es\) \(1 bounce\)/);

      // `edition show` says it too, as text and as JSON
      const show = await runCli(['edition', 'show', '--date', DAY], { env: { ...env, PAPERBOY_CONFIG: await writeConfig(app.env.dataDir, config) } });
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toMatch(/deliveries: 12 sent, 25 open, 1 failed, 2 skipped\n\s*possibly sent twice: 2 \(/);
      const showJson = await runCli(['edition', 'show', '--date', DAY, '--json'], {
        env: { ...env, PAPERBOY_CONFIG: await writeConfig(app.env.dataDir, config) },
      });
      expect(JSON.parse(showJson.stdout)).toMatchObject({ possiblySentTwice: 2, deliveries: { sent: 12, failed: 1 } });
    }, 120_000);
  });
}

for (const target of storageTargets()) {
  describe(`paperboy status during a send (${target.name})`, () => {
    it('measures the rate over the sending window, not a full minute from the start, and counts every reader of the edition, reached by the fan-out or not', async () => {
      const clock = manualClock(new Date());
      const app = await testApp({ databaseUrl: await target.databaseUrl(), config: { ...shippedConfig(), sources: [] }, clock });
      const paper = arxivObservation('2611.70002', {
        title: 'Speculative Decoding With Small Draft Models',
        abstract: 'We speed up large language models with speculative decoding.',
      });
      await storeObservations(app.store, [paper], new Date().toISOString());
      await new Ranker(app.store, app.config).rank(paper.keys.arxivId!, new Date(`${DAY}T02:00:00Z`));
      await new EditionBuilder(app.store, app.config).build('daily', DAY);
      const now = clock.now();
      const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
      // 397 confirmed readers; the fan-out has reached the first 200 of them so far
      const ids: number[] = [];
      for (let i = 0; i < 397; i++)
        ids.push((await app.store.subscribers.upsert({ email: `reader${i}@example.org`, topics: [], confirmed: true }, ago(3600))).subscriber.id);
      await app.store.editions.setStatus(DAY, 'rendering', ago(20));
      await app.store.deliveries.insertPending(
        ids.slice(0, 200).map((id) => ({ editionId: DAY, subscriberId: id, variantKey: 'all', messageId: `<${id}@example.org>` })),
        ago(15),
      );
      await app.store.editions.setFanoutCursor(DAY, ids[199]!, ago(15));
      // the first send was 10 s ago: 140 sent since, 14 a second
      for (let i = 0; i < 140; i++) await app.store.deliveries.transition(DAY, ids[i]!, ['pending'], 'sent', ago(10 - i / 14));

      const [e] = (await statusReport(app)).editions;
      expect(e).toMatchObject({ id: DAY, total: 397, sent: 140, pending: 257, notReached: 197 });
      // 140 in the 10 s since the first send; a full minute would say 2.33/s and an ETA of 110 s
      expect(e!.ratePerSecond).toBeCloseTo(14, 0);
      expect(e!.etaSeconds).toBeGreaterThanOrEqual(18);
      expect(e!.etaSeconds).toBeLessThanOrEqual(19);
      const text = formatStatus(await statusReport(app)).join('\n');
      expect(text).toMatch(new RegExp(`${DAY} rendering: 140/397 sent, 257 pending \\(197 not reached by the fan-out yet\\)`));
      expect(text).toMatch(/rate 14(\.\d+)?\/s over the last 10 s; ETA 1[89] s/);

      // a minute later, sending steadily: the window is the last minute
      const later = new Date(now.getTime() + 60_000);
      clock.set(later);
      for (let i = 140; i < 200; i++)
        await app.store.deliveries.transition(DAY, ids[i]!, ['pending'], 'sent', new Date(later.getTime() - (200 - i) * 1000).toISOString());
      const [steady] = (await statusReport(app)).editions;
      expect(steady!.ratePerSecond).toBeCloseTo(1, 0);
      expect(formatStatus(await statusReport(app)).join('\n')).toMatch(/rate 1(\.\d+)?\/s over the last 60 s/);
    }, 120_000);
  });
}

async function writeConfig(dir: string, config: unknown): Promise<string> {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const file = join(dir, 'paperboy.config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}
