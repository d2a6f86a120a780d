import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { redactUrl } from '../lib/redact.ts';
import { TimeoutError, withTimeout } from '../lib/timeout.ts';

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
    // a server that accepts the connection and never answers leaves connect() waiting on its ready check
    await withTimeout(`Redis at ${redactUrl(url)}`, timeoutMs, () => client.connect());
    return client;
  } catch (err) {
    client.disconnect();
    throw err;
  }
}

/** Undefined when Redis answers PING within `timeoutMs`; else why not (a TimeoutError when it stayed silent). */
export async function pingRedis(url: string, timeoutMs: number): Promise<Error | undefined> {
  let client: Redis | undefined;
  try {
    client = await connectProbe(url, { timeoutMs });
    return (await client.ping()) === 'PONG' ? undefined : new Error('no PONG');
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    client?.disconnect();
  }
}

/**
 * The URL of every node (same credentials and TLS): on a cluster each node has its own
 * settings, and any of them may hold the queues' slot, now or after a failover.
 */
export async function redisNodeUrls(target: RedisTarget): Promise<string[]> {
  if (!target.cluster) return [target.url];
  const client = await connectProbe(target.url);
  try {
    const lines = String(await client.cluster('NODES'))
      .split('\n')
      .filter((line) => line.trim());
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
export function describeRedis(handle: RedisTarget & { owned: boolean }, redisUrlSet: boolean): string {
  if (handle.owned || !redisUrlSet) return 'private redis-server (REDIS_URL unset)';
  return `${redactUrl(handle.url)}${handle.cluster ? ' (Redis Cluster)' : ''}`;
}

/** Fails within seconds, naming the cause, when Redis refuses, or accepts and never answers. */
export async function assertReachable(url: string): Promise<void> {
  const problem = await pingRedis(url, REDIS_PROBE_TIMEOUT_MS);
  if (problem === undefined) return;
  throw new RedisUnavailableError(
    problem instanceof TimeoutError
      ? `Redis at ${redactUrl(url)} accepted the connection but did not answer within ${REDIS_PROBE_TIMEOUT_MS / 1000} s: REDIS_URL may name another service's port, or the server is stuck; correct REDIS_URL (unset it to let paperboy start a private redis-server).`
      : `cannot reach Redis at ${redactUrl(url)} (${problem.message}): start it, or correct REDIS_URL (unset it to let paperboy start a private redis-server).`,
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
      throw new RedisUnavailableError(
        `the Redis Cluster of ${where} reports cluster_state:${state ?? 'unknown'}: some hash slots have no working node. Check it with \`redis-cli --cluster check ${nodeOptions(url).host}:${nodeOptions(url).port}\` and fix it (\`redis-cli --cluster fix\`).`,
      );
    }
    return { url, cluster: true };
  } finally {
    client.disconnect();
  }
}
