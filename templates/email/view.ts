/**
 * What the digest templates (HTML and plain text) show, computed once per variant so that the
 * two parts always say the same thing, in the same order.
 */
import type { EditionContent, EditionPaper } from '../../src/domain/edition.ts';
import { addDays } from '../../src/domain/time.ts';
import { PLACEHOLDER } from '../../src/mail/placeholders.ts';
import { abstractBlurb, firstSentence, firstSentences, shorten } from './blurb.ts';
import { readableTitle, texToUnicode } from '../../src/domain/tex.ts';
import { feedbackLinks, type FeedbackLinks } from '../../src/mail/feedbackLinks.ts';
import { byline } from '../../src/domain/byline.ts';

export { PLACEHOLDER };

/**
 * How much of a day the email shows: the best papers by score as full cards, wherever their
 * section puts them; the next ones as one line each; the rest in the archive.
 */
export interface DigestBudget {
  /** Papers shown as full cards (Top today included): the variant's best by score. */
  fullCards: number;
  /** Papers shown after those as one-line entries. */
  compactEntries: number;
  /** A phone screen is short: papers below "Top today" get a one-sentence blurb. Off for the web edition. */
  phoneLength?: boolean;
}

/**
 * Bounded so that a 300-paper day stays under 90 KB of HTML (Gmail clips at about 102 KB),
 * and for phones: the ten best papers in full, then one line each, 65 in all (the 18-paper
 * demo day at 375 px: 5,129 px tall with 10 full cards, 5,647 with 12; a Chromium test keeps
 * it under 5,500).
 */
export const DEFAULT_BUDGET: DigestBudget = { fullCards: 10, compactEntries: 55, phoneLength: true };

export interface PaperLink {
  label: string;
  href: string;
}

/** One community signal in words a screen reader speaks; the comment count links to the discussion. */
export interface Signal {
  text: string;
  href?: string;
}

export interface DigestPaper {
  id: string;
  title: string;
  /** The paper's page: the HF page when it has one (signals and discussion), else its abstract. */
  href?: string;
  /** "A. Author, B. Author, C. Author +47 authors" */
  byline: string;
  organization?: string;
  /** What the paper found, in whole sentences: HF's AI summary, else picked from the abstract. */
  blurb: string;
  /** The blurb is Hugging Face's AI summary, not the authors' words: shown labelled. */
  aiSummary: boolean;
  /** "new today", "trending · published 20 Nov", "published 18 Nov". */
  freshness?: string;
  /** "▲ 96 upvotes", "7 comments" (linked to the discussion), "★ 312 stars". */
  signals: Signal[];
  /** HF's AI keywords, the first few. */
  keywords: string[];
  links: PaperLink[];
  /** Full card, or one line in the compact list. */
  compact: boolean;
  /** "More like this" / "less like this" (full cards of an email with For you on). */
  feedback?: FeedbackLinks;
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
  /** Where a reader's For you block goes (the placeholder stays in the variant; see placeholders.ts). */
  forYouSlot: boolean;
  postalAddress?: string;
  unsubscribeUrl: string;
  preferencesUrl: string;
}

