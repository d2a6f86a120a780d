/**
 * Any RSS 0.9x / 2.0, RSS 1.0 (RDF, incl. bioRxiv subject feeds) or Atom (0.3 / 1.0) feed.
 *
 * - key: the item's link (Atom: rel=alternate, else the first link; resolved against xml:base
 *   and the feed's link when relative), plus its arXiv id when the link/guid is an arXiv URL and
 *   its DOI from dc:identifier / prism:doi / a doi.org link;
 * - title: HTML for RSS and Atom `type="html"|"xhtml"`, plain text for Atom `type="text"` (with
 *   entities decoded once when some are left);
 * - abstract: summary/description as HTML, else the content stripped and clipped to ~2,000 chars;
 * - authors: dc:creator, author/name, author text; categories: category text or term, dc:subject;
 * - announcedAt: pubDate / dc:date / published / updated (lenient; unparseable → none).
 */
import { parseArxivId, parseDoi } from '../../domain/paper.ts';
import { decodeEntitiesOnce, foldWhitespace, plainText } from '../text.ts';
import { attr, child, children, deepText, textOf, type ParsedXml, type XmlNode } from '../xml.ts';
import { Collector, clip, compact, doiLink, firstDoi, httpUrl, parseDate, resolveUrl, splitAuthors, truncationProblem } from './common.ts';
import type { ParseContext, ParseResult } from './types.ts';

type Family = 'rss' | 'rdf' | 'atom';

export function parseGenericFeed(xml: ParsedXml, root: XmlNode, ctx: ParseContext, family: Family): ParseResult {
  const collector = new Collector(ctx, 'rss');
  const atom = family === 'atom';
  const channel = atom ? root : (child(root, 'channel') ?? root);

  // Relative links resolve against xml:base, else the feed's own link; the self link and an
  // http id stand in for the document's address (which the parser is not told).
  const feedBase = attr(root, 'xml:base') ?? attr(channel, 'xml:base');
  const selfHref = children(channel, 'link', 'atom:link')
    .filter((l) => (attr(l, 'rel') ?? '').trim().toLowerCase() === 'self')
    .map((l) => resolveUrl(attr(l, 'href')))
    .find(Boolean);
  const idUrl = atom ? resolveUrl(textOf(root, 'id', 'atom:id')) : undefined;
  const anchors = [resolveUrl(feedBase), selfHref, idUrl];
  const feedLink = atom ? linkHref(root, ...anchors) : resolveUrl(textOf(channel, 'link'), ...anchors);
  const bases = [resolveUrl(feedBase, feedLink, selfHref, idUrl), feedLink, selfHref, idUrl];

  const items = atom
    ? children(root, 'entry', 'atom:entry')
    : // RSS 2.0: channel/item; RSS 1.0 and 0.90: items beside the channel; tolerate both.
      [...(channel !== root ? children(channel, 'item') : []), ...children(root, 'item')];

  let complete = 0;
  for (const item of items) {
    if (!item.complete) {
      collector.skipQuietly();
      continue;
    }
    complete++;
    const read = atom ? readEntry(item, bases) : readItem(item, bases);
    if ('skip' in read) collector.skip(read.skip, read.example);
    else collector.add(read);
  }
  if (xml.truncated) collector.problem(truncationProblem(xml, complete));

  const titleNode = child(channel, 'title', 'atom:title');
  const title = titleNode ? titleText(titleNode, atom) : '';
  return {
    format: family,
    ...(title ? { title } : {}),
    observations: collector.observations,
    skipped: collector.skipped,
    problems: collector.problems(),
  };
}

