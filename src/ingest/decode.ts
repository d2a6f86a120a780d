/**
 * Bytes → text for feed bodies. Feeds lie about their encoding often enough that the
 * declared charset is a hint, not the truth:
 *
 *   BOM (UTF-8, UTF-16LE/BE)  >  UTF-16 without BOM (`<\0` / `\0<`)  >  XML declaration
 *   >  HTTP charset  >  UTF-8
 *
 * then two corrections: a single-byte Latin declaration on bytes that are valid, non-ASCII
 * UTF-8 is read as UTF-8, and UTF-8 bytes that are not valid UTF-8 are read as windows-1252
 * (byte by byte where only a few bytes are bad). Every correction is reported in `problems`.
 */
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';

export interface DecodedBody {
  text: string;
  /** The encoding actually used, lower-case (`utf-8`, `utf-16le`, `windows-1252`, `shift_jis`…). */
  encoding: string;
  /** What was wrong with the declared encoding, if anything; empty when all was as declared. */
  problems: string[];
}

/** Labels that mean "one byte per character, Latin": decoded as windows-1252 (as browsers do). */
const LATIN_LABELS = new Set([
  'iso-8859-1',
  'iso8859-1',
  'iso_8859-1',
  'latin1',
  'latin-1',
  'l1',
  'cp819',
  'ibm819',
  'windows-1252',
  'cp1252',
  'x-cp1252',
  'us-ascii',
  'ascii',
  'ansi_x3.4-1968',
  'iso-ir-100',
]);

const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'x-unicode20utf8']);
const UTF16_LABELS = new Set(['utf-16', 'utf16', 'ucs-2', 'unicode', 'utf-16le', 'utf-16be', 'iso-10646-ucs-2']);

/** How far into the body the XML declaration is looked for (comments or whitespace may precede it). */
const DECLARATION_WINDOW = 1024;

export function decodeBody(body: Buffer, contentType?: string): DecodedBody {
  const problems: string[] = [];

  // 1. Byte order marks.
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    return decodeUtf8(body.subarray(3), problems, 'the byte order mark');
  }
  if (body.length >= 2 && body[0] === 0xff && body[1] === 0xfe) {
    return { text: decodeUtf16(body.subarray(2), 'le'), encoding: 'utf-16le', problems };
  }
  if (body.length >= 2 && body[0] === 0xfe && body[1] === 0xff) {
    return { text: decodeUtf16(body.subarray(2), 'be'), encoding: 'utf-16be', problems };
  }

  // 2. UTF-16 without a BOM: `<` then a zero byte (LE) or a zero byte then `<` (BE).
  const sixteen = sniffUtf16(body);
  if (sixteen) {
    return { text: stripBom(decodeUtf16(body, sixteen)), encoding: `utf-16${sixteen}`, problems };
  }

  // 3. XML declaration, then 4. the HTTP charset, then 5. UTF-8.
  const declared = xmlDeclaredEncoding(body);
  const httpCharset = charsetOf(contentType);
  let label: string | undefined;
  let origin = '';
  if (declared && UTF16_LABELS.has(declared)) {
    // Read as ASCII, so the bytes cannot be UTF-16: the declaration is wrong.
    problems.push(`declared ${declared} but the bytes are 8-bit; the declaration was ignored`);
  } else if (declared) {
    label = declared;
    origin = 'the XML declaration';
  }
  if (!label && httpCharset && !UTF16_LABELS.has(httpCharset)) {
    label = httpCharset;
    origin = 'the HTTP charset';
  }
  if (!label) return decodeUtf8(body, problems, undefined);

  if (UTF8_LABELS.has(label)) return decodeUtf8(body, problems, origin);

  if (LATIN_LABELS.has(label)) {
    if (hasNonAscii(body) && isValidUtf8(body)) {
      problems.push(`declared ${label} but the bytes are UTF-8; read as UTF-8`);
      return { text: stripBom(body.toString('utf8')), encoding: 'utf-8', problems };
    }
    return { text: stripBom(iconv.decode(body, 'windows-1252')), encoding: 'windows-1252', problems };
  }

  if (iconv.encodingExists(label)) {
    // Non-ASCII text in a legacy encoding is practically never also valid UTF-8: when it is, the
    // declaration is the lie (a feed re-encoded to UTF-8 without its declaration being updated).
    if (hasNonAscii(body) && isValidUtf8(body)) {
      problems.push(`declared ${label} but the bytes are UTF-8; read as UTF-8`);
      return { text: stripBom(body.toString('utf8')), encoding: 'utf-8', problems };
    }
    return { text: stripBom(iconv.decode(body, label)), encoding: label, problems };
  }

  problems.push(`unknown encoding "${label}" in ${origin}; read as UTF-8`);
  return decodeUtf8(body, problems, undefined);
}

