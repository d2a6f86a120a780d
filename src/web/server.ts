/**
 * The HTTP service: the subscriber's pages (subscribe, confirm, preferences, unsubscribe), the
 * archive, search and feeds, and the operator's endpoints (health, readiness, metrics, queue
 * dashboard). Stateless: run as many as needed behind any load balancer; the rate limit lives
 * in Redis.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import type { App } from '../app.ts';
import { redisClient } from '../queues/redis.ts';
import { messagePage, SITE_CSS, TIMEZONE_SCRIPT } from '../../templates/pages/layout.ts';
import { WebContext, sendPage } from './context.ts';
import { registerSubscriptionRoutes } from './subscription.ts';
import { registerArchiveRoutes } from './archive.ts';
import { registerOperatorRoutes } from './operator.ts';
import { registerWebhooks } from './webhooks.ts';

export interface ServerOptions {
  /** POST /subscribe per client address and minute (default 10). */
  subscribeRateLimit?: { max: number; timeWindowMs: number };
}

export interface PaperboyServer extends FastifyInstance {
  /** Resolves when the work done after answering (subscription requests) has finished. */
  settled(): Promise<void>;
}

export async function buildServer(app: App, opts: ServerOptions = {}): Promise<PaperboyServer> {
  const server = Fastify({ logger: false, trustProxy: true, bodyLimit: 64 * 1024 });
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
  await server.register(formbody, { bodyLimit: 16 * 1024 });
  // RFC 8058: mail providers SHOULD send the one-click POST as multipart/form-data
  await server.register(multipart, { attachFieldsToBody: 'keyValues', limits: { files: 0, fields: 40, fieldSize: 4096, parts: 40 } });
  await server.register(rateLimit, {
    global: false,
    redis,
    nameSpace: `${app.queues.settings.prefix}:web-rate:`,
    // when Redis is away the pages still work; the per-address limit in the database stays
    skipOnError: true,
  });

  server.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) app.log.error('request failed', { url: req.url.replace(/token=[^&]*/g, 'token=…'), error: err.message });
    const text =
      status === 413 ? 'The request is too large.' : status === 415 ? 'Send the form as application/x-www-form-urlencoded or multipart/form-data.' : status === 429 ? 'Too many requests from your address: wait a minute and try again.' : status >= 500 ? 'Something went wrong on our side; nothing was changed. Try again in a minute.' : 'The request was not understood; nothing was changed.';
    return sendPage(reply, status, messagePage(status >= 500 ? 'Something went wrong' : 'Bad request', text, 'error', web.listName));
  });
  server.setNotFoundHandler((_req, reply) => sendPage(reply, 404, messagePage('Page not found', 'There is no page at this address. The home page lists the latest edition and the archive.', 'error', web.listName)));

  server.get('/assets/site.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(SITE_CSS));
  server.get('/assets/timezone.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(TIMEZONE_SCRIPT));

  registerSubscriptionRoutes(server, web, { rateLimit: opts.subscribeRateLimit ?? { max: 10, timeWindowMs: 60_000 } });
  registerArchiveRoutes(server, web);
  await registerOperatorRoutes(server, web);
  // the SES webhooks (signature-verified SNS)
  await registerWebhooks(server, app);

  return Object.assign(server, { settled: () => web.settled() }) as PaperboyServer;
}
