/**
 * One rule for every steering command (`edition pause|resume|cancel|resend`), over every state an
 * edition can be in: exit 0 when the edition is now in the state asked for (also when it already
 * was), exit 1 when the request cannot apply, with the reason and the command that would help,
 * naming the edition as the operator must (`--weekly` for a weekly one).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { addDays } from '../../src/domain/time.ts';
import { editionId, type EditionContent } from '../../src/domain/edition.ts';
import { EditionBuilder } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { addReaderDelivery } from '../../src/send/fanout.ts';
import type { App } from '../../src/app.ts';
import { arxivObservation } from '../harness/papers.ts';
import { repoRoot, runCli, shippedConfig, testApp, type CliResult } from '../harness/index.ts';

type State = 'missing' | 'empty' | 'frozen' | 'sending' | 'paused' | 'cancelled' | 'sent';
type Command = 'pause' | 'resume' | 'cancel' | 'resend';

const READERS = ['ada@example.org', 'bob@example.org', 'cy@example.org'];

/** What each command must answer in each state: the exit code, and what its output says. */
const RULE: Record<Command, Record<State, [0 | 1, RegExp]>> = {
  pause: {
    missing: [1, /has not been built: there is nothing to pause; build it with `paperboy edition build --date \S+ --weekly`/],
    empty: [1, /had no papers, so it goes to nobody: there is nothing to pause.*`paperboy edition build --date \S+ --weekly --force`/],
    frozen: [0, /: paused before it was sent: nothing goes out until `paperboy edition resume --date \S+ --weekly`/],
    sending: [0, /: paused; every send worker stops within about a second \(1 sent, 2 to go.*\)\. Resume with `paperboy edition resume --date \S+ --weekly`/],
    paused: [0, /is paused already \(since .*: paused by the operator.*\)\. Resume with `paperboy edition resume --date \S+ --weekly`/],
    cancelled: [1, /was cancelled at .*: there is nothing to pause; see what was sent with `paperboy edition show --date \S+ --weekly`/],
    sent: [1, /was sent at .*: there is nothing to pause; to send it to one reader again: `paperboy edition resend --date \S+ --weekly --to EMAIL`/],
  },
  resume: {
    missing: [1, /has not been built: there is nothing to resume; build it with `paperboy edition build --date \S+ --weekly`/],
    empty: [1, /had no papers, so it goes to nobody: there is nothing to resume/],
    frozen: [0, /is not paused \(not sent yet\); send it with `paperboy edition send --date \S+ --weekly`/],
    sending: [0, /is not paused \(sending: 1 sent, 2 to go/],
    paused: [0, /: resumed \(it was paused: paused by the operator.*\); 1 sent, 2 to go/],
    cancelled: [1, /was cancelled at .*: a cancelled edition cannot be resumed; see what was sent with `paperboy edition show --date \S+ --weekly`/],
    sent: [1, /was sent at .*: there is nothing to resume; to send it to one reader again: `paperboy edition resend --date \S+ --weekly --to EMAIL`/],
  },
  cancel: {
    missing: [1, /has not been built: there is nothing to cancel; build it with `paperboy edition build --date \S+ --weekly`/],
    empty: [1, /had no papers, so it goes to nobody: there is nothing to cancel/],
    frozen: [0, /: cancelled before it was sent: it goes to nobody/],
    sending: [0, /: cancelled; 2 deliveries not sent yet are skipped, 1 was sent before\. See `paperboy edition show --date \S+ --weekly`/],
    paused: [0, /: cancelled; 2 deliveries not sent yet are skipped, 1 was sent before/],
    cancelled: [0, /was cancelled already at .*: 2 deliveries not sent were skipped, 1 was sent before/],
    sent: [1, /was sent at .*: there is nothing to cancel; see what was sent with `paperboy edition show --date \S+ --weekly`/],
  },
  resend: {
    missing: [1, /has not been built: there is nothing to resend; build it with `paperboy edition build --date \S+ --weekly`/],
    empty: [1, /had no papers, so it goes to nobody: there is nothing to resend/],
    frozen: [0, /to bob@example\.org: sent/],
    sending: [1, /bob@example\.org's delivery of edition \S+ is still pending: it goes out with the edition; see `paperboy edition show --date \S+ --weekly`/],
    paused: [
      1,
      /is paused \(paused by the operator.*\): a resend would wait for the pause; resume it first with `paperboy edition resume --date \S+ --weekly`/,
    ],
    cancelled: [1, /was cancelled at .*: it goes to nobody, not even one reader; see what was sent with `paperboy edition show --date \S+ --weekly`/],
    sent: [0, /to bob@example\.org: sent/],
  },
};

/** A weekly edition of `date` in `state`, its three readers' deliveries as a send would leave them (the first one sent). */
async function editionIn(
  app: App,
  state: State,
  date: string,
  content: EditionContent,
  readers: { id: number; topics: string[]; sectionOrder: string[] }[],
): Promise<void> {
  if (state === 'missing') return;
  const id = editionId('weekly', date);
  const now = new Date().toISOString();
  await app.store.editions.insertFrozen(
    { id, kind: 'weekly', date, content: { ...content, kind: 'weekly', date, from: addDays(date, -6) }, empty: state === 'empty' },
    now,
  );
  if (state === 'empty' || state === 'frozen') return;
  const edition = (await app.store.editions.get(id))!;
  for (const r of readers) await addReaderDelivery(app, edition, r);
  await app.store.editions.markFanoutDone(id, now);
  const [first, ...rest] = readers;
  await app.store.deliveries.transition(id, first!.id, ['pending'], 'sent', now);
  if (state === 'paused') await app.store.editions.pause(id, 'paused by the operator (paperboy edition pause)', now);
  if (state === 'cancelled') {
    await app.store.editions.cancel(id, now);
    await app.store.deliveries.skipPending(id, 'the edition was cancelled', now);
    await app.store.editions.markSentIfSettled(id, now);
  }
  if (state === 'sent') {
    for (const r of rest) await app.store.deliveries.transition(id, r.id, ['pending'], 'sent', now);
    await app.store.editions.markSentIfSettled(id, now);
  }
}

/**
 * Runs each command line through the CLI's own `main` (what bin/paperboy.js runs), one after the
 * other in one process, with its stdout, stderr and exit code: one Node.js start for the whole
 * table instead of one per command, which under load took minutes.
 */
async function runEach(commands: string[][], env: Record<string, string>): Promise<CliResult[]> {
  const script = `
    const { main } = await import(${JSON.stringify(path.join(repoRoot, 'src/cli/main.ts'))});
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const results = [];
    for (const argv of JSON.parse(process.env.COMMANDS)) {
      const r = { code: -1, stdout: '', stderr: '' };
      process.stdout.write = (chunk) => ((r.stdout += String(chunk)), true);
      process.stderr.write = (chunk) => ((r.stderr += String(chunk)), true);
      process.exitCode = undefined;
      try {
        r.code = await main(argv);
      } finally {
        process.stdout.write = out;
        process.stderr.write = err;
      }
      results.push(r);
    }
    process.exitCode = 0;
    out(JSON.stringify(results), () => process.exit(0));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, COMMANDS: JSON.stringify(commands) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the commands' process exited with ${code}: ${stderr}`);
  return JSON.parse(stdout) as CliResult[];
}

describe('steering an edition: one rule for every command and state', () => {
  it('0 when the edition is now in the asked state, 1 with the reason and the helping command (with --weekly) when it cannot apply', async () => {
    const config = { ...shippedConfig(), sources: [] };
    const app = await testApp({ config });
    const day = '2026-11-26';
    const paper = arxivObservation('2611.70001', {
      title: 'Speculative Decoding With Small Draft Models',
      abstract: 'We speed up large language models with speculative decoding.',
    });
    await storeObservations(app.store, [paper], new Date().toISOString());
    await new Ranker(app.store, app.config).rank('2611.70001', new Date(`${day}T02:00:00Z`));
    await new EditionBuilder(app.store, app.config).build('daily', day);
    const content = (await app.store.editions.get(day))!.content;
    const readers = [];
    for (const email of READERS)
      readers.push((await app.store.subscribers.upsert({ email, topics: [], frequency: 'weekly', confirmed: true }, new Date().toISOString())).subscriber);

    const configFile = path.join(app.env.dataDir, 'paperboy.config.json');
    writeFileSync(configFile, JSON.stringify(config));
    const env = {
      REDIS_URL: app.env.redisUrl!,
      QUEUE_PREFIX: app.env.queuePrefix,
      DATABASE_URL: app.env.databaseUrl,
      DATA_DIR: app.env.dataDir,
      PAPERBOY_CONFIG: configFile,
      SECRET_KEY: app.env.secretKey!,
      MAIL_FROM: app.env.mailFrom,
      PUBLIC_URL: app.env.publicUrl,
    };

    const cells: { command: Command; state: State; args: string[] }[] = [];
    let week = 0;
    for (const command of Object.keys(RULE) as Command[]) {
      for (const state of Object.keys(RULE[command]) as State[]) {
        // an edition of its own per (command, state): each command changes the one it steers
        const date = addDays(day, 7 * ++week);
        await editionIn(app, state, date, content, readers);
        cells.push({ command, state, args: ['edition', command, '--date', date, '--weekly', ...(command === 'resend' ? ['--to', READERS[1]!] : [])] });
      }
    }
    const results = await runEach(
      cells.map((c) => c.args),
      env,
    );
    const failures: string[] = [];
    cells.forEach(({ command, state }, i) => {
      const r = results[i]!;
      const said = `${r.stdout}${r.stderr}`;
      const [code, pattern] = RULE[command][state];
      const hints = said.match(/`paperboy edition [^`]*`/g) ?? [];
      if (r.code !== code) failures.push(`${command} on ${state}: exit ${r.code}, expected ${code}: ${said.trim()}`);
      else if (!pattern.test(said)) failures.push(`${command} on ${state}: said ${JSON.stringify(said.trim())}, expected ${pattern}`);
      else if (hints.some((h) => !h.includes('--weekly'))) failures.push(`${command} on ${state}: a hint without --weekly: ${hints.join(', ')}`);
      else if (code === 1 && hints.length === 0) failures.push(`${command} on ${state}: refused without the command that would help: ${said.trim()}`);
    });
    expect(failures).toEqual([]);

    // a daily edition's hints name it without --weekly
    await app.store.editions.pause(day, 'paused by the operator (paperboy edition pause)', new Date().toISOString());
    const daily = await runCli(['edition', 'pause', '--date', day], { env });
    expect(daily.code, daily.stderr).toBe(0);
    expect(daily.stdout).toMatch(new RegExp(`Resume with \`paperboy edition resume --date ${day}\``));
  }, 180_000);

  it('every steering command states the rule in its --help', async () => {
    const helps = await runEach(
      ['pause', 'resume', 'cancel', 'resend'].map((command) => ['edition', command, '--help']),
      {},
    );
    for (const r of helps) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /Exit codes: 0 when the edition is now in the state asked for \(also when it already was[^)]*\); 1 when the request cannot apply/,
      );
    }
  });
});
