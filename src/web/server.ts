/**
 * The HTTP service: the subscriber's pages (subscribe, confirm, preferences, unsubscribe), the
 * archive, search and feeds, and the operator's endpoints (health, readiness, metrics, queue
 * dashboard). Stateless: run as many as needed behind any load balancer; the rate limit lives
 * in Redis.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import type { App } from '../app.ts';
import type { Config } from '../config/schema.ts';
import { redisClient } from '../queues/redisClient.ts';
import { messagePage, SITE_CSS, TIMEZONE_SCRIPT } from '../../templates/pages/layout.ts';
import { WebContext, sendPage } from './context.ts';
import { registerSubscriptionRoutes } from './subscription.ts';
import { registerForYouRoutes } from './forYou.ts';
import { registerArchiveRoutes } from './archive.ts';
import { registerOperatorRoutes } from './operator.ts';
import { registerWebhooks } from './webhooks.ts';
import { clientLeft, parseFields, readMultipartFields, UnreadableForm } from './forms.ts';

/** Tokens stay out of logs. */
function safeUrl(url: string): string {
  return url.replace(/token=[^&]*/g, 'token=…');
}

/** What a reader is told about a request that failed. */
function errorText(err: FastifyError, status: number): string {
  if (err instanceof UnreadableForm) return `The form could not be read (${err.detail}); nothing was changed. Send it again from the page.`;
  if (status === 413) return 'The request is too large.';
  if (status === 415) return 'Send the form as application/x-www-form-urlencoded or multipart/form-data.';
  if (status === 429) return 'Too many requests from your address: wait a minute and try again.';
  if (status >= 500) return 'Something went wrong on our side; nothing was changed. Try again in a minute.';
  return 'The request was not understood; nothing was changed.';
}

/**
 * `web.trustProxy` as Fastify takes it. A hop count is a function of ours: Fastify 5.12 takes a
 * number as "trust nothing", since a client that can reach the service without the proxies can
 * write as many hops as it likes (the README says to use a count only when it cannot).
 */
function trustedProxies(trust: Config['web']['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false || trust === 0) return false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust;
}

export interface ServerOptions {
  /** POST /subscribe per client address and minute (default 10). */
  subscribeRateLimit?: { max: number; timeWindowMs: number };
}

export interface PaperboyServer extends FastifyInstance {
  /** Resolves when the work done after answering (subscription requests) has finished. */
  settled(): Promise<void>;
}

export async function buildServer(app: App, opts: ServerOptions = {}): Promise<PaperboyServer> {
  const server = Fastify({
    logger: false,
    // the client's address (rate limit) comes from X-Forwarded-For only when our own proxies wrote it
    trustProxy: trustedProxies(app.config.web.trustProxy),
    bodyLimit: 64 * 1024,
    routerOptions: { querystringParser: parseFields },
  });
  // a hung Redis must not hang a request: /readyz answers 503, /subscribe skips its rate limit
  const redis = redisClient(app.redis, 'web');
  redis.on('error', () => {});
  const web = new WebContext(app, redis);
  server.addHook('onClose', async () => {
    await web.settled();
    redis.disconnect();
  });

  await server.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // the web edition is the email's HTML, whose styles are inline by necessity
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        imgSrc: ["'self'", 'https:', 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    // tokens travel in URLs: no page may leak its address to another site
    referrerPolicy: { policy: 'no-referrer' },
    // for browsers older than frame-ancestors
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: app.env.publicUrl.startsWith('https:') ? { maxAge: 15552000 } : false,
  });
  await server.register(formbody, { bodyLimit: 16 * 1024, parser: parseFields });
  // RFC 8058: mail providers SHOULD send the one-click POST as multipart/form-data
  await server.register(multipart, { limits: { files: 0, fields: 40, fieldSize: 4096, parts: 40 } });
  server.addHook('preValidation', readMultipartFields);
  await server.register(rateLimit, {
    global: false,
    redis,
    nameSpace: `${app.queues.settings.prefix}:web-rate:`,
    // when Redis is away the pages still work; the per-address limit in the database stays
    skipOnError: true,
  });

  // A request whose connection already broke is not handled further: a malformed chunked body
  // makes Node answer 400 and close the socket while the request's hooks are still to run. The
  // last of the app's onRequest hooks, so it runs right before the rate limit's (a route hook).
  server.addHook('onRequest', (req, reply, done) => {
    if (req.raw.socket?.destroyed) {
      app.log.debug('request dropped: the client connection is already closed', { method: req.method, url: safeUrl(req.url) });
      reply.hijack();
    }
    done();
  });

  server.setErrorHandler((err: FastifyError, req, reply) => {
    const url = safeUrl(req.url);
    if (clientLeft(err)) {
      app.log.debug('the client closed the connection before its request was read', { method: req.method, url });
      return sendPage(reply, 400, messagePage('Bad request', 'The request was cut short; nothing was changed.', 'error', web.listName));
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) app.log.error('request failed', { url, error: err.message });
    else app.log.debug('request refused', { method: req.method, url, status, reason: err.message });
    return sendPage(reply, status, messagePage(status >= 500 ? 'Something went wrong' : 'Bad request', errorText(err, status), 'error', web.listName));
  });
  server.setNotFoundHandler((_req, reply) =>
    sendPage(
      reply,
      404,
      messagePage('Page not found', 'There is no page at this address. The home page lists the latest edition and the archive.', 'error', web.listName),
    ),
  );

  server.get('/assets/site.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(SITE_CSS));
  server.get('/assets/timezone.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(TIMEZONE_SCRIPT),
  );

  registerSubscriptionRoutes(server, web, { rateLimit: opts.subscribeRateLimit ?? { max: 10, timeWindowMs: 60_000 } });
  registerForYouRoutes(server, web);
  registerArchiveRoutes(server, web);
  await registerOperatorRoutes(server, web);
  // the SES webhooks (signature-verified SNS)
  await registerWebhooks(server, app);

  return Object.assign(server, { settled: () => web.settled() }) as PaperboyServer;
}
