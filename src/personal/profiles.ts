/**
 * A reader's For you settings and profile in the database: a vote, seed papers or an author
 * id change, and the profile is rebuilt from everything stored (see profile.ts for why).
 */
import type { Config } from '../config/schema.ts';
import type { ReaderSettings, Vote } from '../db/index.ts';
import type { Store } from '../db/index.ts';
import { parseArxivId } from '../domain/paper.ts';
import { parseAuthorId } from './authors.ts';
import { paperTextOf } from './features.ts';
import { buildProfile, FORGOTTEN_AFTER_HALF_LIVES, parseProfile, type Profile } from './profile.ts';

const DAY_MS = 86_400_000;

/** What a reader gave for For you, and the profile built from it. */
export type ReaderForYou = Omit<ReaderSettings, 'profile'> & { profile?: Profile };

/** What a reader may change on the preferences page; undefined keeps what is stored. */
export interface SettingsChange {
  seedPapers?: string[];
  /** null clears it. */
  authorId?: string | null;
}

/**
 * Rebuilds (and stores) a reader's profile from their votes, seed papers and author id, with
 * `change` applied first. Votes too old to count any more are deleted on the way.
 */
export async function rebuildProfile(store: Store, config: Config, subscriberId: number, now: Date, change: SettingsChange = {}): Promise<ReaderForYou> {
  const before = await store.forYou.settings(subscriberId);
  const seedPapers = change.seedPapers ?? before.seedPapers;
  const authorId = change.authorId === undefined ? before.authorId : (change.authorId ?? undefined);
  const forgottenBefore = new Date(now.getTime() - FORGOTTEN_AFTER_HALF_LIVES * config.forYou.halfLifeDays * DAY_MS).toISOString();
  await store.forYou.dropVotesBefore(subscriberId, forgottenBefore);
  const votes = await store.forYou.votes(subscriberId, forgottenBefore);
  const papers = await store.papers.getMany([...new Set([...votes.map((v) => v.paperId), ...seedPapers])]);
  const seeds = seedPapers.flatMap((id) => {
    const p = papers.get(id);
    return p ? [paperTextOf(p)] : [];
  });
  const profile = buildProfile(
    {
      votes: votes.flatMap((v) => {
        const p = papers.get(v.paperId);
        return p ? [{ paper: paperTextOf(p), vote: v.vote, at: v.at }] : [];
      }),
      seeds,
      author: authorId ? parseAuthorId(authorId) : undefined,
    },
    now,
    config.forYou.halfLifeDays,
  );
  const after = { seedPapers, authorId, pendingSeeds: seedPapers.length - seeds.length, profile };
  await store.forYou.saveSettings(subscriberId, { ...after, profile: profile && JSON.stringify(profile) }, now.toISOString());
  return after;
}

/** A reader's For you settings with their profile read (the database keeps it as JSON). */
export async function readerSettings(store: Store, subscriberId: number): Promise<ReaderForYou> {
  const s = await store.forYou.settings(subscriberId);
  return { ...s, profile: parseProfile(s.profile) };
}

/** Records a vote and, when it changed anything, rebuilds the profile. */
export async function recordVote(
  store: Store,
  config: Config,
  subscriberId: number,
  paperId: string,
  vote: Vote,
  editionId: string | undefined,
  now: Date,
): Promise<'recorded' | 'replaced' | 'unchanged'> {
  const outcome = await store.forYou.vote(subscriberId, paperId, vote, editionId, now.toISOString());
  if (outcome !== 'unchanged') await rebuildProfile(store, config, subscriberId, now);
  return outcome;
}

/**
 * Rebuilds the profiles whose seed papers were not all in the papers table, once some of
 * them are (they were ingested since): run before each fan-out, so a seed counts from the
 * first edition after paperboy sees the paper. Returns how many profiles changed.
 */
export async function refreshPendingSeeds(store: Store, config: Config, now: Date): Promise<number> {
  let after = 0;
  let rebuilt = 0;
  for (;;) {
    const ids = await store.forYou.withPendingSeeds(after, 200);
    if (ids.length === 0) return rebuilt;
    for (const id of ids) {
      const s = await store.forYou.settings(id);
      const known = (await store.papers.getMany(s.seedPapers)).size;
      if (s.seedPapers.length - known < s.pendingSeeds) {
        await rebuildProfile(store, config, id, now);
        rebuilt++;
      }
    }
    after = ids[ids.length - 1]!;
  }
}

/**
 * The seed papers a reader typed: arXiv ids or arXiv URLs, separated by spaces, commas or
 * lines; the same paper twice counts once. Anything else is refused by name.
 */
export function parseSeedPapers(text: string, max: number): { ok: true; ids: string[] } | { ok: false; error: string } {
  const words = text.split(/[\s,;]+/).filter(Boolean);
  const bad = words.filter((w) => !parseArxivId(w));
  if (bad.length > 0) {
    const shown = bad.slice(0, 3).map((w) => `"${w.length > 60 ? `${w.slice(0, 57)}…` : w}"`);
    return {
      ok: false,
      error: `${shown.join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''} ${bad.length === 1 ? 'is not an arXiv id' : 'are not arXiv ids'}: give ids such as 2401.12345 or links such as https://arxiv.org/abs/2401.12345.`,
    };
  }
  const ids = [...new Set(words.map((w) => parseArxivId(w)!))];
  if (ids.length > max) return { ok: false, error: `at most ${max} seed papers: you gave ${ids.length}.` };
  return { ok: true, ids };
}

/** An author id as typed (empty: none), or the reason it is refused. */
export function parseAuthorIdField(text: string): { ok: true; id?: string } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true };
  const parsed = parseAuthorId(trimmed);
  if (!parsed)
    return {
      ok: false,
      error: `"${trimmed.length > 60 ? `${trimmed.slice(0, 57)}…` : trimmed}" is not an arXiv author id: it looks like hinton_g_1 (surname, first initial, a number), as in https://arxiv.org/a/hinton_g_1.`,
    };
  return { ok: true, id: parsed.id };
}
