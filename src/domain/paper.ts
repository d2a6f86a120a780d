/**
 * The one shape every source is normalized to. A `PaperObservation` is what one source
 * says about one paper at one time; a `Paper` is everything known about it, merged.
 */
import { z } from 'zod';

/** The kinds of feed a source can be (the config's `sources[].kind`). */
export const sourceKinds = ['arxiv-rss', 'arxiv-api', 'hf-daily', 'rss', 'biorxiv-api'] as const;
export type SourceKind = (typeof sourceKinds)[number];

export const announceTypes = ['new', 'cross', 'replace', 'replace-cross'] as const;
export type AnnounceType = (typeof announceTypes)[number];

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 time');
const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'expected an http(s) URL');

export const paperLinksSchema = z.object({
  /** The paper's landing page (arXiv abstract page, bioRxiv page, blog post). */
  abstract: httpUrl.optional(),
  pdf: httpUrl.optional(),
  hf: httpUrl.optional(),
  code: httpUrl.optional(),
  project: httpUrl.optional(),
  doi: httpUrl.optional(),
});
export type PaperLinks = z.infer<typeof paperLinksSchema>;

/** What one source reported about a paper, with the time it was observed. */
export const sourceSignalSchema = z.object({
  source: z.string(),
  kind: z.enum(sourceKinds),
  observedAt: isoTime,
  announceType: z.enum(announceTypes).optional(),
  upvotes: z.number().int().min(0).optional(),
  comments: z.number().int().min(0).optional(),
  githubStars: z.number().int().min(0).optional(),
  aiSummary: z.string().optional(),
  aiKeywords: z.array(z.string()).optional(),
  organization: z.string().optional(),
  /** HF: when the paper was put on the daily page. */
  submittedOnDailyAt: isoTime.optional(),
});
export type SourceSignal = z.infer<typeof sourceSignalSchema>;

export const paperObservationSchema = z.object({
  /** At least one key identifies the paper; the strongest becomes its canonical id. */
  keys: z
    .object({ arxivId: z.string().optional(), doi: z.string().optional(), url: z.string().optional() })
    .refine((k) => Boolean(k.arxivId || k.doi || k.url), 'an item needs an arXiv id, a DOI or a link'),
  title: z.string().min(1, 'an item needs a title'),
  abstract: z.string().default(''),
  authors: z.array(z.string()).default([]),
  categories: z.array(z.string()).default([]),
  primaryCategory: z.string().optional(),
  links: paperLinksSchema.default({}),
  doi: z.string().optional(),
  journalRef: z.string().optional(),
  /** When the paper was announced / appeared in this source (drives the edition day). */
  announcedAt: isoTime.optional(),
  /** When the paper (v1) was first published by its authors. */
  publishedAt: isoTime.optional(),
  signal: sourceSignalSchema,
});
export type PaperObservation = z.infer<typeof paperObservationSchema>;

export interface TopicScore {
  id: string;
  score: number;
}

export interface Paper {
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  categories: string[];
  primaryCategory?: string;
  links: PaperLinks;
  doi?: string;
  journalRef?: string;
  announceType?: AnnounceType;
  announcedAt?: string;
  publishedAt?: string;
  firstSeenAt: string;
  updatedAt: string;
  sources: string[];
  textSource: string;
  signals: Record<string, SourceSignal>;
  contentHash: string;
  editionDate?: string;
  primaryTopic?: string;
  topics: TopicScore[];
  score?: number;
  rankedAt?: string;
}

const ARXIV_NEW = /^(\d{4}\.\d{4,5})(v\d+)?$/;
const ARXIV_OLD = /^([a-z-]+(?:\.[A-Z]{2})?\/\d{7})(v\d+)?$/;

/**
 * The arXiv id without its version from any of the forms feeds use: `2409.04503v2`,
 * `arXiv:2409.04503`, `oai:arXiv.org:2409.04503v1`, `https://arxiv.org/abs/2409.04503v3`,
 * `http://arxiv.org/pdf/hep-th/9901001v1`, the DOI `10.48550/arXiv.2409.04503`.
 */
