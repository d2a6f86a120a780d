/** Long commands show their progress: a bar on a terminal, plain lines otherwise; results stay on stdout. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOnPath } from '../../src/queues/redis.ts';
import { repoRoot, runCli, tempDir } from '../harness/index.ts';

function csv(dir: string, n: number): string {
  const file = path.join(dir, 'subscribers.csv');
  writeFileSync(file, `email\n${Array.from({ length: n }, (_, i) => `reader${i}@example.org`).join('\n')}\n`);
  return file;
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
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, DATA_DIR: dir, REDIS_URL: 'redis://127.0.0.1:1', TERM: 'xterm' }, timeout: 60_000 });
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
});
