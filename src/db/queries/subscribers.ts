import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, SubscribersTable } from '../types.ts';
import { ForYouQueries } from './forYou.ts';
import { parseSectionOrder, parseTopicSet, sectionOrderKey, topicSetKey } from '../../domain/readerChoice.ts';

export type SubscriberStatus = SubscribersTable['status'];
export type Frequency = SubscribersTable['frequency'];

export interface Subscriber {
  id: number;
  email: string;
  status: SubscriberStatus;
  /** Topic ids; empty means every topic. */
  topics: string[];
  /** Topic ids whose sections come first, in this order; empty: sections by their best paper. */
  sectionOrder: string[];
  frequency: Frequency;
  timezone: string;
  deliveryHour: number;
  /** False: the reader never chose `timezone`/`deliveryHour` and gets the edition when it goes out. */
  deliveryTimeChosen: boolean;
  createdAt: string;
  confirmedAt?: string;
  /** YYYY-MM-DD: no edition is sent before this day. */
  pausedUntil?: string;
}

/** What a subscription request asks for; applied only when its confirmation link is opened. */
export interface SubscriptionRequest {
  topics: string[];
  frequency: Frequency;
  timezone: string;
  deliveryHour?: number;
}

interface PendingRequest extends SubscriptionRequest {
  nonce: string;
  requestedAt: string;
}

/** What a reader can change on the preferences page. */
export interface Preferences {
  topics: string[];
  sectionOrder: string[];
  frequency: Frequency;
  timezone: string;
  deliveryHour: number;
  pausedUntil?: string;
}

/** At most this many confirmation emails per address and day: the form cannot be used to flood a mailbox. */
export const CONFIRMATIONS_PER_DAY = 3;

/** Addresses are compared without case; the stored form is trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function toSubscriber(row: Selectable<SubscribersTable>): Subscriber {
  return {
    id: Number(row.id),
    email: row.email,
    status: row.status,
    topics: parseTopicSet(row.topics),
    sectionOrder: parseSectionOrder(row.section_order),
    frequency: row.frequency,
    timezone: row.timezone,
    deliveryHour: Number(row.delivery_hour),
    deliveryTimeChosen: Number(row.delivery_time_chosen) === 1,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at ?? undefined,
    pausedUntil: row.paused_until ?? undefined,
  };
}

/** Paused subscribers get no edition before their day; `today` is YYYY-MM-DD in UTC. */
export interface NewSubscriber {
  email: string;
  /** Topic ids ([] = every topic); undefined keeps a known subscriber's topics. */
  topics?: string[];
  /** Sections first, in order ([] = by best paper); undefined keeps a known subscriber's. */
  sectionOrder?: string[];
  frequency?: Frequency;
  /** Either of these marks the reader's delivery time as chosen. */
  timezone?: string;
  deliveryHour?: number;
  confirmed: boolean;
}

export class SubscriberQueries {
  constructor(private readonly db: Kysely<Database>) {}

  async getByEmail(email: string): Promise<Subscriber | undefined> {
    const row = await this.db.selectFrom('subscribers').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst();
    return row ? toSubscriber(row) : undefined;
  }

  async getById(id: number): Promise<Subscriber | undefined> {
    const row = await this.db.selectFrom('subscribers').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSubscriber(row) : undefined;
  }