function decodeUtf8(body: Buffer, problems: string[], origin: string | undefined): DecodedBody {
  const fatal = tryFatalUtf8(body);
  if (fatal !== undefined) return { text: stripBom(fatal), encoding: 'utf-8', problems };
  const said = origin ? `declared UTF-8 (${origin})` : 'no encoding declared';
  const { text, multiByte, invalid } = mixedUtf8(body);
  // Mostly UTF-8 with a few stray bytes: keep the UTF-8. Mostly not UTF-8: a legacy 8-bit text.
  if (multiByte === 0 || invalid > multiByte) {
    problems.push(`${said} but the bytes are not UTF-8; read as windows-1252`);
    return { text: stripBom(iconv.decode(body, 'windows-1252')), encoding: 'windows-1252', problems };
  }
  problems.push(`${said} but ${invalid} byte${invalid === 1 ? ' is' : 's are'} not valid UTF-8; ` + 'those were read as windows-1252');
  return { text: stripBom(text), encoding: 'utf-8', problems };
}

// buffer.isUtf8 (simdutf) then toString is several times faster than a fatal TextDecoder on
// a 10 MB feed; both keep a BOM as U+FEFF, which stripBom removes
function tryFatalUtf8(body: Buffer): string | undefined {
  return isUtf8(body) ? body.toString('utf8') : undefined;
}

function isValidUtf8(body: Buffer): boolean {
  return isUtf8(body);
}

function hasNonAscii(body: Buffer): boolean {
  for (let i = 0; i < body.length; i++) if (body[i]! >= 0x80) return true;
  return false;
}

const CP1252_HIGH = iconv.decode(Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i)), 'windows-1252');

/**
 * UTF-8 where it is valid, windows-1252 for each byte where it is not (a mostly-UTF-8 feed with
 * a stray Latin-1 `©` or a cp1252 smart quote). One pass, linear.
 */
function mixedUtf8(body: Buffer): { text: string; multiByte: number; invalid: number } {
  const parts: string[] = [];
  let start = 0;
  let multiByte = 0;
  let invalid = 0;
  let i = 0;
  const n = body.length;
  while (i < n) {
    const b = body[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const len = utf8SequenceLength(body, i);
    if (len > 0) {
      multiByte++;
      i += len;
      continue;
    }
    invalid++;
    if (i > start) parts.push(body.toString('utf8', start, i));
    parts.push(CP1252_HIGH[b - 0x80]!);
    i++;
    start = i;
  }
  if (start < n) parts.push(body.toString('utf8', start, n));
  return { text: parts.join(''), multiByte, invalid };
}

/** Length of the valid UTF-8 sequence starting at `i` (a byte ≥ 0x80), or 0 if it is invalid. */
function utf8SequenceLength(body: Buffer, i: number): number {
  const b0 = body[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = body[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

function sniffUtf16(body: Buffer): 'le' | 'be' | undefined {
  // Skip nothing: without a BOM, a UTF-16 XML document starts with `<` (or whitespace).
  const limit = Math.min(body.length - 1, 64);
  for (let i = 0; i < limit; i += 2) {
    const a = body[i]!;
    const b = body[i + 1]!;
    if (a === 0x3c && b === 0x00) return 'le';
    if (a === 0x00 && b === 0x3c) return 'be';
    // Whitespace in UTF-16 (LE: `20 00`, BE: `00 20`) may precede the `<`.
    const ws = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
    if (ws(a) && b === 0x00) continue;
    if (a === 0x00 && ws(b)) continue;
    return undefined;
  }
  return undefined;
}

function decodeUtf16(body: Buffer, order: 'le' | 'be'): string {
  const even = body.length - (body.length % 2);
  if (order === 'le') return body.toString('utf16le', 0, even);
  return iconv.decode(body.subarray(0, even), 'utf-16be');
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The `encoding` of an XML declaration in the first KB (read as ASCII), lower-case. */
export function xmlDeclaredEncoding(body: Buffer): string | undefined {
  const head = body.toString('latin1', 0, Math.min(body.length, DECLARATION_WINDOW));
  const start = head.indexOf('<?xml');
  if (start < 0) return undefined;
  const end = head.indexOf('?>', start);
  const decl = head.slice(start, end < 0 ? head.length : end);
  // The declaration is at most 1 KB and the pattern has no nested quantifiers: no backtracking risk.
  const m = /encoding\s*=\s*["']?\s*([A-Za-z0-9._:+-]{1,64})/.exec(decl);
  return m?.[1]?.toLowerCase();
}

/** The charset parameter of a Content-Type, lower-case. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const m = /charset\s*=\s*["']?([A-Za-z0-9._:+-]{1,64})/i.exec(contentType.slice(0, 512));
  return m?.[1]?.toLowerCase();
}
