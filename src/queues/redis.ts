import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { redactUrl } from '../lib/redact.ts';
import { ensureLocalDir } from '../localDir.ts';

export class RedisUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

/**
 * Where paperboy's Redis is. `cluster` is found at boot (`inspectRedis`): on a Redis Cluster
 * the queues, the rate limiter and the web service need a cluster client, which follows
 * each key to the node that holds its slot.
 */
export interface RedisTarget {
  url: string;
  /** Unset: a single server (the private one always is). */
  cluster?: boolean;
}

export type RedisClient = Redis | Cluster;

/**
 * How a long-lived client waits when Redis is away. `queue` (BullMQ, the send rate limiter):
 * no per-command retry limit, since workers block on Redis on purpose and must wait, not
 * throw. `web`: a page must not wait on a missing Redis, so 2 s to connect and one retry.
 */
export type RedisRole = 'queue' | 'web';

/** How long the web service's Redis client waits to connect, and then for each answer. */
export const REDIS_REQUEST_TIMEOUT_MS = 2_000;

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  queue: { maxRetriesPerRequest: null },
  // request handlers (readiness, the subscribe rate limit): on a Redis that accepts and never
  // answers, every command fails within REDIS_REQUEST_TIMEOUT_MS, so no HTTP request waits on it
  web: { maxRetriesPerRequest: 1, connectTimeout: REDIS_REQUEST_TIMEOUT_MS, commandTimeout: REDIS_REQUEST_TIMEOUT_MS },
};

/** The node a redis:// or rediss:// URL names, with its credentials, database and TLS. */
function nodeOptions(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number.isFinite(db) ? db : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}

/** ioredis options of a single server for the `queue` role: what BullMQ is given to make its own clients. */
export function redisOptions(url: string): RedisOptions {
  return { ...nodeOptions(url), ...ROLE_OPTIONS.queue };
}

/**
 * The one way to make a long-lived Redis client: a single server's or a cluster's, by the
 * target. It connects on its first command. Short-lived checks take `connectProbe` instead.
 */
export function redisClient(target: RedisTarget, role: RedisRole, opts: { name?: string } = {}): RedisClient {
  const node = nodeOptions(target.url);
  if (!target.cluster) return new Redis({ ...node, ...ROLE_OPTIONS[role], lazyConnect: true, connectionName: opts.name });
  const { host, port, db: _db, ...auth } = node;
  return new Cluster([{ host: host!, port: port! }], {
    lazyConnect: true,
    // the nodes' addresses come from the cluster as it announces them: resolving them here
    // would swap a TLS certificate's host name for an IP address that the certificate lacks
    dnsLookup: (address, callback) => callback(null, address),
    redisOptions: { ...auth, ...ROLE_OPTIONS[role], connectionName: opts.name },
  });
}

/**
 * The connection a BullMQ Queue, Worker or QueueEvents is made with: options for a single
 * server (BullMQ makes and closes its own clients), a cluster client on a cluster (BullMQ
 * cannot make one; it does not close a client it is given, so its owner must).
 */
export function bullmqConnection(target: RedisTarget): RedisOptions | Cluster {
  return target.cluster ? (redisClient(target, 'queue') as Cluster) : redisOptions(target.url);
}

/**
 * BullMQ keeps each queue's keys together with multi-key scripts, which a Redis Cluster runs
 * only when every key has one hash slot: a prefix with a hash tag ("{paperboy}") gives
 * them one. A prefix without a tag is wrapped in one rather than refused, because every
 * machine wraps it alike, so they still share the queues, and no prefix without a tag could
 * work on a cluster anyway.
 */
