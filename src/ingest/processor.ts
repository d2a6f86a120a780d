/**
 * The ingest stage for one source: conditional fetch, parse, merge into the stored papers,
 * queue what is new or changed for ranking, and record the source's state. A bad source is
 * reported with its cause and never stops the others.
 */
import type { StageContext } from '../app.ts';
import type { SourceConfig } from '../config/schema.ts';
import type { SourceKind } from '../domain/paper.ts';
import type { IngestCounts } from '../db/index.ts';
import { fetchFeed, userAgent } from './fetch.ts';
import { FetchError } from './fetchError.ts';
import { parseFeed } from './formats/index.ts';
import { FeedError } from './formats/types.ts';
import { storeObservations } from './storeObservations.ts';

export interface IngestReport {
  source: string;
  status: 'ok' | 'not-modified' | 'error';
  counts: IngestCounts;
  /** The cause, when the source failed or was only partly usable. */
  error?: string;
  /** Problems that did not stop the source (truncated feed, wrong charset, skipped items). */
  problems: string[];
  format?: string;
}

const zero = (): IngestCounts => ({ new: 0, updated: 0, unchanged: 0, skipped: 0 });

/** Parse, store and queue one body, from a fetch or a local file. */
export async function ingestBody(
  ctx: StageContext,
  source: { name: string; kind: SourceKind },
  body: Buffer,
  meta: { contentType?: string; etag?: string; lastModified?: string } = {},
): Promise<IngestReport> {
  const observedAt = ctx.clock.now().toISOString();
  let parsed;
  try {
    parsed = parseFeed(body, { source: source.name, kind: source.kind, observedAt, contentType: meta.contentType });
  } catch (err) {
    const message = err instanceof FeedError ? err.message : `the feed could not be read: ${(err as Error).message}`;
    await ctx.store.sources.recordError(source.name, observedAt, message);
    return { source: source.name, status: 'error', counts: zero(), error: message, problems: [] };
  }
  const { counts, changedIds } = await storeObservations(ctx.store, parsed.observations, observedAt);
  counts.skipped += parsed.skipped;
  await ctx.queues.addPapers(changedIds);
  const partial = parsed.problems.length > 0 ? parsed.problems.join('; ') : undefined;
  await ctx.store.sources.recordSuccess(source.name, observedAt, { etag: meta.etag, lastModified: meta.lastModified, counts, error: partial });
  return { source: source.name, status: 'ok', counts, problems: parsed.problems, format: parsed.format, ...(partial ? { error: partial } : {}) };
}

export interface IngestOptions {
  /** Ignore the stored ETag / Last-Modified (a forced re-read). */
  unconditional?: boolean;
  /** True when BullMQ will retry this job: transient failures then throw instead of reporting. */
  willRetry?: boolean;
}

export async function ingestSource(
  ctx: StageContext,
  source: Pick<SourceConfig, 'name' | 'kind' | 'url' | 'allowLocal'>,
  opts: IngestOptions = {},
): Promise<IngestReport> {
  const state = opts.unconditional ? undefined : await ctx.store.sources.get(source.name);
  const at = ctx.clock.now().toISOString();
  let result;
  try {
    result = await fetchFeed({
      url: source.url,
      etag: state?.etag,
      lastModified: state?.lastModified,
      limits: ctx.config.fetch,
      userAgent: userAgent(ctx.config.fetch.contact),
      allowLocal: source.allowLocal,
    });
  } catch (err) {
    const message = err instanceof FetchError ? err.message : `fetching ${source.url} failed: ${(err as Error).message}`;
    await ctx.store.sources.recordError(source.name, at, message);
    if (opts.willRetry && err instanceof FetchError && err.retryable) throw err;
    return { source: source.name, status: 'error', counts: zero(), error: message, problems: [] };
  }
  if (result.status === 'not-modified') {
    await ctx.store.sources.recordNotModified(source.name, at);
    return { source: source.name, status: 'not-modified', counts: zero(), problems: [] };
  }
  return ingestBody(ctx, source, result.body, { contentType: result.contentType, etag: result.etag, lastModified: result.lastModified });
}
