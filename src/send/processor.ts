/**
 * The send stage: one batch (a page) of deliveries. The page's open deliveries are read in one
 * query, claimed in one statement, sent with bounded concurrency under the one rate limit of
 * all workers, and their outcomes recorded in one transaction per second of sending (and at
 * the end). Each delivery moves pending → sending → sent / failed / skipped exactly once; the
 * Message-ID is stable, so a retry after a crash is recognisable as the same message.
 */
import { backoffMs, retrying, sleep } from '../lib/retry.ts';
import { suppressAddress } from './feedback.ts';
import type { StageContext } from '../app.ts';
import type { DeliveryOutcome, PendingDelivery } from '../db/index.ts';
import { editionFlags, type Edition } from '../domain/edition.ts';
import { VariantStore } from '../render/variants.ts';
import { PreparedMessage, domainOf, encodeFragment, listOf, parseAddress, type EncodedFragment, type SenderHeaders } from '../mail/message.ts';
import { PermanentSendError, QuotaExceededError, SendingPausedError, TransientSendError, type Messenger } from '../mail/messenger.ts';
import { subscriberLinks } from '../mail/tokens.ts';
import type { Permit, SendRateLimiter } from './rateLimiter.ts';

export interface BatchOutcome {
  sent: number;
  failed: number;
  skipped: number;
  /** Set when the batch stopped before its end and must run again then (ms since epoch): paused, quota. */
  deferUntil?: number;
  /** Why it was deferred. */
  deferReason?: string;
  /**
   * Set when another worker took the batch over while this one was not answering (stopped,
   * its event loop blocked past the lock): this run stopped and must not touch the job.
   */
  takenOver?: boolean;
}

export interface SendBatchJob {
  editionId: string;
  fromId: number;
  toId: number;
  /** True on the job's last attempt: transient failures are then recorded instead of retried. */
  lastAttempt: boolean;
  /**
   * True when an earlier run of this batch failed or lost its lock: the deliveries it left
   * "sending" are taken over at once (and reported as possibly sent twice) instead of after
   * the claim timeout, since that run sends nothing more (see `stillHeld`).
   */
  takeOver?: boolean;
}

export interface SendDependencies {
  messenger: Messenger;
  /** The shared rate limit (metered transports only). */
  limiter?: SendRateLimiter;
  /** Variants already encoded by this worker, by edition and variant: encoded once per worker, not per batch. */
  prepared?: Map<string, Promise<PreparedMessage>>;
  /** For you blocks already encoded by this worker, by edition and fragment, likewise. */
  fragments?: Map<string, Promise<EncodedFragment>>;
  /**
   * Whether this run still holds its batch (its job's lock). Asked before a message goes out
   * when the last answer is older than a second: a worker that was stopped or frozen past its
   * lock finds its batch taken over and sends nothing more of it.
   */
  stillHeld?: () => Promise<boolean>;
}

/** Encoded variants a worker keeps: a few editions' worth. */
const PREPARED_KEPT = 256;

/** How often a batch looks at its edition (paused? cancelled?) and records what it has sent. */
export const CHECK_INTERVAL_MS = 1_000;
/**
 * How soon a batch looks again at deliveries of its range that another run holds: the job
 * completes only once they are settled, or takes them over after the claim timeout.
 */
export const HELD_ELSEWHERE_RECHECK_MS = 5_000;
/** The back-off between in-batch tries of a message (throttling has no limit on tries, so the cap bounds each wait). */
const SEND_BACKOFF_BASE_MS = 200;
const SEND_BACKOFF_CAP_MS = 20_000;
/** In-batch tries of a message that failed for a 5xx or the network, before the job's own retry. */
const TRANSIENT_TRIES = 4;
/** How long a batch waits after SES itself says the 24-hour quota is used up. */
const QUOTA_RETRY_MS = 15 * 60_000;

export function sendConcurrency(config: StageContext['config'], messenger: Messenger): number {
  if (config.send.concurrency) return config.send.concurrency;
  // in flight ≈ rate × latency; SES answers in ~50-100 ms
  return messenger.metered ? Math.min(64, Math.max(2, Math.ceil(config.send.ratePerSecond * 0.1))) : 4;
}

/**
 * Records a batch's outcomes, trying again while the database does not answer (a restart, a
 * failover): these messages went out, and only this process knows it. Gives up after
 * `patienceMs` (the claim timeout: past it, another worker may take these deliveries anyway).
 */
