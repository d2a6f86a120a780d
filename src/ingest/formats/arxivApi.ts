/**
 * arXiv API answers (export.arxiv.org/api/query): Atom, in the legacy (≤2024: namespaces declared
 * on every element, `http://` links, dx.doi.org) and the 2025+ serializations.
 *
 * An error comes back as a normal feed with one entry titled "Error" whose id is under
 * arxiv.org/api/errors: that is a FeedError, never a paper.
 */
import { parseArxivId } from '../../domain/paper.ts';
import { arxivAnnouncementAfter } from '../arxivCalendar.ts';
import { plainText } from '../text.ts';
import { attr, child, children, textOf, type ParsedXml, type XmlNode } from '../xml.ts';
import { Collector, compact, doiLink, firstDoi, httpUrl, parseDate, truncationProblem } from './common.ts';
import { FeedError, type ParseContext, type ParseResult } from './types.ts';

export function parseArxivApi(xml: ParsedXml, root: XmlNode, ctx: ParseContext): ParseResult {
  const entries = children(root, 'entry', 'atom:entry');
  const error = entries.find(isErrorEntry);
  if (error) {
    const summary = plainText(textOf(error, 'summary', 'atom:summary'), 'text') || 'no reason given';
    throw new FeedError(`the arXiv API answered with an error: ${summary}; check the query in the source URL`);
  }

  const collector = new Collector(ctx, 'arxiv-api');
  let complete = 0;
  for (const entry of entries) {
    if (!entry.complete) {
      collector.skipQuietly();
      continue;
    }
    complete++;
    collector.add(readEntry(entry));
  }
  if (xml.truncated) collector.problem(truncationProblem(xml, complete));

  const title = plainText(textOf(root, 'title', 'atom:title'), 'text');
  return {
    format: 'arxiv-api',
    ...(title ? { title } : {}),
    observations: collector.observations,
    skipped: collector.skipped,
    problems: collector.problems(),
  };
}

function isErrorEntry(entry: XmlNode): boolean {
  const id = textOf(entry, 'id', 'atom:id') ?? '';
  const title = (textOf(entry, 'title', 'atom:title') ?? '').trim();
  return /arxiv\.org\/api\/errors/i.test(id) || (title === 'Error' && !parseArxivId(id));
}

function readEntry(entry: XmlNode) {
  const id = textOf(entry, 'id', 'atom:id');
  const arxivId = parseArxivId(id);
  const links = children(entry, 'link', 'atom:link');
  const alternate = links.find((l) => attr(l, 'rel') === 'alternate');
  const pdf = links.find((l) => attr(l, 'title') === 'pdf' || attr(l, 'type') === 'application/pdf');
  const doiHref = links.find((l) => attr(l, 'title') === 'doi');

  const doi = firstDoi(textOf(entry, 'arxiv:doi', 'arxiv:DOI'));
  const published = parseDate(textOf(entry, 'published', 'atom:published'));
  const announcedAt = published ? arxivAnnouncementAfter(new Date(published)).toISOString() : undefined;

  return compact({
    keys: compact({ arxivId, doi }),
    title: plainText(textOf(entry, 'title', 'atom:title'), 'text'),
    abstract: plainText(textOf(entry, 'summary', 'atom:summary'), 'text'),
    authors: children(entry, 'author', 'atom:author')
      .map((a) => plainText(textOf(a, 'name', 'atom:name'), 'text'))
      .filter(Boolean),
    categories: children(entry, 'category', 'atom:category')
      .map((c) => (attr(c, 'term') ?? '').trim())
      .filter(Boolean),
    primaryCategory: attr(child(entry, 'arxiv:primary_category'), 'term')?.trim() || undefined,
    links: compact({
      // One spelling for arXiv links whatever the serializer wrote (http://, a version suffix).
      abstract: arxivId ? `https://arxiv.org/abs/${arxivId}` : withoutVersion(attr(alternate, 'href')),
      pdf: arxivId ? `https://arxiv.org/pdf/${arxivId}` : withoutVersion(attr(pdf, 'href')),
      doi: doiLink(doi) ?? httpUrl(attr(doiHref, 'href')),
    }),
    doi,
    journalRef: plainText(textOf(entry, 'arxiv:journal_ref', 'arxiv:journal_reference'), 'text') || undefined,
    publishedAt: published,
    announcedAt,
    signal: {},
  });
}

/** `https://arxiv.org/abs/2202.12139v1` → `https://arxiv.org/abs/2202.12139`. */
function withoutVersion(href: string | undefined): string | undefined {
  const url = httpUrl(href);
  if (!url) return undefined;
  return url.replace(/^(https?:\/\/[^/]*arxiv\.org\/(?:abs|pdf)\/.+?)v\d+(\.pdf)?$/i, '$1');
}
