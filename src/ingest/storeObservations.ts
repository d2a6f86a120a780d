import type { Store } from '../db/index.ts';
import type { IngestCounts } from '../db/index.ts';
import type { PaperWrite } from '../db/index.ts';
import { mergeObservation } from './merge.ts';
import { aliasesOf, canonicalIdFromAliases, type Paper, type PaperObservation } from '../domain/paper.ts';

export interface StoreOutcome {
  counts: IngestCounts;
  /** Papers that are new or changed materially: they go to the rank queue. */
  changedIds: string[];
}

type Outcome = 'new' | 'updated' | 'unchanged';

interface Round {
  outcomes: Map<string, Outcome>;
  writes: PaperWrite[];
  /** The paper each item was merged into. */
  itemIds: string[];
}

/** Merges observations into what is stored now: one alias lookup and one paper lookup for all. */
async function mergeRound(store: Store, items: { obs: PaperObservation; aliases: string[] }[], now: string): Promise<Round> {
  const known = await store.papers.findAliases(items.flatMap((o) => o.aliases));
  const ids = items.map(({ aliases }) => aliases.map((a) => known.get(a)).find(Boolean) ?? canonicalIdFromAliases(aliases));
  const existing = await store.papers.getMany(ids);
  const current = new Map<string, Paper>(existing);
  const writes = new Map<string, PaperWrite>();
  const outcomes = new Map<string, Outcome>();
  // aliases claimed in this round, so that two items of one feed naming the same paper merge
  const claimed = new Map<string, string>();
  const itemIds: string[] = [];
  items.forEach(({ obs, aliases }, i) => {
    const id = aliases.map((a) => claimed.get(a)).find(Boolean) ?? ids[i]!;
    itemIds.push(id);
    const before = current.get(id);
    const after = mergeObservation(before, obs, id, now);
    const newAliases = aliases.filter((a) => !known.has(a) && !claimed.has(a));
    for (const a of aliases) if (!claimed.has(a)) claimed.set(a, id);
    const stored = existing.get(id);
    if (!outcomes.has(id)) outcomes.set(id, stored ? 'unchanged' : 'new');
    if (after === before && newAliases.length === 0) return;
    current.set(id, after);
    if (stored && after !== stored) outcomes.set(id, 'updated');
    const pending = writes.get(id);
    if (pending) {
      pending.paper = after;
      pending.newAliases.push(...newAliases);
    } else {
      writes.set(id, { paper: after, isNew: !stored, baseHash: stored?.contentHash, newAliases });
    }
  });
  return { outcomes, writes: [...writes.values()], itemIds };
}

/**
 * Merges a feed's observations into the stored papers, the same paper from several sources
 * (arXiv id, DOI, URL) becoming one. Reads and writes in bulk: a few queries and one
 * transaction per feed, whatever its size. When another worker wrote one of the same papers
 * meanwhile, those papers are merged again on the fresh data.
 */
export async function storeObservations(store: Store, observations: PaperObservation[], now: string): Promise<StoreOutcome> {
  const items = observations.map((obs) => ({ obs, aliases: aliasesOf(obs.keys) })).filter((o) => o.aliases.length > 0);
  const counts: IngestCounts = { new: 0, updated: 0, unchanged: 0, skipped: observations.length - items.length };
  const final = new Map<string, Outcome>();
  const changed = new Set<string>();
  let todo = items;
  for (let round = 1; todo.length > 0; round++) {
    const { outcomes, writes, itemIds } = await mergeRound(store, todo, now);
    const conflicts = new Set(await store.papers.saveMany(writes));
    if (conflicts.size > 0 && round >= 5)
      throw new Error(`papers ${[...conflicts].slice(0, 5).join(', ')} kept changing under concurrent writers; the next fetch will merge them`);
    for (const [id, outcome] of outcomes) {
      if (conflicts.has(id)) continue;
      final.set(id, outcome);
      if (outcome !== 'unchanged') changed.add(id);
    }
    // merged again on what the other worker stored: a paper it created now counts as updated
    todo = todo.filter((_, i) => conflicts.has(itemIds[i]!));
  }
  for (const outcome of final.values()) counts[outcome]++;
  return { counts, changedIds: [...changed] };
}
