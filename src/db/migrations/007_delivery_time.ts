import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../types.ts';

/**
 * Whether a reader chose their time zone and delivery hour. The columns default to UTC and 07,
 * so without this flag "never chose" looks like "chose 07:00 UTC", and sending at each reader's
 * hour would hold every reader who never chose until 07:00 UTC.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('subscribers')
    .addColumn('delivery_time_chosen', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // a value other than the column defaults can only have been chosen
  await sql`UPDATE subscribers SET delivery_time_chosen = 1 WHERE timezone <> 'UTC' OR delivery_hour <> 7`.execute(db);
}
