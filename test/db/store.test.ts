/** The named queries, on SQLite and on PostgreSQL: same schema, same answers. */
import { describe, expect, it } from 'vitest';
import { emptyEdition } from '../render/fixtures.ts';
import { mergeObservation } from '../../src/ingest/merge.ts';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import type { PaperObservation } from '../../src/domain/paper.ts';
import { openStore, storageTargets } from '../harness/index.ts';

const NOW = '2026-11-26T06:00:00.000Z';

function obs(over: Partial<PaperObservation> & { id?: string; source?: string; kind?: PaperObservation['signal']['kind'] } = {}): PaperObservation {
  const id = over.id ?? '2611.00001';
  return {
    keys: over.keys ?? { arxivId: id },
    title: over.title ?? `Paper ${id}`,
    abstract: over.abstract ?? 'An abstract.',
    authors: over.authors ?? ['A. Author'],
    categories: over.categories ?? ['cs.LG'],
    links: over.links ?? { abstract: `https://arxiv.org/abs/${id}` },
    announcedAt: over.announcedAt ?? '2026-11-26T01:00:00.000Z',
    signal: over.signal ?? { source: over.source ?? 'arxiv', kind: over.kind ?? 'arxiv-rss', observedAt: NOW, announceType: 'new' },
  } as PaperObservation;
}

