/**
 * The simple TeX of paper titles and abstracts as plain Unicode text, for readers: `$\omega$Test`
 * → "ωTest", `$O(n^2)$` → "O(n²)", `$\mathcal{L}_{\text{KL}}$` → "L_KL", `--` → "–", `\&` → "&".
 * Math delimiters are dropped; what Unicode cannot write (a fraction, a subscript letter it
 * lacks) stays readable in the usual ASCII spelling (`a/b`, `x_q`). Text outside math is left
 * as written apart from TeX's own escapes, dashes, ties and accents, so a price ("$5 and $10")
 * or a tilde ("~10%") is not taken for TeX. One pass; math segments are at most 300 characters.
 */

const GREEK: Record<string, string> = {
  alpha: 'α',
  beta: 'β',
  gamma: 'γ',
  delta: 'δ',
  epsilon: 'ϵ',
  varepsilon: 'ε',
  zeta: 'ζ',
  eta: 'η',
  theta: 'θ',
  vartheta: 'ϑ',
  iota: 'ι',
  kappa: 'κ',
  lambda: 'λ',
  mu: 'μ',
  nu: 'ν',
  xi: 'ξ',
  omicron: 'ο',
  pi: 'π',
  varpi: 'ϖ',
  rho: 'ρ',
  varrho: 'ϱ',
  sigma: 'σ',
  varsigma: 'ς',
  tau: 'τ',
  upsilon: 'υ',
  phi: 'ϕ',
  varphi: 'φ',
  chi: 'χ',
  psi: 'ψ',
  omega: 'ω',
  Gamma: 'Γ',
  Delta: 'Δ',
  Theta: 'Θ',
  Lambda: 'Λ',
  Xi: 'Ξ',
  Pi: 'Π',
  Sigma: 'Σ',
  Upsilon: 'Υ',
  Phi: 'Φ',
  Psi: 'Ψ',
  Omega: 'Ω',
};

const SYMBOLS: Record<string, string> = {
  ...GREEK,
  times: '×',
  cdot: '·',
  cdots: '⋯',
  ldots: '…',
  dots: '…',
  pm: '±',
  mp: '∓',
  div: '÷',
  ast: '∗',
  star: '⋆',
  circ: '∘',
  bullet: '•',
  leq: '≤',
  le: '≤',
  geq: '≥',
  ge: '≥',
  neq: '≠',
  ne: '≠',
  approx: '≈',
  sim: '∼',
  simeq: '≃',
  equiv: '≡',
  propto: '∝',
  ll: '≪',
  gg: '≫',
  infty: '∞',
  partial: '∂',
  nabla: '∇',
  ell: 'ℓ',
  hbar: 'ℏ',
  forall: '∀',
  exists: '∃',
  emptyset: '∅',
  varnothing: '∅',
  in: '∈',
  notin: '∉',
  subset: '⊂',
  subseteq: '⊆',
  supset: '⊃',
  supseteq: '⊇',
  cup: '∪',
  cap: '∩',
  setminus: '∖',
  to: '→',
  rightarrow: '→',
  leftarrow: '←',
  Rightarrow: '⇒',
  Leftarrow: '⇐',
  leftrightarrow: '↔',
  Leftrightarrow: '⇔',
  mapsto: '↦',
  uparrow: '↑',
  downarrow: '↓',
  land: '∧',
  wedge: '∧',
  lor: '∨',
  vee: '∨',
  neg: '¬',
  lnot: '¬',
  oplus: '⊕',
  otimes: '⊗',
  sum: '∑',
  prod: '∏',
  int: '∫',
  oint: '∮',
  prime: '′',
  dagger: '†',
  top: '⊤',
  bot: '⊥',
  perp: '⊥',
  mid: '|',
  langle: '⟨',
  rangle: '⟩',
  lfloor: '⌊',
  rfloor: '⌋',
  lceil: '⌈',
  rceil: '⌉',
  degree: '°',
  checkmark: '✓',
  log: 'log',
  ln: 'ln',
  exp: 'exp',
  sin: 'sin',
  cos: 'cos',
  tan: 'tan',
  max: 'max',
  min: 'min',
  arg: 'arg',
  lim: 'lim',
  det: 'det',
  dim: 'dim',
  argmax: 'argmax',
  argmin: 'argmin',
  sup: 'sup',
  inf: 'inf',
  Pr: 'Pr',
  mod: 'mod',
  bmod: 'mod',
  quad: ' ',
  qquad: ' ',
  LaTeX: 'LaTeX',
  TeX: 'TeX',
  textendash: '–',
  textemdash: '—',
  ss: 'ß',
  ae: 'æ',
  AE: 'Æ',
  oe: 'œ',
  OE: 'Œ',
  o: 'ø',
  O: 'Ø',
  aa: 'å',
  AA: 'Å',
  l: 'ł',
  L: 'Ł',
  i: 'ı',
};

