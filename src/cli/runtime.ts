/**
 * What every command shares: booting the app with fail-fast errors, exit codes, and the split
 * between results (stdout) and progress (stderr), so that `--json` output stays clean.
 */
import type { App, DataApp } from '../app.ts';
import { createLogger } from '../log.ts';
import { isDate } from '../rank/calendar.ts';

export const EXIT = { ok: 0, failed: 1, partial: 2 } as const;

/** An error the user can fix: printed as it is, without a stack, exit 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Output {
  /** A result line on stdout. */
  line(text?: string): void;
  json(value: unknown): void;
  /** Progress and notes on stderr. */
  note(text: string): void;
}

export const output: Output = {
  line: (text = '') => process.stdout.write(`${text}\n`),
  json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  note: (text) => process.stderr.write(`${text}\n`),
};

/** Errors whose message already says the cause and the fix: no stack trace needed. */
const EXPLAINED = new Set(['ConfigError', 'UsageError', 'RedisUnavailableError', 'DatabaseError', 'EditionLockedError', 'RenderError', 'FeedError', 'FetchError']);

export function describeError(err: unknown): string {
  if (err instanceof Error && EXPLAINED.has(err.name)) return err.message;
  if (err instanceof Error) return `${err.message}${process.env.PAPERBOY_DEBUG ? `\n${err.stack}` : ' (set PAPERBOY_DEBUG=1 for the stack trace)'}`;
  return String(err);
}

async function run<A extends DataApp>(boot: () => Promise<A>, fn: (app: A) => Promise<number>): Promise<number> {
  let app: A | undefined;
  try {
    app = await boot();
    if (app.settings.configSource.startsWith('(built-in defaults')) {
      output.note(`paperboy: no paperboy.config.json (or .yaml) in ${process.cwd()} and PAPERBOY_CONFIG is unset: using the built-in defaults, which have no sources and no topics`);
    }
    return await fn(app);
  } catch (err) {
    output.note(`paperboy: ${describeError(err)}`);
    return EXIT.failed;
  } finally {
    await app?.close();
  }
}

/**
 * One-shot commands log warnings only (their output says what happened); long-running
 * workers log their work. LOG_LEVEL overrides both.
 */
function commandLogger(defaultLevel: 'warn' | 'info') {
  return createLogger({}, { level: process.env.LOG_LEVEL ?? defaultLevel });
}

/** Boots everything (database, Redis, queues), runs `fn`, always closes; returns the exit code. */
export function withApp(fn: (app: App) => Promise<number>, opts: { longRunning?: boolean } = {}): Promise<number> {
  return run(async () => (await import('../app.ts')).bootApp({ log: commandLogger(opts.longRunning ? 'info' : 'warn') }), fn);
}

/** The same for commands that need only the settings and the database. */
export function withData(fn: (app: DataApp) => Promise<number>): Promise<number> {
  return run(async () => (await import('../app.ts')).bootData({ log: commandLogger('warn') }), fn);
}

export function parseDateOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isDate(value)) throw new UsageError(`--date "${value}" is not a date: use YYYY-MM-DD, e.g. --date 2026-11-26`);
  return value;
}

export function parseList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Polls `check` until it returns a value, printing `describe` when it changes. */
export async function waitFor<T>(check: () => Promise<T | undefined>, opts: { timeoutMs: number; intervalMs?: number; describe?: () => Promise<string>; what: string }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (opts.describe) {
      const text = await opts.describe();
      if (text !== last) output.note(text);
      last = text;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${opts.what} after ${Math.round(opts.timeoutMs / 1000)} s; the work goes on in the workers — check \`paperboy edition show\` later`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}
