import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, PapersTable } from '../types.ts';
import type { AnnounceType, Paper, TopicScore } from '../../domain/paper.ts';

/** SQLite allows 32766 bound parameters, PostgreSQL 65535: stay well below both. */
const CHUNK = 500;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function rowToPaper(row: Selectable<PapersTable>): Paper {
  return {
    id: row.id,
    title: row.title,
    abstract: row.abstract,
    authors: JSON.parse(row.authors),
    categories: JSON.parse(row.categories),
    primaryCategory: row.primary_category ?? undefined,
    links: JSON.parse(row.links),
    doi: row.doi ?? undefined,
    journalRef: row.journal_ref ?? undefined,
    announceType: (row.announce_type as AnnounceType | null) ?? undefined,
    announcedAt: row.announced_at ?? undefined,
    publishedAt: row.published_at ?? undefined,
    firstSeenAt: row.first_seen_at,
    updatedAt: row.updated_at,
    sources: JSON.parse(row.sources),
    textSource: row.text_source,
    signals: JSON.parse(row.signals),
    contentHash: row.content_hash,
    editionDate: row.edition_date ?? undefined,
    primaryTopic: row.primary_topic ?? undefined,
    topics: JSON.parse(row.topics),
    score: row.score ?? undefined,
    rankedAt: row.ranked_at ?? undefined,
  };
}

function paperToRow(p: Paper): PapersTable {
  return {
    id: p.id,
    title: p.title,
    abstract: p.abstract,
    authors: JSON.stringify(p.authors),
    categories: JSON.stringify(p.categories),
    primary_category: p.primaryCategory ?? null,
    links: JSON.stringify(p.links),
    doi: p.doi ?? null,
    journal_ref: p.journalRef ?? null,
    announce_type: p.announceType ?? null,
    announced_at: p.announcedAt ?? null,
    published_at: p.publishedAt ?? null,
    first_seen_at: p.firstSeenAt,
    updated_at: p.updatedAt,
    sources: JSON.stringify(p.sources),
    text_source: p.textSource,
    signals: JSON.stringify(p.signals),
    content_hash: p.contentHash,
    edition_date: p.editionDate ?? null,
    primary_topic: p.primaryTopic ?? null,
    topics: JSON.stringify(p.topics),
    score: p.score ?? null,
    ranked_at: p.rankedAt ?? null,
  };
}

export interface PaperWrite {
  paper: Paper;
  isNew: boolean;
  /** For an update: the content hash the merge started from (optimistic concurrency). */
  baseHash?: string;
  /** Aliases not yet pointing at this paper. */
  newAliases: string[];
}

export interface RankingUpdate {
  id: string;
  editionDate: string | null;
  primaryTopic: string;
  topics: TopicScore[];
  score: number;
  rankedAt: string;
}

export type PaperFilter = { editionDate?: string; query?: string; limit?: number };

/**
 * Search ranks the newest this-many matches of a query: scoring every match of a common word
 * over a large archive costs time proportional to the archive, and a reader wants recent
 * papers first anyway.
 */
export const RANKED_CANDIDATES = 5000;

/**
 * Matches are counted up to this many (or to one past the page asked for, if further):
 * counting all 100,000 matches of a common word took PostgreSQL 486 ms, every one of them a
 * tsvector test, for a figure a reader reads as "a lot" (`EXPLAIN ANALYZE`, 100,000 papers).
 */
export const COUNT_CAP = 1000;

/** BM25 with the title weighing most, then the authors, then the abstract. */
const BM25 = sql`bm25(papers_fts, 10.0, 3.0, 1.0)`;

export interface PaperSearch {
  query: string;
  /** Inclusive edition-day range, YYYY-MM-DD. */
  from?: string;
  to?: string;
  /** A topic id: papers filed under it. */
  topic?: string;
  limit: number;
  offset: number;
}

export interface PaperSearchResult {
  papers: Paper[];
  /** How many match in all, or, when `more` is set, how many were counted before the cap. */
  total: number;
  /** More than `total` match (the count stopped at COUNT_CAP). */
  more?: boolean;
}

