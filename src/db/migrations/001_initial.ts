import type { Kysely } from 'kysely';
import type { Dialect } from '../types.ts';

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('papers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('abstract', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('authors', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('categories', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('primary_category', 'text')
    .addColumn('links', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('doi', 'text')
    .addColumn('journal_ref', 'text')
    .addColumn('announce_type', 'text')
    .addColumn('announced_at', 'text')
    .addColumn('published_at', 'text')
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('sources', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('text_source', 'text', (c) => c.notNull())
    .addColumn('signals', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('edition_date', 'text')
    .addColumn('primary_topic', 'text')
    .addColumn('topics', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('score', 'real')
    .addColumn('ranked_at', 'text')
    .execute();
  await db.schema.createIndex('papers_edition_date').on('papers').columns(['edition_date', 'score']).execute();
  await db.schema.createIndex('papers_first_seen').on('papers').column('first_seen_at').execute();

  await db.schema
    .createTable('paper_aliases')
    .addColumn('alias', 'text', (c) => c.primaryKey())
    .addColumn('paper_id', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('paper_aliases_paper').on('paper_aliases').column('paper_id').execute();

  await db.schema
    .createTable('source_state')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .addColumn('last_attempt_at', 'text')
    .addColumn('last_success_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'text')
    .addColumn('last_counts', 'text')
    .addColumn('papers_total', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  let subscribers = db.schema.createTable('subscribers');
  subscribers =
    dialect === 'postgres'
      ? subscribers.addColumn('id', 'serial', (c) => c.primaryKey())
      : subscribers.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  await subscribers
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('topics', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('frequency', 'text', (c) => c.notNull().defaultTo('daily'))
    .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('delivery_hour', 'integer', (c) => c.notNull().defaultTo(7))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'text')
    .execute();
  await db.schema.createIndex('subscribers_status').on('subscribers').columns(['status', 'frequency', 'id']).execute();

  await db.schema
    .createTable('editions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('date', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('frozen_at', 'text', (c) => c.notNull())
    .addColumn('fanout_cursor', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('fanout_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sent_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('edition_variants')
    .addColumn('edition_id', 'text', (c) => c.notNull())
    .addColumn('variant_key', 'text', (c) => c.notNull())
    .addColumn('topics', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('rendered_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('edition_variants_pk', ['edition_id', 'variant_key'])
    .execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('edition_id', 'text', (c) => c.notNull())
    .addColumn('subscriber_id', 'integer', (c) => c.notNull())
    .addColumn('variant_key', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('provider_id', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addPrimaryKeyConstraint('deliveries_pk', ['edition_id', 'subscriber_id'])
    .execute();
  await db.schema.createIndex('deliveries_status').on('deliveries').columns(['edition_id', 'status']).execute();
}
