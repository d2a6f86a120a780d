/**
 * Starts the real servers the suite runs against, on loopback and free ports: one
 * redis-server (every test uses its own queue prefix) and, where PostgreSQL is installed,
 * one PostgreSQL cluster (every test file gets its own database). In CI both must start.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, startRedis, type Server } from './servers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    postgresUrl: string | null;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers: Server[] = [];
  const redis = await startRedis();
  servers.push(redis);
  project.provide('redisUrl', redis.url);
  let postgresUrl: string | null = null;
  try {
    const pg = await startPostgres();
    if (pg) {
      servers.push(pg);
      postgresUrl = pg.url;
    }
  } catch (err) {
    if (process.env.CI) throw err;
    console.warn(`PostgreSQL could not start, storage tests run on SQLite only: ${(err as Error).message}`);
  }
  if (!postgresUrl && process.env.CI)
    throw new Error('CI=true but PostgreSQL is not installed: the storage tests must run on both databases (apt-get install postgresql)');
  project.provide('postgresUrl', postgresUrl);
  return async () => {
    for (const s of servers.reverse()) await s.stop();
  };
}