async function recordPatiently(ctx: StageContext, editionId: string, record: () => Promise<void>, count: number, patienceMs: number): Promise<void> {
  const deadline = Date.now() + patienceMs;
  await retrying(
    async (attempt) => {
      await record();
      if (attempt > 0) ctx.log.info('the database answers again: outcomes recorded', { edition: editionId, deliveries: count });
    },
    {
      baseMs: 100,
      capMs: 2_000,
      retryable: () => Date.now() < deadline,
      onRetry: (err, attempt) => {
        if (attempt === 0)
          ctx.log.warn('the database does not answer: the outcomes of this batch are kept until it does', {
            edition: editionId,
            deliveries: count,
            error: (err as Error).message,
          });
      },
    },
  );
}

/** Why a batch stopped before its end, and what becomes of what it claimed and did not try. */
interface Halt {
  reason: string;
  /** When the job runs again (paused, quota, the database not answering). */
  deferUntil?: number;
  /** pending: given back; skipped: the edition was cancelled; kept: left to the run that took the batch over. */
  release: 'pending' | 'skipped' | 'kept';
  takenOver?: boolean;
}

/** Sends one batch: `claim`, `sendOne` per delivery, a `checkpoint` once a second, `release` of what was not tried, `finish`. */
export async function sendBatch(ctx: StageContext, deps: SendDependencies | Messenger, job: SendBatchJob): Promise<BatchOutcome> {
  const edition = await ctx.store.editions.get(job.editionId);
  if (!edition) return { sent: 0, failed: 0, skipped: 0 };
  return new BatchRun(ctx, 'messenger' in deps ? deps : { messenger: deps }, job, edition).run();
}

class BatchRun {
  private readonly outcome: BatchOutcome = { sent: 0, failed: 0, skipped: 0 };
  private readonly messenger: Messenger;
  private readonly limiter?: SendRateLimiter;
  private readonly stillHeld?: () => Promise<boolean>;
  private readonly prepared: Map<string, Promise<PreparedMessage>>;
  private readonly fragments: Map<string, Promise<EncodedFragment>>;
  private readonly from: ReturnType<typeof parseAddress>;
  private readonly domain: string;
  private readonly sender: SenderHeaders;
  private readonly variants: VariantStore;
  private readonly claimTimeoutMs: number;
  /** Outcomes not yet recorded: written at each checkpoint and at the end. */
  private unrecorded: DeliveryOutcome[] = [];
  /** Set once, by whatever stops the batch first. */
  private halt?: Halt;
  /** The first failure a retry of the job may cure: the job fails with it once the batch ends. */
  private transient?: Error;
  private lastCheckpoint = Date.now();
  private checkpointing?: Promise<void>;
  private claimed: PendingDelivery[] = [];
  /** The next claimed delivery to try: those before it were tried, those from it on are released. */
  private next = 0;

  constructor(
    private readonly ctx: StageContext,
    deps: SendDependencies,
    private readonly job: SendBatchJob,
    private readonly edition: Edition,
  ) {
    this.messenger = deps.messenger;
    this.limiter = deps.limiter;
    this.prepared = deps.prepared ?? new Map();
    this.fragments = deps.fragments ?? new Map();
    this.stillHeld = deps.stillHeld;
    const { env, config } = ctx;
    this.from = parseAddress(env.mailFrom);
    this.domain = domainOf(this.from.address);
    this.sender = {
      from: this.from,
      list: { ...listOf(config, this.domain), bulk: true },
      replyTo: config.mail.replyTo,
      configurationSet: config.mail.configurationSet,
    };
    this.variants = new VariantStore(ctx, edition);
    this.claimTimeoutMs = config.send.claimTimeoutSeconds * 1000;
  }

  private get editionId(): string {
    return this.job.editionId;
  }

  /** Read through a call: TypeScript would otherwise keep what a loop condition saw. */
  private halted(): Halt | undefined {
    return this.halt;
  }

  private now(): string {
    return this.ctx.clock.now().toISOString();
  }

  private stop(halt: Halt): void {
    this.halt ??= halt;
  }

