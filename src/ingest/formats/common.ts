/** Helpers shared by the format parsers: dates, links, author lists, validation and counting. */
import { paperObservationSchema, withoutTracking, type PaperObservation, type SourceKind } from '../../domain/paper.ts';
import { foldWhitespace } from '../text.ts';
import type { ParsedXml } from '../xml.ts';
import type { ParseContext } from './types.ts';

/** An observation before validation: what a parser could read from one item. */
export type DraftObservation = Omit<PaperObservation, 'signal' | 'abstract' | 'authors' | 'categories' | 'links'> & {
  abstract?: string;
  authors?: string[];
  categories?: string[];
  links?: PaperObservation['links'];
  signal?: Partial<PaperObservation['signal']>;
};

/**
 * Collects an item list's observations: validates each with the zod schema, counts the ones
 * left out, and sums their reasons into one problem line per reason ("3 items skipped: no title").
 */
export class Collector {
  readonly observations: PaperObservation[] = [];
  skipped = 0;
  private readonly reasons = new Map<string, number>();
  private readonly examples = new Map<string, string>();
  private readonly extraProblems: string[] = [];

  constructor(
    private readonly ctx: ParseContext,
    private readonly kind: SourceKind,
  ) {}

  /** Skip an item for a reason that is summed up in `problems()` (with the first example given). */
  skip(reason: string, example?: string): void {
    this.skipped++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    if (example && !this.examples.has(reason)) this.examples.set(reason, example);
  }

  /** Skip an item silently (its cause is reported otherwise, e.g. the truncation problem). */
  skipQuietly(): void {
    this.skipped++;
  }

  problem(message: string): void {
    this.extraProblems.push(message);
  }

  add(draft: DraftObservation): void {
    const keys = draft.keys;
    if (!keys.arxivId && !keys.doi && !keys.url) return this.skip('no link or id');
    if (!draft.title) return this.skip('no title');
    const candidate = {
      ...draft,
      links: cleanLinks(draft.links ?? {}),
      signal: {
        ...draft.signal,
        source: this.ctx.source,
        kind: this.kind,
        observedAt: this.ctx.observedAt,
      },
    };
    const result = paperObservationSchema.safeParse(candidate);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      return this.skip(`invalid (${where}${issue?.message ?? 'schema'})`);
    }
    this.observations.push(result.data);
  }

  problems(): string[] {
    const out = [...this.extraProblems];
    for (const [reason, count] of this.reasons) {
      const example = this.examples.get(reason);
      out.push(`${count} item${count === 1 ? '' : 's'} skipped: ${reason}${example ? ` (e.g. ${example})` : ''}`);
    }
    return out;
  }
}

/** Drop links that are not absolute http(s) URLs (the schema would reject the whole item). */
function cleanLinks(links: PaperObservation['links']): PaperObservation['links'] {
  const out: PaperObservation['links'] = {};
  for (const [key, value] of Object.entries(links) as [keyof PaperObservation['links'], string | undefined][]) {
    const url = httpUrl(value);
    if (url) out[key] = url;
  }
  return out;
}

/**
 * `value` when it is an absolute http(s) URL without whitespace, else undefined; without its
 * tracking parameters (`utm_*`, `fbclid`…): every link a feed gives passes here, so none of
 * them reaches an email, a page or our own feed.
 */
export function httpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  if (v.length === 0 || v.length > 4096) return undefined;
  if (!/^https?:\/\//i.test(v)) return undefined;
  try {
    const url = new URL(v);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return withoutTracking(url.href);
  } catch {
    return undefined;
  }
}

/** `value` resolved against `base` (xml:base, the feed's link), when the result is http(s). */
export function resolveUrl(value: string | undefined, ...bases: (string | undefined)[]): string | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (!v) return undefined;
  const absolute = httpUrl(v);
  if (absolute) return absolute;
  if (/^[a-z][a-z0-9+.-]*:/i.test(v) && !/^https?:/i.test(v)) return undefined; // mailto:, tag:, urn:…
  for (const base of bases) {
    if (!base) continue;
    try {
      const resolved = httpUrl(new URL(v, base).href);
      if (resolved) return resolved;
    } catch {
      // try the next base
    }
  }
  return undefined;
}

/** A DOI link for a bare DOI. */
export function doiLink(doi: string | undefined): string | undefined {
  return doi ? `https://doi.org/${doi}` : undefined;
}

/** The first DOI-looking token of a value (`10.1093/x 10.1000/y` → `10.1093/x`), as written. */
export function firstDoi(value: string | undefined): string | undefined {
  if (!value) return undefined;
  for (const token of value.trim().split(/\s+/)) {
    const m = /(?:^|doi\.org\/|^doi:)(10\.\d{4,9}\/\S+)$/i.exec(token);
    if (m?.[1]) return m[1].replace(/[.,;]+$/, '');
  }
  return undefined;
}

/**
 * Authors from one comma-joined string: `A, B, C and D` / `A, B, and D` → [A, B, C, D].
 * bioRxiv's `Last, F., Last, F.` form is split after each initial instead.
 */
