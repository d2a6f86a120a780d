import type { Kysely } from 'kysely';
import type { Database } from '../types.ts';
import { parseIdList } from '../../domain/readerChoice.ts';

export type Vote = 'more' | 'less';

/** What a reader gave for For you on the preferences page, and their profile. */
export interface ReaderSettings {
  seedPapers: string[];
  authorId?: string;
  pendingSeeds: number;
  /** The profile built from them, as JSON: src/personal/profile.ts writes and reads it (parseProfile). */
  profile?: string;
  updatedAt?: string;
}

export interface StoredVote {
  paperId: string;
  vote: Vote;
  editionId?: string;
  at: string;
}

export interface Fragment {
  key: string;
  paperIds: string[];
  html: string;
  text: string;
}

/** Votes, profiles and For you fragments. A reader's rows go when they unsubscribe or are removed (`forget`). */
export class ForYouQueries {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records a vote: `recorded` (first on this paper), `replaced` (the opposite vote was
   * there: this one counts instead, from now), `unchanged` (the same vote again counts once).
   */
  async vote(subscriberId: number, paperId: string, vote: Vote, editionId: string | undefined, now: string): Promise<'recorded' | 'replaced' | 'unchanged'> {
    const inserted = await this.db
      .insertInto('reader_votes')
      .values({ subscriber_id: subscriberId, paper_id: paperId, vote, edition_id: editionId ?? null, created_at: now })
      .onConflict((oc) => oc.columns(['subscriber_id', 'paper_id']).doNothing())
      .returning('subscriber_id')
      .executeTakeFirst();
    if (inserted) return 'recorded';
    const flipped = await this.db
      .updateTable('reader_votes')
      .set({ vote, created_at: now, edition_id: editionId ?? null })
      .where('subscriber_id', '=', subscriberId)
      .where('paper_id', '=', paperId)
      .where('vote', '!=', vote)
      .executeTakeFirst();
    return Number(flipped.numUpdatedRows) > 0 ? 'replaced' : 'unchanged';
  }

  /** A reader's vote on one paper. */
  async voteOn(subscriberId: number, paperId: string): Promise<Vote | undefined> {
    const row = await this.db
      .selectFrom('reader_votes')
      .select('vote')
      .where('subscriber_id', '=', subscriberId)
      .where('paper_id', '=', paperId)
      .executeTakeFirst();
    return row?.vote;
  }

