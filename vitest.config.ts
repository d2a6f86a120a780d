import { defineConfig } from 'vitest/config';

// Two projects (issue #15): `unit` files (`*.unit.test.ts[x]`) start no server and run in any
// order in threads; `integration` files share one redis-server and one PostgreSQL (the global
// set-up) and spawn the CLI: two files at a time fits 2 cores.
// `npm test` runs both; `npx vitest run --project unit` is the quick loop (16 files, 382 tests: 17.6 s wall, no server).
const unit = ['test/**/*.unit.test.ts', 'test/**/*.unit.test.tsx', 'templates/**/*.unit.test.tsx'];

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        // vitest runs projects of different maxWorkers one group after the other: the quick unit
        // files first, so a broken unit test shows before the servers start
        test: { name: 'unit', include: unit, pool: 'threads', testTimeout: 20_000, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'templates/**/*.test.tsx'],
          exclude: unit,
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
          pool: 'forks',
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
