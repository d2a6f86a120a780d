/**
 * The send stage: one batch of deliveries. Each delivery moves pending → sending → sent (or
 * failed / skipped) in the database, so every message is recorded once; the Message-ID is
 * stable, so a retry after a crash is recognisable as the same message.
 */
import type { StageContext } from '../app.ts';
import type { EditionContent } from '../rank/edition.ts';
import { personalize } from '../mail/placeholders.ts';
import { VariantStore } from '../render/variants.ts';
import { buildMessage, domainOf, parseAddress } from '../mail/message.ts';
import { PermanentSendError, type Messenger } from '../mail/messenger.ts';
import { subscriberLinks } from '../mail/tokens.ts';

/**
 * How long a delivery claimed by a sender that may still be alive is left alone, for a
 * transport where a second send would be a second email (longer than any throttled send).
 */
export const CLAIM_TIMEOUT_MS = 15 * 60_000;

export interface BatchOutcome {
  sent: number;
  failed: number;
  skipped: number;
}

export interface SendBatchJob {
  editionId: string;
  fromId: number;
  toId: number;
  /** True on the job's last attempt: transient failures are then recorded instead of retried. */
  lastAttempt: boolean;
}

export async function sendBatch(ctx: StageContext, messenger: Messenger, job: SendBatchJob): Promise<BatchOutcome> {
  const { store, env, config } = ctx;
  const outcome: BatchOutcome = { sent: 0, failed: 0, skipped: 0 };
  const edition = await store.editions.get<EditionContent>(job.editionId);
  if (!edition) return outcome;
  const deliveries = await store.deliveries.openInRange(job.editionId, job.fromId, job.toId);
  const variants = new VariantStore(ctx, edition);
  const from = parseAddress(env.mailFrom);
  const domain = domainOf(from.address);
  const listId = config.mail.listId ?? `daily-papers.${domain}`;
  const now = () => new Date().toISOString();
  let transient: Error | undefined;

  for (const d of deliveries) {
    if (d.subscriberStatus !== 'confirmed') {
      if (await store.deliveries.transition(job.editionId, d.subscriberId, ['pending', 'sending'], 'skipped', now(), { error: `subscriber is ${d.subscriberStatus}` })) outcome.skipped++;
      continue;
    }
    if (d.variantKey === 'none') {
      if (await store.deliveries.transition(job.editionId, d.subscriberId, ['pending', 'sending'], 'skipped', now(), { error: 'no papers in the subscriber’s topics in this edition' })) outcome.skipped++;
      continue;
    }
    if (transient) break;
    const variant = await variants.byKey(d.variantKey);
    const at = now();
    const staleBefore = messenger.idempotent ? at : new Date(Date.now() - CLAIM_TIMEOUT_MS).toISOString();
    if (!(await store.deliveries.claim(job.editionId, d.subscriberId, at, staleBefore))) continue;
    const links = subscriberLinks(env.publicUrl, ctx.secretKey, d.subscriberId, domain);
    const body = personalize(variant, links);
    try {
      const raw = await buildMessage({
        from,
        to: d.email,
        subject: variant.subject,
        text: body.text,
        html: body.html,
        messageId: d.messageId,
        listId,
        listName: config.mail.listName,
        unsubscribeUrl: links.unsubscribe,
        unsubscribeMailto: links.unsubscribeMailto,
        date: new Date(),
      });
      const result = await messenger.send(raw, { editionId: job.editionId, subscriberId: d.subscriberId, to: d.email, from: from.address, messageId: d.messageId });
      await store.deliveries.transition(job.editionId, d.subscriberId, ['sending'], 'sent', now(), { providerId: result.providerId });
      outcome.sent++;
    } catch (err) {
      const message = (err as Error).message;
      if (err instanceof PermanentSendError) {
        await store.deliveries.transition(job.editionId, d.subscriberId, ['sending'], 'failed', now(), { error: message });
        if (err.suppressAddress) await store.subscribers.setStatus(d.subscriberId, 'suppressed', now());
        outcome.failed++;
        ctx.log.warn('delivery failed permanently', { edition: job.editionId, subscriber: d.subscriberId, error: message });
      } else if (job.lastAttempt) {
        await store.deliveries.transition(job.editionId, d.subscriberId, ['sending'], 'failed', now(), { error: `gave up after retries: ${message}` });
        outcome.failed++;
        ctx.log.error('delivery failed after retries', { edition: job.editionId, subscriber: d.subscriberId, error: message });
      } else {
        // back to pending: the retried job picks it up again
        await store.deliveries.transition(job.editionId, d.subscriberId, ['sending'], 'pending', now(), { error: message });
        transient = err as Error;
      }
    }
  }
  await store.editions.markSentIfSettled(job.editionId, now());
  if (transient) throw transient;
  return outcome;
}
