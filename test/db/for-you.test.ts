/** What For you keeps in the database, on SQLite and PostgreSQL: votes, profiles, their deletion. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { parseProfile } from '../../src/personal/profile.ts';
import { readerSettings, rebuildProfile, recordVote, refreshPendingSeeds } from '../../src/personal/profiles.ts';
import { arxivObservation } from '../harness/papers.ts';
import { openStore, storageTargets } from '../harness/index.ts';

const NOW = new Date('2026-11-26T06:00:00Z');
const config = parseConfig({}, 'test');

const PAPERS = [
  arxivObservation('2611.00101', { title: 'Latent Diffusion for Video', abstract: 'A video diffusion model.', authors: ['Fei-Fei Li'] }),
  arxivObservation('2611.00102', { title: 'Robot Grasping with Reinforcement Learning', abstract: 'Robots learn to grasp.', authors: ['Pieter Abbeel'] }),
];

for (const target of storageTargets()) {
  describe(`For you storage on ${target.name}`, () => {
    const setUp = async () => {
      const store = await openStore(target);
      await storeObservations(store, PAPERS, NOW.toISOString());
      const reader = (await store.subscribers.upsert({ email: 'fy@example.org', confirmed: true }, NOW.toISOString())).subscriber;
      return { store, reader };
    };

    it('counts the same vote twice once, and lets the opposite vote replace it', async () => {
      const { store, reader } = await setUp();
      expect(await recordVote(store, config, reader.id, '2611.00101', 'more', '2026-11-26', NOW)).toBe('recorded');
      expect(await recordVote(store, config, reader.id, '2611.00101', 'more', '2026-11-26', NOW)).toBe('unchanged');
      let profile = (await readerSettings(store, reader.id)).profile!;
      expect(profile.counts).toEqual({ more: 1, less: 0, seeds: 0 });
      expect(profile.learned.terms.video).toBeGreaterThan(0);
      expect(await recordVote(store, config, reader.id, '2611.00101', 'less', undefined, NOW)).toBe('replaced');
      profile = (await readerSettings(store, reader.id)).profile!;
      expect(profile.counts).toEqual({ more: 0, less: 1, seeds: 0 });
      expect(profile.learned.terms.video).toBeLessThan(0);
      expect(await store.forYou.voteCounts()).toEqual({ more: 0, less: 1 });
    });

    it('reads the profiles of one fan-out page in one range, and none of readers without one', async () => {
      const { store, reader } = await setUp();
      const other = (await store.subscribers.upsert({ email: 'none@example.org', confirmed: true }, NOW.toISOString())).subscriber;
      await recordVote(store, config, reader.id, '2611.00102', 'more', undefined, NOW);
      const page = await store.forYou.profilesBetween(Math.min(reader.id, other.id), Math.max(reader.id, other.id));
      expect([...page.keys()]).toEqual([reader.id]);
      expect(parseProfile(page.get(reader.id))!.voted).toEqual(['2611.00102']);
    });

    it('forgets every vote, seed and the profile when the reader unsubscribes, and when they are removed', async () => {
      const { store, reader } = await setUp();
      await recordVote(store, config, reader.id, '2611.00101', 'more', undefined, NOW);
      await rebuildProfile(store, config, reader.id, NOW, { seedPapers: ['2611.00102'], authorId: 'li_f_1' });
      await store.subscribers.unsubscribe(reader.id, NOW.toISOString());
      expect(await store.forYou.settings(reader.id)).toEqual({ seedPapers: [], pendingSeeds: 0 });
      expect(await store.forYou.voteCounts()).toEqual({ more: 0, less: 0 });

      const again = (await store.subscribers.upsert({ email: 'removed@example.org', confirmed: true }, NOW.toISOString())).subscriber;
      await recordVote(store, config, again.id, '2611.00102', 'less', undefined, NOW);
      expect(await store.subscribers.remove('removed@example.org')).toBe(true);
      expect(await store.forYou.settings(again.id)).toEqual({ seedPapers: [], pendingSeeds: 0 });
      expect(await store.forYou.profileCount()).toBe(0);
    });

    it('keeps a seed paper not seen yet and counts it once it is ingested', async () => {
      const { store, reader } = await setUp();
      const saved = await rebuildProfile(store, config, reader.id, NOW, { seedPapers: ['2611.00199'] });
      expect(saved).toMatchObject({ seedPapers: ['2611.00199'], pendingSeeds: 1, profile: undefined });
      expect(await refreshPendingSeeds(store, config, NOW)).toBe(0);
      await storeObservations(
        store,
        [arxivObservation('2611.00199', { title: 'Diffusion Models for Protein Design', abstract: 'Proteins designed by diffusion.' })],
        NOW.toISOString(),
      );
      expect(await refreshPendingSeeds(store, config, NOW)).toBe(1);
      const after = await readerSettings(store, reader.id);
      expect(after).toMatchObject({ pendingSeeds: 0, profile: { counts: { more: 0, less: 0, seeds: 1 } } });
      expect(after.profile!.stated.terms.protein).toBeGreaterThan(0);
    });

    it('lets votes older than eight half-lives go when the profile is rebuilt', async () => {
      const { store, reader } = await setUp();
      await store.forYou.vote(reader.id, '2611.00101', 'more', undefined, '2025-01-01T00:00:00.000Z');
      await recordVote(store, config, reader.id, '2611.00102', 'more', undefined, NOW);
      expect((await readerSettings(store, reader.id)).profile!.voted).toEqual(['2611.00102']);
      expect(await store.forYou.voteCounts()).toEqual({ more: 1, less: 0 });
    });
  });
}