export function clusterPrefix(prefix: string): string {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  // Redis hashes the text between the first "{" and the next "}" when it is not empty
  return close > open + 1 ? prefix : `{${prefix}}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function findOnPath(binary: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** How long a probe may wait for Redis to accept a connection, and then for each answer. */
export const REDIS_PROBE_TIMEOUT_MS = 3_000;

/**
 * The one way to open a short-lived Redis connection (probes, checks, the lease): it fails
 * within `timeoutMs` on a server that accepts connections and never answers, and never
 * reconnects. Always a single-server client: the checks it serves (PING, INFO, CONFIG, CLIENT)
 * are a node's, and a cluster node answers them for itself. Long-lived clients take
 * `redisClient` instead: they block on purpose, so no command timeout applies to them.
 */
export async function connectProbe(url: string, opts: { timeoutMs?: number; name?: string } = {}): Promise<Redis> {
  const timeoutMs = opts.timeoutMs ?? REDIS_PROBE_TIMEOUT_MS;
  const client = new Redis({
    ...nodeOptions(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectionName: opts.name,
  });
  client.on('error', () => {});
  try {
    await withTimeout(client.connect(), timeoutMs, 'no answer');
    return client;
  } catch (err) {
    client.disconnect();
    throw err;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Undefined when Redis answers PING; else why not. */
async function ping(url: string, timeoutMs: number): Promise<string | undefined> {
  let client: Redis | undefined;
  try {
    client = await connectProbe(url, { timeoutMs });
    return (await client.ping()) === 'PONG' ? undefined : 'no PONG';
  } catch (err) {
    return (err as Error).message;
  } finally {
    client?.disconnect();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface RedisHandle extends RedisTarget {
  /** True when this process started the server. */
  owned: boolean;
  /** Idempotent: leaves the server; the last paperboy process to leave a private server stops it. */
  stop(): Promise<void>;
}

const LEASE_PREFIX = 'paperboy-lease-';

/**
 * Serialises the start and the stop of the private Redis between the processes of one
 * DATA_DIR: without it, a process that has just found the server could lose it to another
 * that was stopping it at that moment. The lock file holds its owner's pid, so a lock left
 * by a killed process is taken over.
 */
export async function withStartStopLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, 'start-stop.lock');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: number;
      try {
        holder = Number(readFileSync(lock, 'utf8').trim() || '0');
      } catch (readErr) {
        // the holder released it between our attempt and this read: try again at once
        if ((readErr as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw readErr;
      }
      if (holder > 0 && !alive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new RedisUnavailableError(`${lock} has been held for 30 s by process ${holder}: if no paperboy process is running, delete the file`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * A connection held open for as long as this process uses the private Redis, named so that
 * others see it: Redis is stopped only when no other process holds one. A killed process's
 * lease closes with its socket.
 */
async function openLease(url: string): Promise<Redis | undefined> {
  try {
    const lease = await connectProbe(url, { timeoutMs: 1_000, name: `${LEASE_PREFIX}${process.pid}` });
    if ((await lease.ping()) === 'PONG') return lease;
    lease.disconnect();
  } catch {
    // not running: the caller starts a new one
  }
  return undefined;
}

function privateHandle(url: string, owned: boolean, dir: string, lease: Redis): RedisHandle {
  let stopping: Promise<void> | undefined;
  return { url, owned, stop: () => (stopping ??= withStartStopLock(dir, () => leave(lease, path.join(dir, 'paperboy-redis.json')))) };
}

/**
 * The private `redis-server` used when REDIS_URL is unset: loopback only, a free port, AOF
 * data under `$DATA_DIR/redis`. A second paperboy process on the same DATA_DIR finds the
 * running one (through `paperboy-redis.json`) and shares it, so a `worker`, `serve` and an
 * `edition send` on one machine see the same queues.
 */
export async function startPrivateRedis(dataDir: string): Promise<RedisHandle> {
  const dir = path.join(dataDir, 'redis');
  ensureLocalDir(dir, 'the folder of the private Redis');
  return withStartStopLock(dir, async () => {
    const stateFile = path.join(dir, 'paperboy-redis.json');
    if (existsSync(stateFile)) {
      try {
        const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { port: number; pid: number };
        const url = `redis://127.0.0.1:${state.port}`;
        const lease = alive(state.pid) ? await openLease(url) : undefined;
        if (lease) return privateHandle(url, false, dir, lease);
      } catch {
        // stale or unreadable: start a new server below
      }
    }
    const { url, port, pid } = await spawnRedis(dir);
    writeFileSync(stateFile, JSON.stringify({ port, pid }));
    const lease = await openLease(url);
    if (!lease) throw new RedisUnavailableError(`the private redis-server on ${url} stopped right after it started; see ${path.join(dir, 'redis.log')}`);
    return privateHandle(url, true, dir, lease);
  });
}