export function formatDate(date: string): string {
  return new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${date}T00:00:00Z`),
  );
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

const dayMonth = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const dayMonthYear = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/**
 * Whether a paper is news: "new today" when arXiv announced it for this edition or it was
 * published the day before (a daily edition); else its date, "trending" when Hugging Face
 * readers brought an older paper back. A weekly edition gives every paper its date.
 */
function freshness(p: EditionPaper, content: EditionContent): string | undefined {
  const published = p.publishedAt && !Number.isNaN(Date.parse(p.publishedAt)) ? new Date(p.publishedAt) : undefined;
  const since = addDays(content.kind === 'weekly' && content.from ? content.from : content.date, -1);
  const announced = p.announceType === 'new' || p.announceType === 'cross';
  if (!published) return announced && content.kind === 'daily' ? 'new today' : undefined;
  const day = published.toISOString().slice(0, 10);
  if (content.kind === 'daily' && (announced || day >= since)) return 'new today';
  const date = `published ${(day.slice(0, 4) === content.date.slice(0, 4) ? dayMonth : dayMonthYear).format(published)}`;
  const trending = day < since && (p.upvotes !== undefined || Boolean(p.links.hf));
  return trending ? `trending · ${date}` : date;
}

function signalsOf(p: EditionPaper): Signal[] {
  const hf = safeUrl(p.links.hf);
  const out: Signal[] = [];
  if (p.upvotes !== undefined) out.push({ text: `▲ ${plural(p.upvotes, 'upvote')}` });
  if (p.comments) out.push({ text: plural(p.comments, 'comment'), ...(hf ? { href: `${hf.replace(/#.*$/, '')}#community` } : {}) });
  if (p.githubStars) out.push({ text: `★ ${plural(p.githubStars, 'star')}` });
  return out;
}

function toDigestPaper(p: EditionPaper, content: EditionContent, compact: boolean, shortBlurb = false): DigestPaper {
  const summary = p.aiSummary ? texToUnicode(p.aiSummary) : undefined;
  return {
    id: p.id,
    title: p.title,
    href: safeUrl(p.links.hf) ?? safeUrl(p.links.abstract) ?? safeUrl(p.links.doi),
    byline: byline(p.authors),
    organization: p.organization,
    blurb: summary ? (shortBlurb ? firstSentence : firstSentences)(summary) : abstractBlurb(texToUnicode(p.abstract), 300, shortBlurb),
    aiSummary: summary !== undefined,
    freshness: freshness(p, content),
    signals: signalsOf(p),
    keywords: (p.aiKeywords ?? [])
      .slice(0, 3)
      .map((k) => k.replace(/\s+/g, ' ').trim())
      .filter(Boolean),
    links: links(p),
    compact,
  };
}

export interface ViewOptions {
  listName: string;
  subjectPrefix: string;
  publicUrl: string;
  postalAddress?: string;
  /** Feedback links on the full cards and a slot for the reader's For you block: the email with For you on, never the web edition. */
  forYou?: boolean;
}

/** The view options of an installation: its mail settings and public URL. */
export function viewOptionsOf(
  config: { mail: { listName: string; subjectPrefix: string; postalAddress?: string }; forYou?: { enabled: boolean } },
  env: { publicUrl: string },
): ViewOptions {
  return {
    listName: config.mail.listName,
    subjectPrefix: config.mail.subjectPrefix,
    publicUrl: env.publicUrl,
    postalAddress: config.mail.postalAddress,
    forYou: config.forYou?.enabled ?? false,
  };
}

const byScore = (a: EditionPaper, b: EditionPaper) => b.score - a.score || (a.id < b.id ? -1 : 1);

/** Mail clients show about 70 characters of a subject on a desktop, fewer on a phone: the topic leads. */
const SUBJECT_MAX = 70;

/**
 * Is the part of a title before its colon a mere name ("RankFlow", "Talking Heads",
 * "Visual Para-Thinker++"): at most three words, each capitalised or an acronym, no phrase
 * marks? "On the Limits of LLM Adaptability" is a phrase and says what the paper is about.
 */
function isMereName(head: string): boolean {
  const words = head.split(' ');
  return head.length <= 30 && words.length <= 3 && !/[,;?!]/.test(head) && words.every((w) => /^[\p{Lu}\p{N}]/u.test(w) || /\p{Lu}/u.test(w.slice(1)));
}

/** What a title says the paper is about: the part after "Name: ", else the whole title. */
function topicOf(title: string): string {
  const colon = title.indexOf(': ');
  if (colon < 0 || !isMereName(title.slice(0, colon))) return title;
  const rest = title.slice(colon + 2).trim();
  return rest ? rest.charAt(0).toUpperCase() + rest.slice(1) : title;
}

/**
 * What the top paper is about, cut at a word, then how many more papers the email shows and
 * the list's name, in at most 70 characters: "Learning to Rank Papers with… + 17 more · Daily papers".
 */
export function digestSubject(kind: 'daily' | 'weekly', topTitle: string | undefined, shownCount: number, prefix: string): string {
  const brand = kind === 'weekly' ? `${prefix} (weekly)` : prefix;
  if (topTitle === undefined) return brand;
  const suffix = `${shownCount > 1 ? ` + ${shownCount - 1} more` : ''} · ${brand}`;
  return `${shorten(topicOf(topTitle), Math.max(24, SUBJECT_MAX - suffix.length))}${suffix}`;
}

function topicsReason(titles: string[], all: boolean): string {
  if (all) return 'all topics';
  if (titles.length <= 3) return titles.join(', ');
  return `${titles.slice(0, 2).join(', ')} and ${titles.length - 2} more topics`;
}

/** A paper with its title as a reader reads it: one line, its TeX as Unicode (`$\omega$Test` → ωTest). */
function readable(p: EditionPaper): EditionPaper {
  return { ...p, title: readableTitle(p.title) };
}

/** A paper of a reader's For you block: a full card like those below it, TeX read as text, with its feedback links. */
export type ForYouPaper = DigestPaper & { feedback: FeedbackLinks };

export function forYouPaper(content: EditionContent, id: string, publicUrl: string): ForYouPaper | undefined {
  const p = content.papers[id];
  return p && { ...toDigestPaper(readable(p), content, false, true), feedback: feedbackLinks(publicUrl, id) };
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
      .map((id) => readable(content.papers[id]!))
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

/** The papers of a variant, best first, and how many of them lead as "Top today" (For you leaves those out). */
export function variantPapers(content: EditionContent, topics: string[]): { papers: EditionPaper[]; topCount: number } {
  const { all, topCount } = arrange(content, topics, []);
  return { papers: all, topCount };
}

/** The sections of a variant as its email shows them, below "Top today" ('more': "More papers"). */
export function sectionsInOrder(content: EditionContent, topics: string[], first: readonly string[] = []): string[] {
  return arrange(content, topics, first).ordered.map((s) => s.topic);
}

/**
 * The view of one variant (see `arrange` for what goes where). The budget goes by score: the
 * variant's best papers are full cards and the next ones one line each, in whichever section
 * they sit; the rest are left to the archive.
 */
export function digestView(
  content: EditionContent,
  topics: string[],
  opts: ViewOptions,
  budget: DigestBudget = DEFAULT_BUDGET,
  first: readonly string[] = [],
): DigestView {
  const { chosen, all, topCount, ordered } = arrange(content, topics, first);
  const shownIds = new Set(all.slice(0, budget.fullCards + budget.compactEntries).map((p) => p.id));
  const fullIds = new Set(all.slice(0, budget.fullCards).map((p) => p.id));
  const place = (p: EditionPaper, inSection: boolean) => {
    const paper = toDigestPaper(p, content, !fullIds.has(p.id), inSection && budget.phoneLength === true);
    if (opts.forYou && !paper.compact) paper.feedback = feedbackLinks(opts.publicUrl, p.id);
    return paper;
  };
  const top = all.slice(0, topCount).map((p) => place(p, false));
  const sections: DigestSection[] = [];
  for (const s of ordered) {
    const papers = s.papers.filter((p) => shownIds.has(p.id)).map((p) => place(p, true));
    if (papers.length > 0) sections.push({ topic: s.topic, title: s.title, papers });
  }
  const shownCount = top.length + sections.reduce((n, s) => n + s.papers.length, 0);

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
    subject: digestSubject(content.kind, all[0]?.title, shownCount, opts.subjectPrefix),
    archiveUrl: `${opts.publicUrl}/editions/${content.kind === 'weekly' ? `${content.date}?kind=weekly` : content.date}`,
    top,
    sections,
    paperCount: all.length,
    archivedCount: all.length - shownCount,
    reason: `You get the ${content.kind} email for ${topicsReason(
      chosen.map((s) => s.title),
      allTopics,
    )}.`,
    postalAddress: opts.postalAddress,
    forYouSlot: opts.forYou === true,
    unsubscribeUrl: PLACEHOLDER.unsubscribeUrl,
    preferencesUrl: PLACEHOLDER.preferencesUrl,
  };
}
