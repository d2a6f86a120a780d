/**
 * The operator's endpoints: liveness, readiness (database and Redis, each with a time limit),
 * Prometheus metrics and the queue dashboard. Workers run in other processes, so every gauge
 * is read at scrape time from Redis and the database, never counted in this process.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { withTimeout } from '../lib/timeout.ts';
import { QUEUE } from '../queues/index.ts';
import { REDIS_REQUEST_TIMEOUT_MS } from '../queues/redisClient.ts';
import type { WebContext } from './context.ts';

const CHECK_TIMEOUT_MS = 2000;

/** Compared as SHA-256 digests: equal length always, so the comparison takes the same time for any guess. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `Authorization: Bearer TOKEN`, or Basic with the token as the password (what a browser prompts for). */
function presentedToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const [scheme, value] = header.split(/\s+/, 2) as [string, string | undefined];
  if (!value) return undefined;
  if (/^bearer$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

export async function registerOperatorRoutes(server: FastifyInstance, web: WebContext): Promise<void> {
  const { app, redis } = web;

  server.get('/healthz', async () => ({ status: 'ok' }));

  server.get('/readyz', async (_req, reply) => {
    const [database, redisCheck] = await Promise.all([
      withTimeout('the database', CHECK_TIMEOUT_MS, () => app.store.ping()).then(
        () => 'ok',
        (err: Error) => err.message,
      ),
      // the client's own command timeout (REDIS_REQUEST_TIMEOUT_MS) ends a PING that gets no answer
      redis.ping().then(
        (pong) => (pong === 'PONG' ? 'ok' : 'no answer to PING'),
        (err: Error) => (/timed out/i.test(err.message) ? `Redis did not answer within ${REDIS_REQUEST_TIMEOUT_MS} ms` : `Redis: ${err.message}`),
      ),
    ]);
    const checks = { database, redis: redisCheck };
    const ready = database === 'ok' && redisCheck === 'ok';
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: ready ? 'ready' : 'not ready', checks });
  });

  const registry = new Registry();
  const http = new Counter({
    name: 'paperboy_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const httpSeconds = new Histogram({
    name: 'paperboy_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  server.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? '(unmatched)';
    http.inc({ method: req.method, route, status: String(reply.statusCode) });
    httpSeconds.observe({ route }, reply.elapsedTime / 1000);
  });

  const queueNames = Object.values(QUEUE);
  new Gauge({
    name: 'paperboy_queue_jobs',
    help: 'Jobs per queue and state (completed and failed: kept jobs, i.e. recent outcomes)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        queueNames.map(async (q) => {
          const counts = await withTimeout('Redis', CHECK_TIMEOUT_MS, () =>
            app.queues.get(q).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'),
          );
          for (const [state, n] of Object.entries(counts)) this.set({ queue: q, state }, n);
        }),
      );
    },
  });
  new Gauge({
    name: 'paperboy_queue_workers',
    help: 'Workers connected to each queue, on any machine',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(queueNames.map(async (q) => this.set({ queue: q }, await withTimeout('Redis', CHECK_TIMEOUT_MS, () => app.queues.workerCount(q)))));
    },
  });
  new Gauge({
    name: 'paperboy_edition_deliveries',
    help: 'Deliveries of the recent editions by result (sent, failed, skipped, pending, sending)',
    labelNames: ['edition', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const editions = [...(await app.store.editions.list('daily', 3)), ...(await app.store.editions.list('weekly', 1))];
      for (const e of editions) {
        for (const [status, n] of Object.entries(await app.store.deliveries.countByStatus(e.id))) this.set({ edition: e.id, status }, n);
      }
    },
  });
  new Gauge({
    name: 'paperboy_subscribers',
    help: 'Subscribers by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [status, n] of Object.entries(await app.store.subscribers.countByStatus())) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'paperboy_suppressed_addresses',
    help: 'Suppressed addresses by reason',
    labelNames: ['reason'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [reason, n] of Object.entries(await app.store.suppressions.count())) this.set({ reason }, n);
    },
  });
  new Gauge({
    name: 'paperboy_for_you_votes',
    help: 'Readers\' "more like this" / "less like this" votes held, by direction (a vote replaced by its opposite counts once)',
    labelNames: ['direction'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [direction, n] of Object.entries(await app.store.forYou.voteCounts())) this.set({ direction }, n);
    },
  });
  new Gauge({
    name: 'paperboy_for_you_profiles',
    help: 'Readers with a For you profile (votes, seed papers or an author id)',
    registers: [registry],
    async collect() {
      this.set(await app.store.forYou.profileCount());
    },
  });
  const sources = await (async () => {
    const papers = new Gauge({ name: 'paperboy_source_papers', help: 'Papers stored from each source so far', labelNames: ['source'], registers: [registry] });
    const lastSuccess = new Gauge({
      name: 'paperboy_source_last_success_timestamp_seconds',
      help: 'When each source was last read successfully',
      labelNames: ['source'],
      registers: [registry],
    });
    return new Gauge({
      name: 'paperboy_source_failing',
      help: '1 when the last fetch of a source failed',
      labelNames: ['source'],
      registers: [registry],
      async collect() {
        this.reset();
        papers.reset();
        lastSuccess.reset();
        for (const s of await app.store.sources.list()) {
          papers.set({ source: s.name }, s.papersTotal);
          if (s.lastSuccessAt) lastSuccess.set({ source: s.name }, Date.parse(s.lastSuccessAt) / 1000);
          this.set({ source: s.name }, s.lastErrorAt && (!s.lastSuccessAt || s.lastErrorAt >= s.lastSuccessAt) ? 1 : 0);
        }
      },
    });
  })();
  void sources;

  server.get('/metrics', async (_req, reply) => {
    const text = await registry.metrics();
    return reply.code(200).header('content-type', registry.contentType).header('cache-control', 'no-store').send(text);
  });

  const adminToken = app.env.adminToken;
  // without ADMIN_TOKEN there is no dashboard at all (404), not a locked one
  if (!adminToken) return;
  const { createBullBoard } = await import('@bull-board/api');
  const { BullMQAdapter } = await import('@bull-board/api/bullMQAdapter');
  const { FastifyAdapter } = await import('@bull-board/fastify');
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/admin/queues');
  // @bull-board/fastify pins its own copy of @bull-board/api: same shapes, separate type declarations
  createBullBoard({ queues: queueNames.map((q) => new BullMQAdapter(app.queues.get(q))), serverAdapter: serverAdapter as never });
  await server.register(
    async (admin) => {
      admin.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        const token = presentedToken(req);
        if (token === undefined || !sameSecret(token, adminToken)) {
          return reply
            .code(401)
            .header('www-authenticate', 'Basic realm="paperboy admin", charset="UTF-8"')
            .header('cache-control', 'no-store')
            .type('text/plain; charset=utf-8')
            .send('The queue dashboard needs ADMIN_TOKEN: give it as the password (any user name), or as "Authorization: Bearer TOKEN".');
        }
      });
      await admin.register(serverAdapter.registerPlugin());
    },
    { prefix: '/admin/queues' },
  );
}
