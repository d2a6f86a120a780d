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

function wrap(logger: PinoLogger): Logger {
  const at = (level: Level) => (msg: string, fields?: Fields) => {
    const f = plain(fields);
    if (f) logger[level](f, msg);
    else logger[level](msg);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => wrap(logger.child(plain(fields) ?? {})),
  };
}

export function createLogger(base: Fields = {}, opts: LoggerOptions = {}): Logger {
  const wanted = (opts.level ?? process.env.LOG_LEVEL ?? 'info') as Level;
  const level = LEVELS.includes(wanted) ? wanted : 'info';
  const json = (opts.format ?? process.env.LOG_FORMAT) === 'json';
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
  return wrap(Object.keys(base).length > 0 ? logger.child(plain(base)!) : logger);
}