  /** A reader's votes cast after `since`, newest first, at most `limit`. */
  async votes(subscriberId: number, since: string, limit = 500): Promise<StoredVote[]> {
    const rows = await this.db
      .selectFrom('reader_votes')
      .select(['paper_id', 'vote', 'edition_id', 'created_at'])
      .where('subscriber_id', '=', subscriberId)
      .where('created_at', '>', since)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ paperId: r.paper_id, vote: r.vote, editionId: r.edition_id ?? undefined, at: r.created_at }));
  }

  /** Deletes a reader's votes cast before `before` (they no longer count); returns how many. */
  async dropVotesBefore(subscriberId: number, before: string): Promise<number> {
    const r = await this.db.deleteFrom('reader_votes').where('subscriber_id', '=', subscriberId).where('created_at', '<=', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async settings(subscriberId: number): Promise<ReaderSettings> {
    const row = await this.db.selectFrom('reader_profiles').selectAll().where('subscriber_id', '=', subscriberId).executeTakeFirst();
    if (!row) return { seedPapers: [], pendingSeeds: 0 };
    return {
      seedPapers: parseIdList(row.seed_papers),
      authorId: row.author_id ?? undefined,
      pendingSeeds: Number(row.pending_seeds),
      profile: row.profile ?? undefined,
      updatedAt: row.updated_at,
    };
  }

  /** Stores a reader's seeds, author id and rebuilt profile; with none of them the row goes. */
  async saveSettings(subscriberId: number, s: { seedPapers: string[]; authorId?: string; pendingSeeds: number; profile?: string }, now: string): Promise<void> {
    if (s.seedPapers.length === 0 && !s.authorId && !s.profile) {
      await this.db.deleteFrom('reader_profiles').where('subscriber_id', '=', subscriberId).execute();
      return;
    }
    const values = {
      seed_papers: JSON.stringify(s.seedPapers),
      author_id: s.authorId ?? null,
      pending_seeds: s.pendingSeeds,
      profile: s.profile ?? null,
      updated_at: now,
    };
    await this.db
      .insertInto('reader_profiles')
      .values({ subscriber_id: subscriberId, ...values })
      .onConflict((oc) => oc.column('subscriber_id').doUpdateSet(values))
      .execute();
  }

  /**
   * The profiles of the readers with ids in [fromId, toId], for one fan-out page: one range
   * read, however many of the page's readers have one.
   */
  async profilesBetween(fromId: number, toId: number): Promise<Map<number, string>> {
    const rows = await this.db
      .selectFrom('reader_profiles')
      .select(['subscriber_id', 'profile'])
      .where('subscriber_id', '>=', fromId)
      .where('subscriber_id', '<=', toId)
      .where('profile', 'is not', null)
      .execute();
    return new Map(rows.map((r) => [Number(r.subscriber_id), r.profile!]));
  }

  /** Readers (after `afterId`, in id order) with seed papers not seen when their profile was built. */
  async withPendingSeeds(afterId: number, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('reader_profiles')
      .select('subscriber_id')
      .where('pending_seeds', '>', 0)
      .where('subscriber_id', '>', afterId)
      .orderBy('subscriber_id')
      .limit(limit)
      .execute();
    return rows.map((r) => Number(r.subscriber_id));
  }

  /** Everything For you keeps about a reader: votes, seeds, author id, profile. */
  async forget(subscriberId: number): Promise<void> {
    await this.db.deleteFrom('reader_votes').where('subscriber_id', '=', subscriberId).execute();
    await this.db.deleteFrom('reader_profiles').where('subscriber_id', '=', subscriberId).execute();
  }

  /** Votes held, by direction (`/metrics`). */
  async voteCounts(): Promise<Record<Vote, number>> {
    const rows = await this.db
      .selectFrom('reader_votes')
      .select(['vote', (eb) => eb.fn.countAll().as('n')])
      .groupBy('vote')
      .execute();
    const out: Record<Vote, number> = { more: 0, less: 0 };
    for (const r of rows) out[r.vote] = Number(r.n);
    return out;
  }

  /** Readers with a profile (`/metrics`). */
  async profileCount(): Promise<number> {
    const row = await this.db
      .selectFrom('reader_profiles')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('profile', 'is not', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async saveFragments(editionId: string, fragments: Fragment[], now: string): Promise<void> {
    for (let i = 0; i < fragments.length; i += 100) {
      await this.db
        .insertInto('edition_fragments')
        .values(
          fragments
            .slice(i, i + 100)
            .map((f) => ({ edition_id: editionId, fragment_key: f.key, paper_ids: JSON.stringify(f.paperIds), html: f.html, text: f.text, rendered_at: now })),
        )
        .onConflict((oc) => oc.columns(['edition_id', 'fragment_key']).doNothing())
        .execute();
    }
  }

  /** Which of these fragment keys an edition has stored. */
  async fragmentKeys(editionId: string, keys: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await this.db
        .selectFrom('edition_fragments')
        .select('fragment_key')
        .where('edition_id', '=', editionId)
        .where('fragment_key', 'in', keys.slice(i, i + 500))
        .execute();
      for (const r of rows) out.add(r.fragment_key);
    }
    return out;
  }

  async fragment(editionId: string, key: string): Promise<Fragment | undefined> {
    const row = await this.db
      .selectFrom('edition_fragments')
      .selectAll()
      .where('edition_id', '=', editionId)
      .where('fragment_key', '=', key)
      .executeTakeFirst();
    return row ? { key: row.fragment_key, paperIds: parseIdList(row.paper_ids), html: row.html, text: row.text } : undefined;
  }

  /** How many distinct For you blocks an edition has (`paperboy explain`, the bench). */
  async fragmentCount(editionId: string): Promise<number> {
    const row = await this.db
      .selectFrom('edition_fragments')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('edition_id', '=', editionId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
