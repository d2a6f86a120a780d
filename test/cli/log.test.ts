/** One pino logger for every process: JSON lines with LOG_FORMAT=json, carrying the ids of the work. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { createLogger, RepeatedEvents } from '../../src/lib/log.ts';
import { jobId, QUEUE } from '../../src/queues/index.ts';
import { EditionBuilder } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { startStages } from '../../src/workers/index.ts';
import { makeWorker } from '../../src/workers/worker.ts';
import { arxivObservation } from '../harness/papers.ts';
import { redisUrl, repoRoot, runCli, shippedConfig, tempDir, testApp } from '../harness/index.ts';

describe('logs', () => {
  it('LOG_FORMAT=json: one JSON object a line, with time, level, message, fields and child bindings; LOG_LEVEL filters', () => {
    const lines: string[] = [];
    const log = createLogger({ process: 'worker' }, { format: 'json', level: 'info', write: (l) => lines.push(l) });
    log.child({ edition: '2026-11-26' }).warn('edition paused', { reason: new Error('bounce rate 6 %') });
    log.debug('not shown at info');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'warn', msg: 'edition paused', process: 'worker', edition: '2026-11-26', reason: 'bounce rate 6 %' });
    expect(new Date(entry.time).toISOString()).toBe(entry.time);
  });

  it('logfmt by default, for people', () => {
    const lines: string[] = [];
    createLogger({}, { format: 'logfmt', write: (l) => lines.push(l) }).info('source ingested', { source: 'arxiv cs.AI', new: 3 });
    expect(lines[0]).toMatch(/^\S+Z info  source ingested source="arxiv cs\.AI" new=3$/);
  });

  it('a failed send batch is logged with its queue, job, edition and batch ids', async () => {
    const lines: string[] = [];
    const app = await testApp();
    const logged = { ...app, log: createLogger({}, { format: 'json', level: 'info', write: (l) => lines.push(l) }) };
    const worker = makeWorker(logged, QUEUE.send, async () => {
      throw new Error('SES said 454 Throttling');
    });
    try {
      const job = await app.queues
        .get(QUEUE.send)
        .add('send', { editionId: '2026-11-26', fromId: 101, toId: 200 }, { attempts: 1, jobId: `send-${randomBytes(3).toString('hex')}` });
      await expect.poll(() => lines.length, { timeout: 15_000 }).toBeGreaterThan(0);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        level: 'warn',
        msg: 'job failed',
        queue: 'send',
        job: job.id,
        edition: '2026-11-26',
        batch: '101-200',
        error: 'SES said 454 Throttling',
      });
    } finally {
      await worker.close();
    }
  });
});

/** Every line on stderr is one JSON object with time, level and msg; the entries. */
function jsonEntries(stderr: string, what: string): Record<string, unknown>[] {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines.length, `${what}: nothing on stderr`).toBeGreaterThan(0);
  return lines.map((line) => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`${what}: a line on stderr that is not JSON: ${line}`);
    }
    expect(entry, `${what}: ${line}`).toMatchObject({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) });
    return entry;
  });
}

/** A long-running `paperboy …` as a service manager runs it. */
function spawnCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'paperboy.js'), ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

describe('LOG_FORMAT=json: every line on stderr of a real command is one JSON object', () => {
  const setUp = () => {
    const dir = tempDir();
    const config = path.join(dir, 'paperboy.config.json');
    writeFileSync(config, JSON.stringify({ ...shippedConfig(), sources: [] }));
    return {
      dir,
      env: {
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        DATA_DIR: dir,
        PAPERBOY_CONFIG: config,
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: `pbtest-${randomBytes(4).toString('hex')}`,
      },
    };
  };

  it('a worker stopped by SIGTERM, and serve: the stop notice and "serving on" too', async () => {
    const { env } = setUp();
    for (const [args, started] of [
      [['worker', 'send', 'render'], /workers running/],
      [['serve', '--port', '0', '--host', '127.0.0.1'], /serving on http:\/\/127\.0\.0\.1:\d+/],
    ] as const) {
      const run = spawnCli([...args], env);
      await expect.poll(run.stderr, { timeout: 60_000 }).toMatch(started);
      run.child.kill('SIGTERM');
      expect(await run.exited, run.stderr()).toBe(0);
      const entries = jsonEntries(run.stderr(), args.join(' '));
      expect(
        entries.find((e) => /SIGTERM: finishing the jobs in flight/.test(String(e.msg))),
        run.stderr(),
      ).toMatchObject({ level: 'info' });
    }
  }, 120_000);

  it('a failing start, a usage mistake, and ingest with its progress lines', async () => {
    const { dir, env } = setUp();
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{ "sources": [ }');
    const failed = await runCli(['papers', 'list'], { env: { ...env, PAPERBOY_CONFIG: bad } });
    expect(failed.code).toBe(1);
    expect(jsonEntries(failed.stderr, 'a failing start')).toEqual([
      expect.objectContaining({ level: 'error', msg: expect.stringMatching(/is not valid; nothing was started:\n.*line 1, column 16/) }),
    ]);

    const usage = await runCli(['ingest', '--bogus'], { env });
    expect(usage.code).toBe(1);
    expect(jsonEntries(usage.stderr, 'a usage mistake')[0]).toMatchObject({ level: 'error', msg: expect.stringMatching(/unknown option '--bogus'/) });

    const ingest = await runCli(['ingest', '--source', path.join(repoRoot, 'demo', 'feeds', 'arxiv-cs.xml')], { env });
    expect(ingest.code, ingest.stderr).toBe(0);
    const progress = jsonEntries(ingest.stderr, 'ingest').filter((e) => e.done !== undefined);
    expect(progress.length, ingest.stderr).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ level: 'info', stage: 'rank', done: 16, total: 16, msg: 'ranking: 16/16 papers ranked, 0 to go' });
  }, 120_000);
});

