/** Every command answers --help, and does so without starting anything. */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { runCli, tempDir } from '../harness/index.ts';

function commandPaths(): string[][] {
  const out: string[][] = [];
  const walk = (cmd: ReturnType<typeof buildProgram>, prefix: string[]) => {
    for (const sub of cmd.commands) {
      const p = [...prefix, sub.name()];
      out.push(p);
      walk(sub, p);
    }
  };
  walk(buildProgram(), []);
  return out;
}

describe('--help', () => {
  const paths = commandPaths();

  it('covers the commands of the contract', () => {
    const names = paths.map((p) => p.join(' '));
    for (const c of [
      'run',
      'ingest',
      'edition build',
      'edition send',
      'edition show',
      'papers list',
      'papers explain',
      'preview',
      'worker',
      'serve',
      'subscribers add',
      'subscribers import',
      'subscribers export',
      'subscribers list',
      'subscribers remove',
      'sources',
      'doctor',
      'papers search',
      'mail test',
    ]) {
      expect(names).toContain(c);
    }
  });

  it('prints usage and a description for every command, with exit 0, even with a broken config', async () => {
    // a config that would stop any real command: --help must not even read it
    const env = { PAPERBOY_CONFIG: '/nonexistent/paperboy.config.json', DATA_DIR: tempDir() };
    for (const p of [[], ...paths]) {
      const r = await runCli([...p, '--help'], { env, timeoutMs: 30_000 });
      expect(r.code, `paperboy ${p.join(' ')} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^Usage: paperboy/m);
      expect(r.stdout.split('\n').length).toBeGreaterThan(3);
    }
  }, 240_000);
});