/** The capped count read back: the count query asked for one row past the cap. */
function counted(n: number, cap: number): { total: number; more?: boolean } {
  return n > cap ? { total: cap, more: true } : { total: n };
}

/**
 * The words of a search box as an FTS5 expression: each word quoted (so that FTS5 syntax in
 * user input is only text), all required, the last one also as a prefix (search as you type).
 */
export function fts5Query(query: string): string | undefined {
  const words = query.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return undefined;
  return words
    .slice(0, 16)
    .map((w, i, all) => `"${w}"${i === all.length - 1 && w.length >= 3 ? '*' : ''}`)
    .join(' ');
}

export class PaperQueries {
  constructor(private readonly db: Kysely<Database>) {}

  /** alias → paper id, for the aliases that are known. */
  async findAliases(aliases: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunks([...new Set(aliases)])) {
      const rows = await this.db.selectFrom('paper_aliases').select(['alias', 'paper_id']).where('alias', 'in', part).execute();
      for (const r of rows) out.set(r.alias, r.paper_id);
    }
    return out;
  }

  async getMany(ids: string[]): Promise<Map<string, Paper>> {
    const out = new Map<string, Paper>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = await this.db.selectFrom('papers').selectAll().where('id', 'in', part).execute();
      for (const r of rows) out.set(r.id, rowToPaper(r));
    }
    return out;
  }

  async get(id: string): Promise<Paper | undefined> {
    const row = await this.db.selectFrom('papers').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? rowToPaper(row) : undefined;
  }

  /**
   * Writes new and changed papers and their aliases in one transaction. Another process may
   * have written the same paper meanwhile: an insert of a paper that now exists, or an update
   * of a paper whose stored hash is no longer the one the merge started from, is not applied,
   * and its id is returned so that the caller merges it again on fresh data (no lost update).
   */
  async saveMany(writes: PaperWrite[]): Promise<string[]> {
    if (writes.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const conflicts: string[] = [];
      const inserts = writes.filter((w) => w.isNew);
      // 25 columns a row: 40 rows a statement keeps under the parameter limits
      for (const part of chunks(inserts, 40)) {
        const inserted = await trx
          .insertInto('papers')
          .values(part.map((w) => paperToRow(w.paper)))
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .execute();
        const done = new Set(inserted.map((r) => r.id));
        for (const w of part) if (!done.has(w.paper.id)) conflicts.push(w.paper.id);
      }
      for (const w of writes) {
        if (w.isNew) continue;
        const { id: _id, first_seen_at: _first, edition_date: _ed, primary_topic: _pt, topics: _t, score: _s, ranked_at: _r, ...changed } = paperToRow(w.paper);
        const result = await trx.updateTable('papers').set(changed).where('id', '=', w.paper.id).where('content_hash', '=', w.baseHash!).executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) conflicts.push(w.paper.id);
      }
      const applied = writes.filter((w) => !conflicts.includes(w.paper.id));
      const aliases = applied.flatMap((w) => w.newAliases.map((alias) => ({ alias, paper_id: w.paper.id })));
      for (const part of chunks(aliases, 200)) {
        await trx
          .insertInto('paper_aliases')
          .values(part)
          .onConflict((oc) => oc.column('alias').doNothing())
          .execute();
      }
      return conflicts;
    });
  }

  /** Stores the ranking of several papers in one transaction. */
  async saveRankings(updates: RankingUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const u of updates) await new PaperQueries(trx).saveRanking(u);
    });
  }

  async saveRanking(update: RankingUpdate): Promise<void> {
    await this.db
      .updateTable('papers')
      .set({
        edition_date: update.editionDate,
        primary_topic: update.primaryTopic,
        topics: JSON.stringify(update.topics),
        score: update.score,
        ranked_at: update.rankedAt,
      })
      .where('id', '=', update.id)
      .execute();
  }

  /** Papers of one edition day, best first (ties by id, so the order is stable). */
  async forEditionDate(date: string): Promise<Paper[]> {
    const rows = await this.db.selectFrom('papers').selectAll().where('edition_date', '=', date).orderBy('score', 'desc').orderBy('id', 'asc').execute();
    return rows.map(rowToPaper);
  }

  async list(filter: PaperFilter = {}): Promise<Paper[]> {
    let q = this.db.selectFrom('papers').selectAll();
    if (filter.editionDate) q = q.where('edition_date', '=', filter.editionDate);
    if (filter.query) {
      // % and _ in a query act as wildcards: harmless for a search box
      const like = `%${filter.query.toLowerCase()}%`;
      q = q.where((eb) => eb.or([eb(eb.fn('lower', ['title']), 'like', like), eb(eb.fn('lower', ['abstract']), 'like', like)]));
    }
    q = q.orderBy('edition_date', 'desc').orderBy('score', 'desc').orderBy('id', 'asc');
    if (filter.limit) q = q.limit(filter.limit);
    return (await q.execute()).map(rowToPaper);
  }

  /**
   * Full-text search over title, authors and abstract (SQLite FTS5 with BM25, PostgreSQL
   * tsvector with ts_rank_cd; title weighs most), best match first, then newest edition.
   */
  async search(dialect: 'sqlite' | 'postgres', search: PaperSearch): Promise<PaperSearchResult> {
    // nobody types more; a huge query is only cost
    const s = { ...search, query: search.query.trim().slice(0, 200) };
    if (s.query === '') return { papers: [], total: 0 };
    const cap = Math.max(COUNT_CAP, s.offset + s.limit);
    const filters = (q: any) => {
      if (s.from) q = q.where('papers.edition_date', '>=', s.from);
      if (s.to) q = q.where('papers.edition_date', '<=', s.to);
      // topics is a JSON array of {id, score}: match the exact id, quotes included
      if (s.topic) q = q.where('papers.topics', 'like', `%"id":"${s.topic.replace(/[%_"\\]/g, '')}"%`);
      return q;
    };
    if (dialect === 'postgres') {
      const tsquery = sql`websearch_to_tsquery('english', ${s.query})`;
      const matches = filters(this.db.selectFrom('papers').where(sql<boolean>`search_vector @@ ${tsquery}`));
      // ranked among the newest RANKED_CANDIDATES matches: ts_rank_cd reads each match's tsvector
      const candidates = matches
        .select(['papers.id', 'papers.search_vector' as any])
        .orderBy('papers.first_seen_at', 'desc')
        .orderBy('papers.id')
        .limit(RANKED_CANDIDATES);
      // pages past the candidates: the older matches, newest first
      const beyond = matches.selectAll('papers').orderBy('papers.first_seen_at', 'desc').orderBy('papers.id').limit(s.limit).offset(s.offset);
      const [rows, count] = await Promise.all([
        s.offset >= RANKED_CANDIDATES
          ? beyond.execute()
          : (this.db as Kysely<any>)
              .selectFrom(candidates.as('hits'))
              .innerJoin('papers', 'papers.id', 'hits.id')
              .selectAll('papers')
              .orderBy(sql`ts_rank_cd(hits.search_vector, ${tsquery}, 32)`, 'desc')
              .orderBy('papers.edition_date', 'desc')
              .orderBy('papers.id')
              .limit(s.limit)
              .offset(s.offset)
              .execute(),
        (this.db as Kysely<any>)
          .selectFrom(
            matches
              .select(sql`1`.as('one'))
              .limit(cap + 1)
              .as('m'),
          )
          .select((eb: any) => eb.fn.countAll().as('n'))
          .executeTakeFirst() as Promise<{ n: number } | undefined>,
      ]);
      return { papers: (rows as Selectable<PapersTable>[]).map(rowToPaper), ...counted(Number(count?.n ?? 0), cap) };
    }
    const match = fts5Query(s.query);
    if (!match) return { papers: [], total: 0 };
    const db = this.db as Kysely<any>;
    if (!s.from && !s.to && !s.topic) {
      // Ranked among the newest RANKED_CANDIDATES matches: rowids grow as papers arrive, and
      // walking them needs no scoring. bm25() is called, not FTS5's `ORDER BY rank`, which
      // scores every match before it looks at the rowid bound. Pages past those candidates
      // list older matches newest first.
      const edge = await sql<{
        rowid: number;
      }>`SELECT rowid FROM papers_fts WHERE papers_fts MATCH ${match} ORDER BY rowid DESC LIMIT 1 OFFSET ${RANKED_CANDIDATES - 1}`.execute(db);
      const floor = edge.rows[0]?.rowid ?? 0;
      const page =
        s.offset < RANKED_CANDIDATES
          ? sql<{
              rowid: number;
            }>`SELECT rowid, ${BM25} AS position FROM papers_fts WHERE papers_fts MATCH ${match} AND rowid >= ${floor} ORDER BY position LIMIT ${s.limit} OFFSET ${s.offset}`
          : sql<{
              rowid: number;
            }>`SELECT rowid, -rowid AS position FROM papers_fts WHERE papers_fts MATCH ${match} AND rowid < ${floor} ORDER BY rowid DESC LIMIT ${s.limit} OFFSET ${s.offset - RANKED_CANDIDATES}`;
      const [rows, count] = await Promise.all([
        sql<
          Selectable<PapersTable>
        >`SELECT papers.* FROM (${page}) AS hits JOIN papers ON papers.rowid = hits.rowid ORDER BY hits.position, papers.edition_date DESC, papers.id`.execute(
          db,
        ),
        sql<{ n: number }>`SELECT count(*) AS n FROM (SELECT 1 FROM papers_fts WHERE papers_fts MATCH ${match} LIMIT ${cap + 1})`.execute(db),
      ]);
      return { papers: rows.rows.map(rowToPaper), ...counted(Number(count.rows[0]?.n ?? 0), cap) };
    }
    const base = filters(
      db
        .selectFrom('papers_fts')
        .innerJoin('papers', (join: any) => join.on(sql`papers.rowid = papers_fts.rowid`))
        .where(sql<boolean>`papers_fts MATCH ${match}`),
    );
    // the same bound on scoring, among the matches that pass the filters
    const edge = await base
      .select(sql<number>`papers_fts.rowid`.as('r'))
      .orderBy(sql`papers_fts.rowid`, 'desc')
      .limit(1)
      .offset(RANKED_CANDIDATES - 1)
      .executeTakeFirst();
    const floor = Number(edge?.r ?? 0);
    const page =
      s.offset < RANKED_CANDIDATES
        ? base
            .where(sql<boolean>`papers_fts.rowid >= ${floor}`)
            .selectAll('papers')
            .orderBy(BM25)
            .orderBy('papers.edition_date', 'desc')
            .orderBy('papers.id')
            .limit(s.limit)
            .offset(s.offset)
        : base
            .where(sql<boolean>`papers_fts.rowid < ${floor}`)
            .selectAll('papers')
            .orderBy(sql`papers_fts.rowid`, 'desc')
            .limit(s.limit)
            .offset(s.offset - RANKED_CANDIDATES);
    const [rows, count] = await Promise.all([
      page.execute(),
      db
        .selectFrom(
          base
            .select(sql`1`.as('one'))
            .limit(cap + 1)
            .as('m'),
        )
        .select((eb: any) => eb.fn.countAll().as('n'))
        .executeTakeFirst() as Promise<{ n: number } | undefined>,
    ]);
    return { papers: (rows as Selectable<PapersTable>[]).map(rowToPaper), ...counted(Number(count?.n ?? 0), cap) };
  }

  /** Every paper in id order, in keyset pages: never all in memory. */
  async *iterate(limit?: number, pageSize = 500): AsyncGenerator<Paper> {
    let after = '';
    let left = limit ?? Number.POSITIVE_INFINITY;
    while (left > 0) {
      const rows = await this.db.selectFrom('papers').selectAll().where('id', '>', after).orderBy('id').limit(Math.min(pageSize, left)).execute();
      for (const row of rows) yield rowToPaper(row);
      if (rows.length < pageSize) return;
      left -= rows.length;
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Papers never ranked, or changed since they were ranked. */
  async unrankedIds(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('papers')
      .select('id')
      .where((eb) => eb.or([eb('ranked_at', 'is', null), eb('ranked_at', '<', eb.ref('updated_at'))]))
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('papers')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
