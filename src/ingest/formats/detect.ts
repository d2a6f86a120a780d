/**
 * Which format a body is, by its content only (never by file name, URL or Content-Type):
 *
 * - JSON array of `{ paper: … }` objects → `hf-daily`; JSON object with `collection` and
 *   `messages` → `biorxiv-api`;
 * - XML `<rss>` with the arXiv namespace or `arxiv:announce_type` → `arxiv-rss` (an Atom
 *   `<feed>` whose entries carry `arxiv:announce_type` too: rss.arxiv.org/atom/…);
 * - `<feed>` answered by the arXiv API (its namespace / OpenSearch / an id under
 *   arxiv.org/api) → `arxiv-api`;
 * - other `<rss>` → `rss`, `<rdf:RDF>` → `rdf`, `<feed>` → `atom`;
 * - an HTML page, an empty body, anything else → a `FeedError` saying what was received.
 */
import { parseXml, child, children, find, textOf, attr, type ParsedXml, type XmlNode } from '../xml.ts';
import { decodeEntitiesOnce } from '../text.ts';
import { FeedError, type FeedFormat } from './types.ts';

export type DetectedDocument =
  | { format: 'hf-daily' | 'biorxiv-api'; json: unknown }
  | { format: 'arxiv-rss' | 'arxiv-api' | 'rss' | 'rdf' | 'atom'; xml: ParsedXml; root: XmlNode };

const ARXIV_NS = 'http://arxiv.org/schemas/atom';

/** The format of `text` (decoded body). Throws a FeedError when it is not a feed. */
export function detectFormat(text: string, contentType?: string): FeedFormat {
  return detectDocument(text, contentType).format;
}

/** Detect and keep the parsed document, so that the format parser does not parse it again. */
export function detectDocument(text: string, contentType?: string): DetectedDocument {
  const start = firstNonSpace(text);
  if (start < 0) throw new FeedError(`not a feed: the body is empty${typeNote(contentType)}`);
  const first = text[start];
  if (first === '[' || first === '{') return detectJson(text, contentType);

  if (first !== '<') {
    throw new FeedError(`not a feed: the body is neither XML nor JSON (it starts with ${preview(text, start)})${typeNote(contentType)}`);
  }
  const xml = parseXml(text);
  const root = xml.root;
  if (!root) {
    throw new FeedError(`not a feed: no XML element in the body (it starts with ${preview(text, start)})${typeNote(contentType)}`);
  }
  const html = xml.tops.find((n) => ['html', 'head', 'body'].includes(n.local.toLowerCase()));
  if (html || /^<!doctype\s+html/i.test(text.slice(start, start + 20))) {
    const title = decodeEntitiesOnce(find(html ?? root, 'title')?.text).slice(0, 120);
    throw new FeedError(`not a feed: the server sent an HTML page (${title ? `"${title}"` : 'untitled'}); check the URL`);
  }

  const name = root.local.toLowerCase();
  if (name === 'rss' || name === 'channel') {
    return { format: isArxivRss(root) ? 'arxiv-rss' : 'rss', xml, root };
  }
  if (name === 'rdf') return { format: 'rdf', xml, root };
  if (name === 'feed') {
    if (entriesCarryAnnounceType(root)) return { format: 'arxiv-rss', xml, root };
    return { format: isArxivApi(root) ? 'arxiv-api' : 'atom', xml, root };
  }
  throw new FeedError(`not a feed: the document's root element is <${root.name}>, not <rss>, <rdf:RDF> or <feed>${typeNote(contentType)}`);
}

function detectJson(text: string, contentType: string | undefined): DetectedDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FeedError(`not a feed: the body looks like JSON but does not parse (${(error as Error).message}); it may be truncated`, { cause: error });
  }
  if (Array.isArray(json)) {
    const objects = json.filter((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) as Record<string, unknown>[];
    const hfLike = (x: Record<string, unknown>) =>
      (x.paper !== null && typeof x.paper === 'object') || (typeof x.id === 'string' && typeof x.title === 'string' && 'upvotes' in x);
    if (json.length === 0 || objects.some(hfLike)) return { format: 'hf-daily', json };
    throw new FeedError(`not a feed: a JSON array whose items are not Hugging Face daily papers${typeNote(contentType)}`);
  }
  const o = json as Record<string, unknown> | null;
  if (o && typeof o === 'object' && Array.isArray(o.collection) && 'messages' in o) return { format: 'biorxiv-api', json };
  const keys = o && typeof o === 'object' ? Object.keys(o).slice(0, 6).join(', ') : typeof json;
  throw new FeedError(`not a feed: JSON that is neither Hugging Face daily papers nor a bioRxiv API answer (keys: ${keys || 'none'})${typeNote(contentType)}`);
}

function declaresArxivNs(node: XmlNode): boolean {
  for (const key in node.attrs) {
    if (key.startsWith('xmlns') && node.attrs[key]!.trim().toLowerCase() === ARXIV_NS) return true;
  }
  return false;
}

function isArxivRss(root: XmlNode): boolean {
  if (declaresArxivNs(root)) return true;
  const channel = child(root, 'channel') ?? root;
  if (declaresArxivNs(channel)) return true;
  const items = children(channel, 'item');
  return items.slice(0, 20).some((item) => child(item, 'arxiv:announce_type') !== undefined);
}

function entriesCarryAnnounceType(root: XmlNode): boolean {
  return children(root, 'entry')
    .slice(0, 20)
    .some((entry) => child(entry, 'arxiv:announce_type') !== undefined);
}

function isArxivApi(root: XmlNode): boolean {
  const id = textOf(root, 'id', 'atom:id') ?? '';
  const links = children(root, 'link', 'atom:link').map((l) => attr(l, 'href') ?? '');
  if (/arxiv\.org\/api/i.test(id) || links.some((h) => /arxiv\.org\/api/i.test(h))) return true;
  const hasOpensearch = root.children.some((c) => c.prefix.toLowerCase() === 'opensearch' || c.ns?.includes('a9.com/-/spec/opensearch'));
  if (!(declaresArxivNs(root) || hasOpensearch)) return false;
  const firstEntryId = textOf(child(root, 'entry', 'atom:entry'), 'id', 'atom:id') ?? '';
  return /arxiv\.org/i.test(id) || /arxiv\.org/i.test(firstEntryId);
}

function firstNonSpace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0xfeff && c !== 0) return i;
  }
  return -1;
}

function preview(text: string, start: number): string {
  const head = text.slice(start, start + 40);
  // Control characters (binary junk) are shown as escapes so the message stays one readable line.
  return JSON.stringify(head.replace(/\s+/g, ' '));
}

function typeNote(contentType: string | undefined): string {
  return contentType ? `; content type ${contentType}` : '';
}
