/**
 * `paperboy suppressions list|add|remove` as an operator runs them. The CLI is the same on both
 * databases; its queries run on both in test/send/feedback.test.ts, so the processes run on SQLite.
 */
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/db/store.ts';
import { runCli, storageTargets, tempDir } from '../harness/index.ts';

for (const target of storageTargets().filter((t) => t.name === 'sqlite')) {
  describe(`paperboy suppressions on ${target.name}`, () => {
    it('adds, lists and removes addresses, stopping and restarting the subscriber, with clear errors', async () => {
      const databaseUrl = await target.databaseUrl();
      const env = { DATA_DIR: tempDir(), DATABASE_URL: databaseUrl };
      const store = await Store.open(databaseUrl);
      try {
        const now = new Date().toISOString();
        const ann = (await store.subscribers.upsert({ email: 'ann@example.org', topics: [], confirmed: true }, now)).subscriber;
        const pam = (await store.subscribers.upsert({ email: 'pam@example.org', topics: [], confirmed: false }, now)).subscriber;

        const added = await runCli(['suppressions', 'add', 'Ann@Example.org', '--detail', 'asked by phone'], { env });
        expect(added.code, added.stderr).toBe(0);
        expect(added.stdout).toMatch(/suppressed ann@example.org \(manual\); subscriber status: suppressed/);
        expect((await store.subscribers.getById(ann.id))!.status).toBe('suppressed');
        expect((await runCli(['suppressions', 'add', 'pam@example.org', '--reason', 'bounce'], { env })).code).toBe(0);
        const again = await runCli(['suppressions', 'add', 'ann@example.org', '--reason', 'complaint'], { env });
        expect(again.code).toBe(0);
        expect(again.stdout).toMatch(/already suppressed \(manual since .*\): nothing changed/);

        const list = await runCli(['suppressions', 'list', '--json'], { env });
        expect(list.code, list.stderr).toBe(0);
        expect(JSON.parse(list.stdout)).toEqual([
          { email: 'ann@example.org', reason: 'manual', detail: 'asked by phone', createdAt: expect.any(String) },
          { email: 'pam@example.org', reason: 'bounce', detail: null, createdAt: expect.any(String) },
        ]);
        const text = await runCli(['suppressions', 'list'], { env });
        expect(text.stdout).toMatch(/^ann@example.org +manual +\S+ +asked by phone$/m);
        expect(text.stderr).toMatch(/2 suppressed address\(es\): 1 manual, 1 bounce/);

        const removed = await runCli(['suppressions', 'remove', 'ann@example.org'], { env });
        expect(removed.code).toBe(0);
        expect(removed.stdout).toMatch(/removed ann@example.org from the suppression list \(was manual\); subscriber is confirmed again/);
        expect((await store.subscribers.getById(ann.id))!.status).toBe('confirmed');
        // a bounce taken off the list is no opt-in: who never confirmed stays pending
        expect((await runCli(['suppressions', 'remove', 'pam@example.org'], { env })).stdout).toMatch(/subscriber is pending again/);
        expect((await store.subscribers.getById(pam.id))!.status).toBe('pending');

        const unknown = await runCli(['suppressions', 'remove', 'nobody@example.org'], { env });
        expect(unknown.code).toBe(1);
        expect(unknown.stderr).toMatch(/nobody@example.org is not on the suppression list: see `paperboy suppressions list`/);
        const bad = await runCli(['suppressions', 'add', 'not-an-address'], { env });
        expect(bad.code).toBe(1);
        expect(bad.stderr).toMatch(/"not-an-address" is not an email address/);
        const reason = await runCli(['suppressions', 'add', 'x@example.org', '--reason', 'spite'], { env });
        expect(reason.code).toBe(1);
        expect(reason.stderr).toMatch(/--reason "spite": use one of manual, bounce, complaint, rejected, unsubscribe/);
        expect(await store.suppressions.get('x@example.org')).toBeUndefined();
      } finally {
        await store.close();
      }
    }, 240_000);
  });
}
