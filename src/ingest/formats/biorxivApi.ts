/**
 * bioRxiv / medRxiv details API (`api.biorxiv.org/details/<server>/<interval>/<cursor>`):
 * `{ messages: [...], collection: [...] }` where every value is a string, authors are one
 * "Last, F.; Last, F." string and `published` is a journal DOI or "NA".
 */
import { parseDoi } from '../../domain/paper.ts';
import { plainText } from '../text.ts';
import { Collector, compact, doiLink, obj, parseDate, str } from './common.ts';
import type { ParseContext, ParseResult } from './types.ts';

export function parseBiorxivApi(json: unknown, ctx: ParseContext): ParseResult {
  const collector = new Collector(ctx, 'biorxiv-api');
  const body = obj(json) ?? {};
  const collection = Array.isArray(body.collection) ? body.collection : [];
  for (const raw of collection) {
    const record = obj(raw);
    if (!record) {
      collector.skip('not an object');
      continue;
    }
    collector.add(readRecord(record));
  }
  const status = str(obj(Array.isArray(body.messages) ? body.messages[0] : undefined)?.status);
  if (collection.length === 0 && status && status.toLowerCase() !== 'ok' && !/no posts found/i.test(status)) {
    collector.problem(`the bioRxiv API said: ${status}`);
  }
  return {
    format: 'biorxiv-api',
    observations: collector.observations,
    skipped: collector.skipped,
    problems: collector.problems(),
  };
}

function readRecord(record: Record<string, unknown>) {
  const doi = str(record.doi)?.trim();
  const validDoi = parseDoi(doi) ? doi : undefined;
  const version = str(record.version)?.trim();
  const server = (str(record.server) ?? 'biorxiv').trim().toLowerCase() === 'medrxiv' ? 'medrxiv' : 'biorxiv';
  const page = validDoi && version && /^\d{1,4}$/.test(version) ? `https://www.${server}.org/content/${validDoi}v${version}` : undefined;
  const date = parseDate(str(record.date));
  const published = str(record.published)?.trim();
  const journalDoi = published && published.toUpperCase() !== 'NA' ? published : undefined;
  const category = plainText(str(record.category), 'text');

  return compact({
    keys: compact({ doi: validDoi }),
    title: plainText(str(record.title), 'text'),
    abstract: plainText(str(record.abstract), 'text'),
    authors: (str(record.authors) ?? '')
      .split(';')
      .map((a) => plainText(a, 'text'))
      .filter(Boolean),
    categories: category ? [category] : [],
    links: compact({ abstract: page, pdf: page ? `${page}.full.pdf` : undefined, doi: doiLink(validDoi) }),
    doi: validDoi,
    journalRef: journalDoi ? `doi:${journalDoi}` : undefined,
    publishedAt: date,
    announcedAt: date,
    signal: {},
  });
}