  async run(): Promise<BatchOutcome> {
    const { edition } = this;
    if (edition.cancelledAt) await this.ctx.store.deliveries.skipPending(this.editionId, 'the edition was cancelled', this.now());
    if (edition.paused && !edition.cancelledAt)
      return { ...this.outcome, deferUntil: Date.now() + CHECK_INTERVAL_MS, deferReason: `paused: ${edition.paused.reason}` };
    const { page, claimedIds } = await this.claim();
    const senders = Math.min(sendConcurrency(this.ctx.config, this.messenger), Math.max(1, this.claimed.length));
    try {
      await Promise.all(Array.from({ length: senders }, () => this.senderLoop()));
    } finally {
      // whatever was claimed but not tried goes back (or is skipped when the edition was cancelled)
      for (let i = this.next; i < this.claimed.length; i++) this.release(this.claimed[i]!);
      await this.checkpointing;
      await recordPatiently(this.ctx, this.editionId, () => this.flush(), this.unrecorded.length, this.claimTimeoutMs);
    }
    return this.finish(page.length - claimedIds.size);
  }

  /**
   * Reads the page's open deliveries and claims them in one statement: pending ones, and
   * "sending" ones whose sender went silent; one that a living sender holds stays its business,
   * even to be skipped. Those that must not be sent are recorded as skipped at once.
   */
  private async claim(): Promise<{ page: PendingDelivery[]; claimedIds: Set<number> }> {
    const { store } = this.ctx;
    const { edition, job, messenger } = this;
    const at = this.now();
    const page = await store.deliveries.openInRange(this.editionId, job.fromId, job.toId, at);
    const suppressed = await store.suppressions.filter(page.filter((d) => d.email).map((d) => d.email));
    const skipReason = (d: PendingDelivery): string | undefined => {
      if (edition.cancelledAt) return 'the edition was cancelled';
      if (d.subscriberStatus !== 'confirmed') return `subscriber is ${d.subscriberStatus}`;
      if (suppressed.has(d.email.toLowerCase())) return 'the address is on the suppression list';
      if (d.variantKey === 'none') return 'no papers in the subscriber’s topics in this edition';
      return undefined;
    };
    const staleBefore = messenger.idempotent || job.takeOver ? at : new Date(Date.parse(at) - this.claimTimeoutMs).toISOString();
    const claimedIds = new Set(
      await store.deliveries.claimPage(
        this.editionId,
        page.map((d) => d.subscriberId),
        at,
        staleBefore,
        !messenger.idempotent,
      ),
    );
    const skips: DeliveryOutcome[] = [];
    for (const d of page) {
      if (!claimedIds.has(d.subscriberId)) continue;
      const reason = skipReason(d);
      if (reason) skips.push({ subscriberId: d.subscriberId, status: 'skipped', error: reason });
      else this.claimed.push(d);
    }
    if (skips.length > 0) {
      await store.deliveries.recordOutcomes(this.editionId, skips, this.now());
      this.outcome.skipped += skips.length;
    }
    return { page, claimedIds };
  }

  /** One of the batch's concurrent senders: takes the next claimed delivery until none is left or the batch stops. */
  private async senderLoop(): Promise<void> {
    while (this.next < this.claimed.length && !this.halted() && !(this.transient && !this.job.lastAttempt)) {
      const d = this.claimed[this.next++]!;
      let result: DeliveryOutcome | undefined;
      try {
        result = await this.sendOne(d);
      } catch (err) {
        // building the message failed (a missing variant): give it back and let the job retry
        this.transient ??= err as Error;
        result = { subscriberId: d.subscriberId, status: 'pending', error: (err as Error).message };
      }
      if (!result) {
        this.release(d);
        continue;
      }
      this.unrecorded.push(result);
      if (result.status === 'sent') this.outcome.sent++;
      else if (result.status === 'failed') this.outcome.failed++;
    }
  }