describe('the send and render workers: events carry their ids, and a pause is not one line per try', () => {
  it("names the edition, batch range and job of each event; a paused edition's deferred batches are said once, then summed up", async () => {
    const lines: string[] = [];
    const app = await testApp({ config: { ...shippedConfig(), sources: [], send: { batchSize: 1 } } });
    const logged = { ...app, log: createLogger({}, { format: 'json', level: 'debug', write: (l) => lines.push(l) }) };
    const entries = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const DAY = '2026-11-26';
    const paper = arxivObservation('2611.70003', {
      title: 'Speculative Decoding With Small Draft Models',
      abstract: 'We speed up large language models with speculative decoding.',
    });
    await storeObservations(app.store, [paper], new Date().toISOString());
    await new Ranker(app.store, app.config).rank(paper.keys.arxivId!, new Date(`${DAY}T02:00:00Z`));
    await new EditionBuilder(app.store, app.config).build('daily', DAY);
    for (const email of ['ada@example.org', 'bob@example.org', 'cy@example.org'])
      await app.store.subscribers.upsert({ email, topics: [], confirmed: true }, new Date().toISOString());
    await app.store.editions.pause(DAY, 'paused by the operator (paperboy edition pause)', new Date().toISOString());

    const running = await startStages(logged, ['render', 'send']);
    try {
      await app.queues.addRender(DAY);
      // three batches of one reader, each deferred once a second while the edition is paused
      await expect.poll(() => entries().filter((e) => e.msg === 'send batch deferred again').length, { timeout: 60_000 }).toBeGreaterThanOrEqual(6);
      const fannedOut = entries().find((e) => e.msg === 'edition fanned out');
      expect(fannedOut).toMatchObject({ queue: 'render', job: jobId.render(DAY), edition: DAY, batches: 3 });
      const said = entries().filter((e) => e.msg === 'send batch deferred');
      expect(said, 'the pause is said once, not once per batch and try').toHaveLength(1);
      expect(said[0]).toMatchObject({
        level: 'info',
        queue: 'send',
        edition: DAY,
        batch: expect.stringMatching(/^\d+-\d+$/),
        job: expect.any(String),
        reason: expect.stringMatching(/^paused: paused by the operator/),
      });
      for (const again of entries().filter((e) => e.msg === 'send batch deferred again'))
        expect(again).toMatchObject({ level: 'debug', queue: 'send', edition: DAY, batch: expect.any(String), job: expect.any(String) });

      await app.store.editions.resume(DAY, new Date().toISOString());
      await expect.poll(async () => (await app.store.editions.get(DAY))?.status, { timeout: 60_000 }).toBe('sent');
      const over = entries().filter((e) => e.msg === 'send batches no longer deferred');
      expect(over).toHaveLength(1);
      expect(over[0]).toMatchObject({ level: 'info', edition: DAY, reason: expect.stringMatching(/^paused: /), deferrals: expect.any(Number) });
      expect(over[0]!.deferrals).toBeGreaterThanOrEqual(6);
      // the edition is sent once the last batch records its readers: a batch's 'job done' comes
      // after its processor returns, so the others may log theirs a moment later
      const doneOf = () => entries().filter((e) => e.msg === 'job done' && e.queue === 'send');
      await expect.poll(() => doneOf().length, { timeout: 30_000 }).toBe(3);
      const done = doneOf();
      for (const d of done) expect(d).toMatchObject({ edition: DAY, batch: expect.stringMatching(/^\d+-\d+$/), job: expect.any(String) });
      // one value per key: a child logger's ids are not repeated by the event's own fields
      for (const line of lines) expect((line.match(/"edition":/g) ?? []).length, line).toBeLessThanOrEqual(1);
    } finally {
      await running.close();
    }
  }, 120_000);

  it('a run of repeated events: the first said at once, then at most one summary a minute with the count, and the total at the end', () => {
    const lines: string[] = [];
    const log = createLogger({}, { format: 'json', level: 'info', write: (l) => lines.push(l) });
    let now = 0;
    const repeats = new RepeatedEvents(log, {
      everyMs: 60_000,
      counted: 'deferrals',
      summary: 'send batches still deferred',
      end: 'send batches no longer deferred',
      now: () => now,
    });
    // two and a half minutes of tries, four a second
    for (; now < 150_000; now += 250) repeats.occurred('2026-11-26 paused', log, 'send batch deferred', { edition: '2026-11-26', reason: 'paused' });
    repeats.ended((key) => key.startsWith('2026-11-26'));
    const got = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(got.map((e) => e.msg)).toEqual([
      'send batch deferred',
      'send batches still deferred',
      'send batches still deferred',
      'send batches no longer deferred',
    ]);
    expect(got[1]).toMatchObject({ edition: '2026-11-26', reason: 'paused', deferrals: 240, since: new Date(0).toISOString() });
    expect(got[2]).toMatchObject({ deferrals: 240 });
    expect(got[3]).toMatchObject({ edition: '2026-11-26', reason: 'paused', deferrals: 600, seconds: 150 });
  });
});