/** Commands whose one argument is simply the text (fonts, boxes, emphasis). */
const PLAIN_ARGUMENT = new Set([
  'mathcal',
  'mathbf',
  'mathrm',
  'mathit',
  'mathsf',
  'mathtt',
  'mathfrak',
  'mathscr',
  'boldsymbol',
  'bm',
  'pmb',
  'operatorname',
  'text',
  'textrm',
  'textbf',
  'textit',
  'textsf',
  'texttt',
  'textsc',
  'textnormal',
  'textup',
  'emph',
  'mbox',
  'hbox',
  'underline',
  'mathnormal',
]);
/** Switches written as `{\bf …}`: dropped, the group's text kept. */
const SWITCHES = new Set(['bf', 'it', 'em', 'rm', 'sf', 'tt', 'sc', 'sl', 'small', 'large', 'Large', 'footnotesize', 'scriptsize']);
/** Sizing and spacing that has no text: dropped. */
const SILENT = new Set([
  'left',
  'right',
  'big',
  'Big',
  'bigg',
  'Bigg',
  'bigl',
  'bigr',
  'Bigl',
  'Bigr',
  'biggl',
  'biggr',
  'limits',
  'nolimits',
  'displaystyle',
  'textstyle',
  'scriptstyle',
  'mathstrut',
  'nonumber',
  'noindent',
]);

const DOUBLE_STRUCK: Record<string, string> = { R: 'ℝ', N: 'ℕ', Z: 'ℤ', Q: 'ℚ', C: 'ℂ', P: 'ℙ', H: 'ℍ', E: '𝔼', '1': '𝟙' };

/** TeX accents → Unicode combining marks. */
const ACCENTS: Record<string, string> = {
  "'": '\u0301',
  '`': '\u0300',
  '^': '\u0302',
  '"': '\u0308',
  '~': '\u0303',
  '=': '\u0304',
  '.': '\u0307',
  c: '\u0327',
  v: '\u030c',
  u: '\u0306',
  H: '\u030b',
  k: '\u0328',
  r: '\u030a',
  hat: '\u0302',
  tilde: '\u0303',
  bar: '\u0304',
  vec: '\u20d7',
  dot: '\u0307',
  ddot: '\u0308',
  acute: '\u0301',
  grave: '\u0300',
  breve: '\u0306',
  check: '\u030c',
  widehat: '\u0302',
  widetilde: '\u0303',
  overline: '\u0305',
};

const SUPERSCRIPT = mapOf(
  '0123456789+-=()niabcdefghjklmoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδθιφχ*∗′⊤',
  '⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵅᵝᵞᵟᶿᶥᵠᵡ**′ᵀ',
);
const SUBSCRIPT = mapOf('0123456789+-=()aehijklmnoprstuvxβγρφχ', '₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ');

function mapOf(from: string, to: string): Map<string, string> {
  const a = [...from];
  const b = [...to];
  return new Map(a.map((c, i) => [c, b[i]!]));
}

/** A nesting deeper than this is not a title's TeX: the rest is kept as written. */
const MAX_DEPTH = 32;
/** Inline math in a title or an abstract is short; a longer "$…$" stretch is two amounts. */
const MAX_MATH = 300;

