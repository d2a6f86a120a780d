/**
 * The plain-text "For you" block: the same papers as the HTML block, before "Top today". It
 * fills the blank line after "View in browser", so it brings its own blank lines: one before,
 * one between papers, and its last line ends where the next heading's blank line begins.
 */
import { wrap } from './digestText.ts';
import type { ForYouPaper } from './ForYou.tsx';

export function forYouTextHeader(preferencesUrl: string): string {
  return ['', 'FOR YOU', '=======', '', wrap('Picked from your "more like this" votes and seed papers. Change or reset:'), preferencesUrl, '', ''].join('\n');
}

/** One paper; bulleted, since the digest numbers the papers below from 1. Cards are joined by a blank line. */
export function forYouTextCard(p: ForYouPaper): string {
  const out = [wrap(`* ${p.title}`, 76, '', '  ')];
  const who = [p.byline, p.organization].filter(Boolean).join(' · ');
  if (who) out.push(wrap(who, 76, '  '));
  if (p.blurb) out.push('', wrap(p.blurb, 76, '  '));
  out.push('');
  if (p.href) out.push(`  ${p.href}`);
  out.push(`  More or less like this: ${p.feedback.either}`);
  return `${out.join('\n')}\n`;
}
