/**
 * Upgrading to migration 007: readers whose stored time differs from the old column defaults
 * (UTC, 07) chose it; the others are taken as never having chosen, so the reader's hour, now on
 * by default, sends them the edition when it goes out instead of holding them until 07:00 UTC.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/db/connect.ts';
import { Store } from '../../src/db/store.ts';
import { storageTargets } from '../harness/index.ts';

const NOW = '2026-11-26T06:00:00.000Z';

for (const target of storageTargets()) {
  describe(`upgrading subscribers to migration 007 on ${target.name}`, () => {
    it('marks as chosen only the readers whose time zone or hour is not the old default', async () => {
      const url = await target.databaseUrl();
      const open = await openDatabase(url);
      try {
        // the schema as it was before 007, holding readers from that time
        await migrate(open);
        // (and before the migrations after it, which run again on top)
        for (const table of ['reader_votes', 'reader_profiles', 'edition_fragments']) await sql`DROP TABLE ${sql.table(table)}`.execute(open.db);
        await sql`ALTER TABLE deliveries DROP COLUMN for_you`.execute(open.db);
        await sql`ALTER TABLE subscribers DROP COLUMN section_order`.execute(open.db);
        await sql`ALTER TABLE subscribers DROP COLUMN delivery_time_chosen`.execute(open.db);
        await sql`DELETE FROM paperboy_migrations WHERE name IN ('007_delivery_time', '008_section_order', '009_for_you')`.execute(open.db);
        for (const [email, timezone, hour] of [
          ['default@example.org', 'UTC', 7],
          ['tokyo@example.org', 'Asia/Tokyo', 7],
          ['late@example.org', 'UTC', 9],
        ] as const) {
          await sql`INSERT INTO subscribers (email, status, topics, frequency, timezone, delivery_hour, created_at, updated_at) VALUES (${email}, 'confirmed', '', 'daily', ${timezone}, ${hour}, ${NOW}, ${NOW})`.execute(
            open.db,
          );
        }
      } finally {
        await open.db.destroy();
      }
      const store = await Store.open(url);
      try {
        const chosen = async (email: string) => (await store.subscribers.getByEmail(email))?.deliveryTimeChosen;
        expect([await chosen('default@example.org'), await chosen('tokyo@example.org'), await chosen('late@example.org')]).toEqual([false, true, true]);
      } finally {
        await store.close();
      }
    });
  });
}
