/** What every route of the web service shares: the app, a Redis client, topics, helpers. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RedisClient } from '../queues/redisClient.ts';
import { z } from 'zod';
import type { App } from '../app.ts';
import { TopicClassifier } from '../rank/topics.ts';
import { messagePage } from '../../templates/pages/layout.ts';
import { canonicalTimeZone, timeZoneChoices } from '../domain/time.ts';

export function sendPage(reply: FastifyReply, status: number, body: string, cache = 'no-store'): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', cache).send(body);
}

/** One token, a string: `?token=a&token=b` is refused, not guessed at. */
const tokenQuery = z.object({ token: z.string().min(1).max(200) });

export class WebContext {
  readonly classifier: TopicClassifier;
  readonly listName: string;
  readonly zones: string[];
  private readonly work = new Set<Promise<void>>();

  constructor(
    readonly app: App,
    readonly redis: RedisClient,
  ) {
    this.classifier = TopicClassifier.fromConfig(app.config);
    this.listName = app.config.mail.listName;
    this.zones = timeZoneChoices();
  }

  topicIds(): string[] {
    return this.classifier.sectionOrder();
  }

  /** A zone as the form lists it, from any name Intl knows for it; undefined for none. */
  zoneOf(input: string): string | undefined {
    return canonicalTimeZone(input);
  }

  /** The token of a request, or undefined when it is missing, repeated or too long. */
  token(req: FastifyRequest): string | undefined {
    const parsed = tokenQuery.safeParse(req.query);
    return parsed.success ? parsed.data.token : undefined;
  }

  badLink(reply: FastifyReply): FastifyReply {
    return sendPage(
      reply,
      400,
      messagePage(
        'This link is not valid',
        'The link is incomplete or was changed. Use the link from your most recent email; nothing was changed.',
        'error',
        this.listName,
      ),
    );
  }

  /** Runs `task` after the answer has gone out; failures are logged, never shown. */
  afterResponse(task: () => Promise<void>): void {
    const p = new Promise<void>((resolve) => setImmediate(resolve))
      .then(task)
      .catch((err: Error) => this.app.log.error('background task failed', { error: err.message }))
      .finally(() => this.work.delete(p));
    this.work.add(p);
  }

  async settled(): Promise<void> {
    while (this.work.size > 0) await Promise.all([...this.work]);
  }
}
