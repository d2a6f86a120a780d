/** SES bounces, complaints and deliveries applied to the store, and the reputation guard, on SQLite and PostgreSQL. */
import { describe, expect, it } from 'vitest';
import { emptyEdition } from '../render/fixtures.ts';
import type { Store } from '../../src/db/store.ts';
import { applySesEvent, suppressAddress } from '../../src/send/feedback.ts';
import { openStore, storageTargets } from '../harness/index.ts';
import { sesBounce, sesComplaint, sesDelivery } from '../harness/sns.ts';
import { kyselyOf } from '../../src/db/store.ts';

const NOW = '2026-11-26T07:10:00.000Z';
const DATE = '2026-11-26';

/** An edition with `sent` deliveries, sent to subscribers 1..sent with Message-IDs <DATE.N@papers.example.org> and SES ids ses-N. */
async function sentEdition(store: Store, sent: number, date = DATE): Promise<void> {
  await store.editions.insertFrozen({ id: date, kind: 'daily', date, content: emptyEdition(date) }, NOW);
  await store.deliveries.insertPending(
    Array.from({ length: sent }, (_, i) => ({ editionId: date, subscriberId: i + 1, variantKey: 'all', messageId: `<${date}.${i + 1}@papers.example.org>` })),
    NOW,
  );
  for (let i = 1; i <= sent; i++) {
    // the send path records SES's id as provider_id when it marks a delivery sent
    if (i <= 3) await store.deliveries.transition(date, i, ['pending'], 'sent', NOW, { providerId: `ses-${i}` });
  }
  await kyselyOf(store)
    .updateTable('deliveries')
    .set({ status: 'sent', sent_at: NOW })
    .where('edition_id', '=', date)
    .where('status', '=', 'pending')
    .execute();
}

async function subscriber(store: Store, email: string) {
  return (await store.subscribers.upsert({ email, topics: [], confirmed: true }, NOW)).subscriber;
}

