/**
 * Every queue name, job id and job option of the pipeline, in one place. Jobs carry ids
 * only; workers reload the records they name.
 */
import { Queue, QueueEvents, UnrecoverableError, Worker, type ConnectionOptions, type Job, type JobsOptions, type Processor, type WorkerOptions } from 'bullmq';
import type { Cluster } from 'ioredis';
import { bullmqConnection, type RedisTarget } from './redisClient.ts';

export const QUEUE = {
  /** Fetch + parse + store one source. */
  ingest: 'ingest',
  /** Same, for arXiv API sources: limited to one request every 3 s across all workers (arXiv's terms). */
  ingestArxivApi: 'ingest-arxiv-api',
  /** One job per new or materially changed paper: topics, score, edition day. */
  papers: 'papers',
  /** Freeze an edition at its cut-off. */
  editions: 'editions',
  /** Render the variants of an edition and fan out its send batches. */
  render: 'render',
  /** Send one batch of deliveries. */
  send: 'send',
  /**
   * Single transactional messages (confirm, welcome, preferences changed, the operator's test
   * mail): a queue of their own, so an edition in progress never delays a confirmation.
   */
  mail: 'mail',
} as const;
export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

export interface IngestJob {
  /** A configured source's name, or the name given to an ad hoc URL. */
  source: string;
  /** An ad hoc URL (`paperboy ingest --source URL`): read as any feed, never allowed to be local. */
  url?: string;
  /** Its kind: `rss` (any format, recognised by content), or `arxiv-api` for export.arxiv.org. */
  kind?: 'rss' | 'arxiv-api';
}
export interface PaperJob {
  paperId: string;
}
export interface FreezeJob {
  kind: 'daily' | 'weekly';
  /** Omitted by the scheduler: the edition whose cut-off has just passed. */
  date?: string;
}
export interface RenderJob {
  editionId: string;
}
export interface SendJob {
  editionId: string;
  /** Inclusive subscriber id range of the batch. */
  fromId: number;
  toId: number;
}

/** A transactional message; the worker reloads the subscriber and makes its links. */
export interface MailJob {
  kind: 'confirm' | 'welcome' | 'preferences-changed' | 'test';
  /** For every kind but `test`. */
  subscriberId?: number;
  /** For `test` only: the operator's address. */
  to?: string;
}

/** The queue a source's fetches go on: arXiv API sources have their own, limited by its terms. */
export function ingestQueueOf(source: { kind: string }): typeof QUEUE.ingest | typeof QUEUE.ingestArxivApi {
  return source.kind === 'arxiv-api' ? QUEUE.ingestArxivApi : QUEUE.ingest;
}

/** BullMQ forbids ":" in custom ids (it separates key parts); DOIs and URLs have them. */
function safeId(value: string): string {
  return value.replace(/:/g, '%3A');
}

export const jobId = {
  paper: (paperId: string) => `paper-${safeId(paperId)}`,
  render: (editionId: string) => `render-${editionId}`,
  send: (editionId: string, fromId: number) => `send-${editionId}-${fromId}`,
  freeze: (kind: string, date: string) => `freeze-${kind}-${date}`,
  /** One fetch asked for by a command (`ingest`, `run --once`); `run` tells runs apart. */
  ingestRun: (source: string, run: string) => `ingest-${safeId(source)}-${run}`,
};

/** The id of the job scheduler that fetches one source on its cron. */
export const schedulerId = {
  source: (name: string) => `source-${name}`,
  freeze: (kind: string) => `freeze-${kind}`,
};

const keep = { removeOnComplete: { age: 24 * 3600, count: 1000 }, removeOnFail: { age: 7 * 24 * 3600, count: 5000 } };

/**
 * What a job throws when a retry cannot help (a record that does not exist, a job naming no
 * address): BullMQ fails it at once instead of retrying. Stages throw this rather than import
 * BullMQ, which stays behind this module; it is BullMQ's UnrecoverableError, so BullMQ sees it as one.
 */
export class PermanentJobError extends UnrecoverableError {}

/** Retries with exponential back-off; what must not be retried throws PermanentJobError. */
export const jobOptions: Record<QueueName, JobsOptions> = {
  [QUEUE.ingest]: { ...keep, attempts: 3, backoff: { type: 'exponential', delay: 30_000 } },
  [QUEUE.ingestArxivApi]: { ...keep, attempts: 3, backoff: { type: 'exponential', delay: 30_000 } },
  // removed on completion so that a later change of the same paper can be queued under the same id
  [QUEUE.papers]: { removeOnComplete: true, removeOnFail: keep.removeOnFail, attempts: 5, backoff: { type: 'exponential', delay: 2_000 } },
  [QUEUE.editions]: { ...keep, attempts: 5, backoff: { type: 'exponential', delay: 10_000 } },
  [QUEUE.render]: { ...keep, attempts: 5, backoff: { type: 'exponential', delay: 5_000 } },
  [QUEUE.send]: { ...keep, attempts: 8, backoff: { type: 'exponential', delay: 2_000 } },
  [QUEUE.mail]: { ...keep, attempts: 8, backoff: { type: 'exponential', delay: 2_000 } },
};

export interface QueueSettings {
  redisUrl: string;
  /** On a Redis Cluster (found at boot); the prefix then has a hash tag. */
  cluster?: boolean;
  prefix: string;
}

/** BullMQ's connection for one Queue, Worker or QueueEvents; see `bullmqConnection` for who closes it. */
export function connection(settings: QueueSettings): ConnectionOptions {
  return bullmqConnection({ url: settings.redisUrl, cluster: settings.cluster });
}

