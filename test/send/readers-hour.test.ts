/**
 * Each reader's hour: a reader in Tokyo and one in Berlin both get the edition at 07:00 their
 * time; with `send.atReadersHour` (on by default), readers whose hour has not come are held in
 * delayed batches, and readers who never chose a time get the edition when it goes out.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store, kyselyOf } from '../../src/db/store.ts';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { EditionBuilder } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { QUEUE } from '../../src/queues/index.ts';
import { readerSendAt } from '../../src/send/schedule.ts';
import { startStages } from '../../src/workers/index.ts';
import { arxivObservation } from '../harness/papers.ts';
import { runCli, shippedConfig, tempDir, testApp, until } from '../harness/index.ts';

describe('the reader’s hour', () => {
  it('is 07:00 local time in Tokyo, Berlin and New York, the first time it comes round after the freeze', () => {
    const clock = { timezone: 'UTC', cutoffHour: 6 };
    expect(readerSendAt('2026-11-26', clock, 'Asia/Tokyo', 7).toISOString()).toBe('2026-11-26T22:00:00.000Z');
    expect(readerSendAt('2026-11-26', clock, 'Europe/Berlin', 7).toISOString()).toBe('2026-11-26T06:00:00.000Z');
    expect(readerSendAt('2026-11-26', clock, 'America/New_York', 7).toISOString()).toBe('2026-11-26T12:00:00.000Z');
    // summer time: Berlin is UTC+2 in July
    expect(readerSendAt('2026-07-01', clock, 'Europe/Berlin', 9).toISOString()).toBe('2026-07-01T07:00:00.000Z');
  });

  it('sends the readers who are due now, holds the others in a delayed batch until their hour', async () => {
    const now = new Date();
    const today = now.toISOString().slice(0, 10);
    const laterHour = Math.min(23, now.getUTCHours() + 2);
    const outbox = path.join(tempDir('pb-hour-'), 'outbox');
    const app = await testApp({
      config: { ...shippedConfig(), sources: [], edition: { timezone: 'UTC', cutoffHour: 0 }, send: { atReadersHour: true } },
      env: { OUTBOX_DIR: outbox },
    });
    const at = new Date().toISOString();
    await app.store.subscribers.upsert({ email: 'due@example.org', topics: [], confirmed: true, timezone: 'UTC', deliveryHour: 0 }, at);
    await app.store.subscribers.upsert({ email: 'later@example.org', topics: [], confirmed: true, timezone: 'UTC', deliveryHour: laterHour }, at);
    // announced yesterday after the cut-off: today's edition
    const announced = new Date(Date.parse(`${today}T00:00:00Z`) - 12 * 3600_000).toISOString();
    const paper = arxivObservation('2611.70001', {
      title: 'Speculative Decoding With Small Draft Models',
      abstract: 'We speed up inference of large language models with speculative decoding.',
      announcedAt: announced,
      signal: { source: 'arxiv', kind: 'arxiv-rss', observedAt: announced, announceType: 'new' },
    });
    await storeObservations(app.store, [paper], at);
    await new Ranker(app.store, app.config).rank(paper.keys.arxivId!, new Date(announced));
    const built = await new EditionBuilder(app.store, app.config).build('daily', today, { force: true });
    expect(built.status).not.toBe('empty');
    const files = () => (existsSync(path.join(outbox, today)) ? readdirSync(path.join(outbox, today)) : []);
    const workers = await startStages(app, ['render', 'send']);
    try {
      await app.queues.addRender(today);
      // the batch due now has run to its end, and the only send job left is the delayed one: no
      // later message can go out before its hour, so the count below is final, not a snapshot
      const sendQueue = app.queues.get(QUEUE.send);
      await until('the due batch to finish, the later one delayed', async () => {
        const jobs = await sendQueue.getJobCounts('completed', 'active', 'waiting', 'delayed');
        return (jobs.completed ?? 0) >= 1 && jobs.active === 0 && jobs.waiting === 0 && jobs.delayed === 1;
      });
      expect(files()).toHaveLength(1);
      const waiting = await app.store.deliveries.dueAndNext(today, new Date().toISOString());
      expect(waiting).toEqual({ due: 0, later: 1, nextAt: `${today}T${String(laterHour).padStart(2, '0')}:00:00.000Z` });
      expect((await app.store.editions.get(today))?.status).toBe('sending');

      const delayed = await app.queues.get(QUEUE.send).getDelayed();
      expect(delayed).toHaveLength(1);
      expect(delayed[0]!.timestamp + delayed[0]!.delay).toBeGreaterThan(Date.now() + 3_600_000 - 60_000);
      // its hour, brought forward: the held reader gets it, and the edition is settled
      await delayed[0]!.promote();
      await kyselyOf(app.store).updateTable('deliveries').set({ send_after: new Date().toISOString() }).where('edition_id', '=', today).execute();
      await until('the edition to be sent', async () => (await app.store.editions.get(today))?.status === 'sent', { timeoutMs: 30_000 });
      expect(files()).toHaveLength(2);
      expect((await app.store.editions.get(today))?.status).toBe('sent');
    } finally {
      await workers.close();
    }
  }, 60_000);
  it('by default holds a reader who chose an hour in Tokyo until then, and sends a reader who never chose a time at once', async () => {
    const now = new Date();
    const today = now.toISOString().slice(0, 10);
    // frozen within the last hour: the Tokyo reader's hour (3 hours from now) is the first after the freeze
    const cutoffHour = now.getUTCHours();
    const tokyoHour = (Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', hourCycle: 'h23' }).format(now)) + 3) % 24;
    const outbox = path.join(tempDir('pb-hour-'), 'outbox');
    const app = await testApp({ config: { ...shippedConfig(), sources: [], edition: { timezone: 'UTC', cutoffHour } }, env: { OUTBOX_DIR: outbox } });
    expect(app.config.send.atReadersHour).toBe(true);
    const at = now.toISOString();
    const never = (await app.store.subscribers.upsert({ email: 'never-chose@example.org', topics: [], confirmed: true }, at)).subscriber;
    const tokyo = (
      await app.store.subscribers.upsert({ email: 'tokyo@example.org', topics: [], confirmed: true, timezone: 'Asia/Tokyo', deliveryHour: tokyoHour }, at)
    ).subscriber;
    expect([never.deliveryTimeChosen, tokyo.deliveryTimeChosen]).toEqual([false, true]);
    const announced = new Date(Date.parse(`${today}T${String(cutoffHour).padStart(2, '0')}:00:00Z`) - 3600_000).toISOString();
    const paper = arxivObservation('2611.70002', {
      title: 'Speculative Decoding With Small Draft Models',
      abstract: 'We speed up inference of large language models with speculative decoding.',
      announcedAt: announced,
      signal: { source: 'arxiv', kind: 'arxiv-rss', observedAt: announced, announceType: 'new' },
    });
    await storeObservations(app.store, [paper], at);
    await new Ranker(app.store, app.config).rank(paper.keys.arxivId!, new Date(announced));
    const built = await new EditionBuilder(app.store, app.config).build('daily', today, { force: true });
    expect(built.status).not.toBe('empty');
    const sentTo = async () =>
      (
        await kyselyOf(app.store)
          .selectFrom('deliveries')
          .select('subscriber_id')
          .where('edition_id', '=', today)
          .where('status', '=', 'sent')
          .orderBy('subscriber_id')
          .execute()
      ).map((r) => Number(r.subscriber_id));
    const workers = await startStages(app, ['render', 'send']);
    try {
      await app.queues.addRender(today);
      // the batch due now has run to its end, and the only send job left is the delayed one: no
      // later message can go out before its hour, so the count below is final, not a snapshot
      const sendQueue = app.queues.get(QUEUE.send);
      await until('the due batch to finish, the later one delayed', async () => {
        const jobs = await sendQueue.getJobCounts('completed', 'active', 'waiting', 'delayed');
        return (jobs.completed ?? 0) >= 1 && jobs.active === 0 && jobs.waiting === 0 && jobs.delayed === 1;
      });
      expect(await sentTo()).toEqual([never.id]);
      const tokyoAt = readerSendAt(today, app.config.edition, 'Asia/Tokyo', tokyoHour);
      expect(tokyoAt.getTime()).toBeGreaterThan(Date.now() + 2 * 3600_000 - 60_000);
      expect(await app.store.deliveries.dueAndNext(today, new Date().toISOString())).toEqual({ due: 0, later: 1, nextAt: tokyoAt.toISOString() });
      const delayed = await app.queues.get(QUEUE.send).getDelayed();
      expect(delayed).toHaveLength(1);
      // Tokyo's hour, brought forward: that reader gets it too, and the edition is settled
      await delayed[0]!.promote();
      await kyselyOf(app.store).updateTable('deliveries').set({ send_after: new Date().toISOString() }).where('edition_id', '=', today).execute();
      await until('the edition to be sent', async () => (await app.store.editions.get(today))?.status === 'sent', { timeoutMs: 30_000 });
      expect(await sentTo()).toEqual([never.id, tokyo.id]);
    } finally {
      await workers.close();
    }
  }, 60_000);

  it('`subscribers add` marks a time chosen only when given one, and refuses a zone or hour that does not exist', async () => {
    const dir = tempDir('pb-hour-cli-');
    const env = { DATA_DIR: dir, DATABASE_URL: `sqlite:${path.join(dir, 'paperboy.db')}` };
    const plain = await runCli(['subscribers', 'add', 'plain@example.org', '--confirmed'], { env });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/plain@example\.org \(confirmed, daily, when the edition goes out,/);
    const tokyo = await runCli(['subscribers', 'add', 'tokyo@example.org', '--confirmed', '--timezone', 'Asia/Tokyo', '--hour', '6'], { env });
    expect(tokyo.code, tokyo.stderr).toBe(0);
    expect(tokyo.stdout).toMatch(/tokyo@example\.org \(confirmed, daily, at 06:00 Asia\/Tokyo,/);
    const zoneOnly = await runCli(['subscribers', 'add', 'plain@example.org', '--timezone', 'Europe/Berlin'], { env });
    expect(zoneOnly.stdout).toMatch(/updated plain@example\.org \(confirmed, daily, at 07:00 Europe\/Berlin,/);
    const badZone = await runCli(['subscribers', 'add', 'mars@example.org', '--timezone', 'Mars/Olympus'], { env });
    expect(badZone.code).not.toBe(0);
    expect(badZone.stderr).toMatch(/--timezone "Mars\/Olympus" is not an IANA time zone: use one such as/);
    const badHour = await runCli(['subscribers', 'add', 'late@example.org', '--hour', '24'], { env });
    expect(badHour.code).not.toBe(0);
    expect(badHour.stderr).toMatch(/--hour "24" is not a whole number from 0 to 23/);
    // nothing was added by the refused commands
    const store = await Store.open(env.DATABASE_URL);
    try {
      expect([await store.subscribers.getByEmail('mars@example.org'), await store.subscribers.getByEmail('late@example.org')]).toEqual([undefined, undefined]);
      expect(await store.subscribers.getByEmail('tokyo@example.org')).toMatchObject({ timezone: 'Asia/Tokyo', deliveryHour: 6, deliveryTimeChosen: true });
    } finally {
      await store.close();
    }
  }, 180_000);
});
