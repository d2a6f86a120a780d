/**
 * arXiv's announcement feeds, 2024 format: rss.arxiv.org/rss/<cats> (RSS 2.0) and its Atom twin
 * rss.arxiv.org/atom/<cats>.
 *
 * - `<description>` is `arXiv:ID vN Announce Type: X \nAbstract: …` → the abstract is what
 *   follows "Abstract:".
 * - `<guid>` carries the version (`oai:arXiv.org:2609.26811v1`), `<link>` does not; the key is
 *   the id without its version.
 * - `<dc:creator>` is one comma-joined string; every `<category>` is a class; the primary
 *   category is the first one, but only for new/replace (a cross-list's categories do not
 *   include its primary).
 * - `pubDate` is the mailing date at 00:00 ET; the announcement was 20:00 ET the evening before.
 * - An empty channel (weekends, `skipDays`) is zero papers, not a problem.
 */
import { announceTypes, parseArxivId, type AnnounceType } from '../../domain/paper.ts';
import { arxivMailingToAnnouncement } from '../arxivCalendar.ts';
import { plainText } from '../text.ts';
import { attr, child, children, textOf, type XmlNode } from '../xml.ts';
import type { ParsedXml } from '../xml.ts';
import { Collector, compact, doiLink, firstDoi, parseDate, splitAuthors, truncationProblem } from './common.ts';
import type { ParseContext, ParseResult } from './types.ts';

export function parseArxivRss(xml: ParsedXml, root: XmlNode, ctx: ParseContext): ParseResult {
  const collector = new Collector(ctx, 'arxiv-rss');
  const atom = root.local.toLowerCase() === 'feed';
  const channel = atom ? root : (child(root, 'channel') ?? root);
  const items = atom ? children(root, 'entry', 'atom:entry') : [...children(channel, 'item'), ...children(root, 'item')];
  const channelDate = textOf(channel, 'pubDate', 'dc:date', 'updated', 'atom:updated');

  let complete = 0;
  for (const item of items) {
    if (!item.complete) {
      collector.skipQuietly();
      continue;
    }
    complete++;
    collector.add(readItem(item, atom, channelDate));
  }
  if (xml.truncated) collector.problem(truncationProblem(xml, complete));

  const title = plainText(textOf(channel, 'title', 'atom:title'), 'text');
  return {
    format: 'arxiv-rss',
    ...(title ? { title } : {}),
    observations: collector.observations,
    skipped: collector.skipped,
    problems: collector.problems(),
  };
}

function readItem(item: XmlNode, atom: boolean, channelDate: string | undefined) {
  const description = atom ? textOf(item, 'summary', 'atom:summary', 'content', 'atom:content') : textOf(item, 'description');
  const { abstract, header } = splitDescription(description ?? '');

  const guid = textOf(item, 'guid', 'id', 'atom:id');
  const link = atom ? alternateHref(item) : textOf(item, 'link');
  const arxivId = parseArxivId(guid) ?? parseArxivId(link) ?? parseArxivId(header.id);

  const rawType = (textOf(item, 'arxiv:announce_type') ?? header.announceType ?? '').trim().toLowerCase();
  const announceType = (announceTypes as readonly string[]).includes(rawType) ? (rawType as AnnounceType) : undefined;

  const categories = children(item, 'category', 'atom:category')
    .map((c) => (attr(c, 'term') ?? c.text).trim())
    .filter(Boolean);
  const primaryCategory = announceType === 'new' || announceType === 'replace' ? categories[0] : undefined;

  const creators = children(item, 'dc:creator');
  const authors =
    creators.length > 0
      ? creators.flatMap((c) => splitAuthors(c.text))
      : children(item, 'author', 'atom:author').flatMap((a) => splitAuthors(textOf(a, 'name', 'atom:name') ?? a.text));

  const doi = firstDoi(textOf(item, 'arxiv:DOI', 'arxiv:doi'));
  const journalRef = plainText(textOf(item, 'arxiv:journal_reference', 'arxiv:journal_ref'), 'text') || undefined;
  const announcedAt = announcementOf(textOf(item, 'pubDate', 'published', 'atom:published', 'dc:date', 'updated') ?? channelDate);

  return compact({
    keys: compact({ arxivId, doi }),
    title: plainText(textOf(item, 'title', 'atom:title'), 'text'),
    abstract: plainText(abstract, 'text'),
    authors,
    categories,
    primaryCategory,
    links: compact({
      abstract: arxivId ? `https://arxiv.org/abs/${arxivId}` : undefined,
      pdf: arxivId ? `https://arxiv.org/pdf/${arxivId}` : undefined,
      doi: doiLink(doi),
    }),
    doi,
    journalRef,
    announcedAt,
    signal: compact({ announceType }),
  });
}

/** Every item of a day's feed has the same pubDate: compute its announcement once. */
const announcementCache = new Map<string, string | undefined>();

function announcementOf(pubDate: string | undefined): string | undefined {
  if (!pubDate) return undefined;
  if (announcementCache.has(pubDate)) return announcementCache.get(pubDate);
  const parsed = parseDate(pubDate);
  const announcedAt = parsed ? arxivMailingToAnnouncement(new Date(parsed)).toISOString() : undefined;
  if (announcementCache.size > 1000) announcementCache.clear();
  announcementCache.set(pubDate, announcedAt);
  return announcedAt;
}

/** `arXiv:2609.26811v1 Announce Type: new \nAbstract: …` → header fields and the abstract. */
function splitDescription(description: string): { abstract: string; header: { id?: string; announceType?: string } } {
  const marker = description.indexOf('Abstract:');
  if (marker < 0) return { abstract: description, header: {} };
  const head = description.slice(0, marker).slice(0, 300);
  const id = /arXiv:(\S+)/i.exec(head)?.[1];
  const announceType = /Announce Type:\s*([a-z-]+)/i.exec(head)?.[1];
  return { abstract: description.slice(marker + 'Abstract:'.length), header: compact({ id, announceType }) };
}

function alternateHref(entry: XmlNode): string | undefined {
  const links = children(entry, 'link', 'atom:link');
  const alternate = links.find((l) => (attr(l, 'rel') ?? 'alternate') === 'alternate') ?? links[0];
  return attr(alternate, 'href');
}
