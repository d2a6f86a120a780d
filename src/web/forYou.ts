/**
 * The "more like this" / "less like this" links of every paper in an email. Same rules as
 * unsubscribe: a GET shows the paper and one button (mail scanners follow links and must
 * change nothing), the POST records. The link's token (purpose `feedback`) authorises that
 * reader's votes only; a bad, tampered or foreign one gets the plain 400 page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { verifyToken } from '../mail/tokens.ts';
import { parseAuthorIdField, parseSeedPapers, readerSettings, rebuildProfile, recordVote, type SettingsChange } from '../personal/profiles.ts';
import { messagePage } from '../../templates/pages/layout.ts';
import { feedbackPage, votedPage, type FeedbackPaper, type ForYouPreferences } from '../../templates/pages/forYou.ts';
import { sendPage, type WebContext } from './context.ts';
import type { Subscriber } from '../db/index.ts';
import { byline } from '../domain/byline.ts';
import { readableTitle } from '../domain/tex.ts';

const voteField = z.enum(['more', 'less']);
/** One paper, one optional vote: a repeated parameter is no link of ours. */
const feedbackQuery = z.object({ paper: z.string().min(1).max(200), vote: voteField.optional() });

interface FeedbackLink {
  subscriber: Subscriber;
  paper: FeedbackPaper;
  vote?: 'more' | 'less';
  /** The page's form action: the link's paper and token, the vote in the form. */
  action: string;
}

export function registerForYouRoutes(server: FastifyInstance, web: WebContext): void {
  const { app, listName } = web;

  /** The reader, the paper and the asked vote of a feedback link, or the page that says what is wrong with it. */
  const resolve = async (req: FastifyRequest, reply: FastifyReply): Promise<{ refused: FastifyReply } | { link: FeedbackLink }> => {
    const token = web.token(req);
    const query = feedbackQuery.safeParse(req.query);
    const id = verifyToken(app.secretKey, token, 'feedback');
    if (!token || !query.success || id === undefined) return { refused: web.badLink(reply) };
    const subscriber = await app.store.subscribers.getById(id);
    if (!subscriber) return { refused: web.badLink(reply) };
    if (subscriber.status !== 'confirmed') {
      return {
        refused: sendPage(
          reply,
          409,
          messagePage(
            'You are not subscribed',
            `This address gets no ${listName}, so there is no "For you" to shape; nothing was recorded. To subscribe again, use the form on the home page.`,
            'error',
            listName,
          ),
        ),
      };
    }
    const stored = await app.store.papers.get(query.data.paper);
    if (!stored) {
      return {
        refused: sendPage(
          reply,
          404,
          messagePage(
            'Paper not found',
            'This link names a paper we do not know (the link was cut, or changed). Nothing was recorded; use the links of your most recent email.',
            'error',
            listName,
          ),
        ),
      };
    }
    const authors = byline(stored.authors);
    const paper = { id: stored.id, title: readableTitle(stored.title), authors, href: stored.links.abstract ?? stored.links.hf };
    const action = `/feedback?paper=${encodeURIComponent(stored.id)}&token=${encodeURIComponent(token)}`;
    return { link: { subscriber, paper, vote: query.data.vote, action } };
  };

  server.get('/feedback', async (req, reply) => {
    const resolved = await resolve(req, reply);
    if ('refused' in resolved) return resolved.refused;
    const found = resolved.link;
    const current = await app.store.forYou.voteOn(found.subscriber.id, found.paper.id);
    return sendPage(
      reply,
      200,
      feedbackPage({ listName, paper: found.paper, vote: found.vote, current, action: found.action, halfLifeDays: app.config.forYou.halfLifeDays }),
    );
  });

  // a token holder can only shape their own profile, but each vote rebuilds it: bounded per client
  server.post('/feedback', { config: { rateLimit: { max: 60, timeWindow: 60_000 } } }, async (req, reply) => {
    const resolved = await resolve(req, reply);
    if ('refused' in resolved) return resolved.refused;
    const found = resolved.link;
    // the page's button sends the vote in the form; a link's own vote is in its query
    const body = (req.body ?? {}) as Record<string, unknown>;
    const vote = voteField.safeParse(body.vote ?? found.vote);
    if (!vote.success)
      return sendPage(
        reply,
        400,
        messagePage('Nothing recorded', 'Say "more like this" or "less like this" with the buttons of the page; nothing was recorded.', 'error', listName),
      );
    const outcome = await recordVote(app.store, app.config, found.subscriber.id, found.paper.id, vote.data, undefined, app.clock.now());
    // the paper stays out of the log: what a reader likes is kept in the database only
    app.log.debug('for you vote', { subscriber: found.subscriber.id, outcome });
    return sendPage(reply, 200, votedPage({ listName, paper: found.paper, vote: vote.data, outcome, action: found.action }));
  });
}

