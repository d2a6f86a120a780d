/** sendBatch: each delivery claimed by one sender; removed and unsubscribed people get nothing. */
import { describe, expect, it } from 'vitest';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { arxivObservation } from '../harness/papers.ts';
import { EditionBuilder } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { fanOutEdition } from '../../src/send/fanout.ts';
import { sendBatch } from '../../src/send/processor.ts';
import { PermanentSendError, type Envelope, type Messenger, type SendResult } from '../../src/mail/messenger.ts';
import { shippedConfig, testApp } from '../harness/index.ts';

/** A transport where a second send is a second email (like SES), counting what it is given. */
class CountingMessenger implements Messenger {
  readonly name = 'counting';
  readonly metered = false;
  readonly idempotent = false;
  readonly sent = new Map<string, number>();
  constructor(private readonly failFor = new Set<string>()) {}
  async send(_raw: Buffer, envelope: Envelope): Promise<SendResult> {
    await new Promise((r) => setTimeout(r, 2));
    if (this.failFor.has(envelope.to)) throw new PermanentSendError(`550 mailbox ${envelope.to} does not exist`, true);
    this.sent.set(envelope.to, (this.sent.get(envelope.to) ?? 0) + 1);
    return { providerId: `id-${envelope.subscriberId}` };
  }
  async close(): Promise<void> {}
}

const paper = arxivObservation('2611.70001', {
  title: 'Speculative Decoding With Small Draft Models',
  abstract: 'We speed up inference of large language models with speculative decoding and a KV cache.',
});

async function edition(emails: string[], opts: { fanOut?: boolean } = {}) {
  const app = await testApp({ config: { ...shippedConfig(), sources: [] } });
  const now = new Date().toISOString();
  for (const email of emails) await app.store.subscribers.upsert({ email, topics: [], confirmed: true }, now);
  await storeObservations(app.store, [paper], now);
  await new Ranker(app.store, app.config).rank(paper.keys.arxivId!, new Date('2026-11-26T02:00:00Z'));
  await new EditionBuilder(app.store, app.config).build('daily', '2026-11-26');
  if (opts.fanOut !== false) await fanOutEdition(app, '2026-11-26');
  return app;
}

describe('sendBatch', () => {
  it('sends each message once even when the same batch runs twice at once (a stalled job redelivered)', async () => {
    const emails = Array.from({ length: 20 }, (_, i) => `r${i}@example.org`);
    const app = await edition(emails);
    const messenger = new CountingMessenger();
    const job = { editionId: '2026-11-26', fromId: 0, toId: 1_000_000, lastAttempt: false };
    const [a, b] = await Promise.all([sendBatch(app, messenger, job), sendBatch(app, messenger, job)]);
    expect(a.sent + b.sent).toBe(20);
    expect([...messenger.sent.values()].every((n) => n === 1)).toBe(true);
    expect(messenger.sent.size).toBe(20);
    expect((await app.store.editions.get('2026-11-26'))!.status).toBe('sent');
  });

  it('keeps its job while another run holds deliveries of its range, and takes them over once told an earlier run of the job lost it', async () => {
    const emails = Array.from({ length: 6 }, (_, i) => `h${i}@example.org`);
    const app = await edition(emails);
    const ids = (await app.store.deliveries.openSubscriberIds('2026-11-26', 0, 100)).slice(0, 2);
    // another run (alive as far as anyone knows) claimed two of them a moment ago
    expect(await app.store.deliveries.claimPage('2026-11-26', ids, new Date().toISOString(), new Date().toISOString(), true)).toEqual(ids);
    const job = { editionId: '2026-11-26', fromId: 0, toId: 1_000_000, lastAttempt: false };
    const messenger = new CountingMessenger();
    const first = await sendBatch(app, messenger, job);
    // the others went out; the job is not done while two deliveries of its range are open
    expect(first.sent).toBe(4);
    expect(first.deferUntil).toBeGreaterThan(Date.now());
    expect(await app.store.deliveries.countByStatus('2026-11-26')).toMatchObject({ sent: 4, sending: 2 });

    // the run that held them lost the job (it failed, or stalled past its lock): they are this run's now
    const retaken = await sendBatch(app, messenger, { ...job, takeOver: true });
    expect(retaken).toEqual({ sent: 2, failed: 0, skipped: 0 });
    expect(messenger.sent.size).toBe(6);
    expect(await app.store.deliveries.possiblySentTwice('2026-11-26')).toBe(2);
    expect((await app.store.editions.get('2026-11-26'))!.status).toBe('sent');
  });

  it('records a permanent rejection, suppresses the address, and goes on with the others', async () => {
    const app = await edition(['ok@example.org', 'bad@example.org', 'fine@example.org']);
    const messenger = new CountingMessenger(new Set(['bad@example.org']));
    const out = await sendBatch(app, messenger, { editionId: '2026-11-26', fromId: 0, toId: 1_000_000, lastAttempt: false });
    expect(out).toEqual({ sent: 2, failed: 1, skipped: 0 });
    expect((await app.store.subscribers.getByEmail('bad@example.org'))!.status).toBe('suppressed');
    expect(await app.store.deliveries.failures('2026-11-26')).toEqual([{ email: 'bad@example.org', error: '550 mailbox bad@example.org does not exist' }]);
  });

  it('skips people who unsubscribed or were removed after the fan-out, and the edition still completes', async () => {
    const app = await edition(['stays@example.org', 'leaves@example.org', 'deleted@example.org']);
    const leaves = (await app.store.subscribers.getByEmail('leaves@example.org'))!;
    await app.store.subscribers.setStatus(leaves.id, 'unsubscribed', new Date().toISOString());
    await app.store.subscribers.remove('deleted@example.org');
    const messenger = new CountingMessenger();
    const out = await sendBatch(app, messenger, { editionId: '2026-11-26', fromId: 0, toId: 1_000_000, lastAttempt: false });
    expect(out).toEqual({ sent: 1, failed: 0, skipped: 2 });
    expect([...messenger.sent.keys()]).toEqual(['stays@example.org']);
    expect((await app.store.editions.get('2026-11-26'))!.status).toBe('sent');
  });

  it('renders nothing and queues nobody for an edition cancelled before its render job ran', async () => {
    const app = await edition(['a@example.org', 'b@example.org'], { fanOut: false });
    expect(await app.store.editions.cancel('2026-11-26', new Date().toISOString())).toBe(true);
    const outcome = await fanOutEdition(app, '2026-11-26');
    expect(outcome).toMatchObject({ status: 'cancelled', variants: 0, recipients: 0, batches: 0 });
    expect(await app.store.deliveries.countByStatus('2026-11-26')).toEqual({ pending: 0, sending: 0, sent: 0, failed: 0, skipped: 0 });
    expect(await app.queues.openJobs('send')).toBe(0);
    // settled: nothing is left for status or a resume to wait on
    expect((await app.store.editions.get('2026-11-26'))!).toMatchObject({ status: 'sent', fanoutDone: true, cancelledAt: expect.any(String) });
  });
});
