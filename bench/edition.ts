/**
 * The edition the send and load suites mail: ~200 synthetic arXiv papers ranked into a frozen
 * daily edition, up to 20 variants (topic subsets of its sections), and readers spread over them.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEnvironment, parseConfig } from '../src/config/load.ts';
import { topicSetKey } from '../src/domain/readerChoice.ts';
import type { Store } from '../src/db/store.ts';
import { parseFeed } from '../src/ingest/formats/index.ts';
import { storeObservations } from '../src/ingest/storeObservations.ts';
import { domainOf, parseAddress } from '../src/mail/message.ts';
import { type EditionContent } from '../src/domain/edition.ts';
import { EditionBuilder } from '../src/rank/editionBuilder.ts';
import { Ranker } from '../src/rank/ranker.ts';
import { renderVariant, type RenderedVariant } from '../src/render/renderVariant.ts';
import { viewOptionsOf } from '../templates/email/view.ts';
import { arxivFeed } from './feeds.ts';
import { root } from './lib.ts';
import { kyselyOf } from '../src/db/store.ts';

export const DATE = '2026-11-26';
export const SECRET = 'bench-secret-key-0123456789';
export const PUBLIC_URL = 'https://papers.example.org';
export const MAIL_FROM = 'Daily Papers <papers@example.org>';
export const FROM = parseAddress(MAIL_FROM);
export const DOMAIN = domainOf(FROM.address);
export const sender = { from: FROM, list: { id: 'daily.papers.example.org', name: 'paperboy daily papers', bulk: true } };
/** The shipped config, without its sources: the benches never fetch. */
export const baseConfig = { ...JSON.parse(readFileSync(path.join(root, 'paperboy.config.json'), 'utf8')), sources: [] };

type Config = ReturnType<typeof parseConfig>;

/** The bench edition, frozen in `store`, and up to 20 topic subsets of its sections (the variants' topics). */
export async function benchEdition(store: Store, config: Config): Promise<{ content: EditionContent; topicSets: string[][] }> {
  const observedAt = '2026-11-26T04:00:00.000Z';
  const parsed = parseFeed(arxivFeed(200), { source: 'bench', kind: 'arxiv-rss', observedAt });
  await storeObservations(store, parsed.observations, observedAt);
  await new Ranker(store, config).rankMany(
    parsed.observations.map((o) => o.keys.arxivId!),
    new Date(observedAt),
  );
  const built = await new EditionBuilder(store, config).build('daily', DATE);
  if (built.status === 'empty') throw new Error('the bench edition is empty');
  const content = built.edition.content as EditionContent;
  const sections = content.sections.map((s) => s.topic);
  const topicSets: string[][] = [];
  for (let mask = 1; mask < 2 ** sections.length && topicSets.length < 20; mask++) topicSets.push(sections.filter((_, i) => mask & (1 << i)));
  return { content, topicSets };
}

/** The bench edition and its variants rendered here (not stored), as the send stage's input. */
export async function editionAndVariants(store: Store, config: Config): Promise<{ content: EditionContent; variants: RenderedVariant[] }> {
  const { content, topicSets } = await benchEdition(store, config);
  const env = loadEnvironment({ DATA_DIR: os.tmpdir(), PUBLIC_URL, MAIL_FROM });
  const variants = [];
  for (const topics of topicSets) variants.push(await renderVariant(content, topics, viewOptionsOf(config, env)));
  return { content, variants };
}

/**
 * `count` confirmed daily readers, reader{i}@example.org, reader i reading `topicSets[i % n]`.
 * Inserted in pages of rows, not one `upsert` (three statements) each: 100,000 of those take
 * minutes on PostgreSQL and are not what the benches measure.
 */
export async function addReaders(store: Store, count: number, topicSets: string[][]): Promise<void> {
  const now = new Date().toISOString();
  const PAGE = 1000;
  for (let from = 0; from < count; from += PAGE) {
    const rows = [];
    for (let i = from; i < Math.min(count, from + PAGE); i++) {
      rows.push({
        email: `reader${i}@example.org`,
        status: 'confirmed' as const,
        topics: topicSetKey(topicSets[i % topicSets.length]!),
        frequency: 'daily' as const,
        timezone: 'UTC',
        delivery_hour: 7,
        delivery_time_chosen: 0,
        created_at: now,
        updated_at: now,
        confirmed_at: now,
      });
    }
    await kyselyOf(store).insertInto('subscribers').values(rows).execute();
  }
}
