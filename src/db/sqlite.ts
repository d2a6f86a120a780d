/**
 * SQLite through Node's own `node:sqlite`, shaped as the driver Kysely's SqliteDialect expects.
 *
 * Why not better-sqlite3: a native module is built for one Node ABI. better-sqlite3 12 aborts
 * at exit on Node 24 (`Statement::~Statement`, `Assertion failed: (env) != nullptr`) and 13
 * crashes on Node 20; every Node upgrade also needed `npm rebuild`, which needs a compiler on
 * the machine. `node:sqlite` ships with Node 22.16+ and 24, so nothing is built and nothing
 * breaks when the runtime changes.
 */
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** The names of SQLite's primary result codes that an operator can meet (sqlite3.h). */
const RESULT_CODES: Record<number, string> = {
  1: 'SQLITE_ERROR',
  3: 'SQLITE_PERM',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  19: 'SQLITE_CONSTRAINT',
  26: 'SQLITE_NOTADB',
};

/**
 * node:sqlite reports every failure as `ERR_SQLITE_ERROR` with the numeric code in `errcode`;
 * the rest of paperboy (and the operator's messages) speak SQLite's own names, so the error
 * gets `code` = `SQLITE_BUSY`, `SQLITE_READONLY`… (the primary code of an extended one).
 */
export function withSqliteCode<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    const e = err as { code?: string; errcode?: number };
    if (e && e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') {
      e.code = RESULT_CODES[e.errcode & 0xff] ?? `SQLITE_${e.errcode & 0xff}`;
    }
    throw err;
  }
}

interface NodeStatement {
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...params: unknown[]): IterableIterator<unknown>;
  columns(): unknown[];
}

interface NodeDatabase {
  prepare(sql: string): NodeStatement;
  exec(sql: string): void;
  close(): void;
}

/**
 * node:sqlite prints "ExperimentalWarning: SQLite is an experimental feature" on first load in
 * every process, which would break LOG_FORMAT=json readers and every CLI's stderr: that one
 * warning is dropped, every other goes through.
 */
async function loadNodeSqlite(): Promise<{ DatabaseSync: new (file: string, options?: { timeout?: number }) => NodeDatabase }> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (/SQLite is an experimental feature/.test(String(text))) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return (await import('node:sqlite')) as never;
  } finally {
    process.emitWarning = emitWarning;
  }
}

/**
 * Compiling a statement costs more than running most of ours, and the pipeline runs the same
 * few queries thousands of times (one per paper, per delivery): compiled statements are kept,
 * the least recently used dropped past `cacheSize`. Kysely runs one query at a time on its
 * single SQLite connection, so sharing them is safe.
 */
export interface OpenedSqlite extends SqliteDatabase {
  /** Runs SQL without results (pragmas, schema). */
  exec(sql: string): void;
}

export async function openSqlite(file: string, options: { busyTimeoutMs: number; cacheSize?: number }): Promise<OpenedSqlite> {
  const { DatabaseSync } = await loadNodeSqlite();
  const db = withSqliteCode(() => new DatabaseSync(file, { timeout: options.busyTimeoutMs }));
  const cacheSize = options.cacheSize ?? 500;
  const cache = new Map<string, SqliteStatement>();
  const wrap = (stmt: NodeStatement): SqliteStatement => ({
    // a statement that returns columns is read with all(); others report changes
    reader: stmt.columns().length > 0,
    all: (params) => withSqliteCode(() => stmt.all(...params)),
    run: (params) => withSqliteCode(() => stmt.run(...params)),
    iterate: (params) => withSqliteCode(() => stmt.iterate(...params)),
  });
  return {
    close: () => db.close(),
    exec: (sql) => withSqliteCode(() => db.exec(sql)),
    prepare(sql) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
      } else {
        stmt = wrap(withSqliteCode(() => db.prepare(sql)));
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}
