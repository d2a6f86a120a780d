/**
 * An edition as a web page ("View in browser", the archive): the digest's content and order
 * in the site's layout, with a viewport, a title, a canonical URL, navigation between
 * editions and a subscribe link. A page has no personal links: managing a subscription is
 * explained, not linked to a reader's token.
 */
import type { EditionContent } from '../../src/domain/edition.ts';
import { digestView, type DigestPaper, type ViewOptions } from '../email/view.ts';
import { color, size } from '../email/theme.ts';
import { html, page, raw, type Raw } from './layout.ts';
import { escapeHtml } from '../../src/lib/html.ts';

export interface EditionPageOptions extends ViewOptions {
  previous?: string;
  next?: string;
}

// the page has no size limit: every paper gets its card
const WHOLE_DAY = { fullCards: Number.POSITIVE_INFINITY, compactEntries: 0 };

const style = `
.pb-site{display:flex;justify-content:space-between;align-items:center;gap:1rem;flex-wrap:wrap;border-bottom:1px solid ${color.rule};padding-bottom:.5rem}
.pb-site a{display:inline-block;padding:.6rem 0;font-weight:600;text-decoration:none}
.pb-paper{margin:0 0 1.5rem}
.pb-paper h3{font-size:${size.title};line-height:1.4;margin:0 0 .25rem}
.pb-paper h3 a{text-decoration:none}
.pb-paper p{margin:.25rem 0}
.pb-paper .muted a{display:inline-block;padding:.6rem 0;margin:-.6rem 0}
.pb-links a{display:inline-block;margin:.25rem .4rem .25rem 0;padding:.6rem .8rem;border-radius:6px;background:${color.buttonBg};text-decoration:none}
.pb-nav{display:flex;justify-content:space-between;gap:1rem;margin:2rem 0 1rem}
.pb-nav a{display:inline-block;padding:.6rem 0}
h2{border-bottom:2px solid ${color.rule};padding-bottom:.3rem;margin-top:2rem}
@media (prefers-color-scheme:dark){.pb-links a{background:${color.darkButtonBg}}.pb-site,h2{border-color:${color.darkRule}}}
`;

function signalLine(p: DigestPaper): Raw | '' {
  const parts = [...(p.freshness ? [html`${p.freshness}`] : []), ...p.signals.map((s) => (s.href ? html`<a href="${s.href}">${s.text}</a>` : html`${s.text}`))];
  return parts.length ? html`<p class="muted">${parts.map((part, i) => (i > 0 ? html` · ${part}` : part))}</p>` : '';
}

function paperCard(p: DigestPaper): Raw {
  const who = [p.byline, p.organization].filter(Boolean).join(' · ');
  return html`<article class="pb-paper">
<h3>${p.href ? html`<a href="${p.href}">${p.title}</a>` : p.title}</h3>
${who ? html`<p class="muted">${who}</p>` : ''}
${p.blurb ? html`<p>${p.aiSummary ? html`<strong class="muted">AI summary:</strong> ` : ''}${p.blurb}</p>` : ''}
${signalLine(p)}
${p.keywords.length ? html`<p class="muted">Keywords: ${p.keywords.join(', ')}</p>` : ''}
<p class="pb-links">${p.links.map((l) => html`<a href="${l.href}">${l.label}</a>`)}</p>
</article>`;
}

function editionPath(kind: 'daily' | 'weekly', date: string): string {
  return kind === 'weekly' ? `/editions/${date}?kind=weekly` : `/editions/${date}`;
}

export function editionPage(content: EditionContent, opts: EditionPageOptions): string {
  // the web edition has no personal parts: no feedback links, no For you block
  const view = digestView(content, [], { ...opts, forYou: false }, WHOLE_DAY);
  const canonical = `${opts.publicUrl}${editionPath(content.kind, content.date)}`;
  const title = `${view.heading}, ${view.dateLabel} · ${opts.listName}`;
  const body = html`<style>${raw(style)}</style>
<article class="pb-edition">
<h1>${view.heading}</h1>
<p class="muted">${view.dateLabel} · ${view.paperCount} ${view.paperCount === 1 ? 'paper' : 'papers'}</p>
${view.top.length ? html`<h2>${content.kind === 'weekly' ? 'Top this week' : 'Top today'}</h2>${view.top.map(paperCard)}` : ''}
${view.sections.map((s) => html`<section><h2>${s.title}</h2>${s.papers.map(paperCard)}</section>`)}
</article>
<nav class="pb-nav" aria-label="Editions">
<span>${opts.previous ? html`<a href="${editionPath(content.kind, opts.previous)}" rel="prev">← ${opts.previous}</a>` : ''}</span>
<a href="/editions">All editions</a>
<span>${opts.next ? html`<a href="${editionPath(content.kind, opts.next)}" rel="next">${opts.next} →</a>` : ''}</span>
</nav>
<footer>
<p>Get this in your inbox every morning: <a href="/">subscribe</a>. Already subscribed? Every email has links at its foot to change your topics or unsubscribe.</p>
${opts.postalAddress ? html`<p class="muted">${opts.listName} · ${opts.postalAddress}</p>` : ''}
</footer>`;
  // the shared layout takes a title and a body; the canonical link belongs in its head
  return page(title, body, { listName: opts.listName }).replace('</head>', `<link rel="canonical" href="${escapeHtml(canonical)}">\n</head>`);
}