  /**
   * Adds a subscriber, or updates the topics and frequency of a known one (and confirms a
   * pending one when asked). Someone who unsubscribed stays unsubscribed, and a suppressed
   * address stays suppressed: only the subscriber, through a link we sent them, can come back.
   */
  async upsert(input: NewSubscriber, now: string): Promise<{ subscriber: Subscriber; created: boolean }> {
    const email = normalizeEmail(input.email);
    const chosen = input.timezone !== undefined || input.deliveryHour !== undefined;
    const existing = await this.getByEmail(email);
    if (!existing) {
      await this.db
        .insertInto('subscribers')
        .values({
          email,
          status: input.confirmed ? 'confirmed' : 'pending',
          topics: topicSetKey(input.topics ?? []),
          section_order: sectionOrderKey(input.sectionOrder ?? []),
          frequency: input.frequency ?? 'daily',
          timezone: input.timezone ?? 'UTC',
          delivery_hour: input.deliveryHour ?? 7,
          delivery_time_chosen: chosen ? 1 : 0,
          created_at: now,
          updated_at: now,
          confirmed_at: input.confirmed ? now : null,
        })
        .onConflict((oc) => oc.column('email').doNothing())
        .execute();
      return { subscriber: (await this.getByEmail(email))!, created: true };
    }
    const status = existing.status === 'pending' && input.confirmed ? 'confirmed' : existing.status;
    await this.db
      .updateTable('subscribers')
      .set({
        topics: input.topics ? topicSetKey(input.topics) : topicSetKey(existing.topics),
        section_order: sectionOrderKey(input.sectionOrder ?? existing.sectionOrder),
        frequency: input.frequency ?? existing.frequency,
        timezone: input.timezone ?? existing.timezone,
        delivery_hour: input.deliveryHour ?? existing.deliveryHour,
        delivery_time_chosen: chosen || existing.deliveryTimeChosen ? 1 : 0,
        status,
        confirmed_at: status === 'confirmed' ? (existing.confirmedAt ?? now) : (existing.confirmedAt ?? null),
        updated_at: now,
      })
      .where('id', '=', existing.id)
      .execute();
    return { subscriber: (await this.getById(existing.id))!, created: false };
  }

