/**
 * The subscriber's routes: subscribe (double opt-in), confirm, preferences, unsubscribe
 * (RFC 8058 one-click). Every change comes through a signed link from an email; nothing here
 * tells whether an address is on the list.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { checkAddress } from '../mail/address.ts';
import { wholeNumber } from '../lib/input.ts';
import { signFormToken, signToken, verifyConfirmToken, verifyFormToken, verifyToken } from '../mail/tokens.ts';
import { currentEditionDay, isDate } from '../domain/time.ts';
import type { EditionContent } from '../domain/edition.ts';
import type { Subscriber } from '../db/index.ts';
import { messagePage } from '../../templates/pages/layout.ts';
import {
  checkInboxPage,
  confirmedPage,
  confirmPage,
  homePage,
  preferencesPage,
  unsubscribedPage,
  unsubscribePage,
  type PreferencesView,
  type TopicChoice,
} from '../../templates/pages/subscription.ts';
import { sendPage, type WebContext } from './context.ts';
import { forYouFieldsOf, forYouPreferences, saveForYouFields } from './forYou.ts';
import { byline } from '../domain/byline.ts';
import { readableTitle } from '../domain/tex.ts';
import { readerDeliveryTime } from '../send/schedule.ts';
import { deliveryPhrase } from '../render/transactional.ts';

const many = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
const one = z.string().max(100).optional();

const subscribeBody = z.object({ email: z.string().max(320), topics: many, frequency: one, timezone: one });
// the hour is read by wholeNumber: digits only, so "" is not midnight and "0x3" not three
const preferencesBody = z.object({
  topics: many,
  frequency: z.enum(['daily', 'weekly']),
  hour: z.unknown().optional(),
  timezone: z.string().max(100),
  paused_until: one,
});

/**
 * The "Sections first" selects: topic ids in the reader's order, the empty choice ("by the
 * day's best paper") left out and a repeated topic kept where it first comes. An id that is
 * not one of `known` is refused with its name: a stale page or a hand-made POST.
 */
export function sectionsFirstField(known: readonly string[]) {
  return z
    .union([z.string().max(100), z.array(z.string().max(100)).max(known.length + 10)])
    .transform((v) => [...new Set((Array.isArray(v) ? v : [v]).map((t) => t.trim()).filter(Boolean))])
    .superRefine((ids, ctx) => {
      const unknown = ids.filter((t) => !known.includes(t));
      if (unknown.length > 0)
        ctx.addIssue({
          code: 'custom',
          message: `${unknown.map((t) => `"${t}"`).join(', ')} ${unknown.length === 1 ? 'is not a topic' : 'are not topics'}: choose the sections first from the list.`,
        });
    });
}

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

/**
 * Does the browser say this POST comes from another site? `Sec-Fetch-Site` (every current
 * browser) says so directly, else an Origin that names another site. `Origin: null` (our
 * `no-referrer` policy makes browsers send it on a form POST) and no header at all (Safari
 * before 16.4, scripts) say nothing: the form token decides.
 */
export function fromOtherSite(req: FastifyRequest, publicUrl: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return false;
  const own = new Set([new URL(publicUrl).origin, `${req.protocol}://${req.host}`]);
  return !own.has(origin);
}

