import { sql, type Kysely } from 'kysely';
import type { Database, DeliveriesTable } from '../types.ts';

export type DeliveryStatus = DeliveriesTable['status'];

export interface PendingDelivery {
  subscriberId: number;
  /** Empty when the subscriber was removed after the fan-out. */
  email: string;
  /** The subscriber's status now; `removed` when they were deleted after the fan-out. */
  subscriberStatus: string;
  variantKey: string;
  /** The For you block this delivery carries (`edition_fragments`), if any. */
  forYou?: string;
  messageId: string;
  status: DeliveryStatus;
  attempts: number;
}

/** What became of one claimed (or skipped) delivery; `pending` gives it back for a later try. */
export interface DeliveryOutcome {
  subscriberId: number;
  status: 'sent' | 'failed' | 'skipped' | 'pending';
  error?: string;
  providerId?: string;
}

export class DeliveryQueries {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records the deliveries of one fan-out page; existing ones are left as they are. */
  async insertPending(
    rows: { editionId: string; subscriberId: number; variantKey: string; messageId: string; sendAfter?: string; forYou?: string }[],
    now: string,
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      const part = rows.slice(i, i + 200).map((r) => ({
        edition_id: r.editionId,
        subscriber_id: r.subscriberId,
        variant_key: r.variantKey,
        message_id: r.messageId,
        status: 'pending' as const,
        attempts: 0,
        updated_at: now,
        send_after: r.sendAfter ?? null,
        for_you: r.forYou ?? null,
      }));
      await this.db
        .insertInto('deliveries')
        .values(part)
        .onConflict((oc) => oc.columns(['edition_id', 'subscriber_id']).doNothing())
        .execute();
    }
  }

  /** Subscriber ids of open deliveries after `afterId`, in order (keyset pages). */
  async openSubscriberIds(editionId: string, afterId: number, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select('subscriber_id')
      .where('edition_id', '=', editionId)
      .where('status', 'in', ['pending', 'sending'])
      .where('subscriber_id', '>', afterId)
      .orderBy('subscriber_id')
      .limit(limit)
      .execute();
    return rows.map((r) => Number(r.subscriber_id));
  }

  /** The open deliveries of one batch (a subscriber id range) that are due by `dueBy`, with their addresses. */
  async openInRange(editionId: string, fromId: number, toId: number, dueBy: string): Promise<PendingDelivery[]> {
    const rows = await this.db
      .selectFrom('deliveries')
      // a left join: a subscriber removed after the fan-out still has an open delivery to close
      .leftJoin('subscribers', 'subscribers.id', 'deliveries.subscriber_id')
      .select([
        'deliveries.subscriber_id',
        'subscribers.email',
        'subscribers.status as subscriber_status',
        'deliveries.variant_key',
        'deliveries.for_you',
        'deliveries.message_id',
        'deliveries.status',
        'deliveries.attempts',
      ])
      .where('deliveries.edition_id', '=', editionId)
      .where('deliveries.subscriber_id', '>=', fromId)
      .where('deliveries.subscriber_id', '<=', toId)
      .where('deliveries.status', 'in', ['pending', 'sending'])
      .where((eb) => eb.or([eb('deliveries.send_after', 'is', null), eb('deliveries.send_after', '<=', dueBy)]))
      .orderBy('deliveries.subscriber_id')
      .execute();
    return rows.map((r) => ({
      subscriberId: Number(r.subscriber_id),
      email: r.email ?? '',
      subscriberStatus: r.subscriber_status ?? 'removed',
      variantKey: r.variant_key,
      forYou: r.for_you ?? undefined,
      messageId: r.message_id,
      status: r.status,
      attempts: Number(r.attempts),
    }));
  }

  /**
   * Moves one delivery from one of the `from` states to `to` (sent, failed, skipped, back to
   * pending). Returns false when it was no longer in those states. Claiming is `claim`.
   */
  async transition(
    editionId: string,
    subscriberId: number,
    from: DeliveryStatus[],
    to: DeliveryStatus,
    now: string,
    extra: { error?: string; providerId?: string } = {},
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('deliveries')
      .set({
        status: to,
        updated_at: now,
        error: extra.error ?? null,
        provider_id: extra.providerId ?? null,
        sent_at: to === 'sent' ? now : null,
      })
      .where('edition_id', '=', editionId)
      .where('subscriber_id', '=', subscriberId)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Claims a delivery for sending: a pending one, or one left `sending` before `staleBefore`
   * (its sender died mid-message). Returns false when another sender holds it.
   */
  async claim(editionId: string, subscriberId: number, now: string, staleBefore: string): Promise<boolean> {
    const result = await this.db
      .updateTable('deliveries')
      .set((eb) => ({ status: 'sending', updated_at: now, error: null, attempts: eb('attempts', '+', 1) }))
      .where('edition_id', '=', editionId)
      .where('subscriber_id', '=', subscriberId)
      .where((eb) => eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'sending'), eb('updated_at', '<', staleBefore)])]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Claims the open deliveries of a page in one statement: the pending ones, and those left
   * `sending` before `staleBefore` (their sender died). With `markReclaims`, a stale one gets
   * `reclaimed_at` (possibly sent twice: the transport is not idempotent). Returns the ids
   * this sender now holds.
   */
  async claimPage(editionId: string, subscriberIds: number[], now: string, staleBefore: string, markReclaims: boolean): Promise<number[]> {
    if (subscriberIds.length === 0) return [];
    const rows = await this.db
      .updateTable('deliveries')
      .set((eb) => ({
        status: 'sending',
        updated_at: now,
        error: null,
        attempts: eb('attempts', '+', 1),
        ...(markReclaims ? { reclaimed_at: sql<string | null>`case when status = 'sending' then ${now} else reclaimed_at end` } : {}),
      }))
      .where('edition_id', '=', editionId)
      .where('subscriber_id', 'in', subscriberIds)
      .where((eb) => eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'sending'), eb('updated_at', '<', staleBefore)])]))
      .returning('subscriber_id')
      .execute();
    return rows.map((r) => Number(r.subscriber_id));
  }

  /**
   * Records the outcomes of a page in one transaction. `sent`, `failed` and `pending` apply to
   * deliveries this sender holds (`sending`); `skipped` also to pending ones.
   */
  async recordOutcomes(editionId: string, outcomes: DeliveryOutcome[], now: string): Promise<void> {
    if (outcomes.length === 0) return;
    // one statement per kind of outcome, not per delivery: the sent ones in one UPDATE with
    // their provider ids in a CASE, the others grouped by status and error
    const sent = outcomes.filter((o) => o.status === 'sent');
    const groups = new Map<string, DeliveryOutcome[]>();
    for (const o of outcomes) {
      if (o.status === 'sent') continue;
      const key = `${o.status}\0${o.error ?? ''}`;
      const group = groups.get(key);
      if (group) group.push(o);
      else groups.set(key, [o]);
    }
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < sent.length; i += 500) {
        const part = sent.slice(i, i + 500);
        const providerIds = sql<string>`case subscriber_id ${sql.join(
          part.map((o) => sql`when ${o.subscriberId} then ${o.providerId ?? ''}`),
          sql` `,
        )} end`;
        await tx
          .updateTable('deliveries')
          .set({ status: 'sent', updated_at: now, error: null, provider_id: providerIds, sent_at: now })
          .where('edition_id', '=', editionId)
          .where(
            'subscriber_id',
            'in',
            part.map((o) => o.subscriberId),
          )
          .where('status', '=', 'sending')
          .execute();
      }
      for (const group of groups.values()) {
        const { status, error } = group[0]!;
        for (let i = 0; i < group.length; i += 500) {
          await tx
            .updateTable('deliveries')
            .set({ status, updated_at: now, error: error ?? null, provider_id: null, sent_at: null })
            .where('edition_id', '=', editionId)
            .where(
              'subscriber_id',
              'in',
              group.slice(i, i + 500).map((o) => o.subscriberId),
            )
            .where('status', 'in', status === 'skipped' ? ['pending', 'sending'] : ['sending'])
            .execute();
        }
      }
    });
  }

  /** Skips every pending delivery of an edition (it was cancelled); returns how many. */
  async skipPending(editionId: string, reason: string, now: string): Promise<number> {
    const result = await this.db
      .updateTable('deliveries')
      .set({ status: 'skipped', error: reason, updated_at: now })
      .where('edition_id', '=', editionId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** One reader's delivery of an edition: its status and, when it failed or was skipped, why; its For you block. */
  async get(editionId: string, subscriberId: number): Promise<{ status: DeliveryStatus; error?: string; forYou?: string } | undefined> {
    const row = await this.db
      .selectFrom('deliveries')
      .select(['status', 'error', 'for_you'])
      .where('edition_id', '=', editionId)
      .where('subscriber_id', '=', subscriberId)
      .executeTakeFirst();
    return row ? { status: row.status, error: row.error ?? undefined, forYou: row.for_you ?? undefined } : undefined;
  }

  /** Makes one reader's settled delivery pending again (`edition resend`); false when it does not exist or is open. */
  async reopen(editionId: string, subscriberId: number, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('deliveries')
      .set({ status: 'pending', error: null, updated_at: now })
      .where('edition_id', '=', editionId)
      .where('subscriber_id', '=', subscriberId)
      .where('status', 'in', ['sent', 'failed', 'skipped'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Open deliveries due by `dueBy`, and when the first later one is due (the next readers' hour). */
  async dueAndNext(editionId: string, dueBy: string): Promise<{ due: number; later: number; nextAt?: string }> {
    const due = await this.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('edition_id', '=', editionId)
      .where('status', 'in', ['pending', 'sending'])
      .where((eb) => eb.or([eb('send_after', 'is', null), eb('send_after', '<=', dueBy)]))
      .executeTakeFirst();
    const later = await this.db
      .selectFrom('deliveries')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('send_after').as('next')])
      .where('edition_id', '=', editionId)
      .where('status', 'in', ['pending', 'sending'])
      .where('send_after', '>', dueBy)
      .executeTakeFirst();
    return { due: Number(due?.n ?? 0), later: Number(later?.n ?? 0), nextAt: later?.next ?? undefined };
  }

  /** Messages sent in [since, until] and the first one's time: the status report's sending rate. */
  async sentBetween(editionId: string, since: string, until: string): Promise<{ count: number; first?: string }> {
    const row = await this.db
      .selectFrom('deliveries')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('sent_at').as('first')])
      .where('edition_id', '=', editionId)
      .where('status', '=', 'sent')
      .where('sent_at', '>=', since)
      .where('sent_at', '<=', until)
      .executeTakeFirst();
    return { count: Number(row?.n ?? 0), first: row?.first ? String(row.first) : undefined };
  }

  /** Skipped or failed deliveries whose address is on the suppression list (matched case-insensitively). */
  async countSuppressed(editionId: string): Promise<number> {
    const row = await this.db
      .selectFrom('deliveries')
      .innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriber_id')
      .innerJoin('suppressions', (join) => join.on(sql`suppressions.email`, '=', sql`lower(subscribers.email)`))
      .select((eb) => eb.fn.countAll().as('n'))
      .where('deliveries.edition_id', '=', editionId)
      .where('deliveries.status', 'in', ['skipped', 'failed'])
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Deliveries claimed again after their sender went silent past the claim timeout. */
  async possiblySentTwice(editionId: string): Promise<number> {
    const row = await this.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('edition_id', '=', editionId)
      .where('reclaimed_at', 'is not', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async countByStatus(editionId: string): Promise<Record<DeliveryStatus, number>> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select(['status', (eb) => eb.fn.countAll().as('n')])
      .where('edition_id', '=', editionId)
      .groupBy('status')
      .execute();
    const out: Record<DeliveryStatus, number> = { pending: 0, sending: 0, sent: 0, failed: 0, skipped: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }

  async failures(editionId: string, limit = 20): Promise<{ email: string; error: string }[]> {
    const rows = await this.db
      .selectFrom('deliveries')
      .leftJoin('subscribers', 'subscribers.id', 'deliveries.subscriber_id')
      .select(['subscribers.email', 'deliveries.error'])
      .where('deliveries.edition_id', '=', editionId)
      .where('deliveries.status', '=', 'failed')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ email: r.email ?? '(removed subscriber)', error: r.error ?? 'unknown error' }));
  }
}
