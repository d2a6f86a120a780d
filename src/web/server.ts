/**
 * The HTTP service: health and readiness, the archive ("view in browser"), and the links of
 * every email — one-click unsubscribe (RFC 8058) and preferences. Stateless: run as many as
 * needed behind any load balancer.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import type { App } from '../app.ts';
import { isDate } from '../rank/calendar.ts';
import { editionId, type EditionContent } from '../rank/edition.ts';
import { TopicClassifier } from '../rank/topics.ts';
import { signToken, verifyToken } from '../mail/tokens.ts';
import { redisOptions } from '../queues/redis.ts';
import { registerWebhooks } from './webhooks.ts';
import { html, messagePage, page } from '../../templates/pages/layout.ts';
import { editionPage } from '../../templates/pages/edition.ts';
import { viewOptionsOf } from '../../templates/email/view.ts';
import { preferencesPage, unsubscribedPage, unsubscribePage } from '../../templates/pages/subscription.ts';

function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self'")
    .send(body);
}

const badLink = (reply: FastifyReply) =>
  sendPage(reply, 400, messagePage('This link is not valid', 'The link is incomplete or was changed. Use the link from your most recent email; nothing was changed.', 'error'));

export async function buildServer(app: App): Promise<FastifyInstance> {
  const server = Fastify({ logger: false, trustProxy: true, bodyLimit: 64 * 1024 });
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const params = new URLSearchParams(body as string);
    const out: Record<string, string | string[]> = {};
    for (const key of new Set(params.keys())) {
      const all = params.getAll(key);
      out[key] = all.length > 1 ? all : all[0]!;
    }
    done(null, out);
  });
  const redis = new Redis({ ...redisOptions(app.redis.url), lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  server.addHook('onClose', async () => {
    redis.disconnect();
  });
  const classifier = TopicClassifier.fromConfig(app.config);
  const listName = app.config.mail.listName;

  server.get('/healthz', async () => ({ status: 'ok' }));
  await registerWebhooks(server, app);

  server.get('/readyz', async (_req, reply) => {
    const checks: Record<string, string> = {};
    try {
      await sql`select 1`.execute(app.store.db);
      checks.database = 'ok';
    } catch (err) {
      checks.database = (err as Error).message;
    }
    try {
      if (redis.status === 'wait') await redis.connect();
      checks.redis = (await redis.ping()) === 'PONG' ? 'ok' : 'no answer';
    } catch (err) {
      checks.redis = (err as Error).message;
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  server.get('/editions', async (_req, reply) => {
    const editions = await app.store.editions.list<EditionContent>('daily', 60);
    return sendPage(
      reply,
      200,
      page(
        `${listName}: archive`,
        html`<h1>${listName}</h1><ul>${editions.map((e) => html`<li><a href="/editions/${e.date}">${e.date}</a> — ${Object.keys(e.content.papers).length} papers</li>`)}</ul>`,
      ),
    );
  });

  server.get<{ Params: { date: string }; Querystring: { kind?: string } }>('/editions/:date', async (req, reply) => {
    const kind = req.query.kind === 'weekly' ? 'weekly' : 'daily';
    if (!isDate(req.params.date)) return sendPage(reply, 404, messagePage('No such edition', 'Editions are named by their date, e.g. /editions/2026-11-26.', 'error'));
    const edition = await app.store.editions.get<EditionContent>(editionId(kind, req.params.date));
    if (!edition) return sendPage(reply, 404, messagePage('No such edition', `There is no ${kind} edition of ${req.params.date}.`, 'error'));
    const body = editionPage(edition.content, { ...viewOptionsOf(app.config, app.env), ...(await app.store.editions.neighbours(kind, req.params.date)) });
    return reply.code(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'public, max-age=300').send(body);
  });

  server.get<{ Querystring: { token?: string } }>('/unsubscribe', async (req, reply) => {
    const id = req.query.token ? verifyToken(app.secretKey, req.query.token, 'unsubscribe') : undefined;
    const subscriber = id === undefined ? undefined : await app.store.subscribers.getById(id);
    if (!subscriber) return badLink(reply);
    // a GET never changes anything: mail scanners follow links
    return sendPage(reply, 200, unsubscribePage(listName, subscriber.email, `/unsubscribe?token=${encodeURIComponent(req.query.token!)}`));
  });

  server.post<{ Querystring: { token?: string } }>('/unsubscribe', async (req, reply) => {
    const id = req.query.token ? verifyToken(app.secretKey, req.query.token, 'unsubscribe') : undefined;
    const subscriber = id === undefined ? undefined : await app.store.subscribers.getById(id);
    if (!subscriber) return badLink(reply);
    if (subscriber.status === 'confirmed' || subscriber.status === 'pending') await app.store.subscribers.setStatus(subscriber.id, 'unsubscribed', new Date().toISOString());
    app.log.info('unsubscribed', { subscriber: subscriber.id, oneClick: (req.body as Record<string, string> | undefined)?.['List-Unsubscribe'] === 'One-Click' });
    return sendPage(reply, 200, unsubscribedPage(listName, `/preferences?token=${signToken(app.secretKey, subscriber.id, 'preferences')}`));
  });

  const preferences = async (token: string | undefined, reply: FastifyReply, update?: Record<string, string | string[]>) => {
    const id = token ? verifyToken(app.secretKey, token, 'preferences') : undefined;
    let subscriber = id === undefined ? undefined : await app.store.subscribers.getById(id);
    if (!subscriber) return badLink(reply);
    const known = classifier.sectionOrder();
    if (update) {
      const picked = ([] as string[]).concat(update.topics ?? []).filter((t) => known.includes(t));
      const frequency = update.frequency === 'weekly' ? 'weekly' : 'daily';
      const now = new Date().toISOString();
      ({ subscriber } = await app.store.subscribers.upsert({ email: subscriber.email, topics: picked, frequency, confirmed: subscriber.status === 'confirmed' }, now));
      // saving preferences from a link in our email re-subscribes someone who left
      if (subscriber.status === 'unsubscribed') await app.store.subscribers.setStatus(subscriber.id, 'confirmed', now);
    }
    return sendPage(
      reply,
      200,
      preferencesPage({
        listName,
        email: subscriber.email,
        action: `/preferences?token=${encodeURIComponent(token!)}`,
        topics: known.map((t) => ({ id: t, name: classifier.topicName(t), description: classifier.topicDescription(t), checked: subscriber!.topics.includes(t) })),
        frequency: subscriber.frequency,
        saved: Boolean(update),
      }),
    );
  };
  server.get<{ Querystring: { token?: string } }>('/preferences', async (req, reply) => preferences(req.query.token, reply));
  server.post<{ Querystring: { token?: string } }>('/preferences', async (req, reply) => preferences(req.query.token, reply, (req.body as Record<string, string | string[]>) ?? {}));

  return server;
}
