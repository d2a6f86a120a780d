/**
 * The SNS endpoints: `POST /webhooks/ses` (SES bounce, complaint and delivery notifications)
 * and `POST /webhooks/inbound` (mail to the `mailto:` of List-Unsubscribe, through an SES
 * receipt rule). Both take only signed SNS messages from the topics in SNS_TOPIC_ARNS, apply
 * each message once, and answer 200 when done, 400 with the reason for a bad or unsigned
 * message, 403 for a topic that is not allowed, 502 when SNS itself could not be reached.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DataApp } from '../app.ts';
import type { Environment } from '../config/load.ts';
import type { Store } from '../db/index.ts';
import { applyInboundUnsubscribe, applySesEvent } from '../send/feedback.ts';
import {
  httpGet as defaultHttpGet,
  isSnsUrl,
  parseSnsMessage,
  SnsError,
  SnsVerifier,
  type CertificateFetcher,
  type HttpGetter,
  type SnsMessage,
} from './sns.ts';

/** SNS never sends more than 256 KiB; an inbound email bigger than 150 KB arrives without its content. */
export const SNS_BODY_LIMIT = 256 * 1024;

export interface WebhookOptions {
  /** Where signing certificates come from; tests supply theirs. */
  fetchCertificate?: CertificateFetcher;
  /** The GET that confirms a subscription; tests record it. */
  httpGet?: HttpGetter;
}

/** What the webhooks need of the app: the store, the log, the key of the links, the allowed topics. */
export type WebhookApp = Pick<DataApp, 'store' | 'log' | 'secretKey' | 'clock'> & { env: Pick<Environment, 'snsTopicArns'> };

type Handler = (store: Store, m: SnsMessage, payload: unknown, now: string) => Promise<Record<string, unknown>>;