async function spawnRedis(dir: string): Promise<{ url: string; port: number; pid: number | undefined }> {
  const binary = findOnPath('redis-server', ['/usr/sbin', '/usr/local/sbin']);
  if (!binary) {
    throw new RedisUnavailableError(
      'redis-server was not found on PATH, and REDIS_URL is not set. Install Redis (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`) or set REDIS_URL=redis://host:port to use a running server.',
    );
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      '--maxmemory-policy', 'noeviction',
      '--logfile', path.join(dir, 'redis.log'),
      '--daemonize', 'no',
    ],
    // its own process group: a Ctrl-C in the terminal must not stop Redis under workers that
    // are still finishing their jobs; the last paperboy process to leave stops it
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new RedisUnavailableError(`the private redis-server exited at start (code ${child.exitCode}): ${stderr.trim() || `see ${path.join(dir, 'redis.log')}`}`);
    }
    if ((await ping(url, 300)) === undefined) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RedisUnavailableError(`the private redis-server did not answer on ${url} within 10 s; see ${path.join(dir, 'redis.log')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.stderr?.destroy();
  child.unref();
  return { url, port, pid: child.pid };
}

/**
 * Leaves the private Redis: when no other paperboy process holds a lease, it is stopped
 * (SHUTDOWN flushes the AOF, so queued jobs survive until the next start).
 */
async function leave(lease: Redis, stateFile: string): Promise<void> {
  try {
    const holders = String(await lease.client('LIST'))
      .split('\n')
      .map((line) => /\bname=paperboy-lease-(\d+)\s/.exec(line)?.[1])
      .filter((pid): pid is string => pid !== undefined)
      .map(Number);
    // two handles of one process (tests) share the pid, so it is leases that are counted
    const others = holders.filter((pid) => pid !== process.pid && alive(pid)).length + holders.filter((pid) => pid === process.pid).length - 1;
    if (others > 0) {
      // QUIT, not a bare disconnect: once it is answered the server has dropped this lease,
      // so the next process to leave cannot count it and leave the server running for nobody
      await lease.quit().catch(() => lease.disconnect());
      return;
    }
    rmSync(stateFile, { force: true });
    await lease.call('SHUTDOWN').catch(() => {
      // the connection closes as the server exits: that is the answer
    });
  } catch {
    // already gone
    rmSync(stateFile, { force: true });
  }
  lease.disconnect();
}

/**
 * The URL of every node (same credentials and TLS): on a cluster each node has its own
 * settings, and any of them may hold the queues' slot, now or after a failover.
 */
export async function redisNodeUrls(target: RedisTarget): Promise<string[]> {
  if (!target.cluster) return [target.url];
  const client = await connectProbe(target.url);
  try {
    const lines = String(await client.cluster('NODES')).split('\n').filter((line) => line.trim());
    return lines
      .map((line) => line.split(' '))
      .filter(([, , flags]) => !/\b(fail|noaddr|handshake)\b/.test(flags ?? ''))
      .map(([, address]) => {
        // "host:port@busport[,hostname]"; the node answering may list itself without a host
        const hostPort = (address ?? '').split('@')[0]!;
        const u = new URL(target.url);
        u.pathname = '';
        if (!hostPort.startsWith(':')) u.host = hostPort;
        else u.port = hostPort.slice(1);
        return u.toString();
      });
  } finally {
    client.disconnect();
  }
}

/** The node a URL names, as host:port. */
export function nodeName(url: string): string {
  const { host, port } = nodeOptions(url);
  return `${host}:${port}`;
}

/** Queues lose jobs if Redis evicts keys under memory pressure; only `noeviction` is safe, on every node. */
export async function checkEvictionPolicy(target: RedisTarget): Promise<string | undefined> {
  const evicting: string[] = [];
  try {
    for (const url of await redisNodeUrls(target)) {
      let client: Redis | undefined;
      try {
        client = await connectProbe(url);
        const policy = ((await client.config('GET', 'maxmemory-policy')) as string[])[1];
        if (policy && policy !== 'noeviction') evicting.push(target.cluster ? `${policy} on ${nodeName(url)}` : policy);
      } finally {
        client?.disconnect();
      }
    }
  } catch {
    // managed Redis services often forbid CONFIG; nothing to report then
    return undefined;
  }
  if (evicting.length === 0) return undefined;
  return `Redis at ${redactUrl(target.url)} has maxmemory-policy=${evicting.join(', ')}: under memory pressure it may evict queued jobs. Set "maxmemory-policy noeviction" in redis.conf${target.cluster ? ' of every node' : ''}.`;
}

/** The Redis a process runs on, as status and doctor name it (no password). */
export function describeRedis(handle: RedisHandle, redisUrlSet: boolean): string {
  if (handle.owned || !redisUrlSet) return 'private redis-server (REDIS_URL unset)';
  return `${redactUrl(handle.url)}${handle.cluster ? ' (Redis Cluster)' : ''}`;
}

/** Fails within seconds, naming the cause, when Redis refuses, or accepts and never answers. */
export async function assertReachable(url: string): Promise<void> {
  const problem = await ping(url, REDIS_PROBE_TIMEOUT_MS);
  if (problem === undefined) return;
  const silent = /timed? ?out|no answer/i.test(problem);
  throw new RedisUnavailableError(
    silent
      ? `Redis at ${redactUrl(url)} accepted the connection but did not answer within ${REDIS_PROBE_TIMEOUT_MS / 1000} s: REDIS_URL may name another service's port, or the server is stuck; correct REDIS_URL (unset it to let paperboy start a private redis-server).`
      : `cannot reach Redis at ${redactUrl(url)} (${problem}): start it, or correct REDIS_URL (unset it to let paperboy start a private redis-server).`,
  );
}

