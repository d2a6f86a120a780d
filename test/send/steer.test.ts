/**
 * `paperboy edition pause | resume | cancel | resend`: an operator steering an edition in
 * flight, through the CLI, with send workers running against the same Redis and database.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { EditionBuilder } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { startStages } from '../../src/workers/index.ts';
import { arxivObservation } from '../harness/papers.ts';
import { runCli, shippedConfig, tempDir, testApp, until } from '../harness/index.ts';

const DATE = '2026-11-26';
const READERS = 12;
const paper = arxivObservation('2611.70001', {
  title: 'Speculative Decoding With Small Draft Models',
  abstract: 'We speed up inference of large language models with speculative decoding.',
});

async function setUp(): Promise<{ app: App; cli: (args: string[]) => ReturnType<typeof runCli>; outbox: string }> {
  const dir = tempDir('pb-steer-');
  const configPath = path.join(dir, 'paperboy.config.json');
  const config = { ...shippedConfig(), sources: [], send: { batchSize: 4 } };
  writeFileSync(configPath, JSON.stringify(config));
  const databaseUrl = `sqlite:${path.join(dir, 'paperboy.db')}`;
  const app = await testApp({ databaseUrl, config, env: { OUTBOX_DIR: path.join(dir, 'outbox') } });
  const now = new Date().toISOString();
  for (let i = 0; i < READERS; i++) await app.store.subscribers.upsert({ email: `reader${i}@example.org`, topics: [], confirmed: true }, now);
  await storeObservations(app.store, [paper], now);
  await new Ranker(app.store, app.config).rank(paper.keys.arxivId!, new Date('2026-11-26T02:00:00Z'));
  await new EditionBuilder(app.store, app.config).build('daily', DATE);
  const env = {
    DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    REDIS_URL: app.env.redisUrl!,
    QUEUE_PREFIX: app.env.queuePrefix,
    PAPERBOY_CONFIG: configPath,
    SECRET_KEY: 'test-secret-key-0123456789',
    OUTBOX_DIR: path.join(dir, 'outbox'),
    PUBLIC_URL: 'https://papers.example.org',
    MAIL_FROM: 'Daily Papers <papers@example.org>',
  };
  return { app, cli: (args) => runCli(args, { env }), outbox: path.join(dir, 'outbox', DATE) };
}

const countEml = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.eml')).length : 0);

describe('steering an edition', () => {
  it('pause holds every batch without using up its retries, resume sends the rest, resend sends one reader again', async () => {
    const { app, cli, outbox } = await setUp();
    const paused = await cli(['edition', 'pause', '--date', DATE]);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/paused/);
    const workers = await startStages(app, ['render', 'send']);
    try {
      expect((await cli(['edition', 'send', '--date', DATE])).code).toBe(0);
      await until('the fan-out', async () => (await app.store.deliveries.countByStatus(DATE)).pending === READERS, { timeoutMs: 30_000 });
      // every batch has run and been put off by the pause (none waiting to run, none running):
      // the count below is what the pause let through, not a snapshot taken too early
      const sendQueue = app.queues.get('send');
      await until('every batch to be deferred', async () => {
        const jobs = await sendQueue.getJobCounts('active', 'waiting', 'prioritized', 'delayed');
        return (
          Boolean((await app.store.editions.get(DATE))?.fanoutDone) &&
          jobs.active === 0 &&
          jobs.waiting === 0 &&
          jobs.prioritized === 0 &&
          (jobs.delayed ?? 0) > 0
        );
      });
      expect(countEml(outbox)).toBe(0);
      // deferred, not failed: a pause must not burn the batches' attempts
      expect(await app.queues.get('send').getFailedCount()).toBe(0);

      const resumed = await cli(['edition', 'resume', '--date', DATE]);
      expect(resumed.code, resumed.stderr).toBe(0);
      await until('the edition to be sent', async () => (await app.store.editions.get(DATE))?.status === 'sent', { timeoutMs: 30_000 });
      expect(countEml(outbox)).toBe(READERS);

      const file = path.join(outbox, readdirSync(outbox).sort()[3]!);
      const to = /^To: (.+)$/m.exec(readFileSync(file, 'utf8'))![1]!.trim();
      const before = statSync(file).mtimeMs;
      await new Promise((r) => setTimeout(r, 20));
      const resent = await cli(['edition', 'resend', '--date', DATE, '--to', to]);
      expect(resent.code, resent.stderr).toBe(0);
      expect(resent.stdout).toContain(`to ${to}: sent`);
      expect(statSync(file).mtimeMs).toBeGreaterThan(before);
      expect(countEml(outbox)).toBe(READERS);
      expect(await app.store.deliveries.countByStatus(DATE)).toMatchObject({ sent: READERS, pending: 0, sending: 0 });

      const unknown = await cli(['edition', 'resend', '--date', DATE, '--to', 'nobody@example.org']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/nobody@example\.org is not a subscriber/);
    } finally {
      await workers.close();
    }
  }, 120_000);

  it('resend sends a sent edition to a confirmed reader who subscribed after it went out, and refuses an unsubscribed, suppressed or off-topic one with the reason', async () => {
    const { app, cli, outbox } = await setUp();
    const sent = await cli(['edition', 'send', '--date', DATE, '--wait']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(countEml(outbox)).toBe(READERS);
    const now = new Date().toISOString();
    const late = (await app.store.subscribers.upsert({ email: 'late@example.org', topics: [], confirmed: true }, now)).subscriber;
    const left = (await app.store.subscribers.upsert({ email: 'left@example.org', topics: [], confirmed: true }, now)).subscriber;
    await app.store.subscribers.unsubscribe(left.id, now);
    await app.store.subscribers.upsert({ email: 'bounced@example.org', topics: [], confirmed: true }, now);
    await app.store.suppressions.add('bounced@example.org', 'manual', 'asked by phone', now);
    await app.store.subscribers.upsert({ email: 'theorist@example.org', topics: ['theory'], confirmed: true }, now);

    const resent = await cli(['edition', 'resend', '--date', DATE, '--to', 'late@example.org']);
    expect(resent.code, resent.stderr).toBe(0);
    expect(resent.stdout).toContain('to late@example.org: sent');
    expect(countEml(outbox)).toBe(READERS + 1);
    const mail = readFileSync(path.join(outbox, readdirSync(outbox).sort().at(-1)!), 'utf8');
    expect(mail).toMatch(/^To: late@example\.org/m);
    expect(await app.store.deliveries.countByStatus(DATE)).toMatchObject({ sent: READERS + 1, pending: 0, sending: 0 });
    // the same again resends the same message
    expect((await cli(['edition', 'resend', '--date', DATE, '--to', 'late@example.org'])).code).toBe(0);
    expect(countEml(outbox)).toBe(READERS + 1);
    expect(late.id).toBeGreaterThan(READERS);

    for (const [to, reason] of [
      ['left@example.org', /left@example\.org is unsubscribed: only confirmed subscribers are sent editions/],
      ['bounced@example.org', /bounced@example\.org is on the suppression list \(manual: asked by phone\)/],
      ['theorist@example.org', /has no section in the topics of theorist@example\.org \(theory\)/],
    ] as const) {
      const refused = await cli(['edition', 'resend', '--date', DATE, '--to', to]);
      expect(refused.code, to).toBe(1);
      expect(refused.stderr).toMatch(reason);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
    }
    expect(countEml(outbox)).toBe(READERS + 1);
    expect(await app.store.deliveries.countByStatus(DATE)).toMatchObject({ sent: READERS + 1, pending: 0, sending: 0 });
  }, 120_000);

  it('cancel skips what was not sent, and the edition is settled', async () => {
    const { app, cli, outbox } = await setUp();
    expect((await cli(['edition', 'pause', '--date', DATE])).code).toBe(0);
    const workers = await startStages(app, ['render', 'send']);
    try {
      expect((await cli(['edition', 'send', '--date', DATE])).code).toBe(0);
      await until('the fan-out', async () => (await app.store.deliveries.countByStatus(DATE)).pending === READERS, { timeoutMs: 30_000 });
      const cancelled = await cli(['edition', 'cancel', '--date', DATE]);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(cancelled.stdout).toMatch(new RegExp(`cancelled; ${READERS} deliveries not sent yet are skipped, 0 were sent before`));
      expect(await app.store.deliveries.countByStatus(DATE)).toMatchObject({ skipped: READERS, sent: 0, pending: 0 });
      expect((await app.store.editions.get(DATE))?.status).toBe('sent');
      expect(countEml(outbox)).toBe(0);
      expect((await cli(['edition', 'pause', '--date', DATE])).code).toBe(1);
    } finally {
      await workers.close();
    }
  }, 120_000);
});
