/**
 * Whole editions through the ses transport and our recording SES stand-in, with the render and
 * send workers running in this process on the real Redis: messages received = confirmed minus
 * suppressed, headers asserted on the recorded bytes, throttling survived at the shared rate,
 * a pause honoured across the workers, a rejected address suppressed.
 */
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { EditionBuilder } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { startStages } from '../../src/workers/index.ts';
import { arxivObservation } from '../harness/papers.ts';
import { shippedConfig, storageTargets, testApp, until } from '../harness/index.ts';
import { peakPerSecond, startSesStandIn, type SesStandIn } from '../harness/sesStandIn.ts';
import { kyselyOf } from '../../src/db/store.ts';

process.env.AWS_ACCESS_KEY_ID = 'AKIATESTTESTTEST';
process.env.AWS_SECRET_ACCESS_KEY = 'test-secret';
delete process.env.AWS_PROFILE;

const DATE = '2026-11-26';
const paper = arxivObservation('2611.70001', {
  title: 'Speculative Decoding With Small Draft Models',
  abstract: 'We speed up inference of large language models with speculative decoding and a KV cache.',
});

let standIn: SesStandIn;
beforeAll(async () => {
  standIn = await startSesStandIn();
});
afterAll(() => standIn.close());

async function edition(databaseUrl: string, readers: number, send: Record<string, unknown>, api: 'v1' | 'v2' = 'v1'): Promise<App> {
  const app = await testApp({
    databaseUrl,
    config: {
      ...shippedConfig(),
      sources: [],
      send: { batchSize: 20, quotaLookup: false, sesApi: api, ...send },
      mail: { listId: 'daily.papers.example.org', configurationSet: 'daily' },
    },
    env: { MAIL_TRANSPORT: 'ses', SES_REGION: 'eu-west-1', SES_ENDPOINT: standIn.url },
  });
  const now = new Date().toISOString();
  for (let i = 0; i < readers; i++) await app.store.subscribers.upsert({ email: `reader${i}@example.org`, topics: [], confirmed: true }, now);
  await storeObservations(app.store, [paper], now);
  await new Ranker(app.store, app.config).rank(paper.keys.arxivId!, new Date('2026-11-26T02:00:00Z'));
  await new EditionBuilder(app.store, app.config).build('daily', DATE);
  return app;
}

const sentTo = (since: number) => standIn.messages.filter((m) => m.at >= since).map((m) => m.to[0]!);

describe.each(storageTargets())('an edition through SES ($name)', (target) => {
  it.each(['v1', 'v2'] as const)(
    'reaches every confirmed reader but the suppressed, once, with the headers on the bytes SES got (%s client)',
    async (api) => {
      const app = await edition(await target.databaseUrl(), 30, { ratePerSecond: 200 }, api);
      const now = new Date().toISOString();
      await app.store.suppressions.add('READER3@example.org', 'complaint', 'test', now);
      await app.store.subscribers.setStatus((await app.store.subscribers.getByEmail('reader4@example.org'))!.id, 'unsubscribed', now);
      standIn.reject.add('reader5@example.org');
      const since = Date.now();
      const workers = await startStages(app, ['render', 'send']);
      try {
        await app.queues.addRender(DATE);
        await until('the edition to be sent', async () => (await app.store.editions.get(DATE))?.status === 'sent', { timeoutMs: 60_000 });
      } finally {
        await workers.close();
        standIn.reject.clear();
      }
      const got = sentTo(since);
      expect(got.sort()).toEqual(
        Array.from({ length: 30 }, (_, i) => `reader${i}@example.org`)
          .filter((e) => !['reader3@example.org', 'reader4@example.org', 'reader5@example.org'].includes(e))
          .sort(),
      );
      expect(await app.store.deliveries.countByStatus(DATE)).toEqual({ pending: 0, sending: 0, sent: 27, failed: 1, skipped: 1 });
      expect((await app.store.subscribers.getByEmail('reader5@example.org'))!.status).toBe('suppressed');
      expect((await app.store.suppressions.get('reader5@example.org'))?.reason).toBe('rejected');

      const recorded = standIn.messages.find((m) => m.at >= since && m.to[0] === 'reader7@example.org')!;
      expect(recorded.api).toBe(api);
      const text = recorded.raw.toString('latin1');
      expect(text.match(/(?<!\r)\n/g) ?? []).toEqual([]);
      const mail = await simpleParser(recorded.raw);
      const rows = await kyselyOf(app.store)
        .selectFrom('deliveries')
        .innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriber_id')
        .select(['message_id'])
        .where('email', '=', 'reader7@example.org')
        .executeTakeFirstOrThrow();
      expect(mail.messageId).toBe(rows.message_id);
      expect(mail.from?.value[0]).toEqual({ name: 'Daily Papers', address: 'papers@example.org' });
      const header = (k: string) => mail.headerLines.find((h) => h.key === k)?.line.replace(/\r\n /g, ' ');
      expect(header('list-unsubscribe')).toMatch(
        /^List-Unsubscribe: <https:\/\/papers\.example\.org\/unsubscribe\?token=[\w.-]+>, <mailto:unsubscribe@example\.org\?subject=unsubscribe%20[\w.-]+>$/,
      );
      expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      expect(header('list-id')).toBe('List-Id: paperboy daily papers <daily.papers.example.org>');
      expect(header('x-ses-configuration-set')).toBe('X-SES-CONFIGURATION-SET: daily');
    },
    90_000,
  );
});

