/**
 * The transactional path: one message to one reader, not part of an edition (confirm,
 * welcome, preferences changed, the operator's test mail). Its own queue and worker, so an
 * edition in progress never delays a confirmation email.
 */
import { suppressAddress } from './feedback.ts';
import type { StageContext } from '../app.ts';
import type { Config } from '../config/schema.ts';
import { buildMessage, domainOf, listOf, parseAddress, stableMessageId, type OutgoingMessage } from '../mail/message.ts';
import { PermanentSendError, type Messenger, type SendResult } from '../mail/messenger.ts';
import { CONFIRM_TOKEN_TTL_MS, signConfirmToken, subscriberLinks } from '../mail/tokens.ts';
import type { MailJob } from '../queues/index.ts';
import { currentEditionDay } from '../domain/time.ts';
import { topicNameOf } from '../rank/topics.ts';
import { renderTransactional, type TransactionalMessage } from '../render/transactional.ts';
import { readerDeliveryTime } from './schedule.ts';
import { viewOptionsOf } from '../../templates/email/view.ts';
import { PermanentJobError } from '../queues/index.ts';

export type MailOutcome = { sent: true; to: string; providerId: string } | { sent: false; reason: string };

/** Topic names for a reader's topic ids, in the taxonomy's order with the fallback last, as the preferences page lists them. */
function topicNames(config: Config, ids: string[]): string[] {
  const order = [...config.topics.map((t) => t.id), config.fallbackTopic.id];
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  return [...ids].sort((a, b) => rank(a) - rank(b)).map((id) => topicNameOf(config, id));
}

/**
 * Sends one transactional message. The subscriber is reloaded: a reader who unsubscribed or
 * was suppressed since the job was queued gets nothing, and a confirmation always carries the
 * newest request. `jobKey` makes the Message-ID stable across retries of one job.
 *
 * Headers: a confirmation goes to someone who is not subscribed (yet), and the operator's
 * test to the operator: no list headers. The welcome and preferences-changed mails go to a
 * subscriber about their subscription: the list's List-Id and their one-click List-Unsubscribe,
 * but not `Precedence: bulk` (see `src/mail/message.ts`).
 */
export async function sendTransactional(ctx: StageContext, messenger: Messenger, job: MailJob, jobKey: string): Promise<MailOutcome> {
  const { store, env, config, secretKey } = ctx;
  // one instant for the whole message: its delivery time, its "today", its Date header
  const now = ctx.clock.now();
  const from = parseAddress(env.mailFrom);
  const domain = domainOf(from.address);
  const opts = viewOptionsOf(config, env);
  let to: string;
  let subscriberId = 0;
  let message: TransactionalMessage;
  let list: OutgoingMessage['list'];

  if (job.kind === 'test') {
    if (!job.to) throw new PermanentJobError('a test mail job names no address (`to`)');
    to = job.to;
    message = { kind: 'test', transport: messenger.name };
  } else {
    if (job.subscriberId === undefined) throw new PermanentJobError(`a ${job.kind} mail job names no subscriber`);
    const subscriber = await store.subscribers.getById(job.subscriberId);
    if (!subscriber) return { sent: false, reason: 'the subscriber no longer exists' };
    if (subscriber.status === 'suppressed' || (await store.suppressions.get(subscriber.email))) return { sent: false, reason: 'the address is suppressed' };
    subscriberId = subscriber.id;
    to = subscriber.email;
    if (job.kind === 'confirm') {
      const request = await store.subscribers.pendingRequest(subscriber.id);
      if (!request) return { sent: false, reason: 'no subscription request is waiting for confirmation' };
      const requestedAt = new Date(request.requestedAt);
      const token = signConfirmToken(secretKey, subscriber.id, request.nonce, requestedAt);
      message = {
        kind: 'confirm',
        confirmUrl: `${env.publicUrl}/confirm?token=${token}`,
        topics: topicNames(config, request.topics),
        // confirming takes the form's time zone as the reader's choice (SubscriberQueries.confirm)
        delivery: readerDeliveryTime(
          config,
          {
            frequency: request.frequency,
            timezone: request.timezone,
            deliveryHour: request.deliveryHour ?? subscriber.deliveryHour,
            deliveryTimeChosen: true,
          },
          now,
        ),
        expires: { at: new Date(requestedAt.getTime() + CONFIRM_TOKEN_TTL_MS).toISOString(), timezone: request.timezone },
      };
    } else {
      if (subscriber.status !== 'confirmed') return { sent: false, reason: `the subscriber is ${subscriber.status}` };
      const own = subscriberLinks(env.publicUrl, secretKey, subscriber.id, domain);
      list = { ...listOf(config, domain), unsubscribeUrl: own.unsubscribe, unsubscribeMailto: own.unsubscribeMailto };
      const common = {
        preferencesUrl: own.preferences,
        unsubscribeUrl: own.unsubscribe,
        topics: topicNames(config, subscriber.topics),
        delivery: readerDeliveryTime(config, subscriber, now),
      };
      if (job.kind === 'welcome') {
        const latest = await store.editions.latestSentDate('daily');
        const latestEdition = latest ? { url: `${env.publicUrl}/editions/${latest}`, today: latest === currentEditionDay(now, config.edition) } : undefined;
        message = { kind: 'welcome', ...common, latestEdition };
      } else {
        message = {
          kind: 'preferences-changed',
          ...common,
          sectionOrder: subscriber.sectionOrder.map((id) => topicNameOf(config, id)),
          pausedUntil: subscriber.pausedUntil,
        };
      }
    }
  }

  const rendered = await renderTransactional(message, opts);
  const messageId = stableMessageId(secretKey, `mail-${job.kind}-${jobKey}`, subscriberId, domain);
  const raw = await buildMessage({
    from,
    to,
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    messageId,
    list,
    date: now,
    replyTo: config.mail.replyTo,
    configurationSet: config.mail.configurationSet,
  });
  let result: SendResult;
  try {
    result = await messenger.send(raw, { editionId: `mail-${job.kind}`, subscriberId, to, from: from.address, messageId });
  } catch (err) {
    if (err instanceof PermanentSendError) {
      if (err.suppressAddress && job.kind !== 'test') await suppressAddress(store, to, 'rejected', err.message, ctx.clock.now().toISOString());
      throw new PermanentJobError(`${job.kind} mail to subscriber ${subscriberId || to} refused: ${err.message}`);
    }
    throw err;
  }
  return { sent: true, to, providerId: result.providerId };
}