export function splitAuthors(value: string | undefined): string[] {
  if (!value) return [];
  // cleaned like titles: whitespace folded, control characters dropped
  const v = foldWhitespace(value);
  if (!v) return [];
  if (/^[^,]+, (?:[A-Z][a-z]?\.[- ]?)+(?:,|$)/.test(v.slice(0, 200))) {
    // `LAPALU, N., SIMON, A., Plaumann, P.-L., O'Connell, R. J.`
    return v
      .split(/\.,\s*/)
      .map((s, i, all) => (i < all.length - 1 ? `${s}.` : s).trim())
      .filter(Boolean);
  }
  const parts = v.split(',').map((s) => s.trim());
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    let part = parts[i]!;
    if (part.toLowerCase().startsWith('and ')) part = part.slice(4).trim();
    if (i === parts.length - 1 && / and /i.test(part)) {
      for (const p of part.split(/ and /i)) if (p.trim()) out.push(p.trim());
      continue;
    }
    if (part) out.push(part);
  }
  return out;
}

const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  sept: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};
const ZONES: Record<string, number> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
  cet: 60,
  cest: 120,
  met: 60,
  mest: 120,
  bst: 60,
  ist: 330,
  jst: 540,
  eet: 120,
  eest: 180,
};

/**
 * A feed date as an ISO-8601 UTC string, leniently: RFC 822/1123 (`Thu, 24 Sep 2026 00:00:00
 * -0400`, named zones, two-digit years, no seconds, `03 Apr 02 1500 GMT`), ISO 8601 / W3C-DTF
 * (date-only allowed). Anything unparseable → undefined (never an exception, never NaN).
 */
export function parseDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.trim().slice(0, 100);
  if (!v) return undefined;
  let ms: number | undefined;
  const iso = /^(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(v);
  if (iso) {
    const [, y, mo, d, h, mi, s, frac, zone] = iso;
    const base = Date.UTC(+y!, +mo! - 1, d ? +d : 1, h ? +h : 0, mi ? +mi : 0, s ? +s : 0, frac ? Math.round(+`0.${frac}` * 1000) : 0);
    ms = base - zoneMinutes(zone) * 60_000;
  } else {
    ms = parseRfc822(v);
    if (ms === undefined) {
      const fallback = Date.parse(v);
      if (!Number.isNaN(fallback)) ms = fallback;
    }
  }
  if (ms === undefined || Number.isNaN(ms)) return undefined;
  const year = new Date(ms).getUTCFullYear();
  if (year < 1900 || year > 2200) return undefined;
  return new Date(ms).toISOString();
}

function zoneMinutes(zone: string | undefined): number {
  if (!zone) return 0;
  const z = zone.toLowerCase();
  if (z in ZONES) return ZONES[z]!;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(z);
  if (!m) return 0;
  const minutes = +m[2]! * 60 + +m[3]!;
  return m[1] === '-' ? -minutes : minutes;
}

function parseRfc822(v: string): number | undefined {
  // RFC 850 `13-Feb-26` → `13 Feb 26`; drop commas; tokenise on spaces (weekdays are skipped below).
  const tokens = v
    .replace(/\b(\d{1,2})-([A-Za-z]{3})-(\d{2,4})\b/, '$1 $2 $3')
    .replace(/,/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  let day: number | undefined;
  let month: number | undefined;
  let year: number | undefined;
  let h = 0;
  let mi = 0;
  let s = 0;
  let zone = 0;
  for (const token of tokens) {
    const t = token.toLowerCase();
    const monthKey = t.replace(/\.$/, '').slice(0, t.startsWith('sept') ? 4 : 3);
    if (month === undefined && /^[a-z]+\.?$/.test(t) && monthKey in MONTHS) {
      month = MONTHS[monthKey];
      continue;
    }
    let m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(t);
    if (m) {
      h = +m[1]!;
      mi = +m[2]!;
      s = m[3] ? +m[3] : 0;
      continue;
    }
    m = /^(\d{2})(\d{2})$/.exec(t);
    if (m && day !== undefined && month !== undefined && year !== undefined) {
      // `1500` as a time, after the date
      h = +m[1]!;
      mi = +m[2]!;
      continue;
    }
    if (/^\d{1,4}$/.test(t)) {
      const n = +t;
      if (day === undefined && t.length <= 2 && month === undefined) day = n;
      else if (day === undefined && t.length <= 2 && month !== undefined && year === undefined) day = n;
      else if (year === undefined) year = t.length <= 2 ? (n < 50 ? 2000 + n : 1900 + n) : n;
      continue;
    }
    if (/^[+-]\d{4}$/.test(t) || /^[+-]\d{2}:\d{2}$/.test(t) || t in ZONES) {
      zone = zoneMinutes(t);
      continue;
    }
    if (/^[a-z]+\.?$/.test(t)) continue; // weekday or an unknown word
    return undefined;
  }
  if (day === undefined || month === undefined || year === undefined) return undefined;
  if (day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  return Date.UTC(year, month, day, h, mi, s) - zone * 60_000;
}

/** A string when `value` is a non-empty string. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A non-negative integer when `value` is one (or a numeric string), else undefined. */
export function count(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** A plain object, or undefined. */
export function obj(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Trim to about `max` characters at a word boundary, with an ellipsis. */
export function clip(text: string, max = 2000): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max);
  return `${text.slice(0, cut > max * 0.8 ? cut : max).trimEnd()}…`;
}

/** Remove keys whose value is undefined, so that observations carry only what a source said. */
export function compact<T extends object>(value: T): T {
  const out = {} as T;
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

/** The problem line for a document whose root element was never closed. */
export function truncationProblem(xml: ParsedXml, kept: number): string {
  const items = `${kept} complete item${kept === 1 ? '' : 's'} kept`;
  if (xml.tooDeep) return `elements nest too deeply (unclosed tags); the rest of the document was not read; ${items}`;
  const where = xml.openAtEnd ? ` (ends inside <${xml.openAtEnd}>)` : '';
  return `the document is truncated${where}; ${items}`;
}
