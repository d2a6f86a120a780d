/**
 * The send stage: one batch (a page) of deliveries. The page's open deliveries are read in one
 * query, claimed in one statement, sent with bounded concurrency under the one rate limit of
 * all workers, and their outcomes recorded in one transaction per second of sending (and at
 * the end). Each delivery moves pending → sending → sent / failed / skipped exactly once; the
 * Message-ID is stable, so a retry after a crash is recognisable as the same message.
 */
import { suppressAddress } from './feedback.ts';
import type { StageContext } from '../app.ts';
import type { DeliveryOutcome, PendingDelivery } from '../db/index.ts';
import { editionFlags, type EditionContent } from '../domain/edition.ts';
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
/** In-batch tries of a message that failed for a 5xx or the network, before the job's own retry. */
const TRANSIENT_TRIES = 4;
/** How long a batch waits after SES itself says the 24-hour quota is used up. */
const QUOTA_RETRY_MS = 15 * 60_000;

export function sendConcurrency(config: StageContext['config'], messenger: Messenger): number {
  if (config.send.concurrency) return config.send.concurrency;
  // in flight ≈ rate × latency; SES answers in ~50-100 ms
  return messenger.metered ? Math.min(64, Math.max(2, Math.ceil(config.send.ratePerSecond * 0.1))) : 4;
}

/** Exponential back-off with full jitter, capped. */
function backoffMs(attempt: number, baseMs = 200, capMs = 20_000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Records a batch's outcomes, trying again while the database does not answer (a restart, a
 * failover): these messages went out, and only this process knows it. Gives up after
 * `patienceMs` (the claim timeout: past it, another worker may take these deliveries anyway).
 */
async function recordPatiently(ctx: StageContext, editionId: string, record: () => Promise<void>, count: number, patienceMs: number): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await record();
      if (attempt > 0) ctx.log.info('the database answers again: outcomes recorded', { edition: editionId, deliveries: count });
      return;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      if (attempt === 0)
        ctx.log.warn('the database does not answer: the outcomes of this batch are kept until it does', {
          edition: editionId,
          deliveries: count,
          error: (err as Error).message,
        });
      await sleep(Math.min(2_000, 100 * 2 ** attempt));
    }
  }
}

