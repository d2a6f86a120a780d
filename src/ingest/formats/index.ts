/**
 * Body → observations: decode (BOM, declaration, charset) → detect the format by content →
 * parse with that format's parser. The configured kind must agree with what was detected:
 * `rss` accepts every format (so a URL or file given ad hoc is read by the arXiv / HF / bioRxiv
 * parser when its content is theirs), `arxiv-rss` also accepts a plain feed (with a problem
 * note), the others only their own format.
 */
import { gunzipSync } from 'node:zlib';
import type { SourceKind } from '../../domain/paper.ts';
import { withoutNul } from '../../lib/input.ts';
import { decodeBody } from '../decode.ts';
import { parseArxivApi } from './arxivApi.ts';
import { parseArxivRss } from './arxivRss.ts';
import { parseBiorxivApi } from './biorxivApi.ts';
import { detectDocument, type DetectedDocument } from './detect.ts';
import { parseGenericFeed } from './genericFeed.ts';
import { parseHfDaily } from './hfDaily.ts';
import { FeedError, type FeedFormat, type ParseContext, type ParseResult } from './types.ts';

export { detectFormat } from './detect.ts';
export { FeedError } from './types.ts';
export type { ParseContext, ParseResult } from './types.ts';

/** The largest body a gzip-compressed file may expand to. */
const MAX_GUNZIPPED = 64 * 1024 * 1024;

const FORMAT_NAMES: Record<FeedFormat, string> = {
  'arxiv-rss': 'an arXiv RSS/Atom announcement feed',
  'arxiv-api': 'an arXiv API answer',
  'hf-daily': 'Hugging Face daily papers JSON',
  'biorxiv-api': 'a bioRxiv/medRxiv API answer',
  rss: 'an RSS feed',
  rdf: 'an RSS 1.0 (RDF) feed',
  atom: 'an Atom feed',
};

/** What each configured kind expects (`rss`: anything). */
const EXPECTED: Record<Exclude<SourceKind, 'rss'>, FeedFormat> = {
  'arxiv-rss': 'arxiv-rss',
  'arxiv-api': 'arxiv-api',
  'hf-daily': 'hf-daily',
  'biorxiv-api': 'biorxiv-api',
};

/**
 * Parse a fetched body (or a file's bytes). Throws `FeedError` when nothing usable is in it (not
 * a feed, an HTML page, the arXiv API's error answer, a kind mismatch); otherwise returns the
 * valid observations, the number of items left out, and the problems met on the way.
 */
export function parseFeed(body: Buffer, ctx: ParseContext): ParseResult {
  const problems: string[] = [];
  let bytes = body;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_GUNZIPPED });
    } catch (error) {
      throw new FeedError(`not a feed: the body is gzip-compressed and does not decompress (${(error as Error).message})`, {
        cause: error,
      });
    }
    problems.push('the body was still gzip-compressed (a Content-Encoding that was not undone); decompressed it');
  }

  const decoded = decodeBody(bytes, ctx.contentType);
  problems.push(...decoded.problems);

  const doc = detectDocument(decoded.text, ctx.contentType);
  const parseAs = checkKind(ctx.kind, doc.format, problems);
  const result = parseDetected(doc, parseAs, ctx);
  // the one door of feed text: a NUL (raw, or JSON's \u0000) would reach the database
  return withoutNul({ ...result, problems: [...problems, ...result.problems] });
}

/** The format to parse as, or a FeedError naming what was expected and what came. */
function checkKind(kind: SourceKind, got: FeedFormat, problems: string[]): FeedFormat {
  if (kind === 'rss') return got;
  const expected = EXPECTED[kind];
  if (got === expected) return got;
  if (kind === 'arxiv-rss' && (got === 'rss' || got === 'rdf' || got === 'atom')) {
    problems.push(`expected ${FORMAT_NAMES['arxiv-rss']} but got ${FORMAT_NAMES[got]} without arXiv announce types; read as a plain feed`);
    return got;
  }
  throw new FeedError(`the source is configured as ${kind} and expects ${FORMAT_NAMES[expected]}, but the body is ${FORMAT_NAMES[got]}`);
}

function parseDetected(doc: DetectedDocument, format: FeedFormat, ctx: ParseContext): ParseResult {
  if ('json' in doc) {
    return format === 'hf-daily' ? parseHfDaily(doc.json, ctx) : parseBiorxivApi(doc.json, ctx);
  }
  switch (format) {
    case 'arxiv-rss':
      return parseArxivRss(doc.xml, doc.root, ctx);
    case 'arxiv-api':
      return parseArxivApi(doc.xml, doc.root, ctx);
    case 'rss':
    case 'rdf':
    case 'atom':
      return parseGenericFeed(doc.xml, doc.root, ctx, format);
    default:
      throw new FeedError(`cannot parse ${FORMAT_NAMES[format]} here`);
  }
}