/** A QueueEvents on the queues' Redis and prefix (on a cluster, BullMQ opens a copy of the client given and closes that). */
export function openQueueEvents(settings: QueueSettings, name: QueueName): QueueEvents {
  return new QueueEvents(name, { connection: connection(settings), prefix: settings.prefix });
}

/** A Worker on the queues' Redis and prefix; on a cluster, the client it was given is closed with it. */
export function openWorker<D, R>(settings: QueueSettings, name: QueueName, processor: Processor<D, R>, opts: Partial<WorkerOptions> = {}): Worker<D, R> {
  const given = connection(settings);
  const worker = new Worker<D, R>(name, processor, { ...opts, connection: given, prefix: settings.prefix });
  if (settings.cluster) worker.once('closed', () => (given as Cluster).disconnect());
  return worker;
}

/** Lazily opened producers for every queue; `close()` is idempotent. */
export class Queues {
  private readonly open = new Map<QueueName, Queue>();
  /** On a cluster, the one client every producer shares (BullMQ does not close a client it is given). */
  private shared?: ConnectionOptions;
  private closing?: Promise<void>;

  constructor(readonly settings: QueueSettings) {}

  get(name: QueueName): Queue {
    let queue = this.open.get(name);
    if (!queue) {
      const given = this.settings.cluster ? (this.shared ??= connection(this.settings)) : connection(this.settings);
      queue = new Queue(name, { connection: given, prefix: this.settings.prefix, defaultJobOptions: jobOptions[name] });
      queue.on('error', () => {});
      this.open.set(name, queue);
    }
    return queue;
  }

  async addPapers(paperIds: string[]): Promise<void> {
    if (paperIds.length === 0) return;
    await this.get(QUEUE.papers).addBulk(
      paperIds.map((paperId) => ({ name: 'rank', data: { paperId } satisfies PaperJob, opts: { jobId: jobId.paper(paperId) } })),
    );
  }

  /** Queues the render of an edition; a render that failed for good is retried (the id is reused). */
  async addRender(editionId: string): Promise<void> {
    const queue = this.get(QUEUE.render);
    const existing = await queue.getJob(jobId.render(editionId));
    if (existing && (await existing.isFailed())) {
      await existing.retry('failed', { resetAttemptsMade: true });
      return;
    }
    await queue.add('render', { editionId } satisfies RenderJob, { jobId: jobId.render(editionId) });
  }

  /**
   * Queues one send batch (an inclusive subscriber id range of an edition). `again` names a
   * re-queue (Redis lost the first job, a resend) so that it is not taken for the original;
   * `bucket` (the readers' hour, YYYYMMDDHH) with `delayMs` holds it until that hour.
   */
  async addSendBatch(batch: SendJob, opts: { again?: string; bucket?: string; delayMs?: number } = {}): Promise<void> {
    const id = [jobId.send(batch.editionId, batch.fromId), opts.bucket && `at${opts.bucket}`, opts.again].filter(Boolean).join('-');
    await this.get(QUEUE.send).add('send', batch, { jobId: id, delay: opts.delayMs && opts.delayMs > 0 ? opts.delayMs : undefined });
  }

  /**
   * Queues one fetch of a source for a command that waits for its report: one attempt, so
   * the command reports a failure now (scheduled fetches are the ones retried).
   */
  addIngestRun(job: IngestJob, queue: ReturnType<typeof ingestQueueOf>, run: string): Promise<Job<IngestJob>> {
    return this.get(queue).add('ingest', job, { ...jobOptions[queue], attempts: 1, jobId: jobId.ingestRun(job.source, run) });
  }

  /**
   * Queues one transactional message. `once`: a single attempt, for the operator's test
   * message, whose sender wants to know now whether the transport works.
   */
  async addMail(job: MailJob, opts: { once?: boolean } = {}): Promise<Job<MailJob>> {
    return this.get(QUEUE.mail).add(job.kind, job, opts.once ? { ...jobOptions[QUEUE.mail], attempts: 1 } : undefined);
  }

  /** Retries the failed jobs of a queue that `match`; returns how many. */
  async retryFailed(name: QueueName, match: (data: unknown) => boolean): Promise<number> {
    let retried = 0;
    for (const job of await this.get(name).getFailed()) {
      if (job && match(job.data)) {
        // with its attempts reset, the retried job gets its full back-off again
        await job.retry('failed', { resetAttemptsMade: true });
        retried++;
      }
    }
    return retried;
  }

  /**
   * Whether a worker's run of a job still holds it: the job's lock names the run's token, and
   * another token once BullMQ gave the stalled job to another worker.
   */
  async holdsLock(name: QueueName, jobId: string, token: string): Promise<boolean> {
    const queue = this.get(name);
    return (await (await queue.client).get(queue.toKey(`${jobId}:lock`))) === token;
  }

  /** How many workers are connected to a queue (any machine). */
  async workerCount(name: QueueName): Promise<number> {
    return this.get(name).getWorkersCount();
  }

  /** Jobs not yet finished: waiting, delayed, prioritized or running. */
  async openJobs(name: QueueName): Promise<number> {
    const counts = await this.get(name).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  close(): Promise<void> {
    this.closing ??= Promise.all([...this.open.values()].map((q) => q.close())).then(() => {
      (this.shared as Cluster | undefined)?.disconnect();
    });
    return this.closing;
  }
}
