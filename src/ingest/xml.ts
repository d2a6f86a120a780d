/**
 * A small, lenient XML tree on htmlparser2 (xmlMode): linear time, never throws on bad markup,
 * and keeps whatever closed properly in a truncated document. Feeds are tiny trees of short
 * strings, so a plain object tree is all the parsers need.
 *
 * Names are matched without regard to case, and a prefixed name matches by namespace as well as
 * by the prefix written: `dc:creator` finds `<dc:creator>` and `<foo:creator xmlns:foo="…/dc/…">`;
 * an unprefixed name finds unprefixed elements (whatever the default namespace is), elements of
 * the RSS 1.0 / 0.9 namespaces under any prefix, and elements whose prefix was never declared
 * (some feeds write `<rss:item>` without declaring `rss`).
 */
import { Parser } from 'htmlparser2';

export interface XmlNode {
  /** The name as written, e.g. `arxiv:announce_type`. */
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Direct text and CDATA of this element, concatenated (entities decoded once). */
  text: string;
  /** The local name (after the prefix). */
  local: string;
  /** The local name, lower-case (for matching). */
  lname: string;
  /** The prefix as written (`''` when none). */
  prefix: string;
  /** The namespace URI the prefix resolves to, when it was declared. */
  ns?: string;
  /** False when the document ended before this element was closed (a truncated document). */
  complete: boolean;
  /** Text and child elements in document order (for mixed content such as Atom xhtml). */
  content: (string | XmlNode)[];
}

export interface ParsedXml {
  /** The first top-level element. */
  root?: XmlNode;
  /** The root element was never closed. */
  truncated: boolean;
  /** The innermost element that was open when the document ended (when truncated). */
  openAtEnd?: string;
  /** Every top-level element (an HTML fragment may have several). */
  tops: XmlNode[];
  /** Parsing stopped because elements nested deeper than MAX_XML_DEPTH (malformed input). */
  tooDeep?: boolean;
}

/**
 * Deeper nesting than this is malformed input (unclosed tags), and htmlparser2's open-element
 * stack costs O(depth) per tag: stop there, so that no document costs more than linear time.
 */
export const MAX_XML_DEPTH = 1024;
/** The document is fed in chunks of this size, with the depth checked between chunks. */
const CHUNK = 16 * 1024;

/** Namespace URIs → the conventional prefix they are asked for by (`''`: the unprefixed family). */
const KNOWN_NS: Record<string, string> = {
  'http://www.w3.org/2005/atom': 'atom',
  'http://purl.org/atom/ns#': 'atom',
  'http://purl.org/rss/1.0/': '',
  'http://my.netscape.com/rdf/simple/0.9/': '',
  'http://backend.userland.com/rss2': '',
  'http://purl.org/dc/elements/1.1/': 'dc',
  'http://purl.org/dc/terms/': 'dcterms',
  'http://purl.org/rss/1.0/modules/content/': 'content',
  'http://arxiv.org/schemas/atom': 'arxiv',
  'http://a9.com/-/spec/opensearch/1.1/': 'opensearch',
  'http://a9.com/-/spec/opensearchrss/1.0/': 'opensearch',
  'http://prismstandard.org/namespaces/basic/2.0/': 'prism',
  'http://prismstandard.org/namespaces/1.2/basic/': 'prism',
  'http://purl.org/rss/1.0/modules/prism/': 'prism',
  'http://www.w3.org/1999/02/22-rdf-syntax-ns#': 'rdf',
  'http://search.yahoo.com/mrss/': 'media',
  'http://www.itunes.com/dtds/podcast-1.0.dtd': 'itunes',
  'http://www.w3.org/1999/xhtml': 'xhtml',
};
const KNOWN_PREFIXES = new Set(Object.values(KNOWN_NS).filter(Boolean));

const PREDEFINED: Record<string, string> = { xml: 'http://www.w3.org/XML/1998/namespace' };

function split(name: string): { prefix: string; local: string } {
  const i = name.indexOf(':');
  return i < 0 ? { prefix: '', local: name } : { prefix: name.slice(0, i), local: name.slice(i + 1) };
}

/** Parse `text` into a tree. Never throws; an empty or tag-less text gives no root. */
export function parseXml(text: string): ParsedXml {
  const tops: XmlNode[] = [];
  const stack: XmlNode[] = [];
  const scopes: Record<string, string>[] = [PREDEFINED];
  let ending = false;
  let openAtEnd: string | undefined;

  const parser = new Parser(
    {
      onopentag(name, attrs) {
        const parentScope = scopes[scopes.length - 1]!;
        let scope = parentScope;
        for (const key in attrs) {
          if (key === 'xmlns' || key.startsWith('xmlns:')) {
            if (scope === parentScope) scope = { ...parentScope };
            scope[key === 'xmlns' ? '' : key.slice(6)] = attrs[key]!.trim();
          }
        }
        const { prefix, local } = split(name);
        const ns = scope[prefix];
        const node: XmlNode = {
          name,
          attrs,
          children: [],
          text: '',
          local,
          lname: local.toLowerCase(),
          prefix,
          complete: true,
          content: [],
          ...(ns ? { ns } : {}),
        };
        const parent = stack[stack.length - 1];
        if (parent) {
          parent.children.push(node);
          parent.content.push(node);
        } else {
          tops.push(node);
        }
        stack.push(node);
        scopes.push(scope);
      },
      ontext(data) {
        const node = stack[stack.length - 1];
        if (!node) return;
        node.text += data;
        const last = node.content.length - 1;
        if (last >= 0 && typeof node.content[last] === 'string') node.content[last] += data;
        else node.content.push(data);
      },
      onclosetag() {
        const node = stack.pop();
        scopes.pop();
        if (node && ending) {
          node.complete = false;
          if (openAtEnd === undefined) openAtEnd = node.name;
        }
      },
    },
    { xmlMode: true, decodeEntities: true, recognizeCDATA: true },
  );
  let tooDeep = false;
  for (let at = 0; at < text.length; at += CHUNK) {
    parser.write(text.slice(at, at + CHUNK));
    if (stack.length > MAX_XML_DEPTH) {
      tooDeep = true;
      break;
    }
  }
  ending = true;
  parser.end();

  const root = tops[0];
  return {
    ...(root ? { root } : {}),
    truncated: root ? !root.complete : false,
    ...(openAtEnd ? { openAtEnd } : {}),
    tops,
    ...(tooDeep ? { tooDeep } : {}),
  };
}