export function parseArxivId(value: string | undefined | null): string | undefined {
  if (!value) return undefined;
  let v = value.trim();
  v = v.replace(/^oai:arxiv\.org:/i, '').replace(/^arxiv:/i, '');
  const doi = /10\.48550\/arxiv\.(.+)$/i.exec(v);
  if (doi?.[1]) v = doi[1];
  const url = /arxiv\.org\/(?:abs|pdf|html)\/(.+?)(?:\.pdf)?(?:[?#].*)?$/i.exec(v);
  if (url?.[1]) v = url[1];
  const hf = /huggingface\.co\/papers\/(.+?)(?:[?#].*)?$/i.exec(v);
  if (hf?.[1]) v = hf[1];
  const m = ARXIV_NEW.exec(v) ?? ARXIV_OLD.exec(v);
  return m?.[1];
}

/** `10.1101/2023.12.14.571597` from a bare DOI, `doi:…` or a doi.org URL; lower-cased. */
export function parseDoi(value: string | undefined | null): string | undefined {
  if (!value) return undefined;
  const m = /(?:^|doi\.org\/|doi:\s*)(10\.\d{4,9}\/\S+)$/i.exec(value.trim());
  return m?.[1]?.replace(/[.,;]+$/, '').toLowerCase();
}

/**
 * Query parameters that only tell a site where a click came from (analytics, ad and
 * newsletter click ids, social "shared from" tags): never part of what a link points to.
 */
const TRACKING_PARAMS =
  /^(utm_[a-z_]+|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|yclid|twclid|igshid|mc_[a-z]+|ref_src|ref_url|_hsenc|_hsmi|mkt_tok|oly_(?:anon|enc)_id|vero_(?:id|conv)|_ga|_gl|rss|ref)$/i;

/**
 * The URL without its tracking parameters. The other parameters, their order and spelling, and
 * the fragment are kept exactly as written (a URL without any is returned unchanged).
 */
export function withoutTracking(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const hash = url.indexOf('#', query);
  const end = hash < 0 ? url.length : hash;
  const pairs = url.slice(query + 1, end).split('&');
  const kept = pairs.filter((pair) => {
    const key = pair.split('=', 1)[0]!;
    let name = key;
    try {
      name = decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      // a malformed escape: compare the key as written
    }
    return !TRACKING_PARAMS.test(name);
  });
  if (kept.length === pairs.length) return url;
  const rest = kept.filter(Boolean).join('&');
  return `${url.slice(0, query)}${rest ? `?${rest}` : ''}${url.slice(end)}`;
}

/** A URL in one spelling: https, lower-case host, no tracking parameters, fragment or trailing slash. */
export function normalizeUrl(value: string | undefined | null): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.protocol = 'https:';
  url.hash = '';
  url.search = new URL(withoutTracking(url.href)).search;
  url.searchParams.sort();
  let text = url.toString();
  if (url.search === '' && text.endsWith('/') && url.pathname !== '/') text = text.slice(0, -1);
  return text;
}

/** Every alias an observation can be found under; the first is the canonical id of a new paper. */
export function aliasesOf(keys: PaperObservation['keys']): string[] {
  const out: string[] = [];
  const arxiv = parseArxivId(keys.arxivId);
  const doi = parseDoi(keys.doi);
  const url = normalizeUrl(keys.url);
  if (arxiv) out.push(`arxiv:${arxiv}`);
  if (doi) out.push(`doi:${doi}`);
  if (url) out.push(`url:${url}`);
  return out;
}

/** The canonical id for a paper first seen with these aliases: arXiv id, else doi:…, else the URL. */
export function canonicalIdFromAliases(aliases: string[]): string {
  const first = aliases[0];
  if (!first) throw new Error('a paper needs at least one alias');
  if (first.startsWith('arxiv:')) return first.slice('arxiv:'.length);
  if (first.startsWith('url:')) return first.slice('url:'.length);
  return first;
}
