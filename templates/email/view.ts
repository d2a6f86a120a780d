/**
 * What the digest templates (HTML and plain text) show, computed once per variant so that the
 * two parts always say the same thing, in the same order.
 */
import type { EditionContent, EditionPaper } from '../../src/rank/edition.ts';

import { PLACEHOLDER } from '../../src/mail/placeholders.ts';

export { PLACEHOLDER };

/** How much of a day the email shows in full; the rest is one line each, then the archive. */
export interface DigestBudget {
  /** Papers shown as full cards (Top today included). */
  fullCards: number;
  /** Papers shown after those as one-line entries. */
  compactEntries: number;
  /**
   * A phone screen is short: papers below "Top today" get a one-sentence blurb, and "More
   * papers" (the day's one-paper topics) are one line each. Off for the web edition.
   */
  phoneLength?: boolean;
}

/**
 * Bounded so that a 300-paper day stays under 90 KB of HTML (Gmail clips at about 102 KB),
 * and shortened for phones (the 18-paper demo day went from 7,377 to under 4,600 px at 375 px).
 */
export const DEFAULT_BUDGET: DigestBudget = { fullCards: 25, compactEntries: 40, phoneLength: true };

export interface PaperLink {
  label: string;
  href: string;
}

export interface DigestPaper {
  id: string;
  title: string;
  /** The paper's page: the HF page when it has one (signals and discussion), else its abstract. */
  href?: string;
  /** "A. Author, B. Author, C. Author et al." */
  byline: string;
  organization?: string;
  /** The AI summary when there is one, else the abstract's first sentences; ends at a sentence. */
  blurb: string;
  /** Signals in words a screen reader speaks: "▲ 96 upvotes", "7 comments", "★ 312 stars". */
  signals: string[];
  /** HF's AI keywords, the first few. */
  keywords: string[];
  links: PaperLink[];
  /** Full card, or one line in the compact list. */
  compact: boolean;
}

export interface DigestSection {
  topic: string;
  title: string;
  papers: DigestPaper[];
}

export interface DigestView {
  kind: 'daily' | 'weekly';
  listName: string;
  heading: string;
  dateLabel: string;
  preheader: string;
  subject: string;
  archiveUrl: string;
  /** The best papers across the variant's topics; not repeated in the sections. */
  top: DigestPaper[];
  sections: DigestSection[];
  paperCount: number;
  /** Papers of the variant the email leaves to the archive (size budget). */
  archivedCount: number;
  /** One short line: why this reader gets this email. */
  reason: string;
  postalAddress?: string;
  unsubscribeUrl: string;
  preferencesUrl: string;
}

export function formatDate(date: string): string {
  return new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
}

/** Cuts at a word boundary with an ellipsis. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.5 ? cut.slice(0, space) : cut).replace(/[\s,.;:–—-]+$/, '')}…`;
}

// "e.g. Stable Diffusion" is one sentence: a capital after these does not start a new one
const ABBREVIATION = /(?:\b(?:e\.g|i\.e|cf|vs|al|etc|Fig|Figs|Eq|Eqs|Sec|No|approx|resp)|\b[A-Z])$/;

/**
 * Where sentences end: after . ! ? followed by a space and a capital, a digit or an opening
 * mark, unless the full stop closes an abbreviation or an initial.
 */
