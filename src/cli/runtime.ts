/**
 * What every command shares: booting the app with fail-fast errors, exit codes, and the split
 * between results (stdout) and progress (stderr), so that `--json` output stays clean.
 */
import type { App, BootOptions, DataApp } from '../app.ts';
import { withTimeout } from '../lib/timeout.ts';
import type { LoadOptions } from '../config/load.ts';
import { explainDatabaseError } from '../db/index.ts';
import { wholeNumber } from '../lib/input.ts';
import { createLogger, jsonLogs, noteLogger } from '../lib/log.ts';
import { isDate } from '../domain/time.ts';
import { progressAsEvents, startProgress, type ProgressCounts } from './progress.ts';

export const EXIT = { ok: 0, failed: 1, partial: 2 } as const;

/** An error the user can fix: printed as it is, without a stack, exit 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Output {
  /** A result line on stdout (none under `--json` lines: the result object carries the same). */
  line(text?: string): void;
  json(value: unknown): void;
  /** One JSON object on one line of stdout: a `--json` progress event or result. */
  event(value: object): void;
  /**
   * Progress, notes and errors on stderr: plain lines, or under LOG_FORMAT=json one JSON log
   * object each (`level` as given), so that a log collector reads every line of stderr.
   */
  note(text: string, level?: 'info' | 'warn' | 'error'): void;
}

/** Set once stdout's reader has gone (`paperboy … | head -1`): later results are dropped. */
let stdoutGone = false;
/** Set by {@link jsonLines}: stdout carries JSON lines only. */
let jsonLinesOnly = false;

export const output: Output = {
  line: (text = '') => void (stdoutGone || jsonLinesOnly || process.stdout.write(`${text}\n`)),
  json: (value) => void (stdoutGone || process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)),
  event: (value) => void (stdoutGone || process.stdout.write(`${JSON.stringify(value)}\n`)),
  note: (text, level = 'info') => (jsonLogs() ? noteLogger()[level](text) : process.stderr.write(`${text}\n`)),
};

/**
 * `--json` on a long command (`run --once`, `edition send`, `ingest`, `subscribers import`):
 * stdout carries nothing but JSON lines, progress events and then one result object
 * `{ type: 'result', exitCode, … }`; notes and errors stay on stderr.
 */
export function jsonLines(): void {
  jsonLinesOnly = true;
  progressAsEvents(output.event);
}

/**
 * A reader that closes the pipe early is not an error: the command finishes its work (and
 * releases Redis and the database) without printing a stack.
 */
export function toleratePipeClose(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
      if (stream === process.stdout) stdoutGone = true;
    });
  }
}

/** Errors whose message already says the cause and the fix: no stack trace needed. */
const EXPLAINED = new Set([
  'ConfigError',
  'UsageError',
  'RedisUnavailableError',
  'DatabaseError',
  'EditionLockedError',
  'RenderError',
  'FeedError',
  'FetchError',
  'LocalDirError',
]);

export function describeError(err: unknown): string {
  if (err instanceof Error && EXPLAINED.has(err.name)) return err.message;
  // a database that turns read-only (or is replaced) after boot fails on the first write
  const store = lifecycle.app?.store;
  const driverCode = (err as { code?: unknown } | null)?.code;
  if (store && typeof driverCode === 'string' && driverCode.startsWith('SQLITE_')) {
    const explained = explainDatabaseError(err, store.location, 'sqlite');
    if (explained) return explained;
  }
  if (err instanceof Error) return `${err.message}${process.env.PAPERBOY_DEBUG ? `\n${err.stack}` : ' (set PAPERBOY_DEBUG=1 for the stack trace)'}`;
  return String(err);
}

/**
 * What a signal or a crash must release before the process leaves: the running command's
 * app (its private Redis above all, which must never be left running, nor stopped under
 * another process), and the long-running commands waiting for a stop signal.
 */
const lifecycle = {
  app: undefined as DataApp | undefined,
  closing: false,
  signals: 0,
  stopWaiters: new Set<(signal: NodeJS.Signals) => void>(),
  installed: false,
};

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
/** How long a stop may take before the process leaves anyway. */
const GRACEFUL_STOP_MS = 15_000;
const IMMEDIATE_STOP_MS = 2_000;

/**
 * Resolves at the first SIGTERM / SIGINT: a long-running command then finishes its
 * in-flight jobs. A second signal leaves at once.
 */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const waiter = (signal: NodeJS.Signals) => {
      lifecycle.stopWaiters.delete(waiter);
      resolve(signal);
    };
    lifecycle.stopWaiters.add(waiter);
  });
}

async function leave(code: number, work: () => Promise<unknown>, capMs: number): Promise<never> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work().catch(() => {}), new Promise((r) => (timer = setTimeout(r, capMs)))]);
  clearTimeout(timer);
  process.exit(code);
}

function onSignal(signal: NodeJS.Signals): void {
  lifecycle.signals++;
  const code = SIGNAL_EXIT[signal] ?? 1;
  if (lifecycle.signals === 1 && lifecycle.stopWaiters.size > 0) {
    output.note(`paperboy: ${signal}: finishing the jobs in flight, then stopping (send it again to stop at once)`);
    for (const waiter of [...lifecycle.stopWaiters]) waiter(signal);
    return;
  }
  const app = lifecycle.app;
  if (lifecycle.signals === 1) {
    output.note(`paperboy: ${signal}: stopping (send it again to stop at once)`);
    void leave(code, async () => app?.close(), GRACEFUL_STOP_MS);
    return;
  }
  output.note(`paperboy: ${signal} again: stopping now`);
  // only what must not be left behind: the private Redis, unless another process uses it
  const redis = app && 'redis' in app ? (app as App).redis : undefined;
  void leave(code, async () => redis?.stop(), IMMEDIATE_STOP_MS);
}