/** The prefix a node is known by: the conventional one of its namespace, else the one written. */
function conventionalPrefix(node: XmlNode): string | undefined {
  if (node.ns === undefined) return undefined;
  return KNOWN_NS[node.ns.toLowerCase()];
}

interface Query {
  local: string;
  /** Lower-case prefix, or undefined for an unprefixed query. */
  prefix: string | undefined;
}
const queries = new Map<string, Query>();

function compile(query: string): Query {
  let q = queries.get(query);
  if (!q) {
    const i = query.indexOf(':');
    q = i < 0 ? { local: query.toLowerCase(), prefix: undefined } : { local: query.slice(i + 1).toLowerCase(), prefix: query.slice(0, i).toLowerCase() };
    if (queries.size < 1000) queries.set(query, q);
  }
  return q;
}

/** Does `node` answer to `query` (`title`, `dc:creator`, `atom:link`…)? See the module comment. */
export function is(node: XmlNode, query: string): boolean {
  const q = compile(query);
  if (node.lname !== q.local) return false;
  if (q.prefix === undefined) {
    if (node.prefix === '') return true;
    const conventional = conventionalPrefix(node);
    if (conventional === '') return true;
    return node.ns === undefined && !KNOWN_PREFIXES.has(node.prefix.toLowerCase());
  }
  return node.prefix.toLowerCase() === q.prefix || conventionalPrefix(node) === q.prefix;
}

/** The first child answering to any of `names` (tried in order of `names`). */
export function child(node: XmlNode | undefined, ...names: string[]): XmlNode | undefined {
  if (!node) return undefined;
  for (const name of names) {
    for (const c of node.children) if (is(c, name)) return c;
  }
  return undefined;
}

/** Every child answering to any of `names`, in document order. */
export function children(node: XmlNode | undefined, ...names: string[]): XmlNode[] {
  if (!node) return [];
  return node.children.filter((c) => names.some((n) => is(c, n)));
}

/** The direct text of the first child answering to any of `names`, or undefined. */
export function textOf(node: XmlNode | undefined, ...names: string[]): string | undefined {
  return child(node, ...names)?.text;
}

/** An attribute by name (case-insensitive; a prefixed attribute also matches by its local name). */
export function attr(node: XmlNode | undefined, name: string): string | undefined {
  if (!node) return undefined;
  const exact = node.attrs[name];
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  const wantLocal = split(lower).local;
  const hasPrefix = lower.includes(':');
  for (const key in node.attrs) {
    const k = key.toLowerCase();
    if (k === lower) return node.attrs[key];
    if (hasPrefix && split(k).local === wantLocal && k.includes(':')) return node.attrs[key];
  }
  return undefined;
}

const BLOCK = new Set([
  'p',
  'div',
  'br',
  'li',
  'ul',
  'ol',
  'tr',
  'td',
  'th',
  'table',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'section',
  'article',
  'hr',
  'dd',
  'dt',
  'figure',
  'figcaption',
]);
const SKIP = new Set(['script', 'style', 'noscript', 'iframe', 'object']);

/**
 * All text under `node` in document order (for Atom `type="xhtml"` content): block elements
 * become spaces, script/style contents are dropped. Iterative, so deep nesting cannot overflow.
 */
export function deepText(node: XmlNode): string {
  const out: string[] = [];
  const work: (string | XmlNode)[] = [node];
  while (work.length > 0) {
    const item = work.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const local = item.lname;
    if (item !== node && SKIP.has(local)) continue;
    const block = BLOCK.has(local);
    if (block) work.push(' ');
    for (let i = item.content.length - 1; i >= 0; i--) work.push(item.content[i]!);
    if (block) work.push(' ');
  }
  return out.join('');
}

/** The first element anywhere under `node` (depth-first, document order) answering to `name`. */
export function find(node: XmlNode | undefined, name: string, maxNodes = 100_000): XmlNode | undefined {
  if (!node) return undefined;
  const work: XmlNode[] = [node];
  let seen = 0;
  while (work.length > 0 && seen++ < maxNodes) {
    const item = work.pop()!;
    if (is(item, name)) return item;
    for (let i = item.children.length - 1; i >= 0; i--) work.push(item.children[i]!);
  }
  return undefined;
}
