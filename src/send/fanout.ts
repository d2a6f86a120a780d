/**
 * The fan-out: an edition's deliveries and send batches, in keyset pages of subscribers, after
 * the render stage has rendered its variants. The fan-out cursor is a checkpoint in the database:
 * a restart resumes after the last page that was queued, and re-queuing a page is harmless
 * (deliveries and send jobs are keyed).
 */
import type { StageContext } from '../app.ts';
import type { Edition } from '../domain/edition.ts';
import { domainOf, parseAddress, stableMessageId } from '../mail/message.ts';
import { refreshPendingSeeds } from '../personal/profiles.ts';
import { PermanentJobError, QUEUE } from '../queues/index.ts';
import { ForYouFanout } from '../render/forYou.ts';
import { EditionRender } from '../render/processor.ts';
import { variantFirst, variantKey, variantTopics } from '../render/renderVariant.ts';
import { VariantStore } from '../render/variants.ts';
import { readerSendAt } from './schedule.ts';

export interface FanoutOutcome {
  editionId: string;
  variants: number;
  batches: number;
  recipients: number;
  /** `cancelled`: cancelled before this job ran, so nothing was rendered and nobody queued. */
  status: 'fanned-out' | 'already-sent' | 'cancelled';
}

/**
 * The render worker's job: render the edition's variants, then queue a delivery for each
 * confirmed reader of its frequency and the send batches that carry them.
 */
export async function fanOutEdition(
  ctx: StageContext,
  editionId: string,
  progress?: (p: { recipients: number; batches: number }) => Promise<void> | void,
): Promise<FanoutOutcome> {
  const { store, config, env, queues } = ctx;
  const edition = await store.editions.get(editionId);
  if (!edition) throw new PermanentJobError(`edition ${editionId} does not exist: build it first (paperboy edition build --date ${editionId.slice(0, 10)})`);
  if (edition.status === 'sent' || edition.status === 'empty') return { editionId, variants: 0, batches: 0, recipients: 0, status: 'already-sent' };
  const now = () => ctx.clock.now().toISOString();
  if (edition.cancelledAt) {
    // settled at once: no variant to render, no delivery for a batch to skip
    await store.editions.markFanoutDone(editionId, now());
    await store.editions.markSentIfSettled(editionId, now());
    ctx.log.info('edition cancelled before its render: nothing rendered, nobody queued', { edition: editionId });
    return { editionId, variants: 0, batches: 0, recipients: 0, status: 'cancelled' };
  }
  if (edition.status === 'frozen') await store.editions.setStatus(editionId, 'rendering', now());

  const render = new EditionRender(ctx, edition);
  const variants = await render.renderAll();

  const domain = domainOf(parseAddress(env.mailFrom).address);
  // once per (time zone, hour) bucket, not per reader
  const sendAtOf = new Map<string, number>();
  const readerHour = (timezone: string, hour: number): number => {
    const key = `${timezone}|${hour}`;
    let at = sendAtOf.get(key);
    if (at === undefined) {
      at = readerSendAt(edition.date, config.edition, timezone, hour).getTime();
      sendAtOf.set(key, at);
    }
    return at;
  };

  let cursor = edition.fanoutCursor;
  let batches = 0;
  let recipients = 0;
  if (!edition.fanoutDone) {
    // seed papers ingested since their reader gave them count from this edition on
    if (config.forYou.enabled) await refreshPendingSeeds(store, config, ctx.clock.now());
    const forYou = config.forYou.enabled ? new ForYouFanout(ctx, edition) : undefined;
    const frequency = edition.kind === 'daily' ? 'daily' : 'weekly';
    for (;;) {
      // cancelled meanwhile: the readers not reached yet get no delivery (what `edition cancel` says)
      if ((await store.editions.steering(editionId))?.cancelledAt) break;
      const page = await store.subscribers.confirmedPage(frequency, edition.date, cursor, config.send.batchSize);
      if (page.length === 0) break;
      // each reader's For you block, its fragment stored before any delivery names it
      const forYouOf = forYou
        ? await render.guarded(() => forYou.choose(page.map((s) => ({ id: s.id, topics: render.variantOf(s.topicSet, s.sectionOrder).topics }))))
        : undefined;
      const rows = [];
      const laterBuckets = new Set<number>();
      let anyDueNow = false;
      const fanoutAt = ctx.clock.now().getTime();
      for (const s of page) {
        const variant = render.variantOf(s.topicSet, s.sectionOrder);
        await render.stored(variant);
        // a reader who never chose a time gets the operator's: when the edition goes out
        const at = config.send.atReadersHour && s.deliveryTimeChosen ? readerHour(s.timezone, s.deliveryHour) : 0;
        if (at > fanoutAt) laterBuckets.add(at);
        else anyDueNow = true;
        rows.push({
          editionId,
          subscriberId: s.id,
          variantKey: variant.key,
          messageId: stableMessageId(ctx.secretKey, editionId, s.id, domain),
          sendAfter: at > fanoutAt ? new Date(at).toISOString() : undefined,
          forYou: forYouOf?.get(s.id),
        });
      }
      await store.deliveries.insertPending(rows, now());
      const fromId = page[0]!.id;
      const toId = page[page.length - 1]!.id;
      // the readers due now, then one delayed batch per later hour among this page's readers
      if (anyDueNow) await queues.addSendBatch({ editionId, fromId, toId });
      for (const at of laterBuckets)
        await queues.addSendBatch({ editionId, fromId, toId }, { bucket: new Date(at).toISOString().slice(0, 13).replace(/\D/g, ''), delayMs: at - fanoutAt });
      await store.editions.setFanoutCursor(editionId, toId, now());
      cursor = toId;
      batches++;
      recipients += page.length;
      await progress?.({ recipients, batches });
    }
    await store.editions.markFanoutDone(editionId, now());
  }
  // with no recipients (or all settled already) nothing else would close the edition
  await store.editions.markSentIfSettled(editionId, now());
  ctx.log.info('edition fanned out', { edition: editionId, variants, batches, recipients });
  return { editionId, variants, batches, recipients, status: 'fanned-out' };
}