/** Title or abstract text with its simple TeX written as Unicode. */
export function texToUnicode(text: string): string {
  if (!/[$\\~]|--/.test(text)) return text;
  const out: string[] = [];
  let i = 0;
  let textStart = 0;
  while (i < text.length) {
    const math = mathAt(text, i);
    if (!math) {
      i++;
      continue;
    }
    out.push(textMode(text.slice(textStart, i)));
    out.push(new Reader(text.slice(math.from, math.to), true).all());
    i = math.end;
    textStart = i;
  }
  out.push(textMode(text.slice(textStart)));
  return out.join('').replace(/ {2,}/g, ' ');
}

/**
 * The math segment starting at `i`: `$…$`, `$$…$$`, `\(…\)` or `\[…\]`. A `$` opens math only
 * when a non-space follows it and a closing `$` with a non-space before it comes within the
 * same sentence-length stretch, as TeX writers do; "$5 and $10" is no math.
 */
function mathAt(text: string, i: number): { from: number; to: number; end: number } | undefined {
  const c = text[i];
  if (c === '\\' && (text[i + 1] === '(' || text[i + 1] === '[')) {
    const close = text.slice(i + 2, i + 2 + MAX_MATH).indexOf(text[i + 1] === '(' ? '\\)' : '\\]');
    return close < 0 ? undefined : { from: i + 2, to: i + 2 + close, end: i + 4 + close };
  }
  if (c !== '$' || (i > 0 && text[i - 1] === '\\')) return undefined;
  const fence = text[i + 1] === '$' ? '$$' : '$';
  const from = i + fence.length;
  if (from >= text.length || /\s/.test(text[from]!)) return undefined;
  let close = text.indexOf(fence, from);
  while (close > 0 && text[close - 1] === '\\') close = text.indexOf(fence, close + 1);
  if (close < 0 || close - from > MAX_MATH || /\s/.test(text[close - 1]!)) return undefined;
  // "$5 and $10": a closing `$` followed by a digit opens an amount, not a formula
  if (fence === '$' && /[0-9]/.test(text[from]!) && /[0-9]/.test(text[close + 1] ?? '')) return undefined;
  return { from, to: close, end: close + fence.length };
}

/** Text outside math: escapes, dashes, ties, accents and font commands; anything else as written. */
function textMode(text: string): string {
  if (!/[\\~-]/.test(text)) return text;
  return new Reader(text, false).all();
}