export async function registerWebhooks(server: FastifyInstance, app: WebhookApp, opts: WebhookOptions = {}): Promise<void> {
  const log = app.log.child({ component: 'webhooks' });
  const topics = new Set(app.env.snsTopicArns);
  const verifier = new SnsVerifier({ fetchCertificate: opts.fetchCertificate, clock: app.clock });
  const get = opts.httpGet ?? defaultHttpGet;
  let prunedAt = 0;
  if (topics.size === 0) log.warn('SNS_TOPIC_ARNS is not set: /webhooks/ses and /webhooks/inbound refuse every SNS topic until it names yours');

  const handle = async (req: FastifyRequest, reply: FastifyReply, route: string, onNotification: Handler) => {
    const at = app.clock.now();
    let m: SnsMessage;
    try {
      m = parseSnsMessage(typeof req.body === 'string' ? req.body : '');
      const declared = req.headers['x-amz-sns-message-type'];
      if (declared !== undefined && declared !== m.Type)
        throw new SnsError(`the x-amz-sns-message-type header says ${String(declared)} but the message is a ${m.Type}`);
      if (topics.size === 0)
        throw new SnsError(`SNS_TOPIC_ARNS is not set, so every topic is refused: add ${m.TopicArn} to SNS_TOPIC_ARNS if it is yours`, 403);
      if (!topics.has(m.TopicArn)) throw new SnsError(`topic ${m.TopicArn} is not in SNS_TOPIC_ARNS`, 403);
      await verifier.verify(m);
    } catch (err) {
      if (!(err instanceof SnsError)) throw err;
      log.warn('SNS message refused', { route, status: err.status, reason: err.message });
      return reply.code(err.status).send({ error: err.message });
    }
    const duplicate = () => reply.code(200).send({ status: 'duplicate', messageId: m.MessageId });
    if (await app.store.feedback.snsMessageSeen(m.MessageId)) return duplicate();

    let result: Record<string, unknown> | undefined;
    if (m.Type === 'SubscriptionConfirmation') {
      if (!isSnsUrl(m.SubscribeURL!)) {
        log.warn('SNS subscription not confirmed: SubscribeURL is not an SNS host', { route, topic: m.TopicArn, url: m.SubscribeURL });
        return reply.code(400).send({ error: `SubscribeURL ${m.SubscribeURL} is not an SNS host (https://sns.<region>.amazonaws.com/…): not confirmed` });
      }
      let status: number;
      try {
        ({ status } = await get(m.SubscribeURL!));
      } catch (err) {
        status = 0;
        log.warn('SNS subscription confirmation failed', { route, topic: m.TopicArn, error: err as Error });
      }
      if (status !== 200)
        return reply.code(502).send({
          error: `confirming the subscription at SNS failed (${status === 0 ? 'no answer' : `HTTP ${status}`}); SNS will send the confirmation again`,
        });
      log.info('SNS subscription confirmed', { route, topic: m.TopicArn });
      await app.store.feedback.recordSnsMessage(m.MessageId, m.TopicArn, m.Type, at.toISOString());
      result = { status: 'subscribed', topic: m.TopicArn };
    } else if (m.Type === 'UnsubscribeConfirmation') {
      log.warn('SNS says this endpoint was unsubscribed from a topic: no more notifications will come from it', { route, topic: m.TopicArn });
      await app.store.feedback.recordSnsMessage(m.MessageId, m.TopicArn, m.Type, at.toISOString());
      result = { status: 'unsubscribed', topic: m.TopicArn };
    } else {
      let payload: unknown;
      try {
        payload = JSON.parse(m.Message);
      } catch {
        log.warn('SNS notification refused: its Message is not JSON', { route, topic: m.TopicArn, messageId: m.MessageId });
        return reply.code(400).send({ error: 'the notification Message is not JSON: is this topic fed by SES?' });
      }
      // remembering the message and applying it commit together: a failure leaves neither, so
      // SNS's retry applies it, and a copy arriving meanwhile waits for the first and finds it
      result = await app.store.transaction(async (store) => {
        if (!(await store.feedback.recordSnsMessage(m.MessageId, m.TopicArn, m.Type, at.toISOString()))) return undefined;
        return onNotification(store, m, payload, at.toISOString());
      });
      if (!result) return duplicate();
    }
    if (at.getTime() - prunedAt > verifier.maxAgeMs / 6) {
      prunedAt = at.getTime();
      // older messages are refused by their Timestamp, so their ids need not be kept
      await app.store.feedback.pruneSnsMessages(new Date(at.getTime() - 2 * verifier.maxAgeMs).toISOString());
    }
    return reply.code(200).send(result);
  };

  const sesEvent: Handler = async (store, m, payload, at) => {
    const outcome = await applySesEvent(store, payload, at);
    const fields = { messageId: m.MessageId, recipients: outcome.recipients.join(','), edition: outcome.editionId };
    if (outcome.kind === 'ignored') log.debug('SES notification ignored', { ...fields, note: outcome.note });
    else log.info(`SES ${outcome.kind}`, { ...fields, suppressed: outcome.suppressed.join(',') || undefined });
    if (outcome.paused) log.error('edition paused by the reputation guard', { edition: outcome.editionId, reason: outcome.paused });
    return { status: 'applied', ...outcome };
  };

  const inboundMail: Handler = async (store, m, payload, at) => {
    const outcome = await applyInboundUnsubscribe(store, app.secretKey, payload, at);
    if (outcome.unsubscribed) log.info('unsubscribed by email', { subscriber: outcome.subscriberId, messageId: m.MessageId });
    else log.info('inbound email changed nothing', { reason: outcome.reason, messageId: m.MessageId });
    return { status: 'applied', ...outcome };
  };

  await server.register(async (scope) => {
    // SNS posts its JSON as text/plain: any content type is read as text and parsed here
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post('/webhooks/ses', { bodyLimit: SNS_BODY_LIMIT }, (req, reply) => handle(req, reply, '/webhooks/ses', sesEvent));
    scope.post('/webhooks/inbound', { bodyLimit: SNS_BODY_LIMIT }, (req, reply) => handle(req, reply, '/webhooks/inbound', inboundMail));
  });
}