/**
 * The shared Redis as the long-lived clients must see it: a Redis Cluster when the node
 * REDIS_URL names says so (INFO cluster), so that operators give the same REDIS_URL either
 * way. Fails, naming the fix, on a cluster that cannot serve every key. A server that
 * forbids INFO is taken for a single one.
 */
export async function inspectRedis(url: string): Promise<RedisTarget> {
  const where = redactUrl(url);
  let client: Redis | undefined;
  let info: string;
  try {
    client = await connectProbe(url);
    info = String(await client.info('cluster'));
  } catch {
    client?.disconnect();
    return { url, cluster: false };
  }
  try {
    if (!/^cluster_enabled:1\b/m.test(info)) return { url, cluster: false };
    if ((nodeOptions(url).db ?? 0) !== 0) {
      throw new RedisUnavailableError(`Redis at ${where} is a Redis Cluster, which has only database 0: remove the database number from REDIS_URL.`);
    }
    const state = await client.cluster('INFO').then(
      (reply) => /^cluster_state:(\w+)/m.exec(String(reply))?.[1],
      (err: Error) => `unknown (${err.message})`,
    );
    if (state !== 'ok') {
      throw new RedisUnavailableError(`the Redis Cluster of ${where} reports cluster_state:${state ?? 'unknown'}: some hash slots have no working node. Check it with \`redis-cli --cluster check ${nodeOptions(url).host}:${nodeOptions(url).port}\` and fix it (\`redis-cli --cluster fix\`).`);
    }
    return { url, cluster: true };
  } finally {
    client.disconnect();
  }
}
