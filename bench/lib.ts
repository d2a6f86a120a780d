/**
 * What every benchmark suite shares: timing, the machine line, and writing its section of
 * docs/benchmarks.md (each suite owns the text between its markers, so suites run apart).
 */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from '../src/app.ts';
import { createLogger } from '../src/lib/log.ts';
import { systemClock } from '../src/domain/time.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RUNS = Number(process.env.BENCH_RUNS ?? 5);

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export interface Row {
  what: string;
  median: number;
  runs: number[];
  goal?: number;
  note?: string;
}

/** Runs `fn` `runs` times; `fn` returns its own measured milliseconds. */
export async function measure(rows: Row[], what: string, runs: number, fn: () => Promise<number | void>, goal?: number, note?: string): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = await fn();
    if (typeof t === 'number') times.push(t);
  }
  const row = { what, median: median(times), runs: times, goal, note };
  rows.push(row);
  process.stderr.write(`${what}: median ${row.median.toFixed(1)} ms over ${times.length} runs${goal ? ` (goal ≤ ${goal} ms)` : ''}\n`);
}

export function machineLines(database = 'SQLite (node:sqlite)'): string[] {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    // not a checkout
  }
  return [
    `- machine: ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
    `- Node.js ${process.version}, ${database}, commit ${commit}, ${new Date().toISOString().slice(0, 10)}`,
  ];
}

export function timingTable(rows: Row[]): string[] {
  return [
    '| measurement | median | goal | runs (ms) |',
    '|---|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.what} | ${r.median.toFixed(1)} ms | ${r.goal ? `≤ ${r.goal} ms ${r.median <= r.goal ? '✓' : '✗'}` : ''} | ${r.runs.map((x) => x.toFixed(0)).join(', ')} |`,
    ),
  ];
}

/** Replaces (or appends) this suite's section of docs/benchmarks.md. */
export function writeSection(suite: string, markdown: string): void {
  const file = path.join(root, 'docs', 'benchmarks.md');
  const header =
    '# Benchmarks\n\nWritten by `npm run bench` (all suites) or `npm run bench -- SUITE` (one of them). Timing goals live here, never in the tests. Each suite writes its own section.\n';
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : header;
  if (!doc.includes('<!-- suite:')) doc = header;
  const begin = `<!-- suite:${suite} -->`;
  const end = `<!-- /suite:${suite} -->`;
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  doc = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, doc);
  process.stderr.write(`written to docs/benchmarks.md (section ${suite})\n`);
}

/** An App over a bench's own store, queues and Redis: quiet logs, nothing of its own to close. */
export function benchApp(parts: Pick<App, 'config' | 'env' | 'store' | 'queues' | 'secretKey'> & { redisUrl: string; configSource: string }): App {
  const { config, env, store, queues, secretKey, redisUrl, configSource } = parts;
  return {
    config,
    env,
    settings: { config, configSource, env },
    store,
    queues,
    redis: { url: redisUrl, owned: false, stop: async () => {} },
    log: createLogger({}, { level: 'error' }),
    secretKey,
    clock: systemClock,
    close: async () => {},
  };
}
