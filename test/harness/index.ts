/** What tests share: real Redis / PostgreSQL from the global setup, temp dirs, the CLI, a loopback feed server. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import type { App } from '../../src/app.ts';
import { loadEnvironment, parseConfig } from '../../src/config/load.ts';
import { Store } from '../../src/db/store.ts';
import { Queues } from '../../src/queues/index.ts';
import { createLogger } from '../../src/lib/log.ts';
import { systemClock, type Clock } from '../../src/domain/time.ts';

export { until } from './until.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The shipped paperboy.config.json, as JSON (sources included). */
export function shippedConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(repoRoot, 'paperboy.config.json'), 'utf8'));
}

export function tempDir(prefix = 'pb-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function redisUrl(): string {
  return inject('redisUrl');
}

/** A fresh PostgreSQL database on the suite's cluster, or on the cluster of `admin` (its `postgres` database's URL). */
export async function createPostgresDatabase(admin: string | null = inject('postgresUrl')): Promise<string> {
  if (!admin) throw new Error('PostgreSQL is not running in this test run');
  const { default: pg } = await import('pg');
  const name = `pb_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return admin.replace(/\/postgres$/, `/${name}`);
}

export interface StorageTarget {
  name: 'sqlite' | 'postgres';
  databaseUrl(): Promise<string>;
}

/** SQLite always; PostgreSQL where it runs (always in CI, where the global setup insists on it). */
export function storageTargets(): StorageTarget[] {
  const targets: StorageTarget[] = [{ name: 'sqlite', databaseUrl: async () => `sqlite:${path.join(tempDir('pb-sqlite-'), 'test.db')}` }];
  if (inject('postgresUrl')) targets.push({ name: 'postgres', databaseUrl: createPostgresDatabase });
  return targets;
}

export async function openStore(target: StorageTarget): Promise<Store> {
  const store = await Store.open(await target.databaseUrl());
  cleanups.push(() => store.close());
  return store;
}

/**
 * An App on the real Redis with a queue prefix of its own (fresh queues for each test) and a
 * database of its own, for running processors and workers in-process.
 */
export async function testApp(opts: { databaseUrl?: string; config?: unknown; env?: Record<string, string>; clock?: Clock } = {}): Promise<App> {
  const dataDir = tempDir('pb-app-');
  const env = loadEnvironment(
    {
      DATA_DIR: dataDir,
      DATABASE_URL: opts.databaseUrl ?? `sqlite:${path.join(dataDir, 'paperboy.db')}`,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: `pbtest-${randomBytes(4).toString('hex')}`,
      SECRET_KEY: 'test-secret-key-0123456789',
      PUBLIC_URL: 'https://papers.example.org',
      MAIL_FROM: 'Daily Papers <papers@example.org>',
      ...opts.env,
    },
    dataDir,
  );
  const config = parseConfig(opts.config ?? {}, 'test config');
  const store = await Store.open(env.databaseUrl);
  const queues = new Queues({ redisUrl: env.redisUrl!, prefix: env.queuePrefix });
  const app: App = {
    config,
    env,
    settings: { config, configSource: 'test config', env },
    store,
    queues,
    redis: { url: env.redisUrl!, owned: false, stop: async () => {} },
    log: createLogger({}, { level: process.env.TEST_LOG_LEVEL ?? 'error' }),
    secretKey: env.secretKey!,
    clock: opts.clock ?? systemClock,
    close: async () => {
      await queues.close();
      await store.close();
    },
  };
  cleanups.push(() => app.close());
  return app;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `paperboy …` as a user would: a child process of bin/paperboy.js. */
export function runCli(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...opts.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'paperboy.js'), ...args], { cwd: opts.cwd ?? repoRoot, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`paperboy ${args.join(' ')} did not finish within ${(opts.timeoutMs ?? 120_000) / 1000} s\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export interface Route {
  status?: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

/** A loopback HTTP server answering from a table of paths; `hits` counts requests per path. */
export async function serveRoutes(
  routes: Record<string, Route | ((req: http.IncomingMessage) => Route)>,
): Promise<{ url: string; hits: Map<string, number>; close(): Promise<void> }> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(p, (hits.get(p) ?? 0) + 1);
    const entry = routes[p];
    if (!entry) {
      res.writeHead(404).end('not found');
      return;
    }
    const r = typeof entry === 'function' ? entry(req) : entry;
    res.writeHead(r.status ?? 200, r.headers ?? {}).end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  cleanups.push(close);
  return { url, hits, close };
}

/** A clock a test moves by hand: time passes only when the test says so. */
export interface ManualClock extends Clock {
  set(instant: string | Date): void;
  advance(ms: number): void;
}

export function manualClock(start: string | Date): ManualClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set: (instant) => {
      t = new Date(instant).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