function readItem(item: XmlNode, bases: (string | undefined)[]) {
  const itemBase = attr(item, 'xml:base');
  const allBases = [resolveUrl(itemBase, ...bases), ...bases];
  const guidNode = child(item, 'guid');
  const guid = guidNode?.text.trim();
  const guidIsLink = guidNode !== undefined && (attr(guidNode, 'isPermaLink') ?? 'true').trim().toLowerCase() !== 'false';
  const rawLink = textOf(item, 'link')?.trim() || (guidIsLink ? guid : undefined) || attr(item, 'rdf:about');
  const link =
    resolveUrl(textOf(item, 'link'), ...allBases) ??
    (guidIsLink ? resolveUrl(guid, ...allBases) : undefined) ??
    linkHref(item, ...allBases) ??
    resolveUrl(attr(item, 'rdf:about'), ...allBases);

  const description = textOf(item, 'description', 'dc:description');
  const content = child(item, 'content:encoded', 'content');
  const abstract = foldWhitespace(description ?? '') ? plainText(description, 'html') : content ? clip(plainText(content.text, 'html')) : '';

  const titleNode = child(item, 'title', 'dc:title');
  const authors = [
    ...children(item, 'dc:creator').flatMap((c) => splitAuthors(plainText(c.text, 'text'))),
    ...children(item, 'author').map((a) => rssAuthor(a.text)),
  ].filter(Boolean);
  const date = parseDate(textOf(item, 'pubDate', 'dc:date', 'prism:publicationDate', 'dcterms:modified'));
  return build({
    item,
    link,
    rawLink,
    guid,
    title: titleNode ? plainText(titleNode.text, 'html') : '',
    abstract,
    authors,
    categories: [...children(item, 'category'), ...children(item, 'dc:subject')].map((c) => plainText(attr(c, 'term') ?? c.text, 'text')),
    announcedAt: date,
  });
}

function readEntry(entry: XmlNode, bases: (string | undefined)[]) {
  const entryBase = attr(entry, 'xml:base');
  const allBases = [resolveUrl(entryBase, ...bases), ...bases];
  const id = textOf(entry, 'id', 'atom:id')?.trim();
  const link = linkHref(entry, ...allBases) ?? resolveUrl(id, ...allBases);
  const rawLink = children(entry, 'link', 'atom:link')
    .map((l) => attr(l, 'href')?.trim())
    .find(Boolean);

  const summary = child(entry, 'summary', 'atom:summary');
  const content = child(entry, 'content', 'atom:content');
  const summaryText = summary ? atomText(summary) : '';
  const abstract = summaryText || (content ? clip(atomText(content)) : '');

  const titleNode = child(entry, 'title', 'atom:title');
  const authors = [
    ...children(entry, 'author', 'atom:author').map((a) => plainText(textOf(a, 'name', 'atom:name') ?? a.text, 'text')),
    ...children(entry, 'dc:creator').flatMap((c) => splitAuthors(plainText(c.text, 'text'))),
  ].filter(Boolean);
  const published = parseDate(textOf(entry, 'published', 'atom:published', 'issued', 'created'));
  const updated = parseDate(textOf(entry, 'updated', 'atom:updated', 'modified', 'dc:date'));
  return build({
    item: entry,
    link,
    rawLink,
    guid: id,
    title: titleNode ? titleText(titleNode, true) : '',
    abstract,
    authors,
    categories: [...children(entry, 'category', 'atom:category'), ...children(entry, 'dc:subject')].map((c) =>
      plainText(attr(c, 'term') ?? attr(c, 'label') ?? c.text, 'text'),
    ),
    announcedAt: published ?? updated,
    publishedAt: published,
  });
}

