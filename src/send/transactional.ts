/**
 * The transactional path: one message to one reader, not part of an edition (confirm,
 * welcome, preferences changed, the operator's test mail). Its own queue and worker, so an
 * edition in progress never delays a confirmation email.
 */
import { suppressAddress } from './feedback.ts';
import { UnrecoverableError } from 'bullmq';
import type { StageContext } from '../app.ts';
import { buildMessage, domainOf, parseAddress, stableMessageId } from '../mail/message.ts';
import { PermanentSendError, type Messenger, type SendResult } from '../mail/messenger.ts';
import { signConfirmToken, subscriberLinks } from '../mail/tokens.ts';
import type { MailJob } from '../queues/index.ts';
import { renderTransactional, type TransactionalMessage } from '../render/transactional.ts';
import { viewOptionsOf } from '../../templates/email/view.ts';

export type MailOutcome = { sent: true; to: string; providerId: string } | { sent: false; reason: string };

/**
 * Sends one transactional message. The subscriber is reloaded: a reader who unsubscribed or
 * was suppressed since the job was queued gets nothing, and a confirmation always carries the
 * newest request. `jobKey` makes the Message-ID stable across retries of one job.
 */
export async function sendTransactional(ctx: StageContext, messenger: Messenger, job: MailJob, jobKey: string): Promise<MailOutcome> {
  const { store, env, config, secretKey } = ctx;
  const from = parseAddress(env.mailFrom);
  const domain = domainOf(from.address);
  const opts = viewOptionsOf(config, env);
  let to: string;
  let subscriberId = 0;
  let message: TransactionalMessage;
  let links = { unsubscribe: `${env.publicUrl}/unsubscribe`, unsubscribeMailto: `mailto:unsubscribe@${domain}` };

  if (job.kind === 'test') {
    if (!job.to) throw new UnrecoverableError('a test mail job names no address (`to`)');
    to = job.to;
    message = { kind: 'test', transport: messenger.name };
  } else {
    if (job.subscriberId === undefined) throw new UnrecoverableError(`a ${job.kind} mail job names no subscriber`);
    const subscriber = await store.subscribers.getById(job.subscriberId);
    if (!subscriber) return { sent: false, reason: 'the subscriber no longer exists' };
    if (subscriber.status === 'suppressed' || (await store.suppressions.get(subscriber.email))) return { sent: false, reason: 'the address is suppressed' };
    subscriberId = subscriber.id;
    to = subscriber.email;
    const own = subscriberLinks(env.publicUrl, secretKey, subscriber.id, domain);
    links = own;
    if (job.kind === 'confirm') {
      const request = await store.subscribers.pendingRequest(subscriber.id);
      if (!request) return { sent: false, reason: 'no subscription request is waiting for confirmation' };
      const token = signConfirmToken(secretKey, subscriber.id, request.nonce, new Date(request.requestedAt));
      message = { kind: 'confirm', confirmUrl: `${env.publicUrl}/confirm?token=${token}`, topics: request.topics, frequency: request.frequency };
    } else {
      if (subscriber.status !== 'confirmed') return { sent: false, reason: `the subscriber is ${subscriber.status}` };
      message =
        job.kind === 'welcome'
          ? { kind: 'welcome', preferencesUrl: own.preferences, unsubscribeUrl: own.unsubscribe, topics: subscriber.topics, frequency: subscriber.frequency }
          : {
              kind: 'preferences-changed',
              preferencesUrl: own.preferences,
              unsubscribeUrl: own.unsubscribe,
              topics: subscriber.topics,
              sectionOrder: subscriber.sectionOrder,
              frequency: subscriber.frequency,
              deliveryHour: subscriber.deliveryHour,
              timezone: subscriber.timezone,
              pausedUntil: subscriber.pausedUntil,
            };
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
    listId: config.mail.listId ?? `daily-papers.${domain}`,
    listName: config.mail.listName,
    unsubscribeUrl: links.unsubscribe,
    unsubscribeMailto: links.unsubscribeMailto,
    date: new Date(),
    replyTo: config.mail.replyTo,
    configurationSet: config.mail.configurationSet,
  });
  let result: SendResult;
  try {
    result = await messenger.send(raw, { editionId: `mail-${job.kind}`, subscriberId, to, from: from.address, messageId });
  } catch (err) {
    if (err instanceof PermanentSendError) {
      if (err.suppressAddress && job.kind !== 'test') {
        const now = new Date().toISOString();
        await suppressAddress(store, to, 'rejected', err.message, now);
      }
      throw new UnrecoverableError(`${job.kind} mail to subscriber ${subscriberId || to} refused: ${err.message}`);
    }
    throw err;
  }
  return { sent: true, to, providerId: result.providerId };
}
