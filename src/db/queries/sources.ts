import type { Kysely, Selectable } from 'kysely';
import type { Database, SourceStateTable } from '../types.ts';

export interface IngestCounts {
  new: number;
  updated: number;
  unchanged: number;
  /** Items skipped because they lacked an id or a title, or failed validation. */
  skipped: number;
}

export interface SourceState {
  name: string;
  etag?: string;
  lastModified?: string;
  lastAttemptAt?: string;
  lastSuccessAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  lastCounts?: IngestCounts;
  papersTotal: number;
}

function toState(row: Selectable<SourceStateTable>): SourceState {
  return {
    name: row.name,
    etag: row.etag ?? undefined,
    lastModified: row.last_modified ?? undefined,
    lastAttemptAt: row.last_attempt_at ?? undefined,
    lastSuccessAt: row.last_success_at ?? undefined,
    lastError: row.last_error ?? undefined,
    lastErrorAt: row.last_error_at ?? undefined,
    lastCounts: row.last_counts ? JSON.parse(row.last_counts) : undefined,
    papersTotal: Number(row.papers_total),
  };
}

export class SourceStateQueries {
  constructor(private readonly db: Kysely<Database>) {}

  async get(name: string): Promise<SourceState | undefined> {
    const row = await this.db.selectFrom('source_state').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toState(row) : undefined;
  }

  async list(): Promise<SourceState[]> {
    return (await this.db.selectFrom('source_state').selectAll().orderBy('name').execute()).map(toState);
  }

  private async ensure(name: string): Promise<void> {
    await this.db
      .insertInto('source_state')
      .values({ name, papers_total: 0 })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }

  /**
   * A fetch that got an answer. The validators are kept for the next conditional GET;
   * `error` is set when the answer was only partly usable (good items kept, the cause reported).
   */
  async recordSuccess(name: string, at: string, r: { etag?: string; lastModified?: string; counts: IngestCounts; error?: string }): Promise<void> {
    await this.ensure(name);
    await this.db
      .updateTable('source_state')
      .set((eb) => ({
        etag: r.etag ?? null,
        last_modified: r.lastModified ?? null,
        last_attempt_at: at,
        last_success_at: at,
        last_counts: JSON.stringify(r.counts),
        last_error: r.error ?? null,
        last_error_at: r.error ? at : null,
        papers_total: eb('papers_total', '+', r.counts.new),
      }))
      .where('name', '=', name)
      .execute();
  }

  /** A 304: nothing changed, the validators stay. */
  async recordNotModified(name: string, at: string): Promise<void> {
    await this.ensure(name);
    const counts: IngestCounts = { new: 0, updated: 0, unchanged: 0, skipped: 0 };
    await this.db
      .updateTable('source_state')
      .set({ last_attempt_at: at, last_success_at: at, last_counts: JSON.stringify(counts), last_error: null, last_error_at: null })
      .where('name', '=', name)
      .execute();
  }

  async recordError(name: string, at: string, error: string): Promise<void> {
    await this.ensure(name);
    await this.db.updateTable('source_state').set({ last_attempt_at: at, last_error: error, last_error_at: at }).where('name', '=', name).execute();
  }
}
