/**
 * RSS 2.0 for the archive: `/feed.xml` (one item per edition) and `/topics/:id/feed.xml` (one
 * item per paper of a topic). GUIDs are derived from what never changes (the edition's day,
 * the paper's id), so a reader never sees an item twice.
 */
import { escapeHtml } from '../lib/html.ts';

export interface FeedItem {
  title: string;
  link: string;
  /** HTML, escaped into the XML. */
  description: string;
  guid: string;
  guidIsPermaLink: boolean;
  pubDate: Date;
  categories?: string[];
}

export interface Feed {
  title: string;
  link: string;
  selfUrl: string;
  description: string;
  items: FeedItem[];
}

/** XML 1.0 forbids most control characters even when escaped: they are dropped. */
export function xmlText(value: string): string {
  return escapeHtml(value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, ''));
}

export function renderRss(feed: Feed): string {
  const newest = feed.items.reduce<Date | undefined>((max, i) => (!max || i.pubDate > max ? i.pubDate : max), undefined);
  const items = feed.items.map(
    (i) => `  <item>
    <title>${xmlText(i.title)}</title>
    <link>${xmlText(i.link)}</link>
    <description>${xmlText(i.description)}</description>
    <guid isPermaLink="${i.guidIsPermaLink}">${xmlText(i.guid)}</guid>
    <pubDate>${i.pubDate.toUTCString()}</pubDate>
${(i.categories ?? []).map((c) => `    <category>${xmlText(c)}</category>\n`).join('')}  </item>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>${xmlText(feed.title)}</title>
  <link>${xmlText(feed.link)}</link>
  <description>${xmlText(feed.description)}</description>
  <language>en</language>
  <atom:link href="${xmlText(feed.selfUrl)}" rel="self" type="application/rss+xml"/>
${newest ? `  <lastBuildDate>${newest.toUTCString()}</lastBuildDate>\n` : ''}  <ttl>60</ttl>
${items.join('\n')}
</channel>
</rss>
`;
}
