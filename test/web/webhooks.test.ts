/**
 * The SNS webhooks over HTTP (Fastify inject), with signatures made by certificates this run
 * generates, on SQLite and PostgreSQL: SES feedback on /webhooks/ses, the mailto: unsubscribe
 * on /webhooks/inbound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Store } from '../../src/db/store.ts';
import { loadEnvironment } from '../../src/config/load.ts';
import { createLogger } from '../../src/lib/log.ts';
import { systemClock } from '../../src/domain/time.ts';
import { signToken } from '../../src/mail/tokens.ts';
import { buildServer } from '../../src/web/server.ts';
import { registerWebhooks } from '../../src/web/webhooks.ts';
import { openStore, storageTargets, testApp } from '../harness/index.ts';
import { urlencoded, webApp } from './helpers.ts';
import { certificateServer, makeSigningIdentity, sesBounce, sesComplaint, signSns, TOPIC } from '../harness/sns.ts';
import { kyselyOf } from '../../src/db/store.ts';

const SECRET = 'webhook-test-secret-0123456789';
const identity = makeSigningIdentity();

interface Harness {
  server: FastifyInstance;
  store: Store;
  logs: string[];
  certRequests: string[];
  confirmations: string[];
}

async function webhookServer(store: Store, topicArns: string[] = [TOPIC], certificateDelayMs = 0, secretKey = SECRET): Promise<Harness> {
  const logs: string[] = [];
  const certs = certificateServer(identity);
  const fetchCertificate = async (url: string) => {
    await new Promise((r) => setTimeout(r, certificateDelayMs));
    return certs.fetch(url);
  };
  const confirmations: string[] = [];
  const server = Fastify({ logger: false });
  await registerWebhooks(
    server,
    { store, secretKey, clock: systemClock, env: { snsTopicArns: topicArns }, log: createLogger({}, { level: 'debug', write: (line) => logs.push(line) }) },
    {
      fetchCertificate,
      httpGet: async (url) => {
        confirmations.push(url);
        return { status: 200 };
      },
    },
  );
  await server.ready();
  return { server, store, logs, certRequests: certs.requests, confirmations };
}

function post(h: Harness, url: string, message: Record<string, string> | string, contentType = 'text/plain; charset=UTF-8') {
  const payload = typeof message === 'string' ? message : JSON.stringify(message);
  return h.server.inject({
    method: 'POST',
    url,
    headers: { 'content-type': contentType, ...(typeof message === 'string' ? {} : { 'x-amz-sns-message-type': message.Type }) },
    payload,
  });
}

const notification = (
  event: unknown,
  extra: { Timestamp?: string; TopicArn?: string; MessageId?: string } = {},
  opts: { version?: '1' | '2'; certUrl?: string } = {},
) => signSns(identity, { Type: 'Notification', Message: JSON.stringify(event), ...extra }, opts);

/** What SES publishes for an email its receipt rule hands to SNS. */
function receivedMail(opts: { subject?: string; rawSubject?: string; encoding?: 'UTF8' | 'BASE64'; from?: string }) {
  const raw = [
    `From: ${opts.from ?? 'ann@example.org'}`,
    'To: unsubscribe@papers.example.org',
    `Subject: ${opts.rawSubject ?? opts.subject ?? ''}`,
    'Message-ID: <abc@mail.example.org>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain',
    '',
    '',
  ].join('\r\n');
  return {
    notificationType: 'Received',
    receipt: {
      timestamp: new Date().toISOString(),
      recipients: ['unsubscribe@papers.example.org'],
      spamVerdict: { status: 'PASS' },
      virusVerdict: { status: 'PASS' },
      spfVerdict: { status: 'PASS' },
      dkimVerdict: { status: 'PASS' },
      action: { type: 'SNS', topicArn: TOPIC, encoding: opts.encoding ?? 'UTF8' },
    },
    mail: {
      source: opts.from ?? 'ann@example.org',
      destination: ['unsubscribe@papers.example.org'],
      commonHeaders: {
        from: [opts.from ?? 'ann@example.org'],
        to: ['unsubscribe@papers.example.org'],
        ...(opts.subject !== undefined ? { subject: opts.subject } : {}),
      },
    },
    content: opts.encoding === 'BASE64' ? Buffer.from(raw).toString('base64') : raw,
  };
}

