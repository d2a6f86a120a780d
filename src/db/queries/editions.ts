import type { Kysely, Selectable } from 'kysely';
import type { Database, EditionsTable } from '../types.ts';
import type { EditionContent, EditionKind, EditionRecord, EditionStatus } from '../../domain/edition.ts';

export type { EditionKind, EditionRecord, EditionStatus };

export interface VariantRecord {
  editionId: string;
  variantKey: string;
  topics: string[];
  subject: string;
  html: string;
  text: string;
  renderedAt: string;
}

/** An edition's pause and cancellation, as the record and the once-a-second check both read them. */
function steeringOf(row: Pick<Selectable<EditionsTable>, 'paused_at' | 'pause_reason' | 'cancelled_at'>): Pick<EditionRecord, 'paused' | 'cancelledAt'> {
  return { paused: row.paused_at ? { at: row.paused_at, reason: row.pause_reason ?? 'paused' } : undefined, cancelledAt: row.cancelled_at ?? undefined };
}

/** The one place an edition's stored JSON becomes the typed contract: every reader gets EditionContent, not a cast of its own. */
function toEdition(row: Selectable<EditionsTable>): EditionRecord {
  return {
    id: row.id,
    kind: row.kind,
    date: row.date,
    status: row.status,
    content: JSON.parse(row.content) as EditionContent,
    frozenAt: row.frozen_at,
    fanoutCursor: Number(row.fanout_cursor),
    fanoutDone: Number(row.fanout_done) === 1,
    sentAt: row.sent_at ?? undefined,
    ...steeringOf(row),
    renderError: row.render_error ?? undefined,
  };
}

export class EditionQueries {
  constructor(private readonly db: Kysely<Database>) {}