/** The draft observation, or the reason the item is skipped when nothing identifies it. */
function build(fields: {
  item: XmlNode;
  link: string | undefined;
  rawLink: string | undefined;
  guid: string | undefined;
  title: string;
  abstract: string;
  authors: string[];
  categories: string[];
  announcedAt: string | undefined;
  publishedAt?: string | undefined;
}) {
  const { item, link, guid } = fields;
  const arxivId = parseArxivId(link) ?? (guid && /arxiv/i.test(guid) ? parseArxivId(guid) : undefined);
  const doiLinkHref = children(item, 'link', 'atom:link')
    .map((l) => httpUrl(attr(l, 'href') ?? l.text))
    .find((h) => /doi\.org\//i.test(h ?? ''));
  const doi =
    firstDoi(textOf(item, 'prism:doi')) ??
    children(item, 'dc:identifier')
      .map((n) => firstDoi(n.text))
      .find(Boolean) ??
    (parseDoi(link) && /doi\.org\//i.test(link ?? '') ? firstDoi(link) : undefined) ??
    firstDoi(doiLinkHref);
  if (!link && !arxivId && !doi && fields.rawLink && fields.title) {
    return { skip: 'relative link and no absolute base URL in the feed', example: fields.rawLink.slice(0, 80) };
  }
  const categories = [...new Set(fields.categories.filter(Boolean))];
  return compact({
    keys: compact({ arxivId, doi, url: link }),
    title: fields.title,
    abstract: fields.abstract,
    authors: [...new Set(fields.authors)],
    categories,
    links: compact({
      abstract: arxivId && /^https?:\/\/(?:www\.|export\.)?arxiv\.org\//i.test(link ?? '') ? `https://arxiv.org/abs/${arxivId}` : link,
      pdf: arxivId ? `https://arxiv.org/pdf/${arxivId}` : undefined,
      doi: doiLink(doi),
    }),
    doi,
    announcedAt: fields.announcedAt,
    publishedAt: fields.publishedAt,
    signal: {},
  });
}

/** An Atom text construct as plain text: `type="html"` / `"xhtml"` / `"text"` (the default). */
function atomText(node: XmlNode): string {
  const type = (attr(node, 'type') ?? '').trim().toLowerCase();
  const mode = (attr(node, 'mode') ?? '').trim().toLowerCase(); // Atom 0.3
  if (type === 'xhtml' || type === 'application/xhtml+xml' || (node.children.length > 0 && !node.text.trim())) {
    return foldWhitespace(deepText(node));
  }
  if (type === 'text' || type === 'text/plain') return decodeEntitiesOnce(node.text);
  if (type === '' && mode !== 'escaped' && !node.text.includes('<')) return decodeEntitiesOnce(node.text);
  return plainText(node.text, 'html');
}

/** A title: RSS titles are HTML; Atom follows its `type` (text by default, entities decoded once). */
function titleText(node: XmlNode, atom: boolean): string {
  if (!atom) return plainText(node.text, 'html');
  const type = (attr(node, 'type') ?? 'text').trim().toLowerCase();
  if (type === 'html' || type === 'text/html') return plainText(node.text, 'html');
  if (type === 'xhtml' || node.children.length > 0) return foldWhitespace(deepText(node));
  return decodeEntitiesOnce(node.text);
}

/** The href of an Atom-style `<link>` (rel=alternate, else no rel, else the first), resolved. */
function linkHref(node: XmlNode, ...bases: (string | undefined)[]): string | undefined {
  const links = children(node, 'link', 'atom:link').filter((l) => attr(l, 'href') !== undefined);
  if (links.length === 0) return undefined;
  const rel = (l: XmlNode) => (attr(l, 'rel') ?? 'alternate').trim().toLowerCase();
  const preferred =
    links.find((l) => rel(l) === 'alternate' && !/^application\/(atom|rss)/i.test(attr(l, 'type') ?? '')) ??
    links.find((l) => rel(l) !== 'self' && rel(l) !== 'replies' && rel(l) !== 'edit' && rel(l) !== 'enclosure') ??
    links[0];
  const base = attr(preferred, 'xml:base');
  return resolveUrl(attr(preferred, 'href'), ...(base ? [resolveUrl(base, ...bases)] : []), ...bases);
}

/** RSS `<author>`: `jane@example.org (Jane Doe)` → Jane Doe; a bare name stays; a bare address too. */
function rssAuthor(value: string): string {
  const v = foldWhitespace(value);
  const open = v.indexOf('(');
  const close = v.lastIndexOf(')');
  if (open >= 0 && close > open && v.slice(0, open).includes('@')) return v.slice(open + 1, close).trim();
  return v;
}
