import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './types.ts';
import * as m001 from './migrations/001_initial.ts';
import * as m002 from './migrations/002_control.ts';
import * as m003 from './migrations/003_send.ts';

export type Dialect = 'sqlite' | 'postgres';

/** Versioned migrations, in order. Append; never edit one that has shipped. */
const migrations: Record<string, { up(db: Kysely<any>, dialect: Dialect): Promise<void> }> = {
  '001_initial': m001,
  '002_control': m002,
  '003_send': m003,
};

export class DatabaseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives, for messages (password removed). */
  location: string;
}

/**
 * better-sqlite3 compiles a statement on every `prepare`; the pipeline runs the same few
 * queries thousands of times (one per paper, per delivery), so compiled statements are kept.
 * Kysely runs one query at a time on its single SQLite connection, so sharing them is safe.
 */
function withStatementCache(sqlite: { prepare(sql: string): any; close(): void }, size = 500) {
  const cache = new Map<string, unknown>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
      } else {
        stmt = sqlite.prepare(sql);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt as any;
    },
  };
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** Opens the database; only the driver that is needed is loaded. */
export async function openDatabase(url: string): Promise<OpenDatabase> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const { default: SQLite } = await import('better-sqlite3');
    let sqlite: InstanceType<typeof SQLite>;
    try {
      sqlite = new SQLite(file);
    } catch (err) {
      throw new DatabaseError(`cannot open the SQLite database ${file}: ${(err as Error).message}. Check that DATA_DIR (or DATABASE_URL) points to a writable folder.`, { cause: err });
    }
    // WAL lets the web process read while workers write; busy_timeout makes concurrent
    // processes on one machine wait for the lock instead of failing at once.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('synchronous = NORMAL');
    return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) }), dialect: 'sqlite', location: file };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle client's error (server restart) must not crash the process; the next query reports it.
    pool.on('error', () => {});
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres', location: redactUrl(url) };
  }
  throw new DatabaseError(`DATABASE_URL="${redactUrl(url)}" is not supported: use sqlite:PATH or postgres://user:password@host:port/database`);
}

/** Brings the schema up to date. Safe to call from several processes at once. */
export async function migrate(open: OpenDatabase): Promise<void> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(migrations)) out[name] = { up: (db) => m.up(db, open.dialect) };
      return out;
    },
  };
  const migrator = new Migrator({ db: open.db, provider, migrationTableName: 'paperboy_migrations', migrationLockTableName: 'paperboy_migrations_lock' });
  for (let attempt = 1; ; attempt++) {
    let error: unknown;
    try {
      ({ error } = await migrator.migrateToLatest());
    } catch (err) {
      error = err;
    }
    if (!error) return;
    // Two processes booting on a fresh SQLite file race on the first migration; the loser
    // finds the tables made and simply re-reads the migration table.
    if (attempt < 3) continue;
    const message = error instanceof Error ? error.message : String(error);
    if (/ECONNREFUSED|ENOTFOUND|password authentication|does not exist/.test(message)) {
      throw new DatabaseError(`cannot reach the database at ${open.location}: ${message}. Start PostgreSQL or correct DATABASE_URL.`, { cause: error });
    }
    throw new DatabaseError(`database migration failed on ${open.location}: ${message}`, { cause: error });
  }
}
