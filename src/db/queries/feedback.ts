import type { Kysely } from 'kysely';
import type { Database, DeliveryFeedbackTable } from '../types.ts';

export type FeedbackKind = DeliveryFeedbackTable['kind'];

export interface EditionFeedback {
  delivered: number;
  /** Permanent bounces: the ones AWS counts in an account's bounce rate. */
  bounced: number;
  softBounced: number;
  complained: number;
  guardTrippedAt?: string;
}

export interface DeliveryRef {
  editionId: string;
  subscriberId: number;
}

const COUNTER: Record<FeedbackKind, 'delivered' | 'bounced' | 'soft_bounced' | 'complained'> = {
  delivered: 'delivered',
  bounced: 'bounced',
  'soft-bounced': 'soft_bounced',
  complained: 'complained',
};

/** What SES reports after a send: handled SNS messages, per-delivery events and per-edition counts. */
export class FeedbackQueries {
  constructor(private readonly db: Kysely<Database>) {}

  async snsMessageSeen(messageId: string): Promise<boolean> {
    const row = await this.db.selectFrom('sns_messages').select('message_id').where('message_id', '=', messageId).executeTakeFirst();
    return row !== undefined;
  }

  /** Remembers a handled SNS message; false when it was remembered before. */
  async recordSnsMessage(messageId: string, topicArn: string, type: string, now: string): Promise<boolean> {
    const result = await this.db
      .insertInto('sns_messages')
      .values({ message_id: messageId, topic_arn: topicArn, type, received_at: now })
      .onConflict((oc) => oc.column('message_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Forgets SNS messages received before `before`: older ones are refused by their Timestamp anyway. */
  async pruneSnsMessages(before: string): Promise<number> {
    const result = await this.db.deleteFrom('sns_messages').where('received_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The delivery a message was, by our Message-ID header (with or without <>) or by SES's message id. */
  async findDelivery(ids: { messageIds: string[]; providerId?: string }): Promise<DeliveryRef | undefined> {
    const messageIds = [...new Set(ids.messageIds.flatMap((id) => [`<${id}>`, id]))];
    let query = this.db.selectFrom('deliveries').select(['edition_id', 'subscriber_id']);
    if (messageIds.length > 0) {
      query = ids.providerId
        ? query.where((eb) => eb.or([eb('message_id', 'in', messageIds), eb('provider_id', '=', ids.providerId!)]))
        : query.where('message_id', 'in', messageIds);
    } else if (ids.providerId) {
      query = query.where('provider_id', '=', ids.providerId);
    } else {
      return undefined;
    }
    const row = await query.limit(1).executeTakeFirst();
    return row ? { editionId: row.edition_id, subscriberId: Number(row.subscriber_id) } : undefined;
  }

  /**
   * Records one event of a delivery and moves its edition's counter, in one transaction (the
   * caller's, when it runs in one).
   * Returns false, changing nothing, when this kind of event was recorded for it before.
   */
  async record(delivery: DeliveryRef, kind: FeedbackKind, detail: string | undefined, now: string): Promise<boolean> {
    const write = async (trx: Kysely<Database>) => {
      const inserted = await trx
        .insertInto('delivery_feedback')
        .values({ edition_id: delivery.editionId, subscriber_id: delivery.subscriberId, kind, detail: detail ?? null, created_at: now })
        .onConflict((oc) => oc.columns(['edition_id', 'subscriber_id', 'kind']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      const column = COUNTER[kind];
      await trx
        .insertInto('edition_feedback')
        .values({ edition_id: delivery.editionId, delivered: 0, bounced: 0, soft_bounced: 0, complained: 0, [column]: 1, updated_at: now })
        .onConflict((oc) => oc.column('edition_id').doUpdateSet((eb) => ({ [column]: eb(`edition_feedback.${column}`, '+', 1), updated_at: now })))
        .execute();
      return true;
    };
    // inside the webhook's transaction already: Kysely does not nest transactions
    return this.db.isTransaction ? write(this.db) : this.db.transaction().execute(write);
  }

  async editionCounts(editionId: string): Promise<EditionFeedback> {
    const row = await this.db.selectFrom('edition_feedback').selectAll().where('edition_id', '=', editionId).executeTakeFirst();
    return {
      delivered: Number(row?.delivered ?? 0),
      bounced: Number(row?.bounced ?? 0),
      softBounced: Number(row?.soft_bounced ?? 0),
      complained: Number(row?.complained ?? 0),
      guardTrippedAt: row?.guard_tripped_at ?? undefined,
    };
  }

  /** Marks the guard tripped for an edition; true only for the one caller that tripped it. */
  async tripGuard(editionId: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('edition_feedback')
      .set({ guard_tripped_at: now, updated_at: now })
      .where('edition_id', '=', editionId)
      .where('guard_tripped_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
