/** The public archive: editions, search and feeds. Nothing here is personal. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { wholeNumber } from '../lib/input.ts';
import { isDate } from '../domain/time.ts';
import { readableTitle, texToUnicode } from '../domain/tex.ts';
import { editionId, type EditionContent, type EditionPaper } from '../domain/edition.ts';
import { editionPage } from '../../templates/pages/edition.ts';
import { viewOptionsOf } from '../../templates/email/view.ts';
import { shorten } from '../../templates/email/blurb.ts';
import { messagePage } from '../../templates/pages/layout.ts';
import { escapeHtml } from '../lib/html.ts';
import { archivePage, searchPage } from '../../templates/pages/papers.ts';
import { renderRss, type FeedItem } from './feed.ts';
import { sendPage, type WebContext } from './context.ts';
import { byline } from '../domain/byline.ts';

const PAGE_SIZE = 20;
const FEED_EDITIONS = 30;

const searchQuery = z.object({
  q: z.string().max(1000).optional().default(''),
  from: z.string().optional(),
  to: z.string().optional(),
  topic: z.string().max(100).optional(),
  page: z.unknown().optional(),
});

const MAX_PAGE = 500;

function editionDescription(content: EditionContent, topicName: (id: string) => string): string {
  return content.sections
    .map((s) => `<h3>${escapeHtml(topicName(s.topic))}</h3><ul>${s.paperIds.map((id) => paperLi(content.papers[id]!)).join('')}</ul>`)
    .join('');
}

function paperLi(p: EditionPaper): string {
  const href = p.links.abstract ?? p.links.hf ?? p.links.doi;
  const title = escapeHtml(readableTitle(p.title));
  return `<li>${href ? `<a href="${escapeHtml(href)}">${title}</a>` : title} <small>${escapeHtml(byline(p.authors))}</small></li>`;
}

export function registerArchiveRoutes(server: FastifyInstance, web: WebContext): void {
  const { app, listName } = web;
  const base = app.env.publicUrl;

  server.get('/editions', async (_req, reply) => {
    const [daily, weekly] = await Promise.all([app.store.editions.list('daily', 90), app.store.editions.list('weekly', 20)]);
    const entries = [...daily, ...weekly]
      .sort((a, b) => (a.date === b.date ? (a.kind === 'weekly' ? 1 : -1) : a.date < b.date ? 1 : -1))
      .map((e) => ({
        date: e.date,
        kind: e.kind,
        href: `/editions/${e.date}${e.kind === 'weekly' ? '?kind=weekly' : ''}`,
        papers: Object.keys(e.content.papers).length,
        top: e.content.top.slice(0, 3).map((id) => readableTitle(e.content.papers[id]!.title)),
      }));
    return sendPage(reply, 200, archivePage(listName, entries), 'public, max-age=300');
  });

  server.get<{ Params: { date: string }; Querystring: { kind?: string } }>('/editions/:date', async (req, reply) => {
    const kind = req.query.kind === 'weekly' ? 'weekly' : 'daily';
    if (!isDate(req.params.date))
      return sendPage(reply, 404, messagePage('No such edition', 'Editions are named by their date, e.g. /editions/2026-11-26.', 'error', listName));
    const edition = await app.store.editions.get(editionId(kind, req.params.date));
    if (!edition) return sendPage(reply, 404, messagePage('No such edition', `There is no ${kind} edition of ${req.params.date}.`, 'error', listName));
    const body = editionPage(edition.content, { ...viewOptionsOf(app.config, app.env), ...(await app.store.editions.neighbours(kind, req.params.date)) });
    return reply.code(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'public, max-age=300').send(body);
  });

  server.get('/papers', async (req, reply) => {
    const parsed = searchQuery.safeParse(req.query);
    const topics = web.topicIds().map((id) => ({ id, name: web.classifier.topicName(id) }));
    const view = { listName, topics, hits: [], total: 0, page: 1, pageSize: PAGE_SIZE, queryString: '' };
    if (!parsed.success) return sendPage(reply, 400, searchPage({ ...view, query: '', error: 'The search was not understood: use the form below.' }));
    const q = parsed.data;
    const from = q.from || undefined;
    const to = q.to || undefined;
    const topic = q.topic || undefined;
    const page = q.page === undefined ? ({ ok: true, value: 1 } as const) : wholeNumber('the page', q.page, 1, MAX_PAGE);
    const problem =
      (from && !isDate(from)) || (to && !isDate(to))
        ? 'Dates are days, YYYY-MM-DD.'
        : topic && !web.topicIds().includes(topic)
          ? `There is no topic "${topic}".`
          : !page.ok
            ? `Not searched: ${page.problem}.`
            : undefined;
    if (problem || !page.ok) return sendPage(reply, 400, searchPage({ ...view, query: q.q, from, to, error: problem }));
    const result = await app.store.papers.search(app.store.dialect, { query: q.q, from, to, topic, limit: PAGE_SIZE, offset: (page.value - 1) * PAGE_SIZE });
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries({ q: q.q, from, to, topic })) if (v) params.set(k, v);
    return sendPage(
      reply,
      200,
      searchPage({
        ...view,
        query: q.q,
        from,
        to,
        topic,
        total: result.total,
        more: result.more,
        page: page.value,
        queryString: params.toString(),
        hits: result.papers.map((p) => ({
          id: p.id,
          title: readableTitle(p.title),
          authors: byline(p.authors),
          abstract: shorten(texToUnicode(p.abstract), 400),
          href: p.links.abstract ?? p.links.hf ?? p.links.doi ?? `https://arxiv.org/abs/${p.id}`,
          editionDate: p.editionDate,
          topic: p.primaryTopic ? web.classifier.topicName(p.primaryTopic) : undefined,
        })),
      }),
      'public, max-age=60',
    );
  });

  const sendFeed = (reply: import('fastify').FastifyReply, xml: string) =>
    reply.code(200).header('content-type', 'application/rss+xml; charset=utf-8').header('cache-control', 'public, max-age=600').send(xml);

  server.get('/feed.xml', async (_req, reply) => {
    const editions = await app.store.editions.list('daily', FEED_EDITIONS);
    const items: FeedItem[] = editions.map((e) => {
      const link = `${base}/editions/${e.date}`;
      const top = e.content.top[0] ? readableTitle(e.content.papers[e.content.top[0]]!.title) : undefined;
      return {
        title: `${listName}, ${e.date}${top ? `: ${top}` : ''}`,
        link,
        description: editionDescription(e.content, (id) => web.classifier.topicName(id)),
        guid: link,
        guidIsPermaLink: true,
        pubDate: new Date(e.frozenAt),
      };
    });
    return sendFeed(
      reply,
      renderRss({ title: listName, link: `${base}/`, selfUrl: `${base}/feed.xml`, description: `${listName}: the day's trending research papers`, items }),
    );
  });

  server.get<{ Params: { id: string } }>('/topics/:id/feed.xml', async (req, reply) => {
    const topic = req.params.id;
    if (!web.topicIds().includes(topic))
      return sendPage(
        reply,
        404,
        messagePage('No such topic', `There is no topic "${topic}". The topics are: ${web.topicIds().join(', ')}.`, 'error', listName),
      );
    const name = web.classifier.topicName(topic);
    const editions = await app.store.editions.list('daily', FEED_EDITIONS);
    const items: FeedItem[] = editions.flatMap((e) =>
      e.content.sections
        .filter((s) => s.topic === topic)
        .flatMap((s) =>
          s.paperIds.map((id) => {
            const p = e.content.papers[id]!;
            return {
              title: readableTitle(p.title),
              link: p.links.abstract ?? p.links.hf ?? p.links.doi ?? `${base}/editions/${e.date}`,
              description: `<p>${escapeHtml(byline(p.authors))}</p><p>${escapeHtml(texToUnicode(p.abstract))}</p><p><a href="${escapeHtml(`${base}/editions/${e.date}`)}">${escapeHtml(`${listName}, ${e.date}`)}</a></p>`,
              // one paper, one item, whichever edition it is seen in
              guid: `urn:paperboy:paper:${id}`,
              guidIsPermaLink: false,
              pubDate: new Date(e.frozenAt),
              categories: [name],
            };
          }),
        ),
    );
    const seen = new Set<string>();
    const unique = items.filter((i) => !seen.has(i.guid) && seen.add(i.guid));
    return sendFeed(
      reply,
      renderRss({
        title: `${listName}: ${name}`,
        link: `${base}/`,
        selfUrl: `${base}/topics/${topic}/feed.xml`,
        description: `${name} papers from ${listName}`,
        items: unique,
      }),
    );
  });
}
