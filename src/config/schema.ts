/**
 * The shape of `paperboy.config.json` (or `.yaml`). Every option has its default
 * written here, next to its meaning, so this file is the reference for operators.
 * Unknown keys are errors: a typo must not silently fall back to a default.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import cronParser from 'cron-parser';
import { canonicalTimeZone } from '../domain/time.ts';

const slug = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected a lower-case name of letters, digits, ".", "_" or "-"');

/**
 * A schedule: exactly the five classic fields. cron-parser also takes six (seconds first) and
 * reads four, so a forgotten field silently shifts the others into another schedule
 * ("15 1,3,5 * *" would run at 15:00 on days 1, 3 and 5, not at 01:15, 03:15 and 05:15).
 */
const CRON_FIELDS = 'minute hour day-of-month month day-of-week';
const cron = z.string().superRefine((expr, ctx) => {
  const fields = expr.trim().split(/\s+/).filter(Boolean);
  const expected = `expected 5 fields (${CRON_FIELDS}), such as "30 1 * * 1-5" (01:30 on weekdays)`;
  if (fields.length !== 5) {
    ctx.addIssue({ code: 'custom', message: `${expected}; this has ${fields.length} field${fields.length === 1 ? '' : 's'}` });
    return;
  }
  try {
    cronParser.parseExpression(fields.join(' '));
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${expected}; ${(err as Error).message}` });
  }
});

// stored under the name the web lists (one zone, one spelling: see canonicalTimeZone)
const timeZone = z
  .string()
  .refine((tz) => canonicalTimeZone(tz) !== undefined, { message: 'expected an IANA time zone such as "UTC" or "Europe/Berlin"' })
  .overwrite((tz) => canonicalTimeZone(tz) ?? tz);

const sourceUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'expected an http:// or https:// URL' },
);

const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IP address, a CIDR range (`10.0.0.0/8`, `fd00::/8`), or a named range of proxy-addr's. */
const proxyAddress = z.string().refine(
  (value) => {
    if (PROXY_RANGES.has(value)) return true;
    const [address, bits, ...rest] = value.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || rest.length > 0) return false;
    return bits === undefined || (/^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  },
  { message: 'expected an IP address or a CIDR range such as "10.0.0.0/8", or loopback, linklocal or uniquelocal' },
);

const sourceBase = {
  /** Unique name, shown in every report about this source. */
  name: slug,
  url: sourceUrl,
  /** When the BullMQ job scheduler fetches this source (operator's time zone). */
  schedule: cron.optional(),
  /** Off: the source stays configured but is never fetched. */
  enabled: z.boolean().default(true),
  /**
   * Allow loopback / private addresses for this source (the SSRF guard refuses them
   * otherwise). Meant for tests, the demo and feeds on the operator's own network.
   */
  allowLocal: z.boolean().default(false),
};

export const sourceSchema = z.discriminatedUnion('kind', [
  /** rss.arxiv.org/rss/<categories>: the daily announcement feed (2024 format). */
  z.strictObject({ kind: z.literal('arxiv-rss'), ...sourceBase }),
  /** export.arxiv.org/api/query: Atom search results; rate-limited to 1 request / 3 s. */
  z.strictObject({ kind: z.literal('arxiv-api'), ...sourceBase }),
  /** huggingface.co/api/daily_papers: upvotes, comments, AI summaries, code links. */
  z.strictObject({ kind: z.literal('hf-daily'), ...sourceBase }),
  /** Any RSS 0.9x / 1.0 / 2.0 or Atom feed (research blogs, bioRxiv subject feeds). */
  z.strictObject({ kind: z.literal('rss'), ...sourceBase }),
  /** api.biorxiv.org/details/<server>/<interval>: bioRxiv / medRxiv preprints. */
  z.strictObject({ kind: z.literal('biorxiv-api'), ...sourceBase }),
]);
export type SourceConfig = z.infer<typeof sourceSchema>;

const weights = z.record(z.string().min(1), z.number().finite());

export const topicSchema = z.strictObject({
  id: slug,
  name: z.string().min(1),
  description: z.string().default(''),
  /** arXiv categories and the weight each adds to this topic (e.g. { "cs.CL": 3 }). */
  categories: weights.default({}),
  /**
   * Words and phrases and their weights, matched on stems ("agents" also matches "agent",
   * "agentic"). A title match counts `rank.titleWeight` times (default 2); abstract matches of
   * one phrase count up to `rank.maxAbstractHits` times; HF `ai_keywords` count like abstract
   * words. At one position only the longest phrase of a topic counts: "large language models" is
   * one mention, not also "language model". So a longer phrase with weight 0 masks a word of
   * another sense ("representation alignment": 0 keeps "alignment" from counting there).
   * "=word" matches the word as written, for words whose stem is too broad ("=optimizer": the
   * stem "optim" is also "optimal"). "*ending" matches one word ending so ("*bench": RewardBench).
   */
  keywords: weights.default({}),
  /**
   * Weights used when the phrase is in the title, instead of its `keywords` weight (still times
   * `rank.titleWeight`); a phrase only listed here counts only in titles. For words that name a
   * paper's contribution when they head it ("benchmark", "dataset") but are incidental in an
   * abstract. Same syntax as `keywords`.
   */
  titleKeywords: weights.default({}),
  /**
   * Multiplies the topic's total score (default 1). Below 1 for a broad topic whose vocabulary
   * is everywhere (e.g. language models), so that a more specific contribution wins.
   */
  weight: z.number().min(0).default(1),
  /**
   * Score this topic needs to be assigned at all (default: `rank.minTopicScore`). Higher for a
   * topic whose words are often incidental (a domain named once as motivation: "e.g. in healthcare").
   */
  minScore: z.number().min(0).optional(),
  /** Phrases that keep a paper out of this topic whatever else matches. */
  exclude: z.array(z.string().min(1)).default([]),
});
export type TopicConfig = z.infer<typeof topicSchema>;

export const configSchema = z
  .strictObject({
    sources: z.array(sourceSchema).default([]),
    topics: z.array(topicSchema).default([]),
    /** The topic a paper gets when no other topic scores at least `rank.minTopicScore`. */
    fallbackTopic: z.strictObject({ id: slug.default('other'), name: z.string().default('Other papers') }).prefault({}),
    edition: z
      .strictObject({
        /** The operator's time zone: edition days and cut-off hours are read in it. */
        timezone: timeZone.default('UTC'),
        /** Hour (0-23) at which an edition day ends and its edition is frozen. */
        cutoffHour: z.number().int().min(0).max(23).default(6),
        /** Papers shown per topic section. */
        papersPerTopic: z.number().int().min(1).max(100).default(5),
        /** Papers in the overall "top papers" list at the head of every edition (0: none). */
        topPapers: z.number().int().min(0).max(100).default(5),
        /** An edition day without papers makes no edition (false: an empty edition is built). */
        skipEmpty: z.boolean().default(true),
        /** Day of the week (0 = Sunday) whose edition also closes the weekly edition. */
        weeklyDay: z.number().int().min(0).max(6).default(5),
      })
      .prefault({}),
    rank: z
      .strictObject({
        /** Minimum topic score for a topic to be assigned at all. */
        minTopicScore: z.number().min(0).default(2),
        /** Secondary topics must reach this share of the primary topic's score. */
        secondaryRatio: z.number().min(0).max(1).default(0.5),
        /** Points of a keyword found in the title, relative to the same keyword in the abstract. */
        titleWeight: z.number().min(0).default(2),
        /** Abstract matches of one phrase beyond this count add nothing: a long abstract must not outvote a short one. */
        maxAbstractHits: z.number().int().min(0).default(3),
        /** HF `ai_keywords` matches of one phrase beyond this count add nothing. */
        maxKeywordHits: z.number().int().min(0).default(2),
        /** Share of a category's weight given when it is not the paper's primary category. */
        secondaryCategoryWeight: z.number().min(0).max(1).default(0.5),
        /**
         * The scope gate: a paper whose evidence (categories, primary full weight, others
         * `secondaryCategoryWeight`; keywords scored like topic keywords) stays below `minScore`
         * goes to the fallback topic whatever its topic scores. Off by default (minScore 0);
         * the shipped config keeps non-ML papers (classical statistics, software testing
         * without ML) out of an AI/ML taxonomy.
         */
        scope: z
          .strictObject({
            /** arXiv categories that are evidence of being in scope, and their weights. */
            categories: weights.default({}),
            /** Words and phrases that are evidence of being in scope, and their weights (syntax of topic keywords). */
            keywords: weights.default({}),
            /** Evidence from the sources that reported the paper, by source kind or name (e.g. { "hf-daily": 3 }). */
            sources: weights.default({}),
            /** Evidence needed to be classified at all (0: every paper is in scope). */
            minScore: z.number().min(0).default(0),
          })
          .prefault({}),
        /** Score weights (see docs/ranking.md). */
        weights: z
          .strictObject({
            upvote: z.number().default(1),
            comment: z.number().default(2),
            /** Hours after which HF engagement counts half. */
            engagementHalfLifeHours: z.number().positive().default(48),
            /** Added per source beyond the first that reported the paper. */
            extraSource: z.number().default(3),
            announceNew: z.number().default(2),
            announceCross: z.number().default(1),
            code: z.number().default(2),
            projectPage: z.number().default(1),
            /** Points lost per day since announcement. */
            agePerDay: z.number().min(0).default(1),
          })
          .prefault({}),
      })
      .prefault({}),
    fetch: z
      .strictObject({
        /** Time allowed to connect and receive the response headers. */
        connectTimeoutMs: z.number().int().positive().default(10_000),
        /** Time allowed for the whole response. */
        totalTimeoutMs: z.number().int().positive().default(60_000),
        /** Largest body accepted (decompressed). */
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(20 * 1024 * 1024),
        maxRedirects: z.number().int().min(0).max(10).default(5),
        /** Sent in the User-Agent so that feed operators can reach us. */
        contact: z.string().min(3).default('paperboy-operator@example.org'),
      })
      .prefault({}),
    mail: z
      .strictObject({
        /** Name of the list, in List-Id and the email's header. */
        listName: z.string().min(1).default('paperboy daily papers'),
        /** The List-Id identifier: a domain-like string owned by the operator. */
        listId: z
          .string()
          .regex(/^[A-Za-z0-9.-]+$/, 'expected a domain-like id such as "daily.papers.example.org"')
          .optional(),
        subjectPrefix: z.string().default('Daily papers'),
        /** Postal address in the footer (required by CAN-SPAM for commercial mail). */
        postalAddress: z.string().optional(),
        /** Where replies go (Reply-To), when not to MAIL_FROM. */
        replyTo: z.email('expected an address such as "editor@example.org"').optional(),
        /** SES configuration set for event publishing (the X-SES-CONFIGURATION-SET header). */
        configurationSet: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected an SES configuration set name (letters, digits, "_" and "-")')
          .optional(),
      })
      .prefault({}),
    send: z
      .strictObject({
        /** Subscribers per send job. */
        batchSize: z.number().int().min(1).max(1000).default(100),
        /**
         * Messages per second across all send workers together (a token bucket in Redis): the
         * SES account's maximum send rate. Applies to the ses transport; the outbox writes files
         * as fast as the disk allows.
         */
        ratePerSecond: z.number().positive().default(14),
        /**
         * Sends in flight per send worker. Default: enough to reach `ratePerSecond` with SES
         * answering in about 100 ms (rate × 0.1 s, between 2 and 64).
         */
        concurrency: z.number().int().min(1).max(256).optional(),
        /**
         * Messages per rolling 24 hours across all workers, counted as SES counts its quota
         * (sends SES refused do not count). When SES answers GetSendQuota / GetAccount within
         * `quotaLookupTimeoutMs`, the smaller of the two counts; 0: no limit. When the quota
         * is used up, sending stops cleanly and resumes when the oldest counted minute is
         * 24 hours old.
         */
        dailyQuota: z.number().int().min(0).default(0),
        /** Ask SES for the quota (off for SES stand-ins that do not answer GetSendQuota). */
        quotaLookup: z.boolean().default(true),
        quotaLookupTimeoutMs: z.number().int().positive().default(3_000),
        /**
         * Which SES client makes the raw send: "v1" (@aws-sdk/client-ses SendRawEmail) or "v2"
         * (@aws-sdk/client-sesv2 SendEmail with raw content, the default): v2 costs less client
         * CPU per message than v1 (4.5–4.6 against 5.8–6.2 ms per 107 KB message here), whose
         * Query form URL-encodes the base64 message (docs/benchmarks.md, send).
         */
        sesApi: z.enum(['v1', 'v2']).default('v2'),
        /**
         * How long a delivery left "sending" by a worker that may still be alive is left alone
         * before another worker sends it (ses only: a second SES send is a second email). A
         * worker that died after SES accepted a message and before recording it makes that
         * reader "possibly sent twice" after this time.
         */
        claimTimeoutSeconds: z.number().int().min(1).default(900),
        /**
         * How long a send worker holds a batch without renewing its hold (BullMQ's job lock,
         * renewed every half of it), and how often workers look for batches whose hold ran
         * out. A worker that stops answering for longer (stopped, frozen, its machine cut
         * off) loses its batch to another worker, which takes over the deliveries it left
         * "sending" at once (reported as "possibly sent twice" with ses); when it answers
         * again it sends nothing more of that batch. Lower: a faster takeover; but a worker
         * whose event loop is blocked this long gives its batch up.
         */
        lockDurationMs: z.number().int().min(1_000).default(30_000),
        /**
         * Send each reader the edition at their delivery hour in their time zone (the
         * subscriber's `timezone` and `delivery_hour`), the first time it comes round once the
         * edition is frozen: readers sharing an hour form one delayed batch. Readers who never
         * chose a time, and everyone when off, get it at once when the edition is sent.
         */
        atReadersHour: z.boolean().default(true),
      })
      .prefault({}),
    web: z
      .strictObject({
        /**
         * Which proxies in front of `paperboy serve` to believe about the client's address (the
         * `X-Forwarded-For` they add; also `-Proto` and `-Host`). The address is what the
         * `/subscribe` rate limit counts per client, and anyone can write the header: believe it
         * only from your own proxies. `false` (the default): no proxy, the connection's address
         * counts. A list: your proxies' addresses and CIDR ranges (`["127.0.0.1"]`,
         * `["10.0.0.0/8"]`), or `loopback`, `linklocal`, `uniquelocal`: the safest choice. A
         * number: that many proxies in front, each adding one entry (1 for one cloud load
         * balancer), only when nothing but those proxies can reach the service (a client that
         * could would write the hops itself).
         */
        trustProxy: z
          .union([z.literal(false), z.number().int().min(0).max(10), z.array(proxyAddress).min(1)], {
            error: (issue) =>
              issue.input === true
                ? 'true would believe every client\'s X-Forwarded-For (anyone could pass for any address): give the number of proxies in front (e.g. 1) or their addresses (e.g. ["127.0.0.1"])'
                : 'expected false, the number of proxies in front (e.g. 1), or a list of their addresses or CIDR ranges (e.g. ["127.0.0.1"] or ["10.0.0.0/8"])',
          })
          .default(false),
      })
      .prefault({}),
    /**
     * "For you": a few papers picked per reader from their votes ("more like this" / "less
     * like this" links on each paper), seed papers and arXiv author id, at the top of their
     * email. Off: no feedback links, no For you block, no profile is read.
     */
    forYou: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Papers in a reader's For you block (papers of "Top today" are never among them). */
        size: z.number().int().min(1).max(5).default(3),
        /** Days after which a vote counts half (seed papers and the author id do not fade). */
        halfLifeDays: z.number().positive().max(3650).default(30),
        /** Seed papers a reader may give on the preferences page. */
        maxSeeds: z.number().int().min(0).max(100).default(20),
      })
      .prefault({}),
    /**
     * Jobs each worker process runs at once, per stage: sources fetched (ingest 4; the arXiv API
     * queue stays at 1 whatever this says, by arXiv's terms of use), papers ranked (rank 100),
     * editions rendered (render 1), send batches (send 2; `send.concurrency` is the messages in
     * flight within each batch), transactional emails (mail 4).
     */
    workers: z
      .strictObject({
        concurrency: z
          .strictObject({
            ingest: z.number().int().min(1).max(1000).default(4),
            rank: z.number().int().min(1).max(1000).default(100),
            render: z.number().int().min(1).max(1000).default(1),
            send: z.number().int().min(1).max(1000).default(2),
            mail: z.number().int().min(1).max(1000).default(4),
          })
          .prefault({}),
        /**
         * How long `paperboy worker` waits, after SIGTERM, for its jobs in flight to finish and
         * its workers to close. Past it (a Redis that does not answer holds BullMQ's close
         * forever), it leaves with exit 1 and says why; a job it held is taken over by another
         * worker when its lock expires. Keep it below the service manager's stop timeout
         * (systemd TimeoutStopSec=90 in the README's unit, stop_grace_period: 60s in
         * docker-compose.yml), so that paperboy, not a SIGKILL, ends the process.
         */
        stopTimeoutSeconds: z.number().int().min(1).max(3600).default(45),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.sources.forEach((source, index) => {
      if (seen.has(source.name)) {
        ctx.addIssue({ code: 'custom', path: ['sources', index, 'name'], message: `duplicate source name "${source.name}": names must be unique` });
      }
      seen.add(source.name);
    });
    const topicIds = new Set<string>();
    config.topics.forEach((topic, index) => {
      if (topicIds.has(topic.id) || topic.id === config.fallbackTopic.id) {
        ctx.addIssue({ code: 'custom', path: ['topics', index, 'id'], message: `duplicate topic id "${topic.id}": ids must be unique` });
      }
      topicIds.add(topic.id);
    });
  });

export type Config = z.infer<typeof configSchema>;
export type RankWeights = Config['rank']['weights'];

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The environment: secrets and endpoints, never in the config file. */
export const envSchema = z.object({
  PAPERBOY_CONFIG: optionalNonEmpty,
  DATA_DIR: optionalNonEmpty,
  DATABASE_URL: optionalNonEmpty.refine(
    (v) => v === undefined || /^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(v),
    'expected sqlite:PATH or postgres://user:password@host:port/database',
  ),
  /**
   * A shared Redis (unset: a private redis-server under DATA_DIR). A node of a Redis Cluster
   * is recognised at start (INFO cluster); the queues then use the whole cluster.
   */
  REDIS_URL: optionalNonEmpty.refine((v) => v === undefined || /^rediss?:\/\/.+/.test(v), 'expected redis://host:port (or rediss:// for TLS)'),
  /** Key prefix of every queue (default "paperboy"); on a Redis Cluster, one without a hash tag is wrapped: "{paperboy}". */
  QUEUE_PREFIX: optionalNonEmpty,
  MAIL_TRANSPORT: optionalNonEmpty.pipe(z.enum(['outbox', 'ses']).optional()),
  OUTBOX_DIR: optionalNonEmpty,
  SES_REGION: optionalNonEmpty,
  SES_ENDPOINT: optionalNonEmpty,
  MAIL_FROM: optionalNonEmpty.refine(
    (v) => v === undefined || /^(.*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/.test(v),
    'expected an address such as "Daily Papers <papers@example.org>"',
  ),
  PUBLIC_URL: optionalNonEmpty.refine((v) => v === undefined || /^https?:\/\/[^/]+/.test(v), 'expected https://your.host'),
  SECRET_KEY: optionalNonEmpty.refine((v) => v === undefined || v.length >= 16, 'expected at least 16 characters'),
  ADMIN_TOKEN: optionalNonEmpty,
  /** Comma-separated SNS topic ARNs whose messages the webhooks accept; unset refuses every topic. */
  SNS_TOPIC_ARNS: optionalNonEmpty.refine(
    (v) => v === undefined || v.split(',').every((arn) => /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/.test(arn.trim())),
    'expected comma-separated topic ARNs such as arn:aws:sns:us-east-1:123456789012:ses-feedback',
  ),
  PORT: optionalNonEmpty.refine(
    (v) => v === undefined || (/^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535),
    'expected a TCP port number from 1 to 65535',
  ),
});