/** A single pass over TeX source; `math` says whether `^`, `_` and unknown commands are TeX. */
class Reader {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly math: boolean,
  ) {}

  all(): string {
    const out: string[] = [];
    while (this.i < this.src.length) out.push(this.next());
    return out.join('');
  }

  /** The text of the next unit: a group, a command, a script, or one character. */
  private next(): string {
    const s = this.src;
    const c = s[this.i]!;
    if (c === '\\') return this.command();
    if (c === '{' && (this.math || s[this.i + 1] === '\\')) return this.group();
    if (this.math && c === '}') {
      this.i++;
      return '';
    }
    if (this.math && (c === '^' || c === '_')) {
      this.i++;
      return script(this.argument(), c === '^' ? SUPERSCRIPT : SUBSCRIPT, c);
    }
    if (c === '~') {
      this.i++;
      if (this.math) return ' ';
      // a tie between two words ("Fig.~3") is a no-break space; "~10%" means "about"
      const before = s[this.i - 2];
      return before && !/\s/.test(before) && this.i < s.length && !/\s/.test(s[this.i]!) ? '\u00a0' : '~';
    }
    if (c === '-' && !this.math && s[this.i + 1] === '-') {
      const triple = s[this.i + 2] === '-';
      this.i += triple ? 3 : 2;
      return triple ? '—' : '–';
    }
    if (this.math && c === "'") {
      this.i++;
      return '′';
    }
    this.i++;
    return c;
  }

  /** `{…}`: its content (in text mode only a group that starts with a command, `{\em …}`). */
  private group(): string {
    this.i++;
    if (++this.depth > MAX_DEPTH) {
      const rest = this.src.slice(this.i - 1);
      this.i = this.src.length;
      return rest;
    }
    const out: string[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '}') out.push(this.next());
    this.i++;
    this.depth--;
    return out.join('');
  }

  /** The argument of a command or script: a group, a command, or one character. */
  private argument(): string {
    while (this.src[this.i] === ' ') this.i++;
    const c = this.src[this.i];
    if (c === undefined) return '';
    if (c === '{') {
      this.i++;
      this.depth++;
      const out: string[] = [];
      while (this.i < this.src.length && this.src[this.i] !== '}' && this.depth <= MAX_DEPTH) out.push(this.next());
      this.i++;
      this.depth--;
      return out.join('');
    }
    if (c === '\\') return this.command();
    this.i++;
    return c;
  }

  private command(): string {
    const s = this.src;
    const start = this.i;
    this.i++;
    let name = '';
    while (this.i < s.length && /[A-Za-z]/.test(s[this.i]!)) name += s[this.i++];
    if (!name) {
      const symbol = s[this.i] ?? '';
      this.i++;
      if (symbol in ACCENTS && /[A-Za-z{\\]/.test(s[this.i] ?? '')) return accent(this.argument(), ACCENTS[symbol]!);
      if (symbol === ',' || symbol === ';' || symbol === ':' || symbol === ' ') return ' ';
      if (symbol === '!' || symbol === '/') return '';
      if (symbol === '\\') return this.math ? ' ' : '\\';
      return symbol; // \& \% \$ \_ \# \{ \}
    }
    // `\hat{x}`, `\v{s}`, `\c c`: a one-letter accent takes a group or a spaced letter
    const mark = ACCENTS[name];
    if (mark && (name.length > 1 || s[this.i] === '{' || s[this.i] === ' ')) return accent(this.argument(), mark);
    if (name === 'mathbb' || name === 'mathds' || name === 'bbold') {
      const arg = this.argument();
      return [...arg].map((ch) => DOUBLE_STRUCK[ch] ?? ch).join('');
    }
    if (PLAIN_ARGUMENT.has(name)) return this.argument();
    if (name === 'frac' || name === 'dfrac' || name === 'tfrac') {
      const a = this.argument();
      const b = this.argument();
      return `${wrapped(a)}/${wrapped(b)}`;
    }
    if (name === 'sqrt') return `√${wrapped(this.argument())}`;
    if (SILENT.has(name) || SWITCHES.has(name)) {
      if (s[this.i] === ' ') this.i++;
      return '';
    }
    const symbol = SYMBOLS[name];
    if (symbol !== undefined) {
      // `\alpha{}`, and the space that ends a command name, are not text
      if (s.startsWith('{}', this.i)) this.i += 2;
      else if (!this.math && s[this.i] === ' ' && /^[a-z]{1,2}$/.test(name)) this.i++;
      return symbol;
    }
    // an unknown command: in math its name reads best ("\mathrm" aside); in text it is kept
    return this.math ? name : s.slice(start, this.i);
  }
}

/** Sub- or superscript: Unicode's forms when it has one for every character, else `x_(ij)`. */
function script(arg: string, forms: Map<string, string>, mark: string): string {
  const chars = [...arg.trim()];
  if (chars.length === 0) return '';
  if (chars.every((ch) => forms.has(ch))) return chars.map((ch) => forms.get(ch)!).join('');
  return `${mark}${wrapped(arg.trim())}`;
}

/** A fraction's or root's operand: in parentheses when it is more than one symbol or number. */
function wrapped(arg: string): string {
  return /^[\p{L}\p{N}.]+$/u.test(arg) || /^\(.*\)$/.test(arg) ? arg : `(${arg})`;
}

function accent(arg: string, mark: string): string {
  if (!arg) return '';
  const [first, ...rest] = [...arg];
  return `${first}${mark}`.normalize('NFC') + rest.join('');
}

/** A title as a reader reads it, in the email and on every page and feed: one line, its TeX as Unicode. */
export function readableTitle(title: string): string {
  return texToUnicode(title.replace(/\s+/g, ' ').trim());
}
