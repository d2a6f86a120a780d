/**
 * Where a JSON text stops being JSON, as a person editing it looks for it: line, column and the
 * line itself. V8's own message gives "position 174", or for some mistakes (an unexpected token
 * in a short text) no position at all, so the text is scanned here by the JSON grammar.
 */

export interface JsonMistake {
  /** 1-based, as editors count. */
  line: number;
  /** 1-based, in characters of that line. */
  column: number;
  reason: string;
  /** The line's text, and a caret under the column. */
  excerpt: string;
}

class Stop extends Error {
  constructor(
    readonly at: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const show = (ch: string | undefined) => (ch === undefined ? 'the end of the file' : /\s/.test(ch) ? JSON.stringify(ch) : `"${ch}"`);

/** The first mistake in `text`, or undefined when it is valid JSON. */
export function describeJsonError(text: string): JsonMistake | undefined {
  let i = 0;
  const peek = () => text[i];
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (what: string): never => {
    throw new Stop(i, `expected ${what}, found ${show(peek())}`);
  };
  const literal = (word: string) => {
    const found = /^[A-Za-z0-9_$]*/.exec(text.slice(i))![0];
    if (found !== word) throw new Stop(i, `expected ${word}, found "${found}"`);
    i += word.length;
  };
  const digits = () => {
    const start = i;
    while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i++;
    if (i === start) expect('a digit');
  };
  const number = () => {
    if (peek() === '-') i++;
    if (peek() === '0') {
      i++;
      if (peek() !== undefined && peek()! >= '0' && peek()! <= '9') throw new Stop(i, 'a number cannot have a leading zero');
    } else digits();
    if (peek() === '.') {
      i++;
      digits();
    }
    if (peek() === 'e' || peek() === 'E') {
      i++;
      if (peek() === '+' || peek() === '-') i++;
      digits();
    }
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      const ch = text[i];
      if (ch === undefined) throw new Stop(i, 'a string is not closed (its closing " is missing)');
      if (ch === '"') {
        i++;
        return;
      }
      if (ch === '\n' || ch === '\r') throw new Stop(i, 'a string cannot span lines: close it with " (or write \\n)');
      if (ch < ' ') throw new Stop(i, 'a control character inside a string: escape it');
      if (ch === '\\') {
        i++;
        const esc = text[i];
        if (esc === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) throw new Stop(i, 'expected four hexadecimal digits after \\u');
          i += 5;
          continue;
        }
        if (esc === undefined || !'"\\/bfnrt'.includes(esc)) throw new Stop(i, `${show(esc)} cannot follow a backslash: write \\\\ for a backslash`);
      }
      i++;
    }
  };
  const value = (): void => {
    space();
    const ch = peek();
    if (ch === '{') return object();
    if (ch === '[') return array();
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return number();
    if (ch === "'") throw new Stop(i, 'JSON strings take double quotes (")');
    expect('a value (a "string", a number, true, false, null, { or [)');
  };
  const members = (close: '}' | ']', member: () => void) => {
    i++; // the opening bracket
    space();
    if (peek() === close) {
      i++;
      return;
    }
    for (;;) {
      member();
      space();
      if (peek() === ',') {
        i++;
        space();
        if (peek() === close) throw new Stop(i, `a comma before "${close}": JSON allows no trailing comma, remove it`);
        continue;
      }
      if (peek() === close) {
        i++;
        return;
      }
      expect(`"," or "${close}"`);
    }
  };
  const object = () =>
    members('}', () => {
      space();
      if (peek() !== '"') expect('a "quoted" key');
      string();
      space();
      if (peek() !== ':') expect('":" after the key');
      i++;
      value();
    });
  const array = () => members(']', value);

  try {
    value();
    space();
    if (i < text.length) throw new Stop(i, `${show(peek())} after the end of the JSON value`);
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    return locate(text, err.at, err.reason);
  }
}

function locate(text: string, offset: number, reason: string): JsonMistake {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = text.indexOf('\n', offset);
  const lineText = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd).replace(/\r$/, '');
  const column = offset - lineStart + 1;
  // tabs stay tabs under the caret, so that it lines up in any terminal
  const pad = lineText.slice(0, column - 1).replace(/[^\t]/g, ' ');
  return { line, column, reason, excerpt: `${lineText}\n${pad}^` };
}
