import type { Kysely, Selectable } from 'kysely';
import type { Database, SubscribersTable } from '../types.ts';

export type SubscriberStatus = SubscribersTable['status'];
export type Frequency = SubscribersTable['frequency'];

export interface Subscriber {
  id: number;
  email: string;
  status: SubscriberStatus;
  /** Topic ids; empty means every topic. */
  topics: string[];
  frequency: Frequency;
  timezone: string;
  deliveryHour: number;
  createdAt: string;
  confirmedAt?: string;
}

/** The stored spelling of a topic set: sorted and comma-joined, so equal sets compare equal in SQL. */
export function topicSetKey(topics: readonly string[]): string {
  return [...new Set(topics.map((t) => t.trim()).filter(Boolean))].sort().join(',');
}

export function parseTopicSet(key: string): string[] {
  return key === '' ? [] : key.split(',');
}

/** Addresses are compared without case; the stored form is trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const EMAIL = /^[^\s@<>(),;:"\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
export function isValidEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email);
}

function toSubscriber(row: Selectable<SubscribersTable>): Subscriber {
  return {
    id: Number(row.id),
    email: row.email,
    status: row.status,
    topics: parseTopicSet(row.topics),
    frequency: row.frequency,
    timezone: row.timezone,
    deliveryHour: Number(row.delivery_hour),
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at ?? undefined,
  };
}

export interface NewSubscriber {
  email: string;
  /** Topic ids ([] = every topic); undefined keeps a known subscriber's topics. */
  topics?: string[];
  frequency?: Frequency;
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
    const existing = await this.getByEmail(email);
    if (!existing) {
      await this.db
        .insertInto('subscribers')
        .values({
          email,
          status: input.confirmed ? 'confirmed' : 'pending',
          topics: topicSetKey(input.topics ?? []),
          frequency: input.frequency ?? 'daily',
          timezone: input.timezone ?? 'UTC',
          delivery_hour: input.deliveryHour ?? 7,
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
        frequency: input.frequency ?? existing.frequency,
        timezone: input.timezone ?? existing.timezone,
        delivery_hour: input.deliveryHour ?? existing.deliveryHour,
        status,
        confirmed_at: status === 'confirmed' ? (existing.confirmedAt ?? now) : (existing.confirmedAt ?? null),
        updated_at: now,
      })
      .where('id', '=', existing.id)
      .execute();
    return { subscriber: (await this.getById(existing.id))!, created: false };
  }

  async setStatus(id: number, status: SubscriberStatus, now: string): Promise<void> {
    await this.db.updateTable('subscribers').set({ status, updated_at: now }).where('id', '=', id).execute();
  }

  async remove(email: string): Promise<boolean> {
    const result = await this.db.deleteFrom('subscribers').where('email', '=', normalizeEmail(email)).executeTakeFirst();
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

  /** The distinct topic sets of the confirmed subscribers of one frequency: one variant each. */
  async distinctTopicSets(frequency: Frequency): Promise<string[][]> {
    const rows = await this.db
      .selectFrom('subscribers')
      .select('topics')
      .distinct()
      .where('status', '=', 'confirmed')
      .where('frequency', '=', frequency)
      .orderBy('topics')
      .execute();
    return rows.map((r) => parseTopicSet(r.topics));
  }

  /** One keyset page of confirmed recipients (id order), for the fan-out checkpoint. */
  async confirmedPage(frequency: Frequency, afterId: number, limit: number): Promise<{ id: number; topics: string[]; timezone: string; deliveryHour: number }[]> {
    const rows = await this.db
      .selectFrom('subscribers')
      .select(['id', 'topics', 'timezone', 'delivery_hour'])
      .where('status', '=', 'confirmed')
      .where('frequency', '=', frequency)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: Number(r.id), topics: parseTopicSet(r.topics), timezone: r.timezone, deliveryHour: Number(r.delivery_hour) }));
  }

  async countByStatus(): Promise<Record<SubscriberStatus, number>> {
    const rows = await this.db.selectFrom('subscribers').select(['status', (eb) => eb.fn.countAll().as('n')]).groupBy('status').execute();
    const out: Record<SubscriberStatus, number> = { pending: 0, confirmed: 0, unsubscribed: 0, suppressed: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }
}
