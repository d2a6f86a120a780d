/**
 * A send worker killed in the middle of an edition (SIGKILL: no chance to clean up), then a
 * new worker: the edition completes, every confirmed subscriber gets exactly one message,
 * with the Message-ID recorded for them. Also: SIGTERM lets in-flight work finish, exit 0.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store, kyselyOf } from '../../src/db/store.ts';
import { redisUrl, repoRoot, runCli, tempDir, until } from '../harness/index.ts';
import { startWorker, stopWorker } from '../harness/processes.ts';
import { startSesStandIn } from '../harness/sesStandIn.ts';
import { EDITION_DATE, prepareEdition } from '../harness/edition.ts';

const DATE = EDITION_DATE;
const SUBSCRIBERS = 1500;

function countEml(dir: string): number {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.eml')).length : 0;
}

async function prepare(
  send: Record<string, unknown> = {},
  extraEnv: Record<string, string> = {},
): Promise<{ env: Record<string, string>; outbox: string; dbUrl: string }> {
  const dir = tempDir('pb-crash-');
  const configPath = path.join(dir, 'paperboy.config.json');
  const config = JSON.parse(readFileSync(path.join(repoRoot, 'paperboy.config.json'), 'utf8'));
  writeFileSync(configPath, JSON.stringify({ ...config, sources: [], send: { batchSize: 50, ratePerSecond: 1000, ...send } }));
  const dbUrl = `sqlite:${path.join(dir, 'paperboy.db')}`;
  const env = {
    DATA_DIR: dir,
    DATABASE_URL: dbUrl,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: `crash-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
    PAPERBOY_CONFIG: configPath,
    SECRET_KEY: 'crash-secret-0123456789abcdef',
    ...extraEnv,
  };
  await prepareEdition(env, dir, SUBSCRIBERS);
  return { env, outbox: path.join(dir, 'outbox', DATE), dbUrl };
}

describe('crash and resume', () => {
  it('completes an edition after its send worker is killed mid-send, nobody getting it twice', async () => {
    const { env, outbox, dbUrl } = await prepare();
    const queued = await runCli(['edition', 'send', '--date', DATE], { env });
    expect(queued.code, queued.stderr).toBe(0);

    const first = startWorker(env, ['render', 'send']);
    await until('the first 100 messages', () => countEml(outbox) >= 100, { timeoutMs: 60_000 });
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = countEml(outbox);
    expect(atKill).toBeLessThan(SUBSCRIBERS);

    const store = await Store.open(dbUrl);
    try {
      const second = startWorker(env, ['render', 'send']);
      // a killed worker's jobs are picked up again once BullMQ sees them stalled (lock expiry, ~30 s)
      await until('the edition to be sent', async () => (await store.editions.get(DATE))?.status === 'sent', { timeoutMs: 120_000 });
      expect(await stopWorker(second), second.stderr()).toBe(0);

      const counts = await store.deliveries.countByStatus(DATE);
      expect(counts).toEqual({ pending: 0, sending: 0, sent: SUBSCRIBERS, failed: 0, skipped: 0 });
      const files = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
      expect(files).toHaveLength(SUBSCRIBERS);
      // each file is one subscriber's, with the Message-ID recorded for them
      const rows = await kyselyOf(store).selectFrom('deliveries').select(['subscriber_id', 'message_id', 'attempts']).where('edition_id', '=', DATE).execute();
      const byId = new Map(rows.map((r) => [Number(r.subscriber_id), r]));
      const ids = new Set<string>();
      for (const f of files) {
        const text = readFileSync(path.join(outbox, f), 'utf8');
        const subscriberId = Number(f.slice(0, 6));
        const messageId = /^Message-ID: (.+)$/m.exec(text)![1]!.trim();
        expect(messageId).toBe(byId.get(subscriberId)!.message_id);
        ids.add(messageId);
      }
      expect(ids.size).toBe(SUBSCRIBERS);
      // only the pages the killed worker had claimed (2 batches at once × batchSize 50) were
      // tried a second time, and the outbox overwrote those files: nobody got two
      expect(rows.filter((r) => Number(r.attempts) > 1).length).toBeLessThanOrEqual(2 * 50);
    } finally {
      await store.close();
    }
  }, 600_000);

  it('finishes in-flight work and exits 0 on SIGTERM', async () => {
    const { env, outbox } = await prepare();
    expect((await runCli(['edition', 'send', '--date', DATE], { env })).code).toBe(0);
    const worker = startWorker(env, ['render', 'send']);
    await until('the first messages', () => countEml(outbox) >= 50, { timeoutMs: 60_000 });
    expect(await stopWorker(worker), worker.stderr()).toBe(0);
    const r = await runCli(['edition', 'show', '--date', DATE, '--json'], { env });
    const { deliveries } = JSON.parse(r.stdout);
    // nothing was left half-done: every delivery is either sent or still pending, none "sending"
    expect(deliveries.sending).toBe(0);
    expect(deliveries.sent).toBe(countEml(outbox));
  }, 600_000);

  it('through SES: a worker killed mid-send, then restarted, completes the edition; only readers reported "possibly sent twice" can get it twice', async () => {
    const standIn = await startSesStandIn();
    try {
      standIn.latencyMs = 5;
      const { env, dbUrl } = await prepare(
        { ratePerSecond: 400, claimTimeoutSeconds: 3, quotaLookup: false },
        {
          MAIL_TRANSPORT: 'ses',
          SES_REGION: 'eu-west-1',
          SES_ENDPOINT: standIn.url,
          PUBLIC_URL: 'https://papers.example.org',
          MAIL_FROM: 'Daily Papers <papers@example.org>',
          AWS_ACCESS_KEY_ID: 'AKIATESTTESTTEST',
          AWS_SECRET_ACCESS_KEY: 'test-secret',
        },
      );
      expect((await runCli(['edition', 'send', '--date', DATE], { env })).code).toBe(0);
      const first = startWorker(env, ['render', 'send']);
      await until('the first 200 messages', () => standIn.messages.length >= 200, { timeoutMs: 60_000 });
      first.child.kill('SIGKILL');
      await first.exited;
      expect(standIn.messages.length).toBeLessThan(SUBSCRIBERS);

      const store = await Store.open(dbUrl);
      try {
        const second = startWorker(env, ['render', 'send']);
        await until('the edition to be sent', async () => (await store.editions.get(DATE))?.status === 'sent', { timeoutMs: 120_000 });
        expect(await stopWorker(second), second.stderr()).toBe(0);
        expect(await store.deliveries.countByStatus(DATE)).toEqual({ pending: 0, sending: 0, sent: SUBSCRIBERS, failed: 0, skipped: 0 });
        const received = new Map<string, number>();
        for (const m of standIn.messages) received.set(m.to[0]!, (received.get(m.to[0]!) ?? 0) + 1);
        expect(received.size).toBe(SUBSCRIBERS);
        const twice = [...received].filter(([, n]) => n > 1).map(([email]) => email);
        const reclaimed = await kyselyOf(store)
          .selectFrom('deliveries')
          .innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriber_id')
          .select('email')
          .where('edition_id', '=', DATE)
          .where('reclaimed_at', 'is not', null)
          .execute();
        const reported = new Set(reclaimed.map((r) => r.email));
        // nobody got it twice who is not in the report, and the report is bounded by what was in flight
        for (const email of twice) expect(reported.has(email)).toBe(true);
        expect(reported.size).toBeLessThanOrEqual(100);

        const again = await runCli(['edition', 'send', '--date', DATE, '--wait'], { env });
        expect(again.code, again.stderr).toBe(0);
        expect(standIn.messages.length).toBe(SUBSCRIBERS + twice.length);
        if (reported.size > 0) expect(again.stdout).toContain(`possibly sent twice: ${reported.size}`);
      } finally {
        await store.close();
      }
    } finally {
      await standIn.close();
    }
  }, 600_000);
});
