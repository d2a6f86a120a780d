import { sql, type Kysely } from 'kysely';
import { migrate, openDatabase, type Dialect } from './connect.ts';
import type { Database } from './types.ts';
import { PaperQueries } from './queries/papers.ts';
import { SourceStateQueries } from './queries/sources.ts';
import { SubscriberQueries } from './queries/subscribers.ts';
import { EditionQueries } from './queries/editions.ts';
import { DeliveryQueries } from './queries/deliveries.ts';
import { SuppressionQueries } from './queries/suppressions.ts';
import { FeedbackQueries } from './queries/feedback.ts';
import { ForYouQueries } from './queries/forYou.ts';

/**
 * The pipeline's only door to the database: named queries grouped by what they are about.
 * Stages depend on this, never on SQLite or PostgreSQL directly.
 */
export class Store {
  readonly papers: PaperQueries;
  readonly sources: SourceStateQueries;
  readonly subscribers: SubscriberQueries;
  readonly editions: EditionQueries;
  readonly deliveries: DeliveryQueries;
  readonly suppressions: SuppressionQueries;
  readonly feedback: FeedbackQueries;
  readonly forYou: ForYouQueries;
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    readonly location: string,
  ) {
    this.papers = new PaperQueries(db);
    this.sources = new SourceStateQueries(db);
    this.subscribers = new SubscriberQueries(db);
    this.editions = new EditionQueries(db);
    this.deliveries = new DeliveryQueries(db);
    this.suppressions = new SuppressionQueries(db);
    this.feedback = new FeedbackQueries(db);
    this.forYou = new ForYouQueries(db);
  }

  /** Opens the database at `url` and brings its schema up to date. */
  static async open(url: string): Promise<Store> {
    const open = await openDatabase(url);
    try {
      await migrate(open);
    } catch (err) {
      await open.db.destroy().catch(() => {});
      throw err;
    }
    return new Store(open.db, open.dialect, open.location);
  }

  /** A round trip to the database: readiness checks. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /** The names of the migrations this database has applied; none when its table is missing. */
  async appliedMigrations(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('paperboy_migrations' as never)
      .select('name' as never)
      .execute()
      .catch(() => [] as { name: string }[]);
    return (rows as { name: string }[]).map((r) => r.name);
  }

  /** Runs `fn` with a Store whose queries all commit together, or not at all. */
  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new Store(trx, this.dialect, this.location)));
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }
}

/**
 * The Store's Kysely handle, for tests and benches that set up or inspect rows no named query
 * covers. Product code cannot import it: outside src/db only src/db/index.ts is reachable
 * (depcruise db-internals-private), and it does not export this.
 */
export function kyselyOf(store: Store): Kysely<Database> {
  return (store as unknown as { db: Kysely<Database> }).db;
}
