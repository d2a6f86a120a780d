import { createHash } from 'node:crypto';
import { digestText } from '../../templates/email/digestText.ts';
import { DEFAULT_BUDGET, digestView, sectionsInOrder, type DigestBudget, type DigestView, type ViewOptions } from '../../templates/email/view.ts';
import type { EditionContent } from '../domain/edition.ts';
import { PLACEHOLDER } from '../mail/placeholders.ts';

export interface RenderedVariant {
  /** The sections this variant shows. */
  topics: string[];
  subject: string;
  html: string;
  text: string;
}

export class RenderError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RenderError';
  }
}

/** Gmail clips a message over about 102 KB, hiding the footer (and its unsubscribe link). */
export const HTML_BUDGET_BYTES = 90 * 1024;

/** The sections a subscriber with these topics gets from this edition (empty topics: all). */
export function variantTopics(content: EditionContent, subscriberTopics: string[]): string[] {
  const sections = content.sections.map((s) => s.topic);
  if (subscriberTopics.length === 0) return sections;
  const wanted = new Set(subscriberTopics);
  return sections.filter((t) => wanted.has(t));
}

/**
 * What a reader's section order changes in this variant, as the shortest list of sections to
 * put first that gives the same email: a pinned topic with no section that day, one the reader
 * does not receive, one whose papers all lead as "Top today" or join "More papers", and pins
 * the day's scores would have put there anyway are dropped. Readers whose orders give the same
 * email so share one variant, and an order that changes nothing that day gives today's.
 */
export function variantFirst(content: EditionContent, topics: string[], sectionOrder: string[]): string[] {
  const shown = new Set(topics);
  const pins = [...new Set(sectionOrder)].filter((t) => shown.has(t));
  if (pins.length === 0) return [];
  const wanted = sectionsInOrder(content, topics, pins);
  const same = (first: string[]) => sectionsInOrder(content, topics, first).join('\n') === wanted.join('\n');
  // the pinned sections lead `wanted`: some prefix of it, at most as long as the pins, gives it
  for (let k = 0; k < pins.length; k++) if (same(wanted.slice(0, k))) return wanted.slice(0, k);
  return wanted.slice(0, pins.length);
}

/**
 * Subscribers whose topics give the same sections, and who put the same of them first, share
 * a variant, rendered once. Without an order the key is the sections' alone, as it was before
 * readers could choose one.
 */
export function variantKey(topics: string[], first: string[] = []): string {
  if (topics.length === 0) return 'none';
  const spelled = first.length === 0 ? topics.join(',') : `${topics.join(',')}|first:${first.join(',')}`;
  return createHash('sha1').update(spelled).digest('hex').slice(0, 12);
}

/**
 * Renders one variant, HTML and plain text, with placeholders where each subscriber's links
 * go. A failure throws: half an email is never stored or sent. The budget of full cards keeps
 * a typical day well under the size limit; a day of unusually long titles and abstracts
 * shows fewer cards rather than being clipped.
 */
export async function renderVariant(content: EditionContent, topics: string[], opts: ViewOptions, first: string[] = []): Promise<RenderedVariant> {
  let budget: DigestBudget = DEFAULT_BUDGET;
  for (;;) {
    let html: string;
    let view: DigestView;
    try {
      view = digestView(content, topics, opts, budget, first);
      if (view.sections.length === 0 && view.top.length === 0)
        throw new RenderError(`edition ${content.date} has no section for topics [${topics.join(', ')}]`);
      // React and MJML load on the first render, not at every command's start
      const [{ createElement }, { Digest }, { compileEmail }] = await Promise.all([
        import('react'),
        import('../../templates/email/Digest.tsx'),
        import('../../templates/email/mjml.ts'),
      ]);
      ({ html } = await compileEmail(createElement(Digest, { view })));
      // MJML puts a space before a raw row: without it, removing the slot gives the email
      // rendered without one, byte for byte (a reader with no For you block gets exactly that)
      html = html.replace(` ${PLACEHOLDER.forYou}`, PLACEHOLDER.forYou);
    } catch (err) {
      if (err instanceof RenderError) throw err;
      throw new RenderError(`rendering the ${content.kind} edition of ${content.date} failed: ${(err as Error).message}`, { cause: err });
    }
    if (!html.includes('</html>')) throw new RenderError(`rendering the edition of ${content.date} produced an incomplete document`);
    if (Buffer.byteLength(html) <= HTML_BUDGET_BYTES || budget.fullCards + budget.compactEntries <= 5) {
      return { topics, subject: view.subject, html, text: digestText(view) };
    }
    budget = { ...budget, fullCards: Math.floor(budget.fullCards * 0.7), compactEntries: Math.floor(budget.compactEntries * 0.7) };
  }
}