function sentenceEnds(clean: string): number[] {
  return [...clean.matchAll(/[.!?](?=\s+[A-Z0-9("'“])/g)].filter((m) => clean[m.index!] !== '.' || !ABBREVIATION.test(clean.slice(Math.max(0, m.index! - 8), m.index!))).map((m) => m.index! + 1);
}

/**
 * The first sentences of a text that fit in `max` characters, so that a blurb never stops
 * mid-sentence; a first sentence longer than that is cut at a word with an ellipsis.
 */
export function firstSentences(text: string, max = 300): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  const ends = sentenceEnds(clean);
  const fits = ends.filter((e) => e <= max);
  if (fits.length > 0) return clean.slice(0, fits[fits.length - 1]);
  return shorten(clean, max);
}

/** The first sentence alone when it fits in `max` characters; else as `firstSentences`. */
export function firstSentence(text: string, max = 300): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  const end = sentenceEnds(clean)[0];
  return end !== undefined && end <= max ? clean.slice(0, end) : firstSentences(clean, max);
}

function byline(authors: string[]): string {
  if (authors.length <= 3) return authors.join(', ');
  return `${authors.slice(0, 3).join(', ')} et al.`;
}

/** Only web links reach an email: a feed's `javascript:` or `data:` URL is dropped. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

function links(p: EditionPaper): PaperLink[] {
  const out: PaperLink[] = [];
  const add = (label: string, href: string | undefined) => {
    const safe = safeUrl(href);
    if (safe) out.push({ label, href: safe });
  };
  add(p.links.abstract?.includes('arxiv.org') ? 'arXiv' : 'Paper', p.links.abstract);
  add('PDF', p.links.pdf);
  // "HF", not "Hugging Face": the row of buttons fits one line on a phone
  add('HF', p.links.hf);
  add('Code', p.links.code);
  add('Project', p.links.project);
  if (out.length === 0) add('DOI', p.links.doi);
  return out;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function toDigestPaper(p: EditionPaper, compact: boolean, shortBlurb = false): DigestPaper {
  const signals = [
    p.upvotes !== undefined ? `▲ ${plural(p.upvotes, 'upvote')}` : undefined,
    p.comments ? plural(p.comments, 'comment') : undefined,
    p.githubStars ? `★ ${plural(p.githubStars, 'star')}` : undefined,
  ].filter((s): s is string => Boolean(s));
  return {
    id: p.id,
    title: p.title.replace(/\s+/g, ' ').trim(),
    href: safeUrl(p.links.hf) ?? safeUrl(p.links.abstract) ?? safeUrl(p.links.doi),
    byline: byline(p.authors),
    organization: p.organization,
    blurb: (shortBlurb ? firstSentence : firstSentences)(p.aiSummary ?? p.abstract),
    signals,
    keywords: (p.aiKeywords ?? []).slice(0, 3).map((k) => k.replace(/\s+/g, ' ').trim()).filter(Boolean),
    links: links(p),
    compact,
  };
}

export interface ViewOptions {
  listName: string;
  subjectPrefix: string;
  publicUrl: string;
  postalAddress?: string;
}

/** The view options of an installation: its mail settings and public URL. */
export function viewOptionsOf(config: { mail: { listName: string; subjectPrefix: string; postalAddress?: string } }, env: { publicUrl: string }): ViewOptions {
  return { listName: config.mail.listName, subjectPrefix: config.mail.subjectPrefix, publicUrl: env.publicUrl, postalAddress: config.mail.postalAddress };
}

const byScore = (a: EditionPaper, b: EditionPaper) => b.score - a.score || (a.id < b.id ? -1 : 1);

/** The short name a title leads with ("RankFlow: Ranking …" → "RankFlow"). */
function leadName(title: string): string {
  const head = title.split(/:\s/)[0]!;
  return head.length >= 3 && head.length < title.length ? head : title;
}

/** At most 60 characters, leading with the top paper: "RankFlow and 17 more · Daily papers". */
export function digestSubject(kind: 'daily' | 'weekly', titles: string[], prefix: string): string {
  const brand = kind === 'weekly' ? `${prefix} (weekly)` : prefix;
  if (titles.length === 0) return brand;
  const more = titles.length > 1 ? ` and ${titles.length - 1} more` : '';
  const suffix = `${more} · ${brand}`;
  return `${shorten(leadName(titles[0]!.replace(/\s+/g, ' ').trim()), Math.max(20, 60 - suffix.length))}${suffix}`;
}

function topicsReason(titles: string[], all: boolean): string {
  if (all) return 'all topics';
  if (titles.length <= 3) return titles.join(', ');
  return `${titles.slice(0, 2).join(', ')} and ${titles.length - 2} more topics`;
}

/**
 * The papers of a variant and the order of its sections: the edition's sections among `topics`
 * (all when empty). The best papers lead as "Top today" and are not repeated below; the
 * sections in `first` come next in that order (the reader's), then the others by their best
 * paper's score; a topic left with one paper joins "More papers".
 */
function arrange(content: EditionContent, topics: string[], first: readonly string[]) {
  const wanted = topics.length === 0 ? undefined : new Set(topics);
  const chosen = content.sections.filter((s) => !wanted || wanted.has(s.topic));
  const seen = new Set<string>();
  const raw = chosen.map((s) => ({
    topic: s.topic,
    title: s.title,
    // a paper filed under two of the reader's topics is shown once, in the first
    papers: s.paperIds
      .filter((id) => !seen.has(id) && seen.add(id))
      .map((id) => content.papers[id]!)
      .sort(byScore),
  }));
  const all = raw.flatMap((s) => s.papers).sort(byScore);
  const topCount = all.length >= 4 ? 3 : 0;
  const topIds = new Set(all.slice(0, topCount).map((p) => p.id));

  const rest = raw.map((s) => ({ ...s, papers: s.papers.filter((p) => !topIds.has(p.id)) })).filter((s) => s.papers.length > 0);
  const pinned = (topic: string) => (first.includes(topic) ? first.indexOf(topic) : first.length);
  rest.sort((a, b) => pinned(a.topic) - pinned(b.topic) || byScore(a.papers[0]!, b.papers[0]!));
  const multi = rest.filter((s) => s.papers.length > 1);
  const singles = rest.filter((s) => s.papers.length === 1).flatMap((s) => s.papers);
  // "More papers" only when it gathers several topics; a lone single keeps its own name
  const ordered = singles.length > 1 ? [...multi, { topic: 'more', title: 'More papers', papers: singles.sort(byScore) }] : rest;
  return { chosen, all, topCount, ordered };
}

/** The sections of a variant as its email shows them, below "Top today" ('more': "More papers"). */
export function sectionsInOrder(content: EditionContent, topics: string[], first: readonly string[] = []): string[] {
  return arrange(content, topics, first).ordered.map((s) => s.topic);
}

/**
 * The view of one variant (see `arrange` for what goes where); beyond the budget papers are
 * one line each, then left to the archive.
 */
export function digestView(content: EditionContent, topics: string[], opts: ViewOptions, budget: DigestBudget = DEFAULT_BUDGET, first: readonly string[] = []): DigestView {
  const { chosen, all, topCount, ordered } = arrange(content, topics, first);
  let shown = 0;
  const place = (p: EditionPaper, inSection: boolean, compact = false): DigestPaper | undefined => {
    shown++;
    if (shown > budget.fullCards + budget.compactEntries) return undefined;
    return toDigestPaper(p, compact || shown > budget.fullCards, inSection && budget.phoneLength);
  };
  const top = all.slice(0, topCount).map((p) => place(p, false)!);
  const sections: DigestSection[] = [];
  for (const s of ordered) {
    const compact = budget.phoneLength === true && s.topic === 'more' && ordered.length > 1;
    const papers = s.papers.map((p) => place(p, true, compact)).filter((p): p is DigestPaper => Boolean(p));
    if (papers.length > 0) sections.push({ topic: s.topic, title: s.title, papers });
  }

  const dateLabel = content.kind === 'weekly' && content.from ? `${formatDate(content.from)} – ${formatDate(content.date)}` : formatDate(content.date);
  const heading = content.kind === 'weekly' ? 'The week in papers' : 'Today in papers';
  const preheader =
    all.length > 1
      ? `Also: ${all
          .slice(1, 3)
          .map((p) => shorten(p.title.replace(/\s+/g, ' '), 70))
          .join(' · ')}`
      : dateLabel;
  const allTopics = content.sections.length > 1 && chosen.length === content.sections.length;
  return {
    kind: content.kind,
    listName: opts.listName,
    heading,
    dateLabel,
    preheader,
    subject: digestSubject(
      content.kind,
      all.map((p) => p.title),
      opts.subjectPrefix,
    ),
    archiveUrl: `${opts.publicUrl}/editions/${content.kind === 'weekly' ? `${content.date}?kind=weekly` : content.date}`,
    top,
    sections,
    paperCount: all.length,
    archivedCount: Math.max(0, all.length - budget.fullCards - budget.compactEntries),
    reason: `You get the ${content.kind} email for ${topicsReason(
      chosen.map((s) => s.title),
      allTopics,
    )}.`,
    postalAddress: opts.postalAddress,
    unsubscribeUrl: PLACEHOLDER.unsubscribeUrl,
    preferencesUrl: PLACEHOLDER.preferencesUrl,
  };
}