for (const target of storageTargets()) {
  describe(`SES feedback on ${target.name}`, () => {
    it('suppresses the address of a permanent bounce, stops its mail, and counts it on its edition by our Message-ID', async () => {
      const store = await openStore(target);
      await sentEdition(store, 10);
      const ann = await subscriber(store, 'ann@example.org');
      const outcome = await applySesEvent(store, sesBounce({ email: 'Ann@Example.org', messageId: `<${DATE}.2@papers.example.org>` }), NOW);
      expect(outcome).toMatchObject({ kind: 'bounce', recipients: ['ann@example.org'], suppressed: ['ann@example.org'], editionId: DATE });
      expect(await store.suppressions.get('ann@example.org')).toMatchObject({ reason: 'bounce', detail: 'Permanent/General: smtp; 550 5.1.1 user unknown' });
      expect((await store.subscribers.getById(ann.id))!.status).toBe('suppressed');
      expect(await store.feedback.editionCounts(DATE)).toMatchObject({ bounced: 1, softBounced: 0, complained: 0, delivered: 0 });
      // SES may report the Message-ID without its angle brackets
      await applySesEvent(store, sesBounce({ email: 'bob@example.org', messageId: `${DATE}.3@papers.example.org` }), NOW);
      expect((await store.feedback.editionCounts(DATE)).bounced).toBe(2);
    });

    it('only counts a transient bounce: the address keeps getting mail', async () => {
      const store = await openStore(target);
      await sentEdition(store, 10);
      const cid = await subscriber(store, 'cid@example.org');
      const outcome = await applySesEvent(store, sesBounce({ email: 'cid@example.org', bounceType: 'Transient', providerId: 'ses-1' }), NOW);
      expect(outcome).toMatchObject({ kind: 'soft-bounce', suppressed: [], editionId: DATE });
      expect(await store.suppressions.get('cid@example.org')).toBeUndefined();
      expect((await store.subscribers.getById(cid.id))!.status).toBe('confirmed');
      expect(await store.feedback.editionCounts(DATE)).toMatchObject({ bounced: 0, softBounced: 1 });
    });

    it('suppresses and unsubscribes a complainer (configuration-set event format, found by SES message id)', async () => {
      const store = await openStore(target);
      await sentEdition(store, 10);
      const dee = await subscriber(store, 'dee@example.org');
      const outcome = await applySesEvent(store, sesComplaint({ email: 'dee@example.org', providerId: 'ses-2' }), NOW);
      expect(outcome).toMatchObject({ kind: 'complaint', suppressed: ['dee@example.org'], editionId: DATE });
      expect(await store.suppressions.get('dee@example.org')).toMatchObject({ reason: 'complaint', detail: 'abuse' });
      expect((await store.subscribers.getById(dee.id))!.status).toBe('unsubscribed');
      expect((await store.feedback.editionCounts(DATE)).complained).toBe(1);
    });

    it('counts deliveries once each, and ignores not-spam reports and other event types', async () => {
      const store = await openStore(target);
      await sentEdition(store, 10);
      for (let i = 0; i < 2; i++)
        expect((await applySesEvent(store, sesDelivery({ email: 'eve@example.org', providerId: 'ses-3' }), NOW)).kind).toBe('delivery');
      await applySesEvent(store, sesDelivery({ email: 'fay@example.org', messageId: `<${DATE}.7@papers.example.org>` }), NOW);
      expect((await store.feedback.editionCounts(DATE)).delivered).toBe(2);
      const gus = await subscriber(store, 'gus@example.org');
      expect(await applySesEvent(store, sesComplaint({ email: 'gus@example.org', feedbackType: 'not-spam' }), NOW)).toMatchObject({ kind: 'ignored' });
      expect(await applySesEvent(store, { eventType: 'Open', mail: {} }, NOW)).toMatchObject({
        kind: 'ignored',
        note: 'Open events do not change a subscriber',
      });
      expect(await applySesEvent(store, { notificationType: 'AmazonSnsSubscriptionSucceeded', message: 'ok' }, NOW)).toMatchObject({ kind: 'ignored' });
      expect((await store.subscribers.getById(gus.id))!.status).toBe('confirmed');
      expect(await store.suppressions.get('gus@example.org')).toBeUndefined();
    });

    it('suppresses a bounce on a message that was not an edition (a confirmation email) without counting it anywhere', async () => {
      const store = await openStore(target);
      const hal = (await store.subscribers.upsert({ email: 'hal@example.org', topics: [], confirmed: false }, NOW)).subscriber;
      const outcome = await applySesEvent(store, sesBounce({ email: 'hal@example.org', messageId: '<confirm.1@papers.example.org>' }), NOW);
      expect(outcome.editionId).toBeUndefined();
      expect(outcome.suppressed).toEqual(['hal@example.org']);
      expect((await store.subscribers.getById(hal.id))!.status).toBe('suppressed');
    });

    it('pauses an edition once its bounce rate passes 5 % of at least 100 sent, with the reason and the way back', async () => {
      const store = await openStore(target);
      await sentEdition(store, 100);
      for (let i = 1; i <= 5; i++) {
        expect(
          (await applySesEvent(store, sesBounce({ email: `gone${i}@example.org`, messageId: `<${DATE}.${i}@papers.example.org>` }), NOW)).paused,
        ).toBeUndefined();
      }
      // the same bounce again does not count twice
      await applySesEvent(store, sesBounce({ email: 'gone5@example.org', messageId: `<${DATE}.5@papers.example.org>` }), NOW);
      expect((await store.editions.get(DATE))!.paused).toBeUndefined();
      const sixth = await applySesEvent(store, sesBounce({ email: 'gone6@example.org', messageId: `<${DATE}.6@papers.example.org>` }), NOW);
      const reason = 'bounce rate 6 % (6 of 100) passed 5 %: check the list, then `paperboy edition resume --date 2026-11-26`';
      expect(sixth.paused).toBe(reason);
      expect((await store.editions.get(DATE))!.paused).toEqual({ at: NOW, reason });
      // after the operator resumes, the guard leaves the edition alone: the operator has decided
      await store.editions.resume(DATE, NOW);
      expect((await applySesEvent(store, sesBounce({ email: 'gone7@example.org', messageId: `<${DATE}.7@papers.example.org>` }), NOW)).paused).toBeUndefined();
      expect((await store.editions.get(DATE))!.paused).toBeUndefined();
    });

    it('does not judge an edition on fewer than 100 sent messages', async () => {
      const store = await openStore(target);
      await sentEdition(store, 40);
      for (let i = 1; i <= 10; i++) await applySesEvent(store, sesBounce({ email: `x${i}@example.org`, messageId: `<${DATE}.${i}@papers.example.org>` }), NOW);
      expect((await store.feedback.editionCounts(DATE)).bounced).toBe(10);
      expect((await store.editions.get(DATE))!.paused).toBeUndefined();
    });

    it('pauses an edition once its complaint rate passes 0.1 % of at least 1,000 sent', async () => {
      const store = await openStore(target);
      await sentEdition(store, 1000);
      expect((await applySesEvent(store, sesComplaint({ email: 'c1@example.org', messageId: `<${DATE}.10@papers.example.org>` }), NOW)).paused).toBeUndefined();
      const second = await applySesEvent(store, sesComplaint({ email: 'c2@example.org', messageId: `<${DATE}.20@papers.example.org>` }), NOW);
      expect(second.paused).toBe('complaint rate 0.2 % (2 of 1000) passed 0.1 %: check the list, then `paperboy edition resume --date 2026-11-26`');
      expect((await store.editions.get(DATE))!.paused?.reason).toMatch(/^complaint rate 0.2 %/);
    });

    it('suppressing by hand stops a confirmed subscriber and keeps an unsubscribed one unsubscribed', async () => {
      const store = await openStore(target);
      const ivy = await subscriber(store, 'ivy@example.org');
      const jon = await subscriber(store, 'jon@example.org');
      await store.subscribers.setStatus(jon.id, 'unsubscribed', NOW);
      expect(await suppressAddress(store, 'IVY@example.org', 'manual', 'asked by phone', NOW)).toBe(true);
      expect(await suppressAddress(store, 'ivy@example.org', 'manual', undefined, NOW)).toBe(false);
      await suppressAddress(store, 'jon@example.org', 'manual', undefined, NOW);
      expect((await store.subscribers.getById(ivy.id))!.status).toBe('suppressed');
      expect((await store.subscribers.getById(jon.id))!.status).toBe('unsubscribed');
    });

    it('remembers handled SNS messages until they are too old to be accepted anyway', async () => {
      const store = await openStore(target);
      expect(await store.feedback.recordSnsMessage('m-old', 'arn:t', 'Notification', '2026-11-26T04:00:00.000Z')).toBe(true);
      expect(await store.feedback.recordSnsMessage('m-new', 'arn:t', 'Notification', '2026-11-26T06:30:00.000Z')).toBe(true);
      expect(await store.feedback.recordSnsMessage('m-new', 'arn:t', 'Notification', '2026-11-26T06:31:00.000Z')).toBe(false);
      expect(await store.feedback.pruneSnsMessages('2026-11-26T05:00:00.000Z')).toBe(1);
      expect(await store.feedback.snsMessageSeen('m-old')).toBe(false);
      expect(await store.feedback.snsMessageSeen('m-new')).toBe(true);
    });

    it('lists the suppression list in address order across pages', async () => {
      const store = await openStore(target);
      for (const email of ['cy@example.org', 'ab@example.org', 'bo@example.org', 'da@example.org', 'al@example.org'])
        await store.suppressions.add(email, 'manual', undefined, NOW);
      const seen: string[] = [];
      for await (const s of store.suppressions.iterate(2)) seen.push(s.email);
      expect(seen).toEqual(['ab@example.org', 'al@example.org', 'bo@example.org', 'cy@example.org', 'da@example.org']);
    });
  });
}