  /** Sends one delivery, retrying what the provider may accept later. Undefined: the batch stopped before it was sent. */
  private async sendOne(d: PendingDelivery): Promise<DeliveryOutcome | undefined> {
    const { ctx, limiter, messenger } = this;
    const message = await this.messageOf(d.variantKey);
    const forYou = d.forYou ? await this.fragmentOf(d.forYou) : undefined;
    const raw = message.build({
      to: d.email,
      messageId: d.messageId,
      date: this.ctx.clock.now(),
      links: subscriberLinks(ctx.env.publicUrl, ctx.secretKey, d.subscriberId, this.domain),
      forYou,
    });
    for (let attempt = 0; ; attempt++) {
      if (this.halted()) return undefined;
      let permit: Permit | undefined;
      if (limiter && messenger.metered) {
        permit = await limiter.acquire(() => this.halted() !== undefined);
        if (!permit.ok) {
          if (permit.reason === 'quota')
            this.stop({ reason: `the 24-hour quota of ${limiter.quota} messages is used up`, deferUntil: permit.resumeAt, release: 'pending' });
          return undefined;
        }
      }
      // the last moment a run that lost its batch, or whose edition was paused, can be stopped
      await this.checkpoint();
      if (this.halted()) return undefined;
      try {
        const result = await messenger.send(raw, {
          editionId: this.editionId,
          subscriberId: d.subscriberId,
          to: d.email,
          from: this.from.address,
          messageId: d.messageId,
        });
        return { subscriberId: d.subscriberId, status: 'sent', providerId: result.providerId };
      } catch (err) {
        // SES answered with an error: it did not accept the message, so it counts for nothing
        if (permit) await limiter?.refund(permit).catch(() => {});
        const step = await this.afterError(err as Error, d, attempt);
        if (step !== 'retry') return step;
        ctx.log.debug('send retried', { edition: this.editionId, subscriber: d.subscriberId, attempt, error: (err as Error).message });
        await sleep(backoffMs(attempt, SEND_BACKOFF_BASE_MS, SEND_BACKOFF_CAP_MS));
      }
    }
  }

  /**
   * What a provider's error means for a delivery, by its class: a permanent refusal fails it
   * (and suppresses the address when the provider says so); a paused account pauses the edition
   * and stops the batch; a used-up quota stops the batch for QUOTA_RETRY_MS; throttling is
   * retried however long it takes; another transient error is retried TRANSIENT_TRIES times,
   * then given back for the job's retry (or failed on the job's last attempt).
   */
  private async afterError(err: Error, d: PendingDelivery, attempt: number): Promise<DeliveryOutcome | undefined | 'retry'> {
    const { store, log } = this.ctx;
    const message = err.message;
    if (err instanceof PermanentSendError) {
      if (err.suppressAddress) await suppressAddress(store, d.email, 'rejected', message, this.now());
      log.warn('delivery failed permanently', { edition: this.editionId, subscriber: d.subscriberId, error: message });
      return { subscriberId: d.subscriberId, status: 'failed', error: message };
    }
    if (err instanceof SendingPausedError) {
      await store.editions.pause(
        this.editionId,
        `the mail provider refused to send: ${message}. Fix it, then run \`paperboy edition resume ${editionFlags(this.edition)}\``,
        this.now(),
      );
      log.error('sending paused: the mail provider refuses to send; fix the account, then resume the edition', { edition: this.editionId, error: message });
      this.stop({ reason: message, deferUntil: Date.now() + CHECK_INTERVAL_MS, release: 'pending' });
      return undefined;
    }
    if (err instanceof QuotaExceededError) {
      // SES does not say when its rolling 24 hours free a message: look again later
      this.stop({ reason: message, deferUntil: Date.now() + QUOTA_RETRY_MS, release: 'pending' });
      return undefined;
    }
    // throttling is the rate, not the message: wait and try again, however long it takes
    if ((err instanceof TransientSendError && err.throttled) || attempt + 1 < TRANSIENT_TRIES) return 'retry';
    this.transient ??= err;
    if (this.job.lastAttempt) return { subscriberId: d.subscriberId, status: 'failed', error: `gave up after retries: ${message}` };
    return { subscriberId: d.subscriberId, status: 'pending', error: message };
  }

  /** A claimed delivery not sent because the batch stopped: given back, skipped, or left to the run that took over. */
  private release(d: PendingDelivery): void {
    const halt = this.halted();
    const how = halt?.release ?? 'pending';
    if (how === 'kept') return;
    this.unrecorded.push({ subscriberId: d.subscriberId, status: how, error: halt?.reason });
    if (how === 'skipped') this.outcome.skipped++;
  }