  /**
   * Records a subscription request from the web form and says whether a confirmation email
   * should go out (with the nonce its link must carry). Nothing a reader has is changed here:
   * a confirmed reader stays confirmed with their topics until they open the new link, an
   * unsubscribed one stays unsubscribed. Suppressed addresses and the fourth request of a day
   * get no email.
   */
  async requestSubscription(email: string, request: SubscriptionRequest, now: string): Promise<{ subscriberId: number; nonce?: string }> {
    const address = normalizeEmail(email);
    const day = now.slice(0, 10);
    const nonce = randomBytes(9).toString('base64url');
    const pending = JSON.stringify({ ...request, topics: parseTopicSet(topicSetKey(request.topics)), nonce, requestedAt: now } satisfies PendingRequest);
    const inserted = await this.db
      .insertInto('subscribers')
      .values({
        email: address,
        status: 'pending',
        topics: topicSetKey(request.topics),
        frequency: request.frequency,
        timezone: request.timezone,
        delivery_hour: request.deliveryHour ?? 7,
        created_at: now,
        updated_at: now,
        confirmed_at: null,
        pending_request: pending,
        confirm_requests: 1,
        confirm_requests_day: day,
      })
      .onConflict((oc) => oc.column('email').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { subscriberId: Number(inserted.id), nonce };
    const existing = await this.db
      .selectFrom('subscribers')
      .select(['id', 'status', 'confirm_requests', 'confirm_requests_day'])
      .where('email', '=', address)
      .executeTakeFirstOrThrow();
    const id = Number(existing.id);
    if (existing.status === 'suppressed') return { subscriberId: id };
    const sentToday = existing.confirm_requests_day === day ? Number(existing.confirm_requests) : 0;
    if (sentToday >= CONFIRMATIONS_PER_DAY) return { subscriberId: id };
    // conditional on the count read, so two requests at once cannot both take the last slot
    const result = await this.db
      .updateTable('subscribers')
      .set({ pending_request: pending, confirm_requests: sentToday + 1, confirm_requests_day: day, updated_at: now })
      .where('id', '=', id)
      .where('confirm_requests', '=', Number(existing.confirm_requests))
      .where((eb) =>
        existing.confirm_requests_day === null ? eb('confirm_requests_day', 'is', null) : eb('confirm_requests_day', '=', existing.confirm_requests_day),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0 ? { subscriberId: id, nonce } : { subscriberId: id };
  }

  /**
   * Applies the pending request whose confirm link carried `nonce`: the subscriber is then
   * confirmed with what they asked for. A link works once: the request is cleared in the same
   * statement that checks it. Undefined when there is no such request (used, replaced, or
   * the address was suppressed meanwhile).
   */
  async confirm(id: number, nonce: string, now: string): Promise<{ subscriber: Subscriber; wasConfirmed: boolean } | undefined> {
    const row = await this.db.selectFrom('subscribers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row?.pending_request || row.status === 'suppressed') return undefined;
    let request: PendingRequest;
    try {
      request = JSON.parse(row.pending_request) as PendingRequest;
    } catch {
      return undefined;
    }
    if (request.nonce !== nonce) return undefined;
    const result = await this.db
      .updateTable('subscribers')
      .set({
        status: 'confirmed',
        topics: topicSetKey(request.topics),
        frequency: request.frequency,
        timezone: request.timezone,
        delivery_hour: request.deliveryHour ?? Number(row.delivery_hour),
        // the form's time zone is the reader's (guessed by their browser, shown for them to change)
        delivery_time_chosen: 1,
        confirmed_at: row.confirmed_at ?? now,
        pending_request: null,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('pending_request', '=', row.pending_request)
      .where('status', '!=', 'suppressed')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    return { subscriber: (await this.getById(id))!, wasConfirmed: row.status === 'confirmed' };
  }

  /** The subscription request waiting for confirmation, for the confirmation email. */
  async pendingRequest(id: number): Promise<(SubscriptionRequest & { nonce: string; requestedAt: string }) | undefined> {
    const row = await this.db.selectFrom('subscribers').select('pending_request').where('id', '=', id).executeTakeFirst();
    if (!row?.pending_request) return undefined;
    try {
      return JSON.parse(row.pending_request) as PendingRequest;
    } catch {
      return undefined;
    }
  }

  /** Saves a reader's preferences; true when anything changed (saving the same twice changes nothing). */
  async setPreferences(id: number, prefs: Preferences, now: string): Promise<boolean> {
    const before = await this.getById(id);
    if (!before) return false;
    const same =
      topicSetKey(before.topics) === topicSetKey(prefs.topics) &&
      sectionOrderKey(before.sectionOrder) === sectionOrderKey(prefs.sectionOrder) &&
      before.frequency === prefs.frequency &&
      before.deliveryTimeChosen &&
      before.timezone === prefs.timezone &&
      before.deliveryHour === prefs.deliveryHour &&
      (before.pausedUntil ?? null) === (prefs.pausedUntil ?? null);
    if (same) return false;
    await this.db
      .updateTable('subscribers')
      .set({
        topics: topicSetKey(prefs.topics),
        section_order: sectionOrderKey(prefs.sectionOrder),
        frequency: prefs.frequency,
        timezone: prefs.timezone,
        delivery_hour: prefs.deliveryHour,
        delivery_time_chosen: 1,
        paused_until: prefs.pausedUntil ?? null,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    return true;
  }

  /**
   * Unsubscribes at once; idempotent. A confirmation link sent earlier stops working too:
   * coming back takes a fresh request and a fresh confirmation email. What For you learnt
   * about the reader goes with it.
   */
  async unsubscribe(id: number, now: string): Promise<void> {
    await this.db
      .updateTable('subscribers')
      .set({ status: 'unsubscribed', pending_request: null, updated_at: now })
      .where('id', '=', id)
      .where('status', 'in', ['pending', 'confirmed'])
      .execute();
    await this.db.updateTable('subscribers').set({ pending_request: null }).where('id', '=', id).where('pending_request', 'is not', null).execute();
    await new ForYouQueries(this.db).forget(id);
  }

  async setStatus(id: number, status: SubscriberStatus, now: string): Promise<void> {
    await this.db.updateTable('subscribers').set({ status, updated_at: now }).where('id', '=', id).execute();
  }

  /** Deletes a subscriber and everything kept about them (their For you votes and profile too). */
  async remove(email: string): Promise<boolean> {
    const found = await this.getByEmail(email);
    if (!found) return false;
    await new ForYouQueries(this.db).forget(found.id);
    const result = await this.db.deleteFrom('subscribers').where('id', '=', found.id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Keyset pages over all subscribers, for listing and export without loading them all. */
  async *iterate(pageSize = 1000): AsyncGenerator<Subscriber> {
    let after = 0;
    for (;;) {
      const rows = await this.db.selectFrom('subscribers').selectAll().where('id', '>', after).orderBy('id').limit(pageSize).execute();
      for (const row of rows) yield toSubscriber(row);
      if (rows.length < pageSize) return;
      after = Number(rows[rows.length - 1]!.id);
    }
  }

  /** The distinct choices (topics and section order) of the readers of the edition of `day`: one variant at most each. */
  async distinctChoices(frequency: Frequency, day: string): Promise<{ topics: string[]; sectionOrder: string[] }[]> {
    const rows = await this.db
      .selectFrom('subscribers')
      .select(['topics', 'section_order'])
      .distinct()
      .where('status', '=', 'confirmed')
      .where('frequency', '=', frequency)
      .where((eb) => eb.or([eb('paused_until', 'is', null), eb('paused_until', '<=', day)]))
      .orderBy('topics')
      .orderBy('section_order')
      .execute();
    return rows.map((r) => ({ topics: parseTopicSet(r.topics), sectionOrder: parseSectionOrder(r.section_order) }));
  }

  /**
   * One keyset page of confirmed recipients (id order), for the fan-out checkpoint; `topicSet`
   * as `topicSetKey` spells it, `sectionOrder` as `sectionOrderKey` does.
   */
  /**
   * The readers the edition of `day` goes to, after `afterId` (the fan-out's cursor). A reader
   * paused until a day gets the editions of that day on: the edition's own day decides, not the
   * day it is sent on (an edition sent late, or resumed, still skips the readers paused then).
   */
  private readersAfter(frequency: Frequency, day: string, afterId: number) {
    return this.db
      .selectFrom('subscribers')
      .where('status', '=', 'confirmed')
      .where('frequency', '=', frequency)
      .where((eb) => eb.or([eb('paused_until', 'is', null), eb('paused_until', '<=', day)]))
      .where('id', '>', afterId);
  }

  /** How many readers the fan-out has still to reach past its cursor: an edition's total before it has their deliveries. */
  async countReadersAfter(frequency: Frequency, day: string, afterId: number): Promise<number> {
    const row = await this.readersAfter(frequency, day, afterId)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async confirmedPage(
    frequency: Frequency,
    day: string,
    afterId: number,
    limit: number,
  ): Promise<{ id: number; topicSet: string; sectionOrder: string; timezone: string; deliveryHour: number; deliveryTimeChosen: boolean }[]> {
    const rows = await this.readersAfter(frequency, day, afterId)
      .select(['id', 'topics', 'section_order', 'timezone', 'delivery_hour', 'delivery_time_chosen'])
      .orderBy('id')
      .limit(limit)
      .execute();
    // the choices as stored (topicSetKey, sectionOrderKey): the fan-out works out each distinct pair once
    return rows.map((r) => ({
      id: Number(r.id),
      topicSet: r.topics,
      sectionOrder: r.section_order,
      timezone: r.timezone,
      deliveryHour: Number(r.delivery_hour),
      deliveryTimeChosen: Number(r.delivery_time_chosen) === 1,
    }));
  }

  async countByStatus(): Promise<Record<SubscriberStatus, number>> {
    const rows = await this.db
      .selectFrom('subscribers')
      .select(['status', (eb) => eb.fn.countAll().as('n')])
      .groupBy('status')
      .execute();
    const out: Record<SubscriberStatus, number> = { pending: 0, confirmed: 0, unsubscribed: 0, suppressed: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }
}
