/**
 * The one logger of every process (workers, the web service, one-shot commands): pino, on
 * stderr (stdout is for command output), one line per event. LOG_FORMAT=json gives pino's
 * JSON lines for log collectors; the default is logfmt for people. LOG_LEVEL=debug|info|warn|error.
 * Fields name what an event is about: `edition`, `batch`, `source`, `paper`, `job`, `queue`.
 */
import { pino, type Logger as PinoLogger } from 'pino';

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export interface LoggerOptions {
  level?: string;
  /** `json`, or anything else for logfmt. */
  format?: string;
  /** Where each line goes (without its newline); default: stderr. */
  write?: (line: string) => void;
}

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[\s="]/.test(s ?? '') ? JSON.stringify(s) : String(s);
}

/** pino's JSON line as logfmt: `time level msg key=value …`. */
function toLogfmt(line: string): string {
  const { time, level, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${logfmtValue(v)}`)
    .join(' ');
  return `${String(time)} ${String(level).padEnd(5)} ${String(msg)}${fields ? ` ${fields}` : ''}`;
}

/** Errors become their message: a log line says what went wrong, the stack is for PAPERBOY_DEBUG. */
function plain(fields: Fields | undefined): Fields | undefined {
  if (!fields) return undefined;
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Error ? v.message : v;
  return out;
}

/**
 * A child's fields are merged into each event's own (the event's win), not left to pino's
 * child bindings: those and an event field of the same name made two "edition" keys in one line.
 */
function wrap(logger: PinoLogger, bound: Fields): Logger {
  const at = (level: Level) => (msg: string, fields?: Fields) => {
    const f = plain({ ...bound, ...fields });
    if (f && Object.keys(f).length > 0) logger[level](f, msg);
    else logger[level](msg);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => wrap(logger, { ...bound, ...fields }),
  };
}

/** LOG_FORMAT=json: everything on stderr, the command's own notes and progress too, is one JSON object a line. */
export function jsonLogs(): boolean {
  return process.env.LOG_FORMAT === 'json';
}

export function createLogger(base: Fields = {}, opts: LoggerOptions = {}): Logger {
  const wanted = (opts.level ?? process.env.LOG_LEVEL ?? 'info') as Level;
  const level = LEVELS.includes(wanted) ? wanted : 'info';
  const json = opts.format !== undefined ? opts.format === 'json' : jsonLogs();
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const destination = {
    write(chunk: string) {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      write(json ? line : toLogfmt(line));
    },
  };
  const logger = pino(
    {
      level,
      base: null,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return wrap(logger, base);
}

let notes: Logger | undefined;

/**
 * The logger of a command's own words on stderr (notes, progress lines, errors) under
 * LOG_FORMAT=json: never filtered by LOG_LEVEL, since they are the command's output.
 */
export function noteLogger(): Logger {
  return (notes ??= createLogger({}, { level: 'debug' }));
}

/**
 * An event that recurs while a state lasts (a paused edition's batches deferred every second,
 * by every worker): said once when the run begins, then summed up at most once per `everyMs`
 * with how many times it recurred, and closed by {@link RepeatedEvents.ended} with the total.
 */
export class RepeatedEvents {
  private readonly runs = new Map<string, { since: number; total: number; unsaid: number; saidAt: number; fields: Fields }>();
  private readonly now: () => number;

  constructor(
    private readonly log: Logger,
    private readonly opts: { everyMs: number; counted: string; summary: string; end: string; level?: 'info' | 'warn' | 'error'; now?: () => number },
  ) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * One occurrence of the run `key`: the first is logged on `eventLog` (with the event's own
   * ids) with `fields` and `eventFields`; the summaries carry `fields`, what the run shares.
   * True when this one was said (first, or a summary), false when it was only counted.
   */
  occurred(key: string, eventLog: Logger, msg: string, fields: Fields = {}, eventFields: Fields = {}): boolean {
    const now = this.now();
    const run = this.runs.get(key);
    if (!run) {
      eventLog[this.opts.level ?? 'info'](msg, { ...fields, ...eventFields });
      this.runs.set(key, { since: now, total: 1, unsaid: 0, saidAt: now, fields });
      return true;
    }
    run.total++;
    run.unsaid++;
    if (now - run.saidAt < this.opts.everyMs) return false;
    this.log[this.opts.level ?? 'info'](this.opts.summary, { ...run.fields, [this.opts.counted]: run.unsaid, since: new Date(run.since).toISOString() });
    run.unsaid = 0;
    run.saidAt = now;
    return true;
  }

  /** Closes the runs whose key matches: one line each, with the total and how long it lasted. */
  ended(match: (key: string) => boolean): void {
    for (const [key, run] of this.runs) {
      if (!match(key)) continue;
      this.runs.delete(key);
      this.log.info(this.opts.end, { ...run.fields, [this.opts.counted]: run.total, seconds: Math.round((this.now() - run.since) / 1000) });
    }
  }
}
