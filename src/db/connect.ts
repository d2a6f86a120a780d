import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import type { Database, Dialect } from './types.ts';
import { ensureLocalDir } from '../lib/localDir.ts';
import { retrying } from '../lib/retry.ts';
import { redactUrl } from '../lib/redact.ts';
import { openSqlite, type OpenedSqlite } from './sqlite.ts';
import * as m001 from './migrations/001_initial.ts';
import * as m002 from './migrations/002_control.ts';
import * as m003 from './migrations/003_send.ts';
import * as m004 from './migrations/004_feedback.ts';
import * as m006 from './migrations/006_web.ts';
import * as m007 from './migrations/007_delivery_time.ts';
import * as m008 from './migrations/008_section_order.ts';
import * as m009 from './migrations/009_for_you.ts';

export type { Dialect };

/** Versioned migrations, in order. Append; never edit one that has shipped. */
const migrations: Record<string, { up(db: Kysely<any>, dialect: Dialect): Promise<void> }> = {
  '001_initial': m001,
  '002_control': m002,
  '003_send': m003,
  '004_feedback': m004,
  '006_web': m006,
  '007_delivery_time': m007,
  '008_section_order': m008,
  '009_for_you': m009,
};

/** The migrations this version knows, in order. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations);

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

/** How long a PostgreSQL server may take to accept a connection, and to answer one query. */
export const POSTGRES_CONNECT_TIMEOUT_MS = 5_000;
export const POSTGRES_QUERY_TIMEOUT_MS = 60_000;

/**
 * The cause and the fix of a driver error an operator can meet when the database is opened,
 * or undefined when the raw message is all there is to say.
 */
export function explainDatabaseError(err: unknown, location: string, dialect: Dialect): string | undefined {
  const e = err as { code?: string; message?: string };
  const message = e?.message ?? String(err);
  if (dialect === 'sqlite') {
    if (e.code === 'SQLITE_NOTADB' || /file is not a database/.test(message)) {
      return `${location} is not a SQLite database (another kind of file is at that path): move it away, or point DATABASE_URL (or DATA_DIR) at the right file`;
    }
    if (e.code?.startsWith('SQLITE_READONLY') || /readonly database/.test(message)) {
      return `${location} is read-only for this process (file or folder permissions, a read-only disk, or another user's file): give the user running paperboy write permission on the file and its folder`;
    }
    if (e.code === 'SQLITE_CANTOPEN' || /unable to open database/.test(message)) {
      return `cannot open the SQLite database ${location}: check that its folder exists and is writable, or correct DATABASE_URL / DATA_DIR`;
    }
    if (e.code === 'SQLITE_CORRUPT' || /malformed/.test(message)) {
      return `${location} is damaged: restore it from a backup (see "Backup and restore" in the README)`;
    }
    return undefined;
  }
  if (/timeout expired|Connection terminated due to connection timeout|Query read timeout/i.test(message)) {
    return `the database at ${location} accepted the connection but did not answer within ${POSTGRES_CONNECT_TIMEOUT_MS / 1000} s: check that DATABASE_URL names a running PostgreSQL server (host and port) and that the server is not overloaded`;
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH/.test(message)) {
    return `cannot reach the database at ${location} (${message}): start PostgreSQL, or correct the host and port in DATABASE_URL`;
  }
  if (/password authentication|no pg_hba\.conf entry|role .* does not exist/.test(message)) {
    return `PostgreSQL at ${location} refused the login (${message}): correct the user and password in DATABASE_URL`;
  }
  if (/database .* does not exist/.test(message)) {
    return `${message} on ${location}: create it (\`createdb NAME\`) or correct the database name in DATABASE_URL`;
  }
  if (/Connection terminated unexpectedly|unexpected message|Unknown message code|ECONNRESET|not a valid|Received unexpected/i.test(message)) {
    return `the server at ${location} does not speak the PostgreSQL protocol (${message}): DATABASE_URL names another service's port (an HTTP server?); PostgreSQL listens on 5432 by default`;
  }
  return undefined;
}

/** Opens the database; only the driver that is needed is loaded. */
export async function openDatabase(url: string): Promise<OpenDatabase> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') ensureLocalDir(path.dirname(file), 'the folder of the SQLite database');
    let sqlite: OpenedSqlite | undefined;
    try {
      // busy_timeout makes concurrent processes on one machine wait for the lock instead of failing at once
      sqlite = await openSqlite(file, { busyTimeoutMs: 10_000 });
      // WAL lets the web process read while workers write
      sqlite.exec('PRAGMA journal_mode = WAL');
      sqlite.exec('PRAGMA synchronous = NORMAL');
    } catch (err) {
      sqlite?.close();
      const explained = explainDatabaseError(err, file, 'sqlite');
      throw new DatabaseError(
        explained ?? `cannot open the SQLite database ${file}: ${(err as Error).message}. Check that DATA_DIR (or DATABASE_URL) points to a writable folder.`,
        { cause: err },
      );
    }
    return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }), dialect: 'sqlite', location: file };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { default: pg } = await import('pg');
    // a server that accepts connections and never answers must give an error, not a hang
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
      query_timeout: POSTGRES_QUERY_TIMEOUT_MS,
    });
    // A client's error (the server restarted, cut the session) must not crash the process,
    // whether the client is idle in the pool (the pool's 'error') or checked out between two
    // queries of a transaction (its own 'error', which pg-pool listens to only while idle);
    // the query that needs it fails instead, and the pool drops the broken client.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
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
  const explained = (error: unknown) => explainDatabaseError(error, open.location, open.dialect);
  try {
    await retrying(
      async () => {
        const { error } = await migrator.migrateToLatest();
        if (error) throw error;
      },
      // Processes booting together on a fresh SQLite file race on the migrations; a loser finds
      // tables made by the winner, waits for it to get further and re-reads the migration table
      // (with several migrations the winner may still be mid-way at the first retry). An
      // explained error (unreachable, not a database, read-only) will not go away by trying again.
      { baseMs: 100, capMs: 1_000, retryable: (error, attempt) => attempt < 9 && !explained(error) },
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new DatabaseError(explained(error) ?? `database migration failed on ${open.location}: ${message}`, { cause: error });
  }
}
