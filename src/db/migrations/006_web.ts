import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../types.ts';

/**
 * The subscription web: full-text search over papers (SQLite FTS5 / PostgreSQL tsvector) and
 * what double opt-in and preferences keep per subscriber.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  // A subscription request waiting for its confirmation email to be clicked: the topics and
  // schedule asked for, and the nonce its confirm link carries (cleared when used: one use).
  await db.schema.alterTable('subscribers').addColumn('pending_request', 'text').execute();
  // Confirmation emails sent on the day `confirm_requests_day` (at most 3 per address a day).
  await db.schema
    .alterTable('subscribers')
    .addColumn('confirm_requests', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('subscribers').addColumn('confirm_requests_day', 'text').execute();
  // No edition is sent before this day (YYYY-MM-DD); null: not paused.
  await db.schema.alterTable('subscribers').addColumn('paused_until', 'text').execute();

  if (dialect === 'postgres') {
    await sql`ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
      setweight(to_tsvector('english', coalesce(authors, '')), 'B') ||
      setweight(to_tsvector('english', coalesce(abstract, '')), 'C')) STORED`.execute(db);
    await sql`CREATE INDEX papers_search ON papers USING GIN (search_vector)`.execute(db);
  } else {
    // an external-content index: the text stays in papers, FTS5 keeps only the index
    await sql`CREATE VIRTUAL TABLE papers_fts USING fts5(title, authors, abstract, content='papers', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2')`.execute(
      db,
    );
    await sql`CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
      INSERT INTO papers_fts(rowid, title, authors, abstract) VALUES (new.rowid, new.title, new.authors, new.abstract);
    END`.execute(db);
    await sql`CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
      INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract) VALUES ('delete', old.rowid, old.title, old.authors, old.abstract);
    END`.execute(db);
    // only when the searched text changes: ranking updates every paper and must not pay for it
    await sql`CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, authors, abstract ON papers BEGIN
      INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract) VALUES ('delete', old.rowid, old.title, old.authors, old.abstract);
      INSERT INTO papers_fts(rowid, title, authors, abstract) VALUES (new.rowid, new.title, new.authors, new.abstract);
    END`.execute(db);
    await sql`INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')`.execute(db);
  }
}
