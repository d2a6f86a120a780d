import type { Kysely } from 'kysely';
import type { Dialect } from '../types.ts';

/**
 * `reclaimed_at`: when a delivery left "sending" past the claim timeout (its sender died or
 * hung after, perhaps, SES accepted the message) was claimed again: that reader is possibly
 * sent twice, and the operator is told how many there are.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('deliveries').addColumn('reclaimed_at', 'text').execute();
  // `send_after`: the reader's hour (null: at once); a batch leaves a delivery alone until then
  await db.schema.alterTable('deliveries').addColumn('send_after', 'text').execute();
}
