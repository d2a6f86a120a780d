import type { Kysely } from 'kysely';
import type { Dialect } from '../types.ts';

/**
 * Steering an edition (pause, cancel, a render that failed, with their reasons) and the
 * suppression list: addresses that must never be mailed again, kept by address so that a
 * removed and re-added subscriber stays suppressed.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('editions').addColumn('paused_at', 'text').execute();
  await db.schema.alterTable('editions').addColumn('pause_reason', 'text').execute();
  await db.schema.alterTable('editions').addColumn('cancelled_at', 'text').execute();
  await db.schema.alterTable('editions').addColumn('render_error', 'text').execute();

  await db.schema
    .createTable('suppressions')
    .addColumn('email', 'text', (c) => c.primaryKey())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}
