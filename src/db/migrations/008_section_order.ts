import type { Kysely } from 'kysely';
import type { Dialect } from '../types.ts';

/**
 * The sections a reader wants first, in their order: a JSON array of topic ids. '[]' (every
 * reader until they choose) keeps today's order, by each section's best paper.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('subscribers')
    .addColumn('section_order', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
}