  /**
   * Once a second: is the batch still this run's, is its edition paused or cancelled, and what
   * was sent is recorded. Every sender waits for a checkpoint in progress, so none sends past a
   * take-over or a pause that it finds.
   */
  private async checkpoint(): Promise<void> {
    if (!this.checkpointing && Date.now() - this.lastCheckpoint >= CHECK_INTERVAL_MS) {
      this.lastCheckpoint = Date.now();
      this.checkpointing = (async () => {
        try {
          await this.lookAtEdition();
          await this.flush();
        } catch (err) {
          // the database does not answer: send no more until it does; what was sent is kept
          this.stop({ reason: `the database did not answer: ${(err as Error).message}`, deferUntil: Date.now() + CHECK_INTERVAL_MS, release: 'pending' });
        }
      })().finally(() => (this.checkpointing = undefined));
    }
    await this.checkpointing;
  }

  private async lookAtEdition(): Promise<void> {
    // Redis not answering is no sign of a takeover: nobody can take the lock meanwhile
    if (this.stillHeld && !(await this.stillHeld().catch(() => true))) {
      this.stop({ reason: 'another worker took the batch over', release: 'kept', takenOver: true });
      return;
    }
    const e = await this.ctx.store.editions.steering(this.editionId);
    if (e?.cancelledAt) this.stop({ reason: 'the edition was cancelled', release: 'skipped' });
    else if (e?.paused) this.stop({ reason: `paused: ${e.paused.reason}`, deferUntil: Date.now() + CHECK_INTERVAL_MS, release: 'pending' });
  }

  /** Records the outcomes not yet recorded; on failure they stay for the next try. */
  private async flush(): Promise<void> {
    let batch = this.unrecorded;
    this.unrecorded = [];
    // a batch taken over is the new holder's: only what this run did send or refuse is recorded
    if (this.halted()?.takenOver) batch = batch.filter((o) => o.status !== 'pending');
    try {
      await this.ctx.store.deliveries.recordOutcomes(this.editionId, batch, this.now());
    } catch (err) {
      this.unrecorded = batch.concat(this.unrecorded);
      throw err;
    }
  }

  /** The job's result: taken over, deferred, failed for a retry, waiting on deliveries another run holds, or done. */
  private async finish(heldElsewhere: number): Promise<BatchOutcome> {
    const { outcome, job } = this;
    const halt = this.halted();
    if (halt?.takenOver) {
      this.ctx.log.warn('send batch taken over by another worker: this one was not answering past its lock, and sends nothing more of it', {
        edition: this.editionId,
        batch: `${job.fromId}-${job.toId}`,
        sent: outcome.sent,
      });
      return { ...outcome, takenOver: true };
    }
    await this.ctx.store.editions.markSentIfSettled(this.editionId, this.now());
    if (halt?.deferUntil) return { ...outcome, deferUntil: halt.deferUntil, deferReason: halt.reason };
    if (this.transient) throw this.transient;
    // deliveries of this range that another run holds (one that lost this job along with
    // Redis's last writes, an overlapping batch): the job stays until they are settled, so
    // nothing is left "sending" with no job to finish it
    if (heldElsewhere > 0)
      return {
        ...outcome,
        deferUntil: Date.now() + HELD_ELSEWHERE_RECHECK_MS,
        deferReason: `${heldElsewhere} deliveries of this batch are held by another run`,
      };
    return outcome;
  }

  /** A variant's encoded message: once per worker and edition, not per batch. */
  private messageOf(variantKey: string): Promise<PreparedMessage> {
    const { prepared } = this;
    const key = `${this.editionId}\0${variantKey}`;
    let p = prepared.get(key);
    if (!p) {
      p = this.variants.byKey(variantKey).then((v) => new PreparedMessage(this.sender, v));
      p.catch(() => prepared.delete(key));
      if (prepared.size >= PREPARED_KEPT) prepared.delete(prepared.keys().next().value!);
      prepared.set(key, p);
    }
    return p;
  }

  /** A For you block's encoded fragment, likewise. */
  private fragmentOf(key: string): Promise<EncodedFragment> {
    const { fragments, editionId } = this;
    const cacheKey = `${editionId}\0${key}`;
    let p = fragments.get(cacheKey);
    if (!p) {
      p = this.ctx.store.forYou.fragment(editionId, key).then((f) => {
        if (!f) throw new Error(`For you block ${key} of edition ${editionId} is missing: it is stored before its deliveries are queued`);
        return encodeFragment(f);
      });
      p.catch(() => fragments.delete(cacheKey));
      if (fragments.size >= PREPARED_KEPT * 16) fragments.delete(fragments.keys().next().value!);
      fragments.set(cacheKey, p);
    }
    return p;
  }
}
