import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'templates/**/*.test.tsx'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // the suites share one redis-server and one PostgreSQL, and spawn the CLI: two files at a time fits 2 cores
    maxWorkers: 2,
    pool: 'forks',
  },
});
