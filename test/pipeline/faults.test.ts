/**
 * Faults on real processes in the middle of an edition sent through the SES stand-in (which
 * records every message it accepts, so a message sent twice is seen): `redis-server` killed
 * and restarted, PostgreSQL restarted, a send worker that hangs (SIGSTOP) and wakes up after
 * another worker took its batch over. Each time the edition completes, every reader gets it,
 * and a reader who got it twice is one the edition reports as "possibly sent twice".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/db/store.ts';
import { createPostgresDatabase, repoRoot, runCli, tempDir } from '../harness/index.ts';
import { startPostgres, startRedis } from '../harness/servers.ts';
import { startSesStandIn, type SesStandIn } from '../harness/sesStandIn.ts';
import { EDITION_DATE, prepareEdition } from '../harness/edition.ts';

const DATE = EDITION_DATE;
const SUBSCRIBERS = 1500;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

interface Worker {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWorker(env: Record<string, string>, stages: string[]): Worker {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'paperboy.js'), 'worker', ...stages], { env: { ...process.env, ...env, LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, stderr: () => stderr, exited };
}

async function stopWorker(worker: Worker): Promise<number | null> {
  worker.child.kill('SIGTERM');
  return (await worker.exited).code;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function sesStandIn(): Promise<SesStandIn> {
  const standIn = await startSesStandIn();
  standIn.latencyMs = 5;
  cleanups.push(() => standIn.close());
  return standIn;
}

/** 1,500 confirmed readers, the demo feeds ingested, the edition built and queued for sending through the stand-in. */
async function prepare(opts: { redisUrl: string; databaseUrl?: string; standIn: SesStandIn; send?: Record<string, unknown> }): Promise<{ env: Record<string, string>; databaseUrl: string }> {
  const dir = tempDir('pb-faults-');
  const configPath = path.join(dir, 'paperboy.config.json');
  const config = JSON.parse(readFileSync(path.join(repoRoot, 'paperboy.config.json'), 'utf8'));
  writeFileSync(configPath, JSON.stringify({ ...config, sources: [], send: { batchSize: 50, ratePerSecond: 200, quotaLookup: false, ...opts.send } }));
  const databaseUrl = opts.databaseUrl ?? `sqlite:${path.join(dir, 'paperboy.db')}`;
  const env = {
    DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    REDIS_URL: opts.redisUrl,
    QUEUE_PREFIX: `faults-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
    PAPERBOY_CONFIG: configPath,
    SECRET_KEY: 'faults-secret-0123456789abcdef',
    MAIL_TRANSPORT: 'ses',
    SES_REGION: 'eu-west-1',
    SES_ENDPOINT: opts.standIn.url,
    PUBLIC_URL: 'https://papers.example.org',
    MAIL_FROM: 'Daily Papers <papers@example.org>',
    AWS_ACCESS_KEY_ID: 'AKIATESTTESTTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
  };
  await prepareEdition(env, dir, SUBSCRIBERS);
  const queued = await runCli(['edition', 'send', '--date', DATE], { env });
  expect(queued.code, queued.stderr).toBe(0);
  return { env, databaseUrl };
}

/** What the stand-in received, per reader. */
function receivedBy(standIn: SesStandIn): Map<string, number> {
  const received = new Map<string, number>();
  for (const m of standIn.messages) received.set(m.to[0]!, (received.get(m.to[0]!) ?? 0) + 1);
  return received;
}

/** Every reader got the edition; those who got it twice are all among the readers the edition reports as possibly sent twice. */
async function expectEveryoneOnce(store: Store, standIn: SesStandIn): Promise<{ twice: string[]; reported: Set<string> }> {
  expect(await store.deliveries.countByStatus(DATE)).toEqual({ pending: 0, sending: 0, sent: SUBSCRIBERS, failed: 0, skipped: 0 });
  const received = receivedBy(standIn);
  expect(received.size).toBe(SUBSCRIBERS);
  const twice = [...received].filter(([, n]) => n > 1).map(([email]) => email);
  const reclaimed = await store.db.selectFrom('deliveries').innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriber_id').select('email').where('edition_id', '=', DATE).where('reclaimed_at', 'is not', null).execute();
  const reported = new Set(reclaimed.map((r) => r.email));
  expect(twice.filter((email) => !reported.has(email)), 'readers sent the edition twice without being reported').toEqual([]);
  return { twice, reported };
}

async function editionSent(store: Store): Promise<boolean> {
  try {
    return (await store.editions.get(DATE))?.status === 'sent';
  } catch {
    return false; // the database is coming back
  }
}

/** Waits for the edition to be sent; on a timeout, says where the deliveries and the workers are. */
async function untilSent(store: Store, workers: Worker[], what: string): Promise<void> {
  try {
    await until(() => editionSent(store), 90_000, what);
  } catch (err) {
    const counts = await store.deliveries.countByStatus(DATE).catch((e: Error) => e.message);
    throw new Error(`${(err as Error).message}: deliveries ${JSON.stringify(counts)}\n${workers.map((w) => w.stderr()).join('\n---\n')}`);
  }
}

describe('faults on real processes, mid-edition', () => {
  it('redis-server killed (SIGKILL) and restarted with its AOF: the workers reconnect by themselves and every reader gets the edition exactly once', async () => {
    // appendfsync everysec, as shipped (docker-compose.yml, the private Redis): Redis writes
    // each change to the AOF file before it answers, so a killed process loses nothing the
    // kernel holds; only a machine crash can lose the last second not yet synced to disk
    const redis = await startRedis({ appendfsync: 'everysec' });
    cleanups.push(() => redis.stop());
    const standIn = await sesStandIn();
    const { env, databaseUrl } = await prepare({ redisUrl: redis.url, standIn });
    const store = await Store.open(databaseUrl);
    cleanups.push(() => store.close());

    const workers = [startWorker(env, ['render', 'send']), startWorker(env, ['send'])];
    await until(() => standIn.messages.length >= 200, 60_000, 'the first 200 messages');
    await redis.kill();
    const atKill = standIn.messages.length;
    expect(atKill).toBeLessThan(SUBSCRIBERS);
    // long enough for every worker to notice (their commands fail, their reconnects are refused)
    await new Promise((r) => setTimeout(r, 2_000));
    await redis.start();

    await untilSent(store, workers, 'the edition to be sent after the restart');
    for (const w of workers) expect(w.child.exitCode, `a worker exited: ${w.stderr()}`).toBeNull();
    for (const w of workers) expect(await stopWorker(w), w.stderr()).toBe(0);
    const { twice } = await expectEveryoneOnce(store, standIn);
    expect(twice).toEqual([]);
  }, 180_000);

  it('PostgreSQL restarted mid-run: the workers wait for it, record what they sent, and complete the edition; nobody gets it twice', async (ctx) => {
    const pg = await startPostgres();
    if (!pg) return ctx.skip();
    cleanups.push(() => pg.stop());
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const standIn = await sesStandIn();
    const databaseUrl = await createPostgresDatabase(pg.url);
    const { env } = await prepare({ redisUrl: redis.url, databaseUrl, standIn });
    const store = await Store.open(databaseUrl);
    cleanups.push(() => store.close());

    const workers = [startWorker(env, ['render', 'send']), startWorker(env, ['send'])];
    await until(() => standIn.messages.length >= 200, 60_000, 'the first 200 messages');
    await pg.stopServer();
    const atStop = standIn.messages.length;
    expect(atStop).toBeLessThan(SUBSCRIBERS);
    await new Promise((r) => setTimeout(r, 3_000));
    await pg.startServer();

    await untilSent(store, workers, 'the edition to be sent after the restart');
    for (const w of workers) expect(w.child.exitCode, `a worker exited: ${w.stderr()}`).toBeNull();
    for (const w of workers) expect(await stopWorker(w), w.stderr()).toBe(0);
    const { twice, reported } = await expectEveryoneOnce(store, standIn);
    expect(twice).toEqual([]);
    expect(reported.size).toBe(0);
  }, 180_000);

  it('a send worker that hangs (SIGSTOP) loses its batches to another worker once their lock expires, and sends nothing more when it wakes', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const standIn = await sesStandIn();
    const { env, databaseUrl } = await prepare({ redisUrl: redis.url, standIn, send: { lockDurationMs: 3_000 } });
    const store = await Store.open(databaseUrl);
    cleanups.push(() => store.close());

    const renderer = startWorker(env, ['render']);
    const hung = startWorker(env, ['send']);
    await until(() => standIn.messages.length >= 200, 60_000, 'the first 200 messages');
    hung.child.kill('SIGSTOP');
    const atStop = standIn.messages.length;
    expect(atStop).toBeLessThan(SUBSCRIBERS);

    const other = startWorker(env, ['send']);
    await untilSent(store, [renderer, hung, other], 'the other worker to finish the edition');
    const atFinish = standIn.messages.length;

    // the hung worker wakes up: it finds its batches taken over and sends nothing more
    hung.child.kill('SIGCONT');
    // (it may also have been stopped between two batches, with nothing to notice: then it
    // stays quiet, which is what this waits for at most 15 s before checking)
    await until(() => /taken over/.test(hung.stderr()) || standIn.messages.length > atFinish, 15_000, 'the woken worker').catch(() => {});
    for (const w of [renderer, hung, other]) expect(await stopWorker(w), w.stderr()).toBe(0);
    expect(standIn.messages.length - atFinish, 'messages sent by the woken worker').toBe(0);

    const { twice, reported } = await expectEveryoneOnce(store, standIn);
    // only what the hung worker had sent but not yet recorded can have gone twice: at most
    // a second of sending (the outcomes are recorded once a second) of its two batches
    expect(reported.size).toBeLessThanOrEqual(2 * 50);
    const again = await runCli(['edition', 'send', '--date', DATE, '--wait'], { env });
    expect(again.code, again.stderr).toBe(0);
    if (reported.size > 0) expect(again.stdout).toContain(`possibly sent twice: ${reported.size}`);
    expect(standIn.messages.length).toBe(SUBSCRIBERS + twice.length);
  }, 180_000);
});
