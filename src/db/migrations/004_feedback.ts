import type { Kysely } from 'kysely';
import type { Dialect } from '../types.ts';

/**
 * What SES tells us after a send. `sns_messages` remembers every SNS message handled, so a
 * message SNS delivers twice (it retries) or an attacker replays is applied once.
 * `delivery_feedback` holds one row per (delivery, kind of event): inserting it is what makes a
 * counter move, so a repeated bounce never counts twice. `edition_feedback` keeps the counts per
 * edition that the reputation guard reads, instead of counting feedback rows per notification.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('sns_messages')
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('topic_arn', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sns_messages_received').on('sns_messages').column('received_at').execute();

  await db.schema
    .createTable('delivery_feedback')
    .addColumn('edition_id', 'text', (c) => c.notNull())
    .addColumn('subscriber_id', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('delivery_feedback_pk', ['edition_id', 'subscriber_id', 'kind'])
    .execute();

  await db.schema
    .createTable('edition_feedback')
    .addColumn('edition_id', 'text', (c) => c.primaryKey())
    .addColumn('delivered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('bounced', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('soft_bounced', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('complained', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('guard_tripped_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  // SES names a message by our Message-ID header or by its own id: both must find the delivery
  await db.schema.createIndex('deliveries_message_id_lookup').ifNotExists().on('deliveries').column('message_id').execute();
  await db.schema.createIndex('deliveries_provider_id_lookup').ifNotExists().on('deliveries').column('provider_id').execute();
}