export async function sendBatch(ctx: StageContext, deps: SendDependencies | Messenger, job: SendBatchJob): Promise<BatchOutcome> {
  const {
    messenger,
    limiter,
    prepared = new Map<string, Promise<PreparedMessage>>(),
    fragments = new Map<string, Promise<EncodedFragment>>(),
    stillHeld,
  } = 'messenger' in deps ? deps : { messenger: deps };
  const { store, env, config } = ctx;
  const outcome: BatchOutcome = { sent: 0, failed: 0, skipped: 0 };
  const editionId = job.editionId;
  const now = () => new Date().toISOString();
  const edition = await store.editions.get(editionId);
  if (!edition) return outcome;
  if (edition.cancelledAt) {
    await store.deliveries.skipPending(editionId, 'the edition was cancelled', now());
  }
  if (edition.paused && !edition.cancelledAt)
    return { ...outcome, deferUntil: Date.now() + CHECK_INTERVAL_MS, deferReason: `paused: ${edition.paused.reason}` };

  const page = await store.deliveries.openInRange(editionId, job.fromId, job.toId);
  const suppressed = await store.suppressions.filter(page.filter((d) => d.email).map((d) => d.email));
  const skipReason = new Map<number, string>();
  for (const d of page) {
    let reason: string | undefined;
    if (edition.cancelledAt) reason = 'the edition was cancelled';
    else if (d.subscriberStatus !== 'confirmed') reason = `subscriber is ${d.subscriberStatus}`;
    else if (suppressed.has(d.email.toLowerCase())) reason = 'the address is on the suppression list';
    else if (d.variantKey === 'none') reason = 'no papers in the subscriber’s topics in this edition';
    if (reason) skipReason.set(d.subscriberId, reason);
  }

  // one statement claims the page: pending ones, and "sending" ones whose sender went silent;
  // one that a living sender holds stays its business, even to be skipped
  const at = now();
  const claimTimeoutMs = config.send.claimTimeoutSeconds * 1000;
  const staleBefore = messenger.idempotent || job.takeOver ? at : new Date(Date.now() - claimTimeoutMs).toISOString();
  const claimedIds = new Set(
    await store.deliveries.claimPage(
      editionId,
      page.map((d) => d.subscriberId),
      at,
      staleBefore,
      !messenger.idempotent,
    ),
  );
  const skips: DeliveryOutcome[] = [];
  const claimed: PendingDelivery[] = [];
  for (const d of page) {
    if (!claimedIds.has(d.subscriberId)) continue;
    const reason = skipReason.get(d.subscriberId);
    if (reason) skips.push({ subscriberId: d.subscriberId, status: 'skipped', error: reason });
    else claimed.push(d);
  }
  if (skips.length > 0) {
    await store.deliveries.recordOutcomes(editionId, skips, now());
    outcome.skipped += skips.length;
  }

  const variants = new VariantStore(ctx, edition);
  const from = parseAddress(env.mailFrom);
  const domain = domainOf(from.address);
  const sender: SenderHeaders = {
    from,
    list: { ...listOf(config, domain), bulk: true },
    replyTo: config.mail.replyTo,
    configurationSet: config.mail.configurationSet,
  };
  const messageOf = (variantKey: string) => {
    const key = `${editionId}\0${variantKey}`;
    let p = prepared.get(key);
    if (!p) {
      p = variants.byKey(variantKey).then((v) => new PreparedMessage(sender, v));
      p.catch(() => prepared.delete(key));
      if (prepared.size >= PREPARED_KEPT) prepared.delete(prepared.keys().next().value!);
      prepared.set(key, p);
    }
    return p;
  };

  const fragmentOf = (key: string) => {
    const cacheKey = `${editionId}\0${key}`;
    let p = fragments.get(cacheKey);
    if (!p) {
      p = store.forYou.fragment(editionId, key).then((f) => {
        if (!f) throw new Error(`For you block ${key} of edition ${editionId} is missing: it is stored before its deliveries are queued`);
        return encodeFragment(f);
      });
      p.catch(() => fragments.delete(cacheKey));
      if (fragments.size >= PREPARED_KEPT * 16) fragments.delete(fragments.keys().next().value!);
      fragments.set(cacheKey, p);
    }
    return p;
  };

  let pending: DeliveryOutcome[] = [];
  /**
   * Set when the batch must stop early: paused, cancelled, quota used up, the database not
   * answering, the batch taken over. What was claimed and not tried is given back as pending,
   * skipped, or (`kept`) left to the worker that took the batch over.
   */
  const halt: { value?: { reason: string; deferUntil?: number; release: 'pending' | 'skipped' | 'kept'; takenOver?: boolean } } = {};
  // read through a call: TypeScript would otherwise narrow it to what a loop condition saw
  const stopped = () => halt.value;
  let transient: Error | undefined;
  const flush = async () => {
    let batch = pending;
    pending = [];
    // a batch taken over is the new holder's: only what this run did send or refuse is recorded
    if (halt.value?.takenOver) batch = batch.filter((o) => o.status !== 'pending');
    try {
      await store.deliveries.recordOutcomes(editionId, batch, now());
    } catch (err) {
      pending = batch.concat(pending);
      throw err;
    }
  };
  const check = async () => {
    // Redis not answering is no sign of a takeover: nobody can take the lock meanwhile
    if (stillHeld && !(await stillHeld().catch(() => true))) {
      halt.value ??= { reason: 'another worker took the batch over', release: 'kept', takenOver: true };
      return;
    }
    const e = await store.editions.get(editionId);
    if (e?.cancelledAt) halt.value ??= { reason: 'the edition was cancelled', release: 'skipped' };
    else if (e?.paused) halt.value ??= { reason: `paused: ${e.paused.reason}`, deferUntil: Date.now() + CHECK_INTERVAL_MS, release: 'pending' };
  };
  let lastCheck = Date.now();
  let checking: Promise<void> | undefined;
  /**
   * Once a second: is the batch still this run's, is its edition paused or cancelled, and what
   * was sent is recorded. Every sender waits for a check in progress, so none sends past a
   * take-over or a pause that check finds.
   */
  const tick = async () => {
    if (!checking && Date.now() - lastCheck >= CHECK_INTERVAL_MS) {
      lastCheck = Date.now();
      checking = (async () => {
        try {
          await check();
          await flush();
        } catch (err) {
          // the database does not answer: send no more until it does; what was sent is kept
          halt.value ??= { reason: `the database did not answer: ${(err as Error).message}`, deferUntil: Date.now() + CHECK_INTERVAL_MS, release: 'pending' };
        }
      })().finally(() => (checking = undefined));
    }
    await checking;
  };

  const sendOne = async (d: PendingDelivery): Promise<DeliveryOutcome | undefined> => {
    const message = await messageOf(d.variantKey);
    const forYou = d.forYou ? await fragmentOf(d.forYou) : undefined;
    const raw = message.build({
      to: d.email,
      messageId: d.messageId,
      date: new Date(),
      links: subscriberLinks(env.publicUrl, ctx.secretKey, d.subscriberId, domain),
      forYou,
    });
    for (let attempt = 0; ; attempt++) {
      if (halt.value) return undefined;
      let permit: Permit | undefined;
      if (limiter && messenger.metered) {
        permit = await limiter.acquire(() => halt.value !== undefined);
        if (!permit.ok) {
          if (permit.reason === 'quota')
            halt.value ??= { reason: `the 24-hour quota of ${limiter.quota} messages is used up`, deferUntil: permit.resumeAt, release: 'pending' };
          return undefined;
        }
      }
      // the last moment a run that lost its batch, or whose edition was paused, can be stopped
      await tick();
      if (halt.value) return undefined;
      try {
        const result = await messenger.send(raw, { editionId, subscriberId: d.subscriberId, to: d.email, from: from.address, messageId: d.messageId });
        return { subscriberId: d.subscriberId, status: 'sent', providerId: result.providerId };
      } catch (err) {
        // SES answered with an error: it did not accept the message, so it counts for nothing
        if (permit) await limiter?.refund(permit).catch(() => {});
        const message = (err as Error).message;
        if (err instanceof PermanentSendError) {
          if (err.suppressAddress) {
            await suppressAddress(store, d.email, 'rejected', message, now());
          }
          ctx.log.warn('delivery failed permanently', { edition: editionId, subscriber: d.subscriberId, error: message });
          return { subscriberId: d.subscriberId, status: 'failed', error: message };
        }
        if (err instanceof SendingPausedError) {
          await store.editions.pause(
            editionId,
            `the mail provider refused to send: ${message}. Fix it, then run \`paperboy edition resume ${editionFlags(edition)}\``,
            now(),
          );
          ctx.log.error('sending paused: the mail provider refuses to send; fix the account, then resume the edition', { edition: editionId, error: message });
          halt.value ??= { reason: message, deferUntil: Date.now() + CHECK_INTERVAL_MS, release: 'pending' };
          return undefined;
        }
        if (err instanceof QuotaExceededError) {
          // SES does not say when its rolling 24 hours free a message: look again later
          halt.value ??= { reason: message, deferUntil: Date.now() + QUOTA_RETRY_MS, release: 'pending' };
          return undefined;
        }
        const throttled = err instanceof TransientSendError && err.throttled;
        // throttling is the rate, not the message: wait and try again, however long it takes
        if (!throttled && attempt + 1 >= TRANSIENT_TRIES) {
          transient ??= err as Error;
          if (job.lastAttempt) return { subscriberId: d.subscriberId, status: 'failed', error: `gave up after retries: ${message}` };
          return { subscriberId: d.subscriberId, status: 'pending', error: message };
        }
        ctx.log.debug('send retried', { edition: editionId, subscriber: d.subscriberId, attempt, error: message });
        await sleep(backoffMs(attempt));
      }
    }
  };

  const release = (d: PendingDelivery) => {
    const how = stopped()?.release ?? 'pending';
    if (how === 'kept') return;
    pending.push({ subscriberId: d.subscriberId, status: how, error: stopped()?.reason });
    if (how === 'skipped') outcome.skipped++;
  };

  let next = 0;
  const inFlight = new Set<number>();
  const worker = async () => {
    while (next < claimed.length && !halt.value && !(transient && !job.lastAttempt)) {
      const d = claimed[next++]!;
      inFlight.add(d.subscriberId);
      let result: DeliveryOutcome | undefined;
      try {
        result = await sendOne(d);
      } catch (err) {
        // building the message failed (a missing variant): give it back and let the job retry
        transient ??= err as Error;
        result = { subscriberId: d.subscriberId, status: 'pending', error: (err as Error).message };
      }
      inFlight.delete(d.subscriberId);
      if (result) {
        pending.push(result);
        if (result.status === 'sent') outcome.sent++;
        else if (result.status === 'failed') outcome.failed++;
      } else release(d);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(sendConcurrency(config, messenger), Math.max(1, claimed.length)) }, worker));
  } finally {
    // whatever was claimed but not tried goes back (or is skipped when the edition was cancelled)
    for (let i = next; i < claimed.length; i++) release(claimed[i]!);
    await checking;
    await recordPatiently(ctx, editionId, flush, pending.length, claimTimeoutMs);
  }
  const halted = stopped();
  if (halted?.takenOver) {
    ctx.log.warn('send batch taken over by another worker: this one was not answering past its lock, and sends nothing more of it', {
      edition: editionId,
      batch: `${job.fromId}-${job.toId}`,
      sent: outcome.sent,
    });
    return { ...outcome, takenOver: true };
  }
  await store.editions.markSentIfSettled(editionId, now());
  if (halted?.deferUntil) return { ...outcome, deferUntil: halted.deferUntil, deferReason: halted.reason };
  if (transient) throw transient;
  // deliveries of this range that another run holds (one that lost this job along with
  // Redis's last writes, an overlapping batch): the job stays until they are settled, so
  // nothing is left "sending" with no job to finish it
  const heldElsewhere = page.length - claimedIds.size;
  if (heldElsewhere > 0)
    return { ...outcome, deferUntil: Date.now() + HELD_ELSEWHERE_RECHECK_MS, deferReason: `${heldElsewhere} deliveries of this batch are held by another run` };
  return outcome;
}