for (const target of storageTargets()) {
  describe(`SNS webhooks on ${target.name}`, () => {
    let h: Harness;
    let store: Store;
    const now = () => new Date().toISOString();
    const confirmed = async (email: string) => (await store.subscribers.upsert({ email, topics: [], confirmed: true }, now())).subscriber;
    const statusOf = async (id: number) => (await store.subscribers.getById(id))!.status;

    beforeAll(async () => {
      store = await openStore(target);
      h = await webhookServer(store);
    });
    afterAll(async () => {
      await h.server.close();
    });

    it('applies a signed bounce (SignatureVersion 1, text/plain as SNS sends it): the address is suppressed', async () => {
      const ann = await confirmed('ann@example.org');
      const res = await post(h, '/webhooks/ses', notification(sesBounce({ email: 'ann@example.org' }), {}, { version: '1' }));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'applied', kind: 'bounce', suppressed: ['ann@example.org'] });
      expect(await statusOf(ann.id)).toBe('suppressed');
      expect(await store.suppressions.get('ann@example.org')).toMatchObject({ reason: 'bounce' });
    });

    it('applies a signed complaint (SignatureVersion 2, sent as application/json): suppressed and unsubscribed', async () => {
      const bob = await confirmed('bob@example.org');
      const res = await post(h, '/webhooks/ses', notification(sesComplaint({ email: 'bob@example.org' })), 'application/json');
      expect(res.statusCode).toBe(200);
      expect(await statusOf(bob.id)).toBe('unsubscribed');
      expect(await store.suppressions.get('bob@example.org')).toMatchObject({ reason: 'complaint' });
    });

    it('applies a replayed message once: an address the operator took off the list stays off', async () => {
      const cid = await confirmed('cid@example.org');
      const message = notification(sesComplaint({ email: 'cid@example.org' }));
      expect((await post(h, '/webhooks/ses', message)).json()).toMatchObject({ status: 'applied', suppressed: ['cid@example.org'] });
      // the operator decides the complaint was a mistake
      await store.suppressions.remove('cid@example.org');
      await store.subscribers.setStatus(cid.id, 'confirmed', now());
      const again = await post(h, '/webhooks/ses', message);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ status: 'duplicate', messageId: message.MessageId });
      expect(await store.suppressions.get('cid@example.org')).toBeUndefined();
      expect(await statusOf(cid.id)).toBe('confirmed');
    });

    it('applies two copies of one message arriving at once exactly once', async () => {
      // a slow first certificate fetch holds all three copies until each has passed its checks
      const fresh = await webhookServer(store, [TOPIC], 100);
      const message = notification(sesBounce({ email: 'twin@example.org', bounceType: 'Transient' }));
      const answers = await Promise.all([post(fresh, '/webhooks/ses', message), post(fresh, '/webhooks/ses', message), post(fresh, '/webhooks/ses', message)]);
      await fresh.server.close();
      expect(fresh.certRequests).toHaveLength(1);
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
      expect(answers.map((a) => a.json().status).sort()).toEqual(['applied', 'duplicate', 'duplicate']);
    });

    it('refuses a tampered message with 400 and changes nothing', async () => {
      const dee = await confirmed('dee@example.org');
      const message = notification(sesBounce({ email: 'nobody@example.org' }));
      const tampered = { ...message, Message: message.Message!.replace('nobody@example.org', 'dee@example.org') };
      const res = await post(h, '/webhooks/ses', tampered);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatch(/signature does not match/);
      expect(await statusOf(dee.id)).toBe('confirmed');
      expect(await store.suppressions.get('dee@example.org')).toBeUndefined();
    });

    it('refuses certificates from a non-SNS host or over http, without fetching them', async () => {
      const eve = await confirmed('eve@example.org');
      const before = h.certRequests.length;
      for (const certUrl of [
        'https://attacker.example.com/SimpleNotificationService-1.pem',
        'http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem',
      ]) {
        const res = await post(h, '/webhooks/ses', notification(sesBounce({ email: 'eve@example.org' }), {}, { certUrl }));
        expect(res.statusCode, certUrl).toBe(400);
        expect(res.json().error).toMatch(/not a certificate on an SNS host/);
      }
      expect(h.certRequests.length).toBe(before);
      expect(await statusOf(eve.id)).toBe('confirmed');
    });

    it('refuses an unsigned message and one older than an hour with 400', async () => {
      const fay = await confirmed('fay@example.org');
      const { Signature: _s, ...unsigned } = notification(sesBounce({ email: 'fay@example.org' }));
      const res = await post(h, '/webhooks/ses', unsigned);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatch(/no Signature: unsigned messages are refused/);
      const old = await post(
        h,
        '/webhooks/ses',
        notification(sesBounce({ email: 'fay@example.org' }), { Timestamp: new Date(Date.now() - 2 * 3600_000).toISOString() }),
      );
      expect(old.statusCode).toBe(400);
      expect(old.json().error).toMatch(/possible replay/);
      expect((await post(h, '/webhooks/ses', 'this is not SNS')).statusCode).toBe(400);
      expect(await statusOf(fay.id)).toBe('confirmed');
    });

    it('refuses a topic that is not allowed with 403, and every topic when SNS_TOPIC_ARNS is unset, saying so in the log', async () => {
      const gus = await confirmed('gus@example.org');
      const other = await post(
        h,
        '/webhooks/ses',
        notification(sesBounce({ email: 'gus@example.org' }), { TopicArn: 'arn:aws:sns:eu-west-1:999999999999:someone-else' }),
      );
      expect(other.statusCode).toBe(403);
      expect(other.json().error).toMatch(/not in SNS_TOPIC_ARNS/);
      const closed = await webhookServer(store, []);
      expect(closed.logs.join('\n')).toMatch(/SNS_TOPIC_ARNS is not set: \/webhooks\/ses and \/webhooks\/inbound refuse every SNS topic/);
      const res = await post(closed, '/webhooks/ses', notification(sesBounce({ email: 'gus@example.org' })));
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toBe(`SNS_TOPIC_ARNS is not set, so every topic is refused: add ${TOPIC} to SNS_TOPIC_ARNS if it is yours`);
      await closed.server.close();
      expect(await statusOf(gus.id)).toBe('confirmed');
    });

    it('refuses a body over 256 KiB with 413 and changes nothing', async () => {
      const hal = await confirmed('hal@example.org');
      const big = notification(sesBounce({ email: 'hal@example.org', diagnostic: `smtp; 550 ${'x'.repeat(300 * 1024)}` }));
      const res = await post(h, '/webhooks/ses', big);
      expect(res.statusCode).toBe(413);
      expect(await statusOf(hal.id)).toBe('confirmed');
    });

    it('confirms a subscription only through an SNS host over HTTPS', async () => {
      const good = 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=t1';
      const ok = await post(
        h,
        '/webhooks/ses',
        signSns(identity, { Type: 'SubscriptionConfirmation', Message: 'You have chosen to subscribe', SubscribeURL: good, Token: 't1' }),
      );
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ status: 'subscribed', topic: TOPIC });
      expect(h.confirmations).toEqual([good]);
      for (const bad of ['https://attacker.example.com/?Action=ConfirmSubscription', 'http://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription']) {
        const res = await post(
          h,
          '/webhooks/ses',
          signSns(identity, { Type: 'SubscriptionConfirmation', Message: 'subscribe', SubscribeURL: bad, Token: 't2' }),
        );
        expect(res.statusCode, bad).toBe(400);
        expect(res.json().error).toMatch(/is not an SNS host/);
      }
      expect(h.confirmations).toEqual([good]);
    });

    it('unsubscribes the reader whose token is in the subject of a mail to the List-Unsubscribe mailto:', async () => {
      const ivy = await confirmed('ivy@example.org');
      const token = signToken(SECRET, ivy.id, 'unsubscribe');
      const res = await post(h, '/webhooks/inbound', notification(receivedMail({ subject: `unsubscribe ${token}`, from: 'Ivy <ivy.alias@example.net>' })));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ unsubscribed: true, subscriberId: ivy.id });
      expect(await statusOf(ivy.id)).toBe('unsubscribed');
    });

    it('reads the token from the raw message too: base64 content, RFC 2047 encoded subject', async () => {
      const jon = await confirmed('jon@example.org');
      const subject = `=?UTF-8?B?${Buffer.from(`Re: unsubscribe ${signToken(SECRET, jon.id, 'unsubscribe')}`).toString('base64')}?=`;
      const res = await post(h, '/webhooks/inbound', notification(receivedMail({ rawSubject: subject, encoding: 'BASE64' })));
      expect(res.statusCode).toBe(200);
      expect(await statusOf(jon.id)).toBe('unsubscribed');
    });

    it('changes nothing for a forged token, a token of another purpose, or an unsigned inbound message', async () => {
      const kim = await confirmed('kim@example.org');
      const good = signToken(SECRET, kim.id, 'unsubscribe');
      const forged = signToken('someone-elses-secret-key', kim.id, 'unsubscribe');
      for (const subject of [
        `unsubscribe ${forged}`,
        `unsubscribe ${signToken(SECRET, kim.id, 'preferences')}`,
        `unsubscribe ${good.slice(0, -1)}x`,
        'unsubscribe',
      ]) {
        const res = await post(h, '/webhooks/inbound', notification(receivedMail({ subject })));
        expect(res.statusCode, subject).toBe(200);
        expect(res.json()).toMatchObject({ unsubscribed: false, reason: 'no valid unsubscribe token in the subject' });
      }
      const { Signature: _s, ...unsigned } = notification(receivedMail({ subject: `unsubscribe ${good}` }));
      expect((await post(h, '/webhooks/inbound', unsigned)).statusCode).toBe(400);
      expect(await statusOf(kim.id)).toBe('confirmed');
    });
  });
}