for (const target of storageTargets()) {
  describe(`store on ${target.name}`, () => {
    it('migrates a fresh database and stores, finds and lists papers', async () => {
      const store = await openStore(target);
      const out = await storeObservations(store, [obs({ id: '2611.00001' }), obs({ id: '2611.00002' })], NOW);
      expect(out.counts).toEqual({ new: 2, updated: 0, unchanged: 0, skipped: 0 });
      expect(out.changedIds.sort()).toEqual(['2611.00001', '2611.00002']);
      const p = await store.papers.get('2611.00001');
      expect(p).toMatchObject({ id: '2611.00001', title: 'Paper 2611.00001', authors: ['A. Author'], sources: ['arxiv'] });
      expect(await store.papers.count()).toBe(2);
    });

    it('changes nothing and reports unchanged when the same feed is stored again', async () => {
      const store = await openStore(target);
      await storeObservations(store, [obs()], NOW);
      const before = await store.papers.get('2611.00001');
      const again = await storeObservations(
        store,
        [{ ...obs(), signal: { ...obs().signal, observedAt: '2026-11-26T07:00:00.000Z' } }],
        '2026-11-26T07:00:00.000Z',
      );
      expect(await store.papers.unrankedIds(10)).toEqual(['2611.00001']);
      expect(again.counts).toEqual({ new: 0, updated: 0, unchanged: 1, skipped: 0 });
      expect(again.changedIds).toEqual([]);
      expect(await store.papers.get('2611.00001')).toEqual(before);
    });

    it('merges the same paper seen by arXiv, HF and a blog (by arXiv id and URL) into one', async () => {
      const store = await openStore(target);
      await storeObservations(store, [obs({ id: '2611.00003' })], NOW);
      const hf = obs({
        id: '2611.00003',
        source: 'hf',
        kind: 'hf-daily',
        title: 'paper 2611.00003.',
        links: { hf: 'https://huggingface.co/papers/2611.00003', code: 'https://github.com/x/y' },
      });
      hf.signal = { source: 'hf', kind: 'hf-daily', observedAt: NOW, upvotes: 12, comments: 3 };
      const blog = obs({
        keys: { url: 'https://arxiv.org/abs/2611.00003?utm_source=rss', arxivId: 'https://arxiv.org/abs/2611.00003' },
        title: 'Our new paper',
        source: 'blog',
        kind: 'rss',
      });
      blog.signal = { source: 'blog', kind: 'rss', observedAt: NOW };
      const out = await storeObservations(store, [hf, blog], NOW);
      expect(out.counts).toMatchObject({ new: 0, updated: 1 });
      const p = (await store.papers.get('2611.00003'))!;
      expect(p.sources).toEqual(['arxiv', 'blog', 'hf']);
      expect(p.title).toBe('Paper 2611.00003');
      expect(p.links).toMatchObject({
        abstract: 'https://arxiv.org/abs/2611.00003',
        hf: 'https://huggingface.co/papers/2611.00003',
        code: 'https://github.com/x/y',
      });
      expect(p.signals.hf?.upvotes).toBe(12);
      expect(await store.papers.count()).toBe(1);
    });

    it('never lets a replace announcement make a paper new again', async () => {
      const store = await openStore(target);
      await storeObservations(store, [obs({ id: '2611.00004' })], NOW);
      const replaced = obs({ id: '2611.00004', title: 'Paper 2611.00004 (v2)', announcedAt: '2026-12-01T01:00:00.000Z' });
      replaced.signal = { source: 'arxiv', kind: 'arxiv-rss', observedAt: NOW, announceType: 'replace' };
      await storeObservations(store, [replaced], NOW);
      const p = (await store.papers.get('2611.00004'))!;
      expect(p.title).toBe('Paper 2611.00004 (v2)');
      expect(p.announceType).toBe('new');
      expect(p.announcedAt).toBe('2026-11-26T01:00:00.000Z');
    });

    it('refuses a lost update: a write based on an old version of a paper is reported as a conflict', async () => {
      const store = await openStore(target);
      await storeObservations(store, [obs({ id: '2611.00005' })], NOW);
      const stored = (await store.papers.get('2611.00005'))!;
      const a = mergeObservation(stored, obs({ id: '2611.00005', abstract: 'first writer' }), stored.id, NOW);
      const b = mergeObservation(stored, obs({ id: '2611.00005', abstract: 'second writer' }), stored.id, NOW);
      expect(await store.papers.saveMany([{ paper: a, isNew: false, baseHash: stored.contentHash, newAliases: [] }])).toEqual([]);
      expect(await store.papers.saveMany([{ paper: b, isNew: false, baseHash: stored.contentHash, newAliases: [] }])).toEqual(['2611.00005']);
      expect((await store.papers.get('2611.00005'))!.abstract).toBe('first writer');
    });

    it('merges concurrent ingests of the same paper without losing either source', async () => {
      const store = await openStore(target);
      const hf = obs({ id: '2611.00006', source: 'hf', kind: 'hf-daily' });
      hf.signal = { source: 'hf', kind: 'hf-daily', observedAt: NOW, upvotes: 5 };
      await Promise.all([storeObservations(store, [obs({ id: '2611.00006' })], NOW), storeObservations(store, [hf], NOW)]);
      const p = (await store.papers.get('2611.00006'))!;
      expect(p.sources).toEqual(['arxiv', 'hf']);
    });

    it('keeps subscribers unique by address, case-insensitively, and pages them by id', async () => {
      const store = await openStore(target);
      const a = await store.subscribers.upsert({ email: 'Ada@Example.org', topics: ['theory', 'applications'], confirmed: true }, NOW);
      expect(a.created).toBe(true);
      expect(a.subscriber).toMatchObject({ email: 'ada@example.org', status: 'confirmed', topics: ['applications', 'theory'] });
      const again = await store.subscribers.upsert({ email: 'ada@example.org', topics: ['theory'], confirmed: false }, NOW);
      expect(again.created).toBe(false);
      expect(again.subscriber.status).toBe('confirmed');
      for (let i = 0; i < 5; i++) await store.subscribers.upsert({ email: `s${i}@example.org`, topics: i % 2 ? ['theory'] : [], confirmed: i !== 4 }, NOW);
      expect(await store.subscribers.distinctChoices('daily', '2026-11-26')).toEqual([
        { topics: [], sectionOrder: [] },
        { topics: ['theory'], sectionOrder: [] },
      ]);
      const page1 = await store.subscribers.confirmedPage('daily', '2026-11-26', 0, 3);
      const page2 = await store.subscribers.confirmedPage('daily', '2026-11-26', page1[2]!.id, 3);
      expect(page1).toHaveLength(3);
      expect(page2).toHaveLength(2); // ada and s0–s3 are confirmed, s4 is pending
      expect(page2[0]!.id).toBeGreaterThan(page1[2]!.id);
      // a reader paused until the 28th is not a reader of the 26th's edition, even when it goes
      // out later (a paused or re-sent edition): the wall clock's UTC day decided before
      const away = (await store.subscribers.upsert({ email: 'away@example.org', topics: ['alignment-safety'], confirmed: true }, NOW)).subscriber;
      await store.subscribers.setPreferences(away.id, { ...away, pausedUntil: '2026-11-28' }, NOW);
      expect((await store.subscribers.distinctChoices('daily', '2026-11-26')).map((c) => c.topics)).not.toContainEqual(['alignment-safety']);
      expect((await store.subscribers.distinctChoices('daily', '2026-11-28')).map((c) => c.topics)).toContainEqual(['alignment-safety']);
      expect(await store.subscribers.countReadersAfter('daily', '2026-11-26', 0)).toBe(5);
      expect(await store.subscribers.countReadersAfter('daily', '2026-11-28', 0)).toBe(6);
      const all = [];
      for await (const s of store.subscribers.iterate(2)) all.push(s.email);
      expect(all).toHaveLength(7);
      expect(await store.subscribers.remove('S0@example.org')).toBe(true);
      expect(await store.subscribers.getByEmail('s0@example.org')).toBeUndefined();
    });

    it('never re-subscribes someone who left, and keeps known topics when none are given', async () => {
      const store = await openStore(target);
      const s = (await store.subscribers.upsert({ email: 'left@example.org', topics: ['theory'], confirmed: true }, NOW)).subscriber;
      await store.subscribers.setStatus(s.id, 'unsubscribed', NOW);
      const again = await store.subscribers.upsert({ email: 'left@example.org', confirmed: true }, NOW);
      expect(again.subscriber).toMatchObject({ status: 'unsubscribed', topics: ['theory'] });
      await store.subscribers.setStatus(s.id, 'suppressed', NOW);
      expect((await store.subscribers.upsert({ email: 'left@example.org', topics: [], confirmed: true }, NOW)).subscriber.status).toBe('suppressed');
      const pending = await store.subscribers.upsert({ email: 'new@example.org', confirmed: false }, NOW);
      expect(pending.subscriber).toMatchObject({ status: 'pending', topics: [] });
      expect((await store.subscribers.upsert({ email: 'new@example.org', confirmed: true }, NOW)).subscriber.status).toBe('confirmed');
    });

    it('closes the delivery of a subscriber removed after the fan-out, so the edition completes', async () => {
      const store = await openStore(target);
      await store.editions.insertFrozen({ id: '2026-11-27', kind: 'daily', date: '2026-11-27', content: emptyEdition('2026-11-27') }, NOW);
      const s = (await store.subscribers.upsert({ email: 'gone@example.org', topics: [], confirmed: true }, NOW)).subscriber;
      await store.deliveries.insertPending([{ editionId: '2026-11-27', subscriberId: s.id, variantKey: 'v', messageId: '<m@x>' }], NOW);
      await store.subscribers.remove('gone@example.org');
      const open = await store.deliveries.openInRange('2026-11-27', 0, 1_000_000, NOW);
      expect(open).toEqual([expect.objectContaining({ subscriberId: s.id, subscriberStatus: 'removed' })]);
    });

    it('lets a sender claim a delivery once; a half-sent one only after its claim went stale', async () => {
      const store = await openStore(target);
      const s = (await store.subscribers.upsert({ email: 'c@example.org', topics: [], confirmed: true }, NOW)).subscriber;
      await store.deliveries.insertPending([{ editionId: 'e', subscriberId: s.id, variantKey: 'v', messageId: '<m@x>' }], NOW);
      expect(await store.deliveries.claim('e', s.id, '2026-11-26T06:00:00.000Z', '2026-11-26T06:00:00.000Z')).toBe(true);
      // a second sender while the first may still be sending: refused
      expect(await store.deliveries.claim('e', s.id, '2026-11-26T06:01:00.000Z', '2026-11-26T05:46:00.000Z')).toBe(false);
      // once the claim is older than the timeout, the delivery is taken over
      expect(await store.deliveries.claim('e', s.id, '2026-11-26T06:20:00.000Z', '2026-11-26T06:05:00.000Z')).toBe(true);
    });

    it('freezes an edition once, tracks deliveries through their states and closes the edition when all settle', async () => {
      const store = await openStore(target);
      expect(
        await store.editions.insertFrozen(
          { id: '2026-11-26', kind: 'daily', date: '2026-11-26', content: { ...emptyEdition('2026-11-26'), considered: 1 } },
          NOW,
        ),
      ).toBe(true);
      expect(
        await store.editions.insertFrozen(
          { id: '2026-11-26', kind: 'daily', date: '2026-11-26', content: { ...emptyEdition('2026-11-26'), considered: 2 } },
          NOW,
        ),
      ).toBe(false);
      expect((await store.editions.get('2026-11-26'))!.content.considered).toBe(1);
      const s = (await store.subscribers.upsert({ email: 'x@example.org', topics: [], confirmed: true }, NOW)).subscriber;
      const t = (await store.subscribers.upsert({ email: 'y@example.org', topics: [], confirmed: true }, NOW)).subscriber;
      const rows = [s, t].map((x) => ({ editionId: '2026-11-26', subscriberId: x.id, variantKey: 'v', messageId: `<m${x.id}@x>` }));
      await store.deliveries.insertPending(rows, NOW);
      await store.deliveries.insertPending(rows, NOW);
      expect(await store.deliveries.countByStatus('2026-11-26')).toMatchObject({ pending: 2 });
      await store.editions.markFanoutDone('2026-11-26', NOW);
      expect(await store.deliveries.transition('2026-11-26', s.id, ['pending'], 'sending', NOW)).toBe(true);
      // a second claim of the same delivery loses
      expect(await store.deliveries.transition('2026-11-26', s.id, ['pending'], 'sending', NOW)).toBe(false);
      expect(await store.deliveries.transition('2026-11-26', s.id, ['sending'], 'sent', NOW, { providerId: 'p1' })).toBe(true);
      expect(await store.editions.markSentIfSettled('2026-11-26', NOW)).toBe(false);
      await store.deliveries.transition('2026-11-26', t.id, ['pending', 'sending'], 'failed', NOW, { error: 'bounced' });
      expect(await store.editions.markSentIfSettled('2026-11-26', NOW)).toBe(true);
      expect(await store.editions.markSentIfSettled('2026-11-26', NOW)).toBe(false);
      expect((await store.editions.get('2026-11-26'))!.status).toBe('sent');
      expect(await store.deliveries.failures('2026-11-26')).toEqual([{ email: 'y@example.org', error: 'bounced' }]);
      // once mail went out the edition cannot be rebuilt
      expect(await store.editions.replaceFrozen('2026-11-26', { ...emptyEdition('2026-11-26'), considered: 3 }, NOW)).toBe(false);
    });

    it("remembers each source's validators, last success, last error and counts", async () => {
      const store = await openStore(target);
      await store.sources.recordSuccess('a', NOW, {
        etag: '"e1"',
        lastModified: 'Thu, 26 Nov 2026 05:00:00 GMT',
        counts: { new: 3, updated: 0, unchanged: 0, skipped: 1 },
      });
      await store.sources.recordError('a', '2026-11-26T07:00:00.000Z', 'timed out');
      const a = (await store.sources.get('a'))!;
      expect(a).toMatchObject({ etag: '"e1"', lastSuccessAt: NOW, lastError: 'timed out', papersTotal: 3, lastCounts: { new: 3, skipped: 1 } });
    });
  });
}
