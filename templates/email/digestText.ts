/**
 * The plain-text part of the digest: readable as it is in any client, links on their own
 * lines so that they stay clickable, lines wrapped at 76 characters.
 */
import type { DigestView } from './view.ts';

export function wrap(text: string, width = 76, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width - indent.length) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

export function digestText(view: DigestView): string {
  const out: string[] = [];
  out.push(`${view.heading.toUpperCase()} - ${view.dateLabel}`);
  out.push(`${view.listName} · ${view.paperCount} ${view.paperCount === 1 ? 'paper' : 'papers'}`);
  out.push(`View in browser: ${view.archiveUrl}`);
  out.push('');
  if (view.highlights.length > 0) {
    out.push('HIGHLIGHTS');
    for (const p of view.highlights) out.push(wrap(`* ${p.title}`, 76));
    out.push('');
  }
  for (const section of view.sections) {
    out.push('='.repeat(Math.min(76, section.title.length)));
    out.push(section.title.toUpperCase());
    out.push('='.repeat(Math.min(76, section.title.length)));
    out.push('');
    for (const p of section.papers) {
      out.push(wrap(p.title));
      const stats = [p.byline, p.upvotes !== undefined ? `${p.upvotes} upvotes` : undefined, p.comments ? `${p.comments} comments` : undefined, p.organization].filter(Boolean);
      if (stats.length > 0) out.push(wrap(stats.join(' · ')));
      if (p.blurb) {
        out.push('');
        out.push(wrap(p.blurb, 76, '  '));
      }
      out.push('');
      for (const l of p.linkList) out.push(`  ${l.label}: ${l.href}`);
      out.push('');
    }
  }
  out.push('-- ');
  out.push(`You receive ${view.listName} because you subscribed${view.topicsLabel ? ` (topics: ${view.topicsLabel})` : ''}.`);
  out.push(`Change topics or frequency: ${view.preferencesUrl}`);
  out.push(`Unsubscribe: ${view.unsubscribeUrl}`);
  if (view.postalAddress) out.push(view.postalAddress);
  return `${out.join('\n')}\n`;
}