describe.each(storageTargets())('every unsubscribe on $name', (target) => {
  it('leaves a reader the same whether they left by the mailto:, the web page or a complaint: a pending re-subscription is void in all three', async () => {
    const { app, server } = await webApp({ databaseUrl: await target.databaseUrl() });
    const h = await webhookServer(app.store, [TOPIC], 0, app.secretKey);
    try {
      const now = () => new Date().toISOString();
      const readers = [];
      for (const email of ['web@example.org', 'mailto@example.org', 'complaint@example.org']) {
        const reader = (await app.store.subscribers.upsert({ email, topics: ['theory'], confirmed: true }, now())).subscriber;
        // they asked to change their subscription and have not opened the confirmation yet
        expect(
          (await app.store.subscribers.requestSubscription(email, { topics: ['language-models'], frequency: 'weekly', timezone: 'Europe/Berlin' }, now()))
            .nonce,
        ).toBeDefined();
        readers.push(reader);
      }
      const [web, mailto, complainer] = readers as [(typeof readers)[0], (typeof readers)[0], (typeof readers)[0]];
      const token = (id: number) => signToken(app.secretKey, id, 'unsubscribe');
      expect(
        (await server.inject({ method: 'POST', url: `/unsubscribe?token=${token(web.id)}`, ...urlencoded([['List-Unsubscribe', 'One-Click']]) })).statusCode,
      ).toBe(200);
      expect((await post(h, '/webhooks/inbound', notification(receivedMail({ subject: `unsubscribe ${token(mailto.id)}` })))).json()).toMatchObject({
        unsubscribed: true,
        subscriberId: mailto.id,
      });
      expect((await post(h, '/webhooks/ses', notification(sesComplaint({ email: complainer.email })))).json()).toMatchObject({
        status: 'applied',
        kind: 'complaint',
      });
      const row = async (id: number) => {
        const {
          id: _id,
          email: _email,
          created_at: _c,
          updated_at: _u,
          confirmed_at: _f,
          ...rest
        } = await kyselyOf(app.store).selectFrom('subscribers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        return rest;
      };
      const left = await row(web.id);
      expect(left).toMatchObject({ status: 'unsubscribed', pending_request: null, topics: 'theory' });
      expect(await row(mailto.id)).toEqual(left);
      expect(await row(complainer.id)).toEqual(left);
    } finally {
      await h.server.close();
      await server.close();
    }
  });
});

describe('the web service', () => {
  it('refuses an SNS_TOPIC_ARNS that is not a list of topic ARNs, naming it', () => {
    expect(() => loadEnvironment({ SNS_TOPIC_ARNS: `${TOPIC},paperboy-ses-feedback` }, '/tmp')).toThrow(
      /SNS_TOPIC_ARNS: expected comma-separated topic ARNs such as arn:aws:sns:/,
    );
    expect(loadEnvironment({}, '/tmp').snsTopicArns).toEqual([]);
  });

  it('serves the webhooks with the topic allow-list of SNS_TOPIC_ARNS', async () => {
    const app = await testApp({ env: { SNS_TOPIC_ARNS: `${TOPIC}, arn:aws:sns:us-east-1:123456789012:inbound` } });
    expect(app.env.snsTopicArns).toEqual([TOPIC, 'arn:aws:sns:us-east-1:123456789012:inbound']);
    const server = await buildServer(app);
    try {
      const wrongTopic = notification(sesBounce({ email: 'x@example.org' }), { TopicArn: 'arn:aws:sns:eu-west-1:999999999999:other' });
      const res = await server.inject({
        method: 'POST',
        url: '/webhooks/ses',
        headers: { 'content-type': 'text/plain; charset=UTF-8' },
        payload: JSON.stringify(wrongTopic),
      });
      expect(res.statusCode).toBe(403);
      const httpCert = notification(sesBounce({ email: 'x@example.org' }), {}, { certUrl: 'http://sns.eu-west-1.amazonaws.com/c.pem' });
      const inbound = await server.inject({
        method: 'POST',
        url: '/webhooks/inbound',
        headers: { 'content-type': 'text/plain; charset=UTF-8' },
        payload: JSON.stringify(httpCert),
      });
      expect(inbound.statusCode).toBe(400);
      // the rest of the service keeps its own form parser
      expect((await server.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await server.close();
    }
  });
});
