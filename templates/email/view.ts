/**
 * What the digest templates (HTML and plain text) show, computed once per variant so that the
 * two parts always say the same thing.
 */
import type { EditionContent, EditionPaper } from '../../src/rank/edition.ts';

import { PLACEHOLDER } from '../../src/mail/placeholders.ts';

export { PLACEHOLDER };

export interface DigestSection {
  topic: string;
  title: string;
  papers: DigestPaper[];
}

export interface DigestPaper extends EditionPaper {
  /** Anchor id inside the email. */
  anchor: string;
  /** "A. Author, B. Author, C. Author et al." */
  byline: string;
  /** What to read: the AI summary when there is one, else the abstract, shortened. */
  blurb: string;
  linkList: { label: string; href: string }[];
}

export interface DigestView {
  kind: 'daily' | 'weekly';
  listName: string;
  heading: string;
  dateLabel: string;
  preheader: string;
  subject: string;
  archiveUrl: string;
  highlights: DigestPaper[];
  sections: DigestSection[];
  paperCount: number;
  topicsLabel: string;
  postalAddress?: string;
  unsubscribeUrl: string;
  preferencesUrl: string;
}

export function formatDate(date: string): string {
  return new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
}

function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,.;:]+$/, '')}…`;
}

function byline(authors: string[]): string {
  if (authors.length === 0) return '';
  if (authors.length <= 3) return authors.join(', ');
  return `${authors.slice(0, 3).join(', ')} et al. (${authors.length} authors)`;
}

function linkList(p: EditionPaper): { label: string; href: string }[] {
  const out: { label: string; href: string }[] = [];
  if (p.links.abstract) out.push({ label: p.links.abstract.includes('arxiv.org') ? 'arXiv' : 'Paper', href: p.links.abstract });
  if (p.links.pdf) out.push({ label: 'PDF', href: p.links.pdf });
  if (p.links.hf) out.push({ label: 'Hugging Face', href: p.links.hf });
  if (p.links.code) out.push({ label: p.githubStars ? `Code (★ ${p.githubStars})` : 'Code', href: p.links.code });
  if (p.links.project) out.push({ label: 'Project', href: p.links.project });
  if (out.length === 0 && p.links.doi) out.push({ label: 'DOI', href: p.links.doi });
  return out;
}

function toDigestPaper(p: EditionPaper): DigestPaper {
  return {
    ...p,
    anchor: `paper-${p.id.replace(/[^A-Za-z0-9]+/g, '-')}`,
    byline: byline(p.authors),
    blurb: shorten(p.aiSummary ?? p.abstract, 420),
    linkList: linkList(p),
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

/**
 * The view of one variant: the edition's sections among `topics` (all when empty), the
 * highlights being the best papers of those sections.
 */
export function digestView(content: EditionContent, topics: string[], opts: ViewOptions): DigestView {
  const wanted = topics.length === 0 ? undefined : new Set(topics);
  const sections: DigestSection[] = content.sections
    .filter((s) => !wanted || wanted.has(s.topic))
    .map((s) => ({ topic: s.topic, title: s.title, papers: s.paperIds.map((id) => toDigestPaper(content.papers[id]!)) }));
  const all = sections.flatMap((s) => s.papers).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  const highlightCount = Math.min(3, all.length);
  const highlights = all.length > 3 ? all.slice(0, highlightCount) : [];
  const dateLabel = content.kind === 'weekly' && content.from ? `${formatDate(content.from)} – ${formatDate(content.date)}` : formatDate(content.date);
  const heading = content.kind === 'weekly' ? 'The week in papers' : 'Today in papers';
  const lead = all[0]?.title ?? 'no papers';
  const more = all.length > 1 ? ` (+${all.length - 1} more)` : '';
  const shortDate = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${content.date}T00:00:00Z`));
  const subject = shorten(`${opts.subjectPrefix}${content.kind === 'weekly' ? ' (weekly)' : ''}, ${shortDate}: ${lead}`, 110 - more.length) + more;
  return {
    kind: content.kind,
    listName: opts.listName,
    heading,
    dateLabel,
    preheader: shorten(all.slice(0, 3).map((p) => p.title).join(' · '), 140),
    subject,
    archiveUrl: `${opts.publicUrl}/editions/${content.kind === 'weekly' ? `${content.date}?kind=weekly` : content.date}`,
    highlights,
    sections,
    paperCount: all.length,
    topicsLabel: sections.map((s) => s.title).join(', '),
    postalAddress: opts.postalAddress,
    unsubscribeUrl: PLACEHOLDER.unsubscribeUrl,
    preferencesUrl: PLACEHOLDER.preferencesUrl,
  };
}
