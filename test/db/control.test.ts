/** Steering an edition and the suppression list, on SQLite and on PostgreSQL. */
import { describe, expect, it } from 'vitest';
import { emptyEdition } from '../render/fixtures.ts';
import { openStore, storageTargets } from '../harness/index.ts';

const NOW = '2026-11-26T06:00:00.000Z';
const LATER = '2026-11-26T07:00:00.000Z';

for (const target of storageTargets()) {
  describe(`edition control and suppressions on ${target.name}`, () => {
    it('pauses with the first reason, resumes, and never pauses or cancels a sent edition', async () => {
      const store = await openStore(target);
      await store.editions.insertFrozen({ id: '2026-11-26', kind: 'daily', date: '2026-11-26', content: emptyEdition('2026-11-26') }, NOW);
      expect(await store.editions.pause('2026-11-26', 'bounce rate 6.0% > 5%', NOW)).toBe(true);
      expect(await store.editions.pause('2026-11-26', 'operator', LATER)).toBe(true);
      expect((await store.editions.get('2026-11-26'))?.paused).toEqual({ at: NOW, reason: 'bounce rate 6.0% > 5%' });
      expect(await store.editions.resume('2026-11-26', LATER)).toBe(true);
      expect(await store.editions.resume('2026-11-26', LATER)).toBe(false);
      expect((await store.editions.get('2026-11-26'))?.paused).toBeUndefined();
      await store.editions.setStatus('2026-11-26', 'sent', LATER);
      expect(await store.editions.pause('2026-11-26', 'operator', LATER)).toBe(false);
      expect(await store.editions.cancel('2026-11-26', LATER)).toBe(false);
      await store.close();
    });

    it('cancels once and records a render error', async () => {
      const store = await openStore(target);
      await store.editions.insertFrozen({ id: '2026-11-27', kind: 'daily', date: '2026-11-27', content: emptyEdition('2026-11-27') }, NOW);
      expect(await store.editions.cancel('2026-11-27', NOW)).toBe(true);
      expect(await store.editions.cancel('2026-11-27', LATER)).toBe(false);
      await store.editions.setRenderError('2026-11-27', 'React is not defined', NOW);
      const e = await store.editions.get('2026-11-27');
      expect(e?.cancelledAt).toBe(NOW);
      expect(e?.renderError).toBe('React is not defined');
      await store.close();
    });

    it('keeps suppressed addresses case-insensitively, with the first reason', async () => {
      const store = await openStore(target);
      expect(await store.suppressions.add('Ann@Example.org', 'bounce', 'smtp; 550 5.1.1 user unknown', NOW)).toBe(true);
      expect(await store.suppressions.add('ann@example.org', 'complaint', undefined, LATER)).toBe(false);
      expect(await store.suppressions.get('ANN@example.org')).toMatchObject({ email: 'ann@example.org', reason: 'bounce' });
      expect([...(await store.suppressions.filter(['ann@EXAMPLE.org', 'bob@example.org']))]).toEqual(['ann@example.org']);
      expect((await store.suppressions.count()).bounce).toBe(1);
      expect(await store.suppressions.remove('ann@example.org')).toBe(true);
      expect(await store.suppressions.filter(['ann@example.org'])).toEqual(new Set());
      await store.close();
    });
  });
}
