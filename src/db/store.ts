import type { Kysely } from 'kysely';
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
    readonly db: Kysely<Database>,
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