/**
 * The For you fields of a preferences POST: `seed_papers` (arXiv ids or links) and
 * `author_id`. A field the form did not send keeps what is stored (an older page, a script);
 * a bad one is refused by name, before anything is saved.
 */
export function forYouFieldsOf(
  body: Record<string, unknown>,
  maxSeeds: number,
):
  | { ok: true; change: SettingsChange; typed: { seedPapers?: string; authorId?: string } }
  | { ok: false; error: string; typed: { seedPapers?: string; authorId?: string } } {
  const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? v.filter((x) => typeof x === 'string').join('\n') : undefined);
  const typed = { seedPapers: text(body.seed_papers)?.slice(0, 4000), authorId: text(body.author_id)?.slice(0, 200) };
  const change: SettingsChange = {};
  if (typed.seedPapers !== undefined) {
    const seeds = parseSeedPapers(typed.seedPapers, maxSeeds);
    if (!seeds.ok) return { ok: false, error: `papers you like: ${seeds.error}`, typed };
    change.seedPapers = seeds.ids;
  }
  if (typed.authorId !== undefined) {
    const author = parseAuthorIdField(typed.authorId);
    if (!author.ok) return { ok: false, error: `arXiv author id: ${author.error}`, typed };
    change.authorId = author.id ?? null;
  }
  return { ok: true, change, typed };
}

/** Applies a preferences save's For you fields; true when they changed anything (the profile is then rebuilt). */
export async function saveForYouFields(web: WebContext, subscriberId: number, change: SettingsChange): Promise<boolean> {
  const { app } = web;
  const before = await app.store.forYou.settings(subscriberId);
  const seedsChanged = change.seedPapers !== undefined && change.seedPapers.join('\n') !== before.seedPapers.join('\n');
  const authorChanged = change.authorId !== undefined && (change.authorId ?? undefined) !== before.authorId;
  if (!seedsChanged && !authorChanged) return false;
  await rebuildProfile(app.store, app.config, subscriberId, app.clock.now(), change);
  return true;
}

/** The preferences page's For you part for a reader (undefined when the operator turned For you off). */
export async function forYouPreferences(
  web: WebContext,
  subscriberId: number,
  form: { resetAction: string; formToken: string },
  typed?: { seedPapers?: string; authorId?: string },
): Promise<ForYouPreferences | undefined> {
  const { app } = web;
  if (!app.config.forYou.enabled) return undefined;
  const s = await readerSettings(app.store, subscriberId);
  const known = s.pendingSeeds > 0 ? await app.store.papers.getMany(s.seedPapers) : undefined;
  return {
    seedPapers: s.seedPapers,
    pendingSeeds: known ? s.seedPapers.filter((id) => !known.has(id)) : [],
    authorId: s.authorId,
    votes: { more: s.profile?.counts.more ?? 0, less: s.profile?.counts.less ?? 0 },
    typed,
    ...form,
    halfLifeDays: app.config.forYou.halfLifeDays,
    maxSeeds: app.config.forYou.maxSeeds,
  };
}
