import type { Kysely } from 'kysely';
import type { Dialect } from '../types.ts';

/**
 * "For you": what each reader told us and what we learnt from it, and what an edition's
 * fan-out chose per reader.
 *
 * - `reader_votes`: one row per (reader, paper): "more" or "less" like this. A second vote on
 *   the same paper replaces the first, so the same click twice counts once.
 * - `reader_profiles`: per reader, the seed papers and arXiv author id they gave, and the
 *   profile built from those and their votes (JSON weights over topics, terms and authors),
 *   rebuilt whenever one of them changes. No row: no For you block.
 * - `edition_fragments`: an edition's For you blocks, one per distinct choice of papers,
 *   rendered once (HTML and text) and spliced into every email that carries it.
 * - `deliveries.for_you`: the fragment a delivery carries (null: none).
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('reader_votes')
    .addColumn('subscriber_id', 'integer', (c) => c.notNull())
    .addColumn('paper_id', 'text', (c) => c.notNull())
    .addColumn('vote', 'text', (c) => c.notNull())
    .addColumn('edition_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('reader_votes_pk', ['subscriber_id', 'paper_id'])
    .execute();

  await db.schema
    .createTable('reader_profiles')
    .addColumn('subscriber_id', 'integer', (c) => c.primaryKey())
    .addColumn('seed_papers', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('author_id', 'text')
    // seeds not (yet) in the papers table: the profile is rebuilt when they arrive
    .addColumn('pending_seeds', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('profile', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('reader_profiles_pending').on('reader_profiles').columns(['pending_seeds', 'subscriber_id']).execute();

  await db.schema
    .createTable('edition_fragments')
    .addColumn('edition_id', 'text', (c) => c.notNull())
    .addColumn('fragment_key', 'text', (c) => c.notNull())
    .addColumn('paper_ids', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('rendered_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('edition_fragments_pk', ['edition_id', 'fragment_key'])
    .execute();

  await db.schema.alterTable('deliveries').addColumn('for_you', 'text').execute();
}