describe('sending at the account’s rate', () => {
  it('delivers everything through a spell of throttling, never above the rate × 1.1 in any sliding second, across two workers', async () => {
    const [target] = storageTargets();
    const app = await edition(await target!.databaseUrl(), 120, { ratePerSecond: 40, concurrency: 8 });
    const since = Date.now();
    // two send workers on the same Redis: the limit is one for both
    const workers = [await startStages(app, ['render', 'send']), await startStages(app, ['send'])];
    try {
      await app.queues.addRender(DATE);
      await until('the first messages', () => sentTo(since).length >= 10, { timeoutMs: 30_000 });
      // SES answers "Maximum sending rate exceeded" to everything for 1.5 s
      standIn.throttleUntil = Date.now() + 1_500;
      await until('the edition to be sent', async () => (await app.store.editions.get(DATE))?.status === 'sent', { timeoutMs: 90_000 });
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
    const got = sentTo(since);
    expect(new Set(got).size).toBe(120);
    expect(got).toHaveLength(120);
    expect(standIn.throttled).toBeGreaterThan(0);
    expect(peakPerSecond(standIn.messages.filter((m) => m.at >= since).map((m) => m.at))).toBeLessThanOrEqual(44);
    expect((await app.store.deliveries.countByStatus(DATE)).sent).toBe(120);
  }, 120_000);

  it('stops sending within about a second of a pause, and resumes where it stopped', async () => {
    const [target] = storageTargets();
    const app = await edition(await target!.databaseUrl(), 80, { ratePerSecond: 20, concurrency: 4 });
    const since = Date.now();
    const workers = await startStages(app, ['render', 'send']);
    try {
      await app.queues.addRender(DATE);
      await until('the first messages', () => sentTo(since).length >= 15, { timeoutMs: 30_000 });
      await app.store.editions.pause(DATE, 'operator: checking a typo', new Date().toISOString());
      const pausedAt = Date.now();
      await new Promise((r) => setTimeout(r, 3_000));
      const lateSends = standIn.messages.filter((m) => m.at >= since && m.at > pausedAt + 1_500);
      expect(lateSends).toEqual([]);
      const duringPause = sentTo(since).length;
      expect(duringPause).toBeLessThan(80);
      await app.store.editions.resume(DATE, new Date().toISOString());
      await until('the edition to be sent', async () => (await app.store.editions.get(DATE))?.status === 'sent', { timeoutMs: 60_000 });
    } finally {
      await workers.close();
    }
    const got = sentTo(since);
    expect(got).toHaveLength(80);
    expect(new Set(got).size).toBe(80);
  }, 120_000);
});
