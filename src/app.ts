/**
 * What every command and worker runs on: validated settings, the database, Redis and the
 * queues. Boot fails fast, with the cause and the fix in the message.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSettings, postalAddressWarning, type LoadOptions, type Settings } from './config/load.ts';
import type { Config } from './config/schema.ts';
import type { Environment } from './config/load.ts';
import { Store } from './db/index.ts';
import { Queues } from './queues/index.ts';
import { assertReachable, checkEvictionPolicy, clusterPrefix, inspectRedis } from './queues/redisClient.ts';
import { startPrivateRedis, type RedisHandle } from './queues/privateRedis.ts';
import { createLogger, type Logger } from './lib/log.ts';
import { ensureLocalDir } from './lib/localDir.ts';
import { systemClock, type Clock } from './domain/time.ts';

/** Settings, database and logger: enough for the commands that do not touch the queues. */
export interface DataApp {
  config: Config;
  env: Environment;
  settings: Settings;
  store: Store;
  log: Logger;
  secretKey: string;
  /** What time it is, for every calendar decision (systemClock; a test may move it). */
  clock: Clock;
  /** Idempotent. */
  close(): Promise<void>;
}

export interface App extends DataApp {
  queues: Queues;
  redis: RedisHandle;
  /** Idempotent: closes queues, the database and a private Redis this process started. */
  close(): Promise<void>;
}

/**
 * SECRET_KEY signs the links in every email. On one machine without SECRET_KEY, a key is
 * made once and kept in $DATA_DIR/secret.key so that links stay valid across runs.
 */
export function resolveSecretKey(env: Environment): string {
  if (env.secretKey) return env.secretKey;
  const file = path.join(env.dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  ensureLocalDir(env.dataDir, 'DATA_DIR');
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

export interface BootOptions extends LoadOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  log?: Logger;
  /** Default: the machine's clock. */
  clock?: Clock;
}

/** Validates the settings and opens the database (migrating it). */
export async function bootData(opts: BootOptions = {}): Promise<DataApp> {
  const settings = loadSettings(opts.env ?? process.env, opts.cwd ?? process.cwd(), opts);
  const log = opts.log ?? createLogger();
  const { env, config } = settings;
  const postal = postalAddressWarning(settings);
  if (postal) log.warn(postal);
  ensureLocalDir(env.dataDir, 'DATA_DIR');
  const store = await Store.open(env.databaseUrl);
  return { config, env, settings, store, log, secretKey: resolveSecretKey(env), clock: opts.clock ?? systemClock, close: () => store.close() };
}

/** Everything: settings, database, Redis (a private one when REDIS_URL is unset) and the queues. */
export async function bootApp(opts: BootOptions = {}): Promise<App> {
  const data = await bootData(opts);
  const { env, store, log } = data;
  let redis: RedisHandle;
  try {
    if (env.redisUrl) {
      await assertReachable(env.redisUrl);
      redis = { ...(await inspectRedis(env.redisUrl)), owned: false, stop: async () => {} };
    } else {
      redis = await startPrivateRedis(env.dataDir);
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  const warning = await checkEvictionPolicy(redis);
  if (warning) log.warn(warning);
  const queues = new Queues({ redisUrl: redis.url, cluster: redis.cluster, prefix: redis.cluster ? clusterPrefix(env.queuePrefix) : env.queuePrefix });
  let closing: Promise<void> | undefined;
  return {
    ...data,
    queues,
    redis,
    close() {
      closing ??= (async () => {
        await queues.close().catch(() => {});
        await store.close().catch(() => {});
        await redis.stop().catch(() => {});
      })();
      return closing;
    },
  };
}

/** What a stage's processor needs: never Redis or the database driver directly. */
export type StageContext = Pick<App, 'store' | 'config' | 'env' | 'queues' | 'log' | 'secretKey' | 'clock'>;