/**
 * ioredis rejects the commands still pending on a connection its owner closed with this
 * message. Unhandled, it comes from a library's background command (BullMQ's blocking fetch
 * or stalled check of an in-process worker the command has just closed), never from the
 * command's own work, which awaits its commands: one such rejection, under load, made
 * `edition build` stop its database mid-build ("driver has already been destroyed").
 */
function isClosedConnection(err: unknown): boolean {
  return err instanceof Error && /^Connection is closed\.?$/.test(err.message);
}

function onCrash(err: unknown): void {
  // a connection that errs while the command closes it has nothing left to do: the command's
  // result stands
  if (lifecycle.closing) return;
  if (isClosedConnection(err)) {
    lifecycle.app?.log.debug('a background Redis command outlived its closed connection', { error: err as Error });
    return;
  }
  lifecycle.closing = true;
  output.note(`paperboy: ${describeError(err)}`, 'error');
  void leave(EXIT.failed, async () => lifecycle.app?.close(), GRACEFUL_STOP_MS);
}

function installLifecycle(): void {
  if (lifecycle.installed) return;
  lifecycle.installed = true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
}

async function run<A extends DataApp>(boot: () => Promise<A>, fn: (app: A) => Promise<number>): Promise<number> {
  installLifecycle();
  let app: A | undefined;
  try {
    app = await boot();
    lifecycle.app = app;
    // loaded by the boot already; not at start, so that --help stays fast
    if (app.settings.configSource === (await import('../config/load.ts')).BUILT_IN_DEFAULTS) {
      output.note(
        `paperboy: --defaults: no paperboy.config.json (or .yaml) in ${process.cwd()}, using the built-in defaults, which have no sources and no topics`,
      );
    }
    return await fn(app);
  } catch (err) {
    output.note(`paperboy: ${describeError(err)}`, 'error');
    return EXIT.failed;
  } finally {
    lifecycle.closing = true;
    // a Redis or database that answers nothing would hold the close for ever
    if (app) {
      const closing = app;
      await withTimeout('closing the connections', GRACEFUL_STOP_MS, () => closing.close()).catch((err: Error) =>
        output.note(`paperboy: ${err.message}: leaving without waiting`, 'warn'),
      );
    }
    lifecycle.app = undefined;
  }
}

/** How the settings are loaded for this command: `--defaults` is given to the program, before any command runs. */
const loadOptions: LoadOptions = {};

export function useBuiltInDefaults(): void {
  loadOptions.builtInDefaults = true;
}

/** The options every command loads the settings with (through withApp / withData, or itself). */
export function settingsOptions(): LoadOptions {
  return { ...loadOptions };
}

/**
 * One-shot commands log warnings only (their output says what happened); long-running
 * workers log their work. LOG_LEVEL overrides both.
 */
function commandLogger(defaultLevel: 'warn' | 'info') {
  return createLogger({}, { level: process.env.LOG_LEVEL ?? defaultLevel });
}

function bootOptions(defaultLevel: 'warn' | 'info'): BootOptions {
  return { ...settingsOptions(), log: commandLogger(defaultLevel) };
}

/** Boots everything (database, Redis, queues), runs `fn`, always closes; returns the exit code. */
export function withApp(fn: (app: App) => Promise<number>, opts: { longRunning?: boolean } = {}): Promise<number> {
  return run(async () => (await import('../app.ts')).bootApp(bootOptions(opts.longRunning ? 'info' : 'warn')), fn);
}

/** The same for commands that need only the settings and the database. */
export function withData(fn: (app: DataApp) => Promise<number>): Promise<number> {
  return run(async () => (await import('../app.ts')).bootData(bootOptions('warn')), fn);
}

export function parseDateOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isDate(value)) throw new UsageError(`--date "${value}" is not a date: use YYYY-MM-DD, e.g. --date 2026-11-26`);
  return value;
}

/** An integer option (`--hour`, `--port`, `--limit`, `--page`): digits only and in range, as on the web, else a UsageError naming it. */
export function wholeNumberOption(flag: string, value: string, min: number, max: number): number {
  const n = wholeNumber(flag, value, min, max);
  if (!n.ok) throw new UsageError(n.problem);
  return n.value;
}

export function parseList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface Measured {
  done: number;
  total: number;
  text: string;
  counts?: ProgressCounts;
}

/**
 * Polls `check` until it returns a value. `progress` shows how far the work is (a bar on a
 * terminal, plain lines otherwise, JSON events with `--json`).
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  opts: {
    timeoutMs: number;
    intervalMs?: number;
    progress?: { label: string; event?: { stage: string } & ProgressCounts; measure: () => Promise<Measured> };
    what: string;
  },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const bar = opts.progress ? startProgress(opts.progress.label, { event: opts.progress.event }) : undefined;
  try {
    for (;;) {
      const value = await check();
      if (value !== undefined) {
        if (bar && opts.progress) {
          const m = await opts.progress.measure();
          bar.update(m.done, m.total, m.text, m.counts);
        }
        return value;
      }
      if (bar && opts.progress) {
        const m = await opts.progress.measure();
        bar.update(m.done, m.total, m.text, m.counts);
      }
      if (Date.now() > deadline)
        throw new Error(
          `gave up waiting for ${opts.what} after ${Math.round(opts.timeoutMs / 1000)} s; the work goes on in the workers — check \`paperboy status\` later`,
        );
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
    }
  } finally {
    bar?.stop();
  }
}
