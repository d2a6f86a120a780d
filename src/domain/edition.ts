/**
 * The edition contract every stage after ranking reads (render, send, web, cli, templates): for
 * one day (or week), the papers that matter, grouped under topics, best first. A frozen edition
 * stores the snapshot of every paper it shows, so that it can be shown and rendered again later
 * exactly as it was sent. src/rank/editionBuilder.ts makes them.
 */
import type { PaperLinks } from './paper.ts';

export type EditionKind = 'daily' | 'weekly';
/** frozen → rendering → sending → sent; `empty` when the day had no paper to send. */
export type EditionStatus = 'frozen' | 'rendering' | 'sending' | 'sent' | 'empty';

/** An edition as the database keeps it: its content, and where its send stands. */
export interface EditionRecord<Content = EditionContent> {
  id: string;
  kind: EditionKind;
  date: string;
  status: EditionStatus;
  content: Content;
  frozenAt: string;
  fanoutCursor: number;
  fanoutDone: boolean;
  sentAt?: string;
  /** Present while paused. */
  paused?: { at: string; reason: string };
  cancelledAt?: string;
  renderError?: string;
}

export interface EditionPaper {
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  links: PaperLinks;
  categories: string[];
  score: number;
  primaryTopic: string;
  topics: string[];
  sources: string[];
  announceType?: string;
  /** When its authors first published it (v1): the digest tells new papers from older ones. */
  publishedAt?: string;
  upvotes?: number;
  comments?: number;
  githubStars?: number;
  aiSummary?: string;
  /** HF's AI keywords: shown as tags in the email. */
  aiKeywords?: string[];
  organization?: string;
  /** The daily edition it came from (weekly editions). */
  editionDate?: string;
}

export interface EditionSection {
  topic: string;
  title: string;
  description: string;
  paperIds: string[];
}

export interface EditionContent {
  kind: 'daily' | 'weekly';
  date: string;
  /** For a weekly edition, the first day it covers. */
  from?: string;
  /** The best papers across all sections. */
  top: string[];
  sections: EditionSection[];
  papers: Record<string, EditionPaper>;
  /** How many papers of the day were considered. */
  considered: number;
}

export type Edition = EditionRecord<EditionContent>;

export function editionId(kind: 'daily' | 'weekly', date: string): string {
  return kind === 'daily' ? date : `${date}-weekly`;
}

/** How the command line names an edition: `--date D`, and `--weekly` for a weekly one (every hint an operator copies). */
export function editionFlags(e: { kind: 'daily' | 'weekly'; date: string }): string {
  return `--date ${e.date}${e.kind === 'weekly' ? ' --weekly' : ''}`;
}

/** The `edition show --json` shape: `{ date, sections: [{ topic, title, papers: [{ id, title, score }] }] }`. */
export function editionSummary(content: EditionContent) {
  return {
    date: content.date,
    kind: content.kind,
    ...(content.from ? { from: content.from } : {}),
    top: content.top.map((id) => ({ id, title: content.papers[id]!.title, score: content.papers[id]!.score })),
    sections: content.sections.map((s) => ({
      topic: s.topic,
      title: s.title,
      papers: s.paperIds.map((id) => {
        const p = content.papers[id]!;
        return { id, title: p.title, score: p.score, authors: p.authors, links: p.links, sources: p.sources };
      }),
    })),
  };
}
