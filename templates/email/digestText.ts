/**
 * The plain-text part of the digest: the same order and content as the HTML, readable alone.
 * Lines wrap at 76 characters with continuation lines indented, bylines are never split from
 * their paper, and every link stands on its own line so that it stays clickable.
 */
import { PLACEHOLDER } from '../../src/mail/placeholders.ts';
import type { DigestPaper, DigestView, ForYouPaper } from './view.ts';

export function wrap(text: string, width = 76, indent = '', hanging = indent): string {
  const lines: string[] = [];
  let line = '';
  let prefix = indent;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && prefix.length + line.length + 1 + word.length > width) {
      lines.push(prefix + line);
      prefix = hanging;
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(prefix + line);
  return lines.join('\n');
}

function heading(title: string): string[] {
  return [title.toUpperCase(), '='.repeat(Math.min(76, title.length)), ''];
}

/** One paper, led by its number ("3.") or, in For you, a bullet ("*"), and a blank line after it. */
function paperText(p: DigestPaper, marker: string): string[] {
  // continuation lines line up under the title, whatever the marker's width
  const pad = ' '.repeat(`${marker} `.length);
  const out = [wrap(`${marker} ${p.title}`, 76, '', pad)];
  const line = [p.freshness, ...p.signals.map((s) => s.text)].filter(Boolean).join(' · ');
  const signals = line ? [wrap(line, 76, pad)] : [];
  const discussion = p.signals.find((s) => s.href);
  if (p.compact) {
    out.push(...signals);
    if (p.href) out.push(`${pad}${p.href}`);
    // the HTML links the comment count: the text gives the discussion its own line
    if (discussion) out.push(`${pad}Discussion: ${discussion.href}`);
    out.push('');
    return out;
  }
  const who = [p.byline, p.organization].filter(Boolean).join(' · ');
  if (who) out.push(wrap(who, 76, pad));
  out.push(...signals);
  if (p.keywords.length > 0) out.push(wrap(`Keywords: ${p.keywords.join(', ')}`, 76, pad));
  if (p.blurb) out.push('', wrap(p.aiSummary ? `AI summary: ${p.blurb}` : p.blurb, 76, pad));
  out.push('');
  for (const l of p.links) out.push(`${pad}${l.label}: ${l.href}`);
  if (discussion) out.push(`${pad}Discussion: ${discussion.href}`);
  if (p.feedback) out.push(`${pad}More or less like this: ${p.feedback.either}`);
  out.push('');
  return out;
}

export function digestText(view: DigestView): string {
  const out: string[] = [];
  out.push(`${view.heading} · ${view.dateLabel}`);
  out.push(`${view.listName} · ${view.paperCount} ${view.paperCount === 1 ? 'paper' : 'papers'}`);
  out.push('');
  // the reader's For you block goes in this blank line (it brings its own blank lines)
  out.push('View in browser:', view.archiveUrl, view.forYouSlot ? PLACEHOLDER.forYou : '');
  let n = 0;
  if (view.top.length > 0) {
    out.push(...heading(view.kind === 'weekly' ? 'Top this week' : 'Top today'));
    for (const p of view.top) out.push(...paperText(p, `${++n}.`));
  }
  for (const section of view.sections) {
    out.push(...heading(section.title));
    for (const p of section.papers) out.push(...paperText(p, `${++n}.`));
  }
  if (view.archivedCount > 0) out.push(`${view.archivedCount} more ${view.archivedCount === 1 ? 'paper' : 'papers'} in the archive:`, view.archiveUrl, '');
  out.push('-- ');
  out.push(wrap(view.reason));
  out.push('', 'Preferences:', view.preferencesUrl, '', 'Unsubscribe:', view.unsubscribeUrl, '', 'View in browser:', view.archiveUrl, '');
  out.push(view.postalAddress ? `${view.listName} · ${view.postalAddress}` : view.listName);
  return `${out.join('\n')}\n`;
}

/**
 * The plain-text For you block's head (see ForYouHeader). The block fills the blank line after
 * "View in browser", so it brings its own blank lines: one before, and its cards end where the
 * next heading's blank line begins.
 */
export function forYouTextHeader(preferencesUrl: string): string {
  return ['', ...heading('For you'), wrap('Picked from your "more like this" votes and seed papers. Change or reset:'), preferencesUrl, '', ''].join('\n');
}

/** One For you paper as the digest writes a paper, bulleted (the digest numbers the papers below from 1); cards are joined by a line break. */
export function forYouTextCard(p: ForYouPaper): string {
  return paperText(p, '*').join('\n');
}
