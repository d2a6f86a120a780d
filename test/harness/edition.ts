/** An edition ready to send, made through the CLI as an operator would: the fault and crash tests' common start. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { repoRoot, runCli } from './index.ts';

export const EDITION_DATE = '2026-11-26';

/**
 * `readers` confirmed readers (every third reads language-models only, the rest everything),
 * the demo feeds ingested and the edition of EDITION_DATE built, in the DATA_DIR `dir` that
 * `env` names.
 */
export async function prepareEdition(env: Record<string, string>, dir: string, readers: number): Promise<void> {
  const csv = ['email,topics', ...Array.from({ length: readers }, (_, i) => `reader${i}@example.org,${i % 3 === 0 ? 'language-models' : ''}`)].join('\n');
  writeFileSync(path.join(dir, 'subscribers.csv'), csv);
  for (const args of [
    ['subscribers', 'import', path.join(dir, 'subscribers.csv'), '--confirmed'],
    ['ingest', '--source', path.join(repoRoot, 'demo', 'feeds', 'arxiv-cs.xml')],
    ['ingest', '--source', path.join(repoRoot, 'demo', 'feeds', 'hf-daily.json')],
    ['edition', 'build', '--date', EDITION_DATE],
  ]) {
    const r = await runCli(args, { env });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  }
}
