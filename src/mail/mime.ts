/**
 * The MIME encodings the message builder needs, written for speed and for strict servers:
 * quoted-printable bodies that are 7-bit clean with CRLF line ends only and lines of at most
 * 76 characters, RFC 2047 header words, and header values that no CR or LF can break out of.
 */

const HEX = '0123456789ABCDEF';
const MAX_LINE = 76;

/** Quoted-printable (RFC 2045 §6.7) of UTF-8 text; every line break becomes CRLF. */
export class QuotedPrintableWriter {
  private out = '';
  private column = 0;

  /** Appends text; a line break of any kind (LF, CR, CRLF) ends a line. */
  write(text: string): this {
    const bytes = Buffer.from(text, 'utf8');
    const n = bytes.length;
    for (let i = 0; i < n; i++) {
      const b = bytes[i]!;
      if (b === 0x0d || b === 0x0a) {
        if (b === 0x0d && bytes[i + 1] === 0x0a) i++;
        this.out += '\r\n';
        this.column = 0;
        continue;
      }
      const next = bytes[i + 1];
      const atLineEnd = next === undefined || next === 0x0d || next === 0x0a;
      let token: string;
      if (b === 0x3d || b > 126 || (b < 32 && b !== 0x09) || ((b === 0x20 || b === 0x09) && atLineEnd)) {
        token = `=${HEX[b >> 4]}${HEX[b & 15]}`;
      } else {
        token = String.fromCharCode(b);
      }
      // a soft break keeps room for the "=" that ends the line
      if (this.column + token.length > MAX_LINE - 1) this.softBreak();
      this.out += token;
      this.column += token.length;
    }
    return this;
  }

  /** Ends the current line invisibly (a soft line break), so the next text starts at column 0. */
  softBreak(): this {
    if (this.column > 0) {
      this.out += '=\r\n';
      this.column = 0;
    }
    return this;
  }

  /** The encoded text (the CRLF before a MIME boundary belongs to the boundary, not here). */
  finish(): string {
    this.column = 0;
    return this.take();
  }

  /** What has been written so far, leaving the writer empty (column kept). */
  take(): string {
    const s = this.out;
    this.out = '';
    return s;
  }
}

// printable ASCII but "=" and space: a link, as it almost always is
const PLAIN_LINK = /^[\x21-\x3c\x3e-\x7e]*$/;

/** Quoted-printable of one value placed on lines of its own (see `PreparedMessage`). */
export function quotedPrintableLine(value: string): string {
  if (!PLAIN_LINK.test(value)) return new QuotedPrintableWriter().write(value).softBreak().take();
  // the fast path of a link: only its "=" change, and it is cut every 75 characters
  let out = '';
  let column = 0;
  for (let i = 0; i < value.length; i++) {
    const token = value.charCodeAt(i) === 0x3d ? '=3D' : value[i]!;
    if (column + token.length > MAX_LINE - 1) {
      out += '=\r\n';
      column = 0;
    }
    out += token;
    column += token.length;
  }
  return column > 0 ? `${out}=\r\n` : out;
}

/** Removes what could end or fold a header line (CR, LF, other controls): no input makes a header. */
export function headerSafe(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

/** RFC 2047 B-encoded words for a header value, each ≤ 75 characters, folded with CRLF SP. */
export function encodeWords(value: string): string {
  const words: string[] = [];
  let chunk = '';
  let bytes = 0;
  for (const ch of value) {
    const len = Buffer.byteLength(ch);
    // 45 bytes of base64 is 60 characters: with "=?UTF-8?B?" and "?=" the word stays within 75
    if (bytes + len > 45) {
      words.push(chunk);
      chunk = '';
      bytes = 0;
    }
    chunk += ch;
    bytes += len;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

// eslint-disable-next-line no-control-regex
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/**
 * An unstructured header value (Subject): printable ASCII is folded at spaces, anything else
 * becomes encoded words. `nameLength` is the length of "Name: " on the first line.
 */
export function unstructuredValue(value: string, nameLength: number): string {
  const clean = headerSafe(value);
  // "=?" in plain text would be read as an encoded word
  if (!PLAIN_ASCII.test(clean) || clean.includes('=?')) return encodeWords(clean);
  if (clean.length + nameLength <= 78) return clean;
  const lines: string[] = [];
  let line = '';
  let limit = 78 - nameLength;
  for (const word of clean.split(' ')) {
    if (line && line.length + 1 + word.length > limit) {
      lines.push(line);
      line = word;
      limit = 77;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join('\r\n ');
}

/** A display name as a quoted string, or encoded words when it is not ASCII. */
export function displayName(name: string): string {
  const clean = headerSafe(name);
  if (!PLAIN_ASCII.test(clean) || clean.includes('=?')) return encodeWords(clean);
  return `"${clean.replace(/[\\"]/g, '\\$&')}"`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date-time in UTC: `Thu, 26 Nov 2026 07:00:00 +0000`. */
export function rfc5322Date(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