export function registerSubscriptionRoutes(server: FastifyInstance, web: WebContext, opts: { rateLimit: { max: number; timeWindowMs: number } }): void {
  const { app, listName } = web;
  // a pause is counted in editions, whose days are the operator's calendar (edition.timezone, cut-off), not UTC's
  const today = () => currentEditionDay(app.clock.now(), app.config.edition);
  const topicChoices = (checked: string[]): TopicChoice[] =>
    web.topicIds().map((id) => ({ id, name: web.classifier.topicName(id), description: web.classifier.topicDescription(id), checked: checked.includes(id) }));

  const home = async (reply: FastifyReply, status: number, form: { email?: string; error?: string } = {}) => {
    const [latest] = await app.store.editions.list('daily', 1);
    const papers = latest
      ? (latest.content.top.length > 0 ? latest.content.top : latest.content.sections.flatMap((s) => s.paperIds).slice(0, 5)).map((id) => {
          const p = latest.content.papers[id]!;
          return {
            id,
            title: readableTitle(p.title),
            href: p.links.abstract ?? p.links.hf ?? `/editions/${latest.date}`,
            authors: byline(p.authors),
            topic: web.classifier.topicName(p.primaryTopic),
          };
        })
      : [];
    return sendPage(
      reply,
      status,
      homePage({
        listName,
        topics: topicChoices([]),
        zones: web.zones,
        defaultZone: app.config.edition.timezone,
        latest: latest ? { date: latest.date, papers } : undefined,
        ...form,
      }),
      status === 200 && !form.email ? 'public, max-age=60' : 'no-store',
    );
  };

  server.get('/', async (_req, reply) => home(reply, 200));

  server.post('/subscribe', { config: { rateLimit: { max: opts.rateLimit.max, timeWindow: opts.rateLimit.timeWindowMs } } }, async (req, reply) => {
    const body = subscribeBody.safeParse(req.body ?? {});
    if (!body.success) return home(reply, 400, { error: 'Enter your email address to subscribe.' });
    const address = checkAddress(body.data.email);
    if (!address.ok) return home(reply, 400, { email: body.data.email.slice(0, 254), error: `This address cannot be used: ${address.reason}.` });
    const known = web.topicIds();
    const request = {
      topics: body.data.topics.filter((t) => known.includes(t)),
      frequency: body.data.frequency === 'weekly' ? ('weekly' as const) : ('daily' as const),
      timezone: (body.data.timezone && web.zoneOf(body.data.timezone)) || app.config.edition.timezone,
    };
    // The same answer, at once, whatever the address's state: the database is only read
    // after the page has gone out, so neither the page nor its timing tells anything.
    sendPage(reply, 200, checkInboxPage(listName));
    web.afterResponse(async () => {
      const { subscriberId, nonce } = await app.store.subscribers.requestSubscription(address.email, request, app.clock.now().toISOString());
      if (nonce) await app.queues.addMail({ kind: 'confirm', subscriberId });
    });
    return reply;
  });

  /** The confirm link's request, while it can still be confirmed; else the page that says why not. */
  const confirmRequest = async (req: FastifyRequest, reply: FastifyReply): Promise<{ subscriberId: number; nonce: string; token: string } | FastifyReply> => {
    const token = web.token(req);
    const check = verifyConfirmToken(app.secretKey, token, app.clock.now());
    if (!check.ok) {
      return check.reason === 'expired'
        ? sendPage(
            reply,
            410,
            messagePage(
              'This link has expired',
              'Confirmation links work for 7 days. Subscribe again on the home page to get a new one; nothing was changed.',
              'error',
              listName,
            ),
          )
        : web.badLink(reply);
    }
    return { subscriberId: check.subscriberId, nonce: check.nonce, token: token! };
  };

  const alreadyUsed = (reply: FastifyReply) =>
    sendPage(
      reply,
      410,
      messagePage(
        'This link was already used',
        'This confirmation link has been used, or a newer confirmation email replaced it. Nothing was changed. To change your subscription, use the preferences link in any email from us.',
        'error',
        listName,
      ),
    );

  // A GET (and a HEAD) only shows the button: mail scanners open links, and must not use up the one-time link
  server.get('/confirm', async (req, reply) => {
    const request = await confirmRequest(req, reply);
    if (!('nonce' in request)) return request;
    const [subscriber, pending] = await Promise.all([
      app.store.subscribers.getById(request.subscriberId),
      app.store.subscribers.pendingRequest(request.subscriberId),
    ]);
    if (!subscriber || subscriber.status === 'suppressed' || pending?.nonce !== request.nonce) return alreadyUsed(reply);
    return sendPage(
      reply,
      200,
      confirmPage(listName, subscriber.email, `/confirm?token=${encodeURIComponent(request.token)}`, subscriber.status === 'confirmed'),
    );
  });

  server.post('/confirm', async (req, reply) => {
    const request = await confirmRequest(req, reply);
    if (!('nonce' in request)) return request;
    const done = await app.store.subscribers.confirm(request.subscriberId, request.nonce, app.clock.now().toISOString());
    if (!done) return alreadyUsed(reply);
    await app.queues.addMail({ kind: done.wasConfirmed ? 'preferences-changed' : 'welcome', subscriberId: done.subscriber.id });
    return sendPage(
      reply,
      200,
      confirmedPage(
        listName,
        `/preferences?token=${signToken(app.secretKey, done.subscriber.id, 'preferences')}`,
        done.wasConfirmed,
        deliveryPhrase(readerDeliveryTime(app.config, done.subscriber, app.clock.now())),
      ),
    );
  });

  const subscriberFor = async (req: FastifyRequest, purpose: 'preferences' | 'unsubscribe'): Promise<{ token: string; subscriber: Subscriber } | undefined> => {
    const token = web.token(req);
    const id = verifyToken(app.secretKey, token, purpose);
    const subscriber = id === undefined ? undefined : await app.store.subscribers.getById(id);
    return subscriber && token ? { token, subscriber } : undefined;
  };

  const notSubscribed = (reply: FastifyReply, status: number) =>
    sendPage(
      reply,
      status,
      messagePage(
        'You are not subscribed',
        `This address gets no ${listName}, so there is nothing to change. To subscribe again, use the form on the home page: we will send a confirmation email first.`,
        'error',
        listName,
      ),
    );

  const showPreferences = async (
    reply: FastifyReply,
    status: number,
    token: string,
    s: Subscriber,
    extra: { saved?: PreferencesView['saved']; error?: string; typed?: { seedPapers?: string; authorId?: string } } = {},
  ) => {
    const formToken = signFormToken(app.secretKey, token);
    return sendPage(
      reply,
      status,
      preferencesPage({
        listName,
        email: s.email,
        action: `/preferences?token=${encodeURIComponent(token)}`,
        formToken,
        topics: topicChoices(s.topics),
        sectionOrder: s.sectionOrder,
        frequency: s.frequency,
        zones: web.zones,
        timezone: web.zoneOf(s.timezone) ?? s.timezone,
        deliveryHour: s.deliveryHour,
        delivery: !app.config.send.atReadersHour ? 'on-release-for-all' : s.deliveryTimeChosen ? 'at-hour' : 'on-release',
        pausedUntil: s.pausedUntil && s.pausedUntil > today() ? s.pausedUntil : undefined,
        today: today(),
        saved: extra.saved,
        error: extra.error,
        forYou: await forYouPreferences(web, s.id, { resetAction: `/preferences/for-you/reset?token=${encodeURIComponent(token)}`, formToken }, extra.typed),
      }),
    );
  };

  server.get('/preferences', async (req, reply) => {
    const found = await subscriberFor(req, 'preferences');
    if (!found) return web.badLink(reply);
    if (found.subscriber.status !== 'confirmed') return notSubscribed(reply, 200);
    return showPreferences(reply, 200, found.token, found.subscriber);
  });

  /**
   * The checks every POST of the preferences page passes (the save and the For you reset): a
   * form, from our page (its signed form token), with the reader's link token; else the refusal sent.
   */
  const preferencesPost = async (
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ token: string; subscriber: Subscriber; fields: Record<string, unknown> } | { refused: FastifyReply }> => {
    if (!FORM_TYPES.test(req.headers['content-type'] ?? '')) {
      return {
        refused: sendPage(
          reply,
          415,
          messagePage('Not saved', 'Preferences are saved from the form of the preferences page; nothing was changed.', 'error', listName),
        ),
      };
    }
    const notFromOurPage = () => ({
      refused: sendPage(
        reply,
        403,
        messagePage(
          'Not saved',
          'This change did not come from our preferences page, so it was refused; nothing was changed. Open the preferences link from your email and save there.',
          'error',
          listName,
        ),
      ),
    });
    if (fromOtherSite(req, app.env.publicUrl)) return notFromOurPage();
    const found = await subscriberFor(req, 'preferences');
    if (!found) return { refused: web.badLink(reply) };
    const fields = (req.body ?? {}) as Record<string, unknown>;
    if (!verifyFormToken(app.secretKey, found.token, fields.form_token)) return notFromOurPage();
    // the preferences link can change settings; it never brings back someone who left
    if (found.subscriber.status !== 'confirmed') return { refused: notSubscribed(reply, 409) };
    return { ...found, fields };
  };

  server.post('/preferences', async (req, reply) => {
    const found = await preferencesPost(req, reply);
    if ('refused' in found) return found.refused;
    const { token, subscriber, fields } = found;
    const refuse = (problem: string, typed?: { seedPapers?: string; authorId?: string }) =>
      showPreferences(reply, 400, token, subscriber, { error: `Not saved: ${problem}`, typed });
    const body = preferencesBody.safeParse(fields);
    if (!body.success) return refuse('choose how often, an hour and a time zone.');
    const hour = wholeNumber('the hour', body.data.hour, 0, 23);
    if (!hour.ok) return refuse(`${hour.problem}.`);
    const timezone = web.zoneOf(body.data.timezone);
    if (!timezone) return refuse(`"${body.data.timezone}" is not a time zone: choose one from the list.`);
    if (body.data.paused_until && (!isDate(body.data.paused_until) || body.data.paused_until < today()))
      return refuse('the pause must end on a day from today on (YYYY-MM-DD), or be left empty.');
    const known = web.topicIds();
    // a form without the selects (an older page, a script) keeps the order the reader has
    const rawOrder = fields.sections_first;
    const order = rawOrder === undefined ? undefined : sectionsFirstField(known).safeParse(rawOrder);
    if (order && !order.success) return refuse(order.error.issues.find((i) => i.code === 'custom')?.message ?? 'choose the sections first from the list.');
    const forYou = app.config.forYou.enabled ? forYouFieldsOf(fields, app.config.forYou.maxSeeds) : undefined;
    if (forYou && !forYou.ok) return refuse(forYou.error, forYou.typed);
    const changed = await app.store.subscribers.setPreferences(
      subscriber.id,
      {
        topics: body.data.topics.filter((t) => known.includes(t)),
        sectionOrder: order ? order.data : subscriber.sectionOrder,
        frequency: body.data.frequency,
        timezone,
        deliveryHour: hour.value,
        pausedUntil: body.data.paused_until || undefined,
      },
      app.clock.now().toISOString(),
    );
    if (changed) await app.queues.addMail({ kind: 'preferences-changed', subscriberId: subscriber.id });
    const forYouChanged = forYou?.ok ? await saveForYouFields(web, subscriber.id, forYou.change) : false;
    return showPreferences(reply, 200, token, (await app.store.subscribers.getById(subscriber.id))!, {
      saved: changed ? 'changed' : forYouChanged ? 'for-you' : 'unchanged',
    });
  });

  // "Reset my For you": a form of its own on the preferences page, under the same checks
  server.post('/preferences/for-you/reset', async (req, reply) => {
    const found = await preferencesPost(req, reply);
    if ('refused' in found) return found.refused;
    await app.store.forYou.forget(found.subscriber.id);
    app.log.info('for you reset', { subscriber: found.subscriber.id });
    return showPreferences(reply, 200, found.token, found.subscriber, { saved: 'reset' });
  });

  server.get('/unsubscribe', async (req, reply) => {
    if ((req.query as Record<string, unknown>).token === undefined) {
      return sendPage(
        reply,
        200,
        messagePage(
          'Unsubscribe',
          `To unsubscribe, use the unsubscribe link at the bottom of any ${listName} email: it stops your subscription at once, without asking for your address.`,
          'ok',
          listName,
        ),
      );
    }
    const found = await subscriberFor(req, 'unsubscribe');
    if (!found) return web.badLink(reply);
    // a GET never changes anything: mail scanners follow links
    return sendPage(reply, 200, unsubscribePage(listName, found.subscriber.email, `/unsubscribe?token=${encodeURIComponent(found.token)}`));
  });

  server.post('/unsubscribe', async (req, reply) => {
    const found = await subscriberFor(req, 'unsubscribe');
    if (!found) return web.badLink(reply);
    await app.store.subscribers.unsubscribe(found.subscriber.id, app.clock.now().toISOString());
    app.log.info('unsubscribed', {
      subscriber: found.subscriber.id,
      oneClick: (req.body as Record<string, unknown> | undefined)?.['List-Unsubscribe'] === 'One-Click',
    });
    return sendPage(reply, 200, unsubscribedPage(listName));
  });
}
