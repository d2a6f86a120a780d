/**
 * Field text → plain text, in linear time on any input (no regular expression ever runs over
 * document content with a chance to backtrack).
 *
 * - `'text'`: the value is already plain (the XML layer decoded its entities once). Whitespace
 *   is folded, nothing else is touched: LaTeX such as `$x<y$` stays exactly as written.
 * - `'html'`: the value is HTML (after the XML layer). Entities are decoded exactly once, tags
 *   are stripped, script/style/noscript/iframe/object contents dropped, block elements become
 *   spaces, whitespace folded. A value with no recognisable HTML tag in it (`p<0.05`, `$x<y$`)
 *   is only entity-decoded, so that math written in an HTML field is not taken for a tag.
 */
import { decodeHTML } from 'entities';
import { Parser } from 'htmlparser2';

export type TextFormat = 'text' | 'html';

export function plainText(value: string | undefined, format: TextFormat): string {
  if (!value) return '';
  if (format === 'text') return foldWhitespace(value);
  if (!hasHtmlTag(value)) return foldWhitespace(value.includes('&') ? decodeHTML(value) : value);
  return foldWhitespace(htmlToText(value));
}

/**
 * Decode HTML entities once, for text that is plain but may carry them (an Atom `type="text"`
 * title written as `Q&amp;A` inside an already-escaped document). Whitespace folded.
 */
export function decodeEntitiesOnce(value: string | undefined): string {
  if (!value) return '';
  return foldWhitespace(value.includes('&') ? decodeHTML(value) : value);
}

/** Is this character whitespace to fold (ASCII space, tab, CR, LF, FF, VT, NBSP, Unicode spaces)? */
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/**
 * windows-1252's printable characters for 0x80–0x9F: C1 controls in text are nearly always
 * cp1252 bytes (smart quotes, dashes) that went through a Latin-1 decoder ("demoronize").
 */
const C1_AS_CP1252 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * Runs of whitespace (incl. NBSP) → one space; trimmed; control characters dropped (C1 controls
 * that stand for a windows-1252 character become that character). One pass.
 */
export function foldWhitespace(value: string): string {
  const parts: string[] = [];
  let pendingSpace = false;
  let start = -1; // start of the current run of kept characters (single inner spaces included)
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 0x20 && c < 0x7f) {
      if (start < 0) {
        if (pendingSpace) parts.push(' ');
        pendingSpace = false;
        start = i;
      }
      continue;
    }
    // A lone ASCII space between two kept characters stays inside the run.
    if (c === 0x20 && start >= 0 && i + 1 < n && !isSpace(value.charCodeAt(i + 1)) && !isControl(value.charCodeAt(i + 1))) {
      continue;
    }
    const space = isSpace(c);
    const control = !space && isControl(c);
    if (!space && !control) {
      if (start < 0) {
        if (pendingSpace) parts.push(' ');
        pendingSpace = false;
        start = i;
      }
      continue;
    }
    if (start >= 0) {
      parts.push(value.slice(start, i));
      start = -1;
    }
    if (space && parts.length > 0) pendingSpace = true;
    if (control && c >= 0x80 && c < 0xa0) {
      const mapped = C1_AS_CP1252.charCodeAt(c - 0x80);
      if (mapped >= 0xa0) {
        if (pendingSpace) parts.push(' ');
        pendingSpace = false;
        parts.push(String.fromCharCode(mapped));
      }
    }
  }
  if (start >= 0) parts.push(start === 0 ? value : value.slice(start));
  return parts.length === 1 ? parts[0]! : parts.join('');
}

function isControl(c: number): boolean {
  return c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0) || c === 0xfeff;
}

/** Elements whose content is never text for a reader. */
const DROP = new Set(['script', 'style', 'noscript', 'iframe', 'object', 'template', 'head', 'svg']);
/** Elements that separate words. */
const BLOCK = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'dd',
  'div',
  'dl',
  'dt',
  'figcaption',
  'figure',
  'footer',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'ul',
  'img',
  'caption',
  'center',
]);
/** Every HTML element name a feed is likely to carry; anything else after `<` is taken as text. */
const HTML_TAGS = new Set([
  ...DROP,
  ...BLOCK,
  'a',
  'abbr',
  'acronym',
  'area',
  'audio',
  'b',
  'base',
  'basefont',
  'bdi',
  'bdo',
  'big',
  'body',
  'button',
  'canvas',
  'cite',
  'code',
  'col',
  'colgroup',
  'data',
  'del',
  'details',
  'dfn',
  'dialog',
  'em',
  'embed',
  'fieldset',
  'font',
  'form',
  'frame',
  'frameset',
  'html',
  'i',
  'input',
  'ins',
  'kbd',
  'label',
  'legend',
  'link',
  'map',
  'mark',
  'meta',
  'meter',
  'nobr',
  'output',
  'param',
  'picture',
  'progress',
  'q',
  'rp',
  'rt',
  'ruby',
  's',
  'samp',
  'select',
  'small',
  'source',
  'span',
  'strike',
  'strong',
  'sub',
  'summary',
  'sup',
  'textarea',
  'time',
  'title',
  'track',
  'tt',
  'u',
  'var',
  'video',
  'wbr',
  'option',
  'optgroup',
  'marquee',
  'blink',
  'math',
]);

function isTagNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

/**
 * Does the value contain a real HTML tag or comment (`<p>`, `</a>`, `<br/>`, `<img src…`,
 * `<!--`)? Linear: each `<` looks at most a dozen characters ahead.
 */
export function hasHtmlTag(value: string): boolean {
  let from = 0;
  for (;;) {
    const lt = value.indexOf('<', from);
    if (lt < 0) return false;
    from = lt + 1;
    let i = lt + 1;
    if (value.startsWith('!--', i)) return true;
    if (value.charCodeAt(i) === 0x2f /* / */) i++;
    const nameStart = i;
    while (i < value.length && i - nameStart <= 12 && isTagNameChar(value.charCodeAt(i))) i++;
    if (i === nameStart || i - nameStart > 12) continue;
    const name = value.slice(nameStart, i).toLowerCase();
    if (!HTML_TAGS.has(name)) continue;
    const next = value.charCodeAt(i);
    // `>`, `/`, whitespace, or the end of the text after a tag name: a tag.
    if (Number.isNaN(next) || next === 0x3e || next === 0x2f || isSpace(next)) return true;
  }
}

/** Deeper nesting is malformed HTML; htmlparser2 costs O(depth) per tag, so stop there. */
const MAX_HTML_DEPTH = 1024;
const CHUNK = 16 * 1024;

/** HTML → text with htmlparser2 (HTML mode: entities decoded once, script/style as raw text). */
function htmlToText(html: string): string {
  const out: string[] = [];
  let dropDepth = 0;
  let depth = 0;
  const parser: Parser = new Parser(
    {
      onopentag(name) {
        depth++;
        if (DROP.has(name)) {
          dropDepth++;
          return;
        }
        if (BLOCK.has(name)) {
          out.push(' ');
          return;
        }
        if (!HTML_TAGS.has(name) && dropDepth === 0) {
          // Not HTML (`<y$ …>` from `$x<y$`): keep what was written, as text.
          out.push(decodeHTML(html.slice(parser.startIndex, parser.endIndex + 1)));
        }
      },
      onclosetag(name, implied) {
        depth--;
        if (DROP.has(name)) {
          if (dropDepth > 0) dropDepth--;
          return;
        }
        if (BLOCK.has(name)) out.push(' ');
        else if (!implied && !HTML_TAGS.has(name) && dropDepth === 0) out.push(`</${name}>`);
      },
      ontext(data) {
        if (dropDepth === 0) out.push(data);
      },
    },
    { decodeEntities: true, xmlMode: false },
  );
  for (let at = 0; at < html.length; at += CHUNK) {
    parser.write(html.slice(at, at + CHUNK));
    if (depth > MAX_HTML_DEPTH) return stripTags(html);
  }
  parser.end();
  return out.join('');
}

/**
 * The fallback for malformed HTML nested too deeply for a tree: drop `<…>` tags and the
 * contents of script/style, decode entities. One forward pass (indexOf never looks back).
 */
export function stripTags(html: string): string {
  const lower = html.toLowerCase();
  const out: string[] = [];
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      out.push(html.slice(i));
      break;
    }
    out.push(html.slice(i, lt));
    const next = html.charCodeAt(lt + 1);
    const tagLike = isTagNameChar(next) || next === 0x2f || next === 0x21 || next === 0x3f;
    if (!tagLike) {
      out.push('<');
      i = lt + 1;
      continue;
    }
    const gt = html.indexOf('>', lt);
    if (gt < 0) {
      out.push(html.slice(lt)); // a `<` that never closes is text
      break;
    }
    let end = gt + 1;
    for (const raw of ['script', 'style']) {
      if (lower.startsWith(raw, lt + 1)) {
        const close = lower.indexOf(`</${raw}`, gt);
        end = close < 0 ? html.length : close;
      }
    }
    out.push(' ');
    i = end;
  }
  return decodeHTML(out.join(''));
}
