/** The search page (/papers) and the archive index (/editions). */
import { html, page, raw } from './layout.ts';

export interface SearchHit {
  id: string;
  title: string;
  authors: string;
  abstract: string;
  href: string;
  editionDate?: string;
  topic?: string;
}

export interface SearchView {
  listName: string;
  query: string;
  from?: string;
  to?: string;
  topic?: string;
  topics: { id: string; name: string }[];
  hits: SearchHit[];
  total: number;
  /** More than `total` match: the count stopped there. */
  more?: boolean;
  page: number;
  pageSize: number;
  /** The query string of this search without the page, for the pager links. */
  queryString: string;
  error?: string;
}

export function searchPage(v: SearchView): string {
  const first = (v.page - 1) * v.pageSize + 1;
  const last = first + v.hits.length - 1;
  const pageLink = (n: number) => `/papers?${v.queryString}${v.queryString ? '&' : ''}page=${n}`;
  return page(
    v.query ? `${v.query}: search ${v.listName}` : `Search ${v.listName}`,
    html`<h1>Search papers</h1>
<form class="card" method="get" action="/papers" role="search">
<label for="q">Words in the title, authors or abstract</label>
<input id="q" type="search" name="q" value="${v.query}" maxlength="200">
<div class="row">
<div><label for="from">From edition day</label><input id="from" type="date" name="from" value="${v.from ?? ''}"></div>
<div><label for="to">To edition day</label><input id="to" type="date" name="to" value="${v.to ?? ''}"></div>
</div>
<label for="topic">Topic</label>
<select id="topic" name="topic"><option value="">Every topic</option>${v.topics.map((t) => html`<option value="${t.id}"${t.id === v.topic ? raw(' selected') : ''}>${t.name}</option>`)}</select>
<button type="submit">Search</button>
</form>
${v.error ? html`<p class="alert" role="alert">${v.error}</p>` : ''}
${
  v.query
    ? html`<p role="status">${v.total === 0 ? `No paper matches "${v.query}".` : `${v.more ? `More than ${v.total.toLocaleString('en-US')} papers match` : `${v.total} paper${v.total === 1 ? ' matches' : 's match'}`} "${v.query}"${v.more || v.total > v.hits.length ? `; ${first}–${last} shown` : ''}.`}</p>
<ul class="plain">${v.hits.map(
        (h) => html`<li class="paper"><h3><a href="${h.href}">${h.title}</a></h3>
<span class="muted">${h.authors}${h.editionDate ? html` · <a href="/editions/${h.editionDate}">${h.editionDate}</a>` : ''}${h.topic ? ` · ${h.topic}` : ''}</span>
<p>${h.abstract}</p></li>`,
      )}</ul>
<nav class="pager" aria-label="Result pages">${v.page > 1 ? html`<a href="${pageLink(v.page - 1)}" rel="prev">← Previous</a>` : html`<span></span>`}${v.more || last < v.total ? html`<a href="${pageLink(v.page + 1)}" rel="next">Next →</a>` : ''}</nav>`
    : ''
}`,
    { listName: v.listName },
  );
}

export interface ArchiveEntry {
  date: string;
  kind: 'daily' | 'weekly';
  href: string;
  papers: number;
  top: string[];
}

export function archivePage(listName: string, entries: ArchiveEntry[]): string {
  return page(
    `${listName}: archive`,
    html`<h1>Every edition</h1>
<p class="muted">Also as a feed: <a href="/feed.xml">RSS</a>.</p>
${
  entries.length === 0
    ? html`<p>No edition has been published yet.</p>`
    : html`<ul class="plain">${entries.map((e) => html`<li><a href="${e.href}"><strong>${e.date}</strong>${e.kind === 'weekly' ? ' (weekly)' : ''}</a> <span class="muted">· ${e.papers} papers</span>${e.top.length ? html`<br><span class="muted">${e.top.join(' · ')}</span>` : ''}</li>`)}</ul>`
}`,
    { listName },
  );
}
