/**
 * Structured logs on stderr (stdout is for command output): one line each, logfmt by
 * default and JSON with LOG_FORMAT=json; LOG_LEVEL=debug|info|warn|error (default info).
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

function logfmtValue(v: unknown): string {
  const s = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
  return /[\s="]/.test(s ?? '') ? JSON.stringify(s) : String(s);
}

export function createLogger(base: Fields = {}, opts: { level?: string; format?: string; write?: (line: string) => void } = {}): Logger {
  const min = LEVELS[(opts.level ?? process.env.LOG_LEVEL ?? 'info') as Level] ?? LEVELS.info;
  const json = (opts.format ?? process.env.LOG_FORMAT) === 'json';
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: Level, msg: string, fields?: Fields) => {
    if (LEVELS[level] < min) return;
    const all = { ...base, ...fields };
    if (json) {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v instanceof Error ? v.message : v])) }));
    } else {
      const rest = Object.entries(all)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${logfmtValue(v)}`)
        .join(' ');
      write(`${new Date().toISOString()} ${level.padEnd(5)} ${msg}${rest ? ` ${rest}` : ''}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, opts),
  };
}