  async get(id: string): Promise<EditionRecord | undefined> {
    const row = await this.db.selectFrom('editions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toEdition(row) : undefined;
  }

  /**
   * Whether an edition is paused or cancelled, without its content: what a send batch asks once
   * a second (reading and parsing the whole edition for two columns cost every batch a parse of
   * the day's papers each second).
   */
  async steering(id: string): Promise<Pick<EditionRecord, 'paused' | 'cancelledAt'> | undefined> {
    const row = await this.db.selectFrom('editions').select(['paused_at', 'pause_reason', 'cancelled_at']).where('id', '=', id).executeTakeFirst();
    return row ? steeringOf(row) : undefined;
  }

  /** Editions with papers, newest first (an empty day is no edition to a reader). */
  async list(kind: EditionKind, limit = 50): Promise<EditionRecord[]> {
    const rows = await this.db
      .selectFrom('editions')
      .selectAll()
      .where('kind', '=', kind)
      .where('status', '!=', 'empty')
      .orderBy('date', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => toEdition(r));
  }

  /** The dates of the editions with papers just before and just after a day (archive navigation). */
  async neighbours(kind: EditionKind, date: string): Promise<{ previous?: string; next?: string }> {
    const base = () => this.db.selectFrom('editions').select('date').where('kind', '=', kind).where('status', '!=', 'empty');
    const previous = await base().where('date', '<', date).orderBy('date', 'desc').limit(1).executeTakeFirst();
    const next = await base().where('date', '>', date).orderBy('date', 'asc').limit(1).executeTakeFirst();
    return { previous: previous?.date, next: next?.date };
  }

  /** The latest day whose edition has gone out (its sending has begun, or is done): what readers got last. */
  async latestSentDate(kind: EditionKind): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('editions')
      .select('date')
      .where('kind', '=', kind)
      .where('status', 'in', ['sending', 'sent'])
      .orderBy('date', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.date;
  }

  /** The latest day frozen, empty days included. */
  async latestDate(kind: EditionKind): Promise<string | undefined> {
    const row = await this.db.selectFrom('editions').select('date').where('kind', '=', kind).orderBy('date', 'desc').limit(1).executeTakeFirst();
    return row?.date;
  }

  /** Daily editions in [from, to], oldest first (the inputs of a weekly edition). */
  async dailyBetween(from: string, to: string): Promise<EditionRecord[]> {
    const rows = await this.db
      .selectFrom('editions')
      .selectAll()
      .where('kind', '=', 'daily')
      .where('date', '>=', from)
      .where('date', '<=', to)
      .orderBy('date')
      .execute();
    return rows.map((r) => toEdition(r));
  }

  /** Freezes an edition. Returns false (and writes nothing) when it was frozen before. */
  async insertFrozen(e: { id: string; kind: EditionKind; date: string; content: EditionContent; empty?: boolean }, now: string): Promise<boolean> {
    const result = await this.db
      .insertInto('editions')
      .values({
        id: e.id,
        kind: e.kind,
        date: e.date,
        status: e.empty ? 'empty' : 'frozen',
        content: JSON.stringify(e.content),
        frozen_at: now,
        updated_at: now,
        fanout_cursor: 0,
        fanout_done: 0,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /**
   * Re-freezes an edition (`--force`). Refused once sending has started: mail that went out
   * must stay what the archive shows.
   */
  async replaceFrozen(id: string, content: EditionContent, now: string, empty = false): Promise<boolean> {
    const result = await this.db
      .updateTable('editions')
      .set({ content: JSON.stringify(content), frozen_at: now, updated_at: now, status: empty ? 'empty' : 'frozen' })
      .where('id', '=', id)
      .where('status', 'in', ['frozen', 'rendering', 'empty'])
      .where('fanout_cursor', '=', 0)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) > 0) await this.db.deleteFrom('edition_variants').where('edition_id', '=', id).execute();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Pauses sending (idempotent: the first reason is kept); false when the edition does not exist or is settled. */
  async pause(id: string, reason: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('editions')
      .set((eb) => ({ paused_at: eb.fn.coalesce('paused_at', eb.val(now)), pause_reason: eb.fn.coalesce('pause_reason', eb.val(reason)), updated_at: now }))
      .where('id', '=', id)
      .where('status', 'not in', ['sent', 'empty'])
      .where('cancelled_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Clears a pause; returns true when the edition was paused. */
  async resume(id: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('editions')
      .set({ paused_at: null, pause_reason: null, updated_at: now })
      .where('id', '=', id)
      .where('paused_at', 'is not', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Cancels an edition that is not settled yet; returns false otherwise. */
  async cancel(id: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('editions')
      .set({ cancelled_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', 'not in', ['sent', 'empty'])
      .where('cancelled_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Records (or, with undefined, clears) why rendering failed for good. */
  async setRenderError(id: string, error: string | undefined, now: string): Promise<void> {
    await this.db
      .updateTable('editions')
      .set({ render_error: error ?? null, updated_at: now })
      .where('id', '=', id)
      .execute();
  }

  async setStatus(id: string, status: EditionStatus, now: string): Promise<void> {
    await this.db.updateTable('editions').set({ status, updated_at: now }).where('id', '=', id).execute();
  }

  async setFanoutCursor(id: string, cursor: number, now: string): Promise<void> {
    await this.db.updateTable('editions').set({ fanout_cursor: cursor, updated_at: now }).where('id', '=', id).where('fanout_cursor', '<', cursor).execute();
  }

  async markFanoutDone(id: string, now: string): Promise<void> {
    await this.db.updateTable('editions').set({ fanout_done: 1, status: 'sending', updated_at: now }).where('id', '=', id).execute();
  }

  /**
   * Marks the edition sent when its fan-out is done and no delivery is still open.
   * Safe to call from every send worker after every batch: only the first succeeds.
   */
  async markSentIfSettled(id: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('editions')
      .set({ status: 'sent', sent_at: now, updated_at: now })
      .where('id', '=', id)
      .where('fanout_done', '=', 1)
      .where('status', '!=', 'sent')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('deliveries')
              .select('deliveries.subscriber_id')
              .where('deliveries.edition_id', '=', id)
              .where('deliveries.status', 'in', ['pending', 'sending']),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async getVariant(editionId: string, variantKey: string): Promise<VariantRecord | undefined> {
    const row = await this.db
      .selectFrom('edition_variants')
      .selectAll()
      .where('edition_id', '=', editionId)
      .where('variant_key', '=', variantKey)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      editionId: row.edition_id,
      variantKey: row.variant_key,
      topics: JSON.parse(row.topics),
      subject: row.subject,
      html: row.html,
      text: row.text,
      renderedAt: row.rendered_at,
    };
  }

  async variantKeys(editionId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('edition_variants').select('variant_key').where('edition_id', '=', editionId).execute();
    return rows.map((r) => r.variant_key);
  }

  async saveVariant(v: VariantRecord): Promise<void> {
    await this.db
      .insertInto('edition_variants')
      .values({
        edition_id: v.editionId,
        variant_key: v.variantKey,
        topics: JSON.stringify(v.topics),
        subject: v.subject,
        html: v.html,
        text: v.text,
        rendered_at: v.renderedAt,
      })
      .onConflict((oc) => oc.columns(['edition_id', 'variant_key']).doNothing())
      .execute();
  }
}