/**
 * Queues send batches again for the deliveries of an edition that are still open while no
 * send job of the edition is left in Redis: what a Redis that lost its data (no AOF, a
 * failover) leaves behind. Returns the number of batches queued.
 */
export async function requeueOpenDeliveries(ctx: StageContext, editionId: string): Promise<number> {
  const queue = ctx.queues.get(QUEUE.send);
  const live = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'paused', 'failed']);
  if (live.some((job) => job?.data.editionId === editionId)) return 0;
  let after = 0;
  let batches = 0;
  for (;;) {
    const ids = await ctx.store.deliveries.openSubscriberIds(editionId, after, ctx.config.send.batchSize);
    if (ids.length === 0) return batches;
    const fromId = ids[0]!;
    const toId = ids[ids.length - 1]!;
    await ctx.queues.addSendBatch({ editionId, fromId, toId }, { again: `again-${Date.now().toString(36)}` });
    after = toId;
    batches++;
  }
}

/**
 * Adds the delivery of one reader who has none in an edition (`edition resend` to a reader who
 * subscribed after the fan-out), with their variant rendered if no reader had it yet and the
 * same Message-ID the fan-out would have given them. `no-sections`: the edition has nothing in
 * their topics, so there is no message for them.
 */
export async function addReaderDelivery(
  ctx: StageContext,
  edition: Edition,
  subscriber: { id: number; topics: string[]; sectionOrder: string[] },
): Promise<'added' | 'no-sections'> {
  const topics = variantTopics(edition.content, subscriber.topics);
  if (topics.length === 0) return 'no-sections';
  const first = variantFirst(edition.content, topics, subscriber.sectionOrder);
  await new VariantStore(ctx, edition).ensure(topics, first);
  const forYou = ctx.config.forYou.enabled ? (await new ForYouFanout(ctx, edition).choose([{ id: subscriber.id, topics }])).get(subscriber.id) : undefined;
  const domain = domainOf(parseAddress(ctx.env.mailFrom).address);
  // a fan-out that reaches them meanwhile keeps its row: either way one delivery, one message
  await ctx.store.deliveries.insertPending(
    [
      {
        editionId: edition.id,
        subscriberId: subscriber.id,
        variantKey: variantKey(topics, first),
        messageId: stableMessageId(ctx.secretKey, edition.id, subscriber.id, domain),
        forYou,
      },
    ],
    ctx.clock.now().toISOString(),
  );
  return 'added';
}
