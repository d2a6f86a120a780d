/** Long commands show their progress: a bar on a terminal, plain lines otherwise; results stay on stdout. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOnPath } from '../../src/lib/process.ts';
import { repoRoot, runCli, serveRoutes, tempDir, type CliResult } from '../harness/index.ts';

function csv(dir: string, n: number): string {
  const file = path.join(dir, 'subscribers.csv');
  writeFileSync(file, `email\n${Array.from({ length: n }, (_, i) => `reader${i}@example.org`).join('\n')}\n`);
  return file;
}

interface Line {
  type: string;
  [key: string]: unknown;
}

/** `--json` output: every stdout line is one JSON object, and the last is the result. */
function jsonLines(r: CliResult): { progress: Line[]; result: Line } {
  const lines = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
  expect(lines.length).toBeGreaterThan(0);
  const result = lines.at(-1)!;
  expect(result.type).toBe('result');
  const progress = lines.slice(0, -1);
  for (const p of progress) expect(p.type).toBe('progress');
  return { progress, result };
}

describe('progress', () => {
  it('subscribers import: plain progress lines on stderr when it is not a terminal', async () => {
    const dir = tempDir();
    const r = await runCli(['subscribers', 'import', csv(dir, 3000), '--confirmed'], { env: { DATA_DIR: dir, REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/: 3000 added, 0 updated, 0 rejected$/);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('import: '));
    expect(lines.at(-1)).toMatch(/^import: (\d+)\/\1 bytes read, 3000 subscribers imported$/);
    expect(r.stderr).not.toMatch(/\x1b\[/); // no escape codes in a log file
  });

  it.skipIf(!findOnPath('script'))('subscribers import: a progress bar on a terminal', () => {
    const dir = tempDir();
    const file = csv(dir, 3000);
    const command = `${process.execPath} ${path.join(repoRoot, 'bin', 'paperboy.js')} subscribers import ${file}`;
    // `script` gives the command a pseudo-terminal, as an operator's shell would
    const r = spawnSync('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, DATA_DIR: dir, REDIS_URL: 'redis://127.0.0.1:1', TERM: 'xterm' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/import \[[█░]+\] 100% (\d+)\/\1 bytes read, 3000 subscribers imported/);
  });

  it('edition send --wait reports how many deliveries are settled', async () => {
    const dir = tempDir();
    const env = { DATA_DIR: dir, REDIS_URL: undefined, DATABASE_URL: undefined };
    const ingest = await runCli(['ingest', '--source', path.join(repoRoot, 'demo', 'feeds', 'arxiv-cs.xml')], { env });
    expect(ingest.code, ingest.stderr).toBe(0);
    const imported = await runCli(['subscribers', 'import', csv(dir, 30), '--confirmed'], { env });
    expect(imported.code, imported.stderr).toBe(0);
    const built = await runCli(['edition', 'build', '--date', '2026-11-26'], { env });
    expect(built.stdout, built.stderr).toMatch(/2026-11-26: built/);
    const sent = await runCli(['edition', 'send', '--date', '2026-11-26', '--wait'], { env });
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toMatch(/^sending 2026-11-26: 30\/30 30 sent, 0 to go, 0 failed, 0 skipped$/m);
  }, 180_000);

  it('subscribers import --json: progress events and the result as JSON lines on stdout, nothing else', async () => {
    const dir = tempDir();
    const file = csv(dir, 3000);
    writeFileSync(file, 'not-an-address\n', { flag: 'a' });
    const r = await runCli(['subscribers', 'import', file, '--confirmed', '--json'], { env: { DATA_DIR: dir, REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(r.code, r.stderr).toBe(2);
    const { progress, result } = jsonLines(r);
    expect(result).toEqual({
      type: 'result',
      exitCode: 2,
      file,
      added: 3000,
      updated: 0,
      rejected: 1,
      notResubscribed: 0,
      rejections: [{ line: 3002, reason: expect.stringMatching(/not-an-address/) }],
    });
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect(p).toMatchObject({ stage: 'import', done: expect.any(Number), total: readFileSync(file).length });
    expect(progress.at(-1)).toMatchObject({ done: readFileSync(file).length, imported: 3000, rejected: 1 });
    expect(r.stderr).not.toMatch(/^import: /m); // the events replace the plain lines
  });

  it('ingest, edition send --wait and run --once --json: JSON lines with the counts of each stage', async () => {
    const dir = tempDir();
    const env = { DATA_DIR: dir, REDIS_URL: undefined, DATABASE_URL: undefined };
    const feeds = await serveRoutes({
      '/arxiv.xml': {
        headers: { 'content-type': 'application/rss+xml; charset=utf-8' },
        body: readFileSync(path.join(repoRoot, 'demo', 'feeds', 'arxiv-cs.xml')),
      },
      '/blog.atom': { headers: { 'content-type': 'application/atom+xml' }, body: readFileSync(path.join(repoRoot, 'demo', 'feeds', 'lab-blog.atom')) },
    });
    const config = JSON.parse(readFileSync(path.join(repoRoot, 'paperboy.config.json'), 'utf8'));
    config.sources = [
      { name: 'sample-arxiv', kind: 'arxiv-rss', url: `${feeds.url}/arxiv.xml`, allowLocal: true },
      { name: 'sample-blog', kind: 'rss', url: `${feeds.url}/blog.atom`, allowLocal: true },
    ];
    writeFileSync(path.join(dir, 'paperboy.config.json'), JSON.stringify(config));
    const withConfig = { ...env, PAPERBOY_CONFIG: path.join(dir, 'paperboy.config.json') };

    const ingest = await runCli(['ingest', '--json'], { env: withConfig });
    expect(ingest.code, ingest.stderr).toBe(0);
    const ingested = jsonLines(ingest);
    const sources = ingested.result.sources as { name: string; status: string; new: number }[];
    expect(sources.map((s) => [s.name, s.status]).sort()).toEqual([
      ['sample-arxiv', 'ok'],
      ['sample-blog', 'ok'],
    ]);
    for (const s of sources) expect(s.new).toBeGreaterThan(0);
    expect(ingested.progress.filter((p) => p.stage === 'ingest').at(-1)).toMatchObject({ done: 2, total: 2 });

    expect((await runCli(['subscribers', 'import', csv(dir, 30), '--confirmed'], { env: withConfig })).code).toBe(0);
    expect((await runCli(['edition', 'build', '--date', '2026-11-26'], { env: withConfig })).code).toBe(0);
    const sent = await runCli(['edition', 'send', '--date', '2026-11-26', '--wait', '--json'], { env: withConfig });
    expect(sent.code, sent.stderr).toBe(0);
    const sending = jsonLines(sent);
    expect(sending.result).toMatchObject({
      exitCode: 0,
      editions: [{ id: '2026-11-26', status: 'sent', total: 30, sent: 30, sentByThisRun: 30, pending: 0, failed: 0, failures: [] }],
    });
    expect(sending.progress.filter((p) => p.stage === 'send').at(-1)).toEqual({
      type: 'progress',
      stage: 'send',
      edition: '2026-11-26',
      done: 30,
      total: 30,
      sent: 30,
      pending: 0,
      failed: 0,
      skipped: 0,
    });

    // everything in one command, for the same day: the edition stands and every reader has it
    const run = await runCli(['run', '--once', '--date', '2026-11-26', '--json'], { env: withConfig });
    expect(run.code, run.stderr).toBe(0);
    const once = jsonLines(run);
    expect(once.result).toMatchObject({ exitCode: 0, date: '2026-11-26', editions: [{ id: '2026-11-26', build: 'unchanged', sent: 30, sentByThisRun: 0 }] });
    expect((once.result.sources as { status: string }[]).map((s) => s.status)).toEqual(['ok', 'ok']);
    expect(new Set(once.progress.map((p) => p.stage))).toContain('ingest');
  }, 300_000);
});
