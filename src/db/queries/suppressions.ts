import type { Kysely } from 'kysely';
import type { Database, SuppressionsTable } from '../types.ts';

export type SuppressionReason = SuppressionsTable['reason'];

export interface Suppression {
  email: string;
  reason: SuppressionReason;
  detail?: string;
  createdAt: string;
}

/** The suppression list, by lower-cased address; checked before every send. */
export class SuppressionQueries {
  constructor(private readonly db: Kysely<Database>) {}

  /** Adds an address (the first reason is kept); returns true when it was not listed yet. */
  async add(email: string, reason: SuppressionReason, detail: string | undefined, now: string): Promise<boolean> {
    const result = await this.db
      .insertInto('suppressions')
      .values({ email: email.toLowerCase(), reason, detail: detail ?? null, created_at: now })
      .onConflict((oc) => oc.column('email').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async get(email: string): Promise<Suppression | undefined> {
    const row = await this.db.selectFrom('suppressions').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    return row ? { email: row.email, reason: row.reason, detail: row.detail ?? undefined, createdAt: row.created_at } : undefined;
  }

  /** Which of these addresses are suppressed (lower-cased). */
  async filter(emails: string[]): Promise<Set<string>> {
    if (emails.length === 0) return new Set();
    const out = new Set<string>();
    const lower = emails.map((e) => e.toLowerCase());
    for (let i = 0; i < lower.length; i += 500) {
      const rows = await this.db
        .selectFrom('suppressions')
        .select('email')
        .where('email', 'in', lower.slice(i, i + 500))
        .execute();
      for (const r of rows) out.add(r.email);
    }
    return out;
  }

  async remove(email: string): Promise<boolean> {
    const result = await this.db.deleteFrom('suppressions').where('email', '=', email.toLowerCase()).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Keyset pages in address order, so that listing never loads the whole list. */
  async *iterate(pageSize = 1000): AsyncGenerator<Suppression> {
    let after = '';
    for (;;) {
      const rows = await this.db.selectFrom('suppressions').selectAll().where('email', '>', after).orderBy('email').limit(pageSize).execute();
      for (const row of rows) yield { email: row.email, reason: row.reason, detail: row.detail ?? undefined, createdAt: row.created_at };
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.email;
    }
  }

  async count(): Promise<Record<SuppressionReason, number>> {
    const rows = await this.db
      .selectFrom('suppressions')
      .select(['reason', (eb) => eb.fn.countAll().as('n')])
      .groupBy('reason')
      .execute();
    const out: Record<SuppressionReason, number> = { bounce: 0, complaint: 0, unsubscribe: 0, manual: 0, rejected: 0 };
    for (const r of rows) out[r.reason] = Number(r.n);
    return out;
  }
}
