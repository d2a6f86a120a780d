import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** One process taking and releasing the lock `rounds` times as fast as it can. */
function contender(dir: string, rounds: number): Promise<{ code: number | null; stderr: string }> {
  const script = `
    const { withStartStopLock } = await import(${JSON.stringify(path.join(repoRoot, 'src/queues/privateRedis.ts'))});
    for (let i = 0; i < ${rounds}; i++) await withStartStopLock(${JSON.stringify(dir)}, async () => {});
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('the start-stop lock of the private Redis', () => {
  // CI failed once with "ENOENT … start-stop.lock" when six `edition build` ran at once: a
  // process found the lock taken, and its holder released it before the process read its pid
  it('is taken and released by processes racing for it, none failing on a lock released under it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-lock-'));
    dirs.push(dir);
    const runs = await Promise.all(Array.from({ length: 4 }, () => contender(dir, 400)));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
  }, 120_000);
});
