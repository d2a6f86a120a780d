import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';

export class RedisUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

/** ioredis options from a redis:// URL, as BullMQ needs them (no per-command retry limit). */
export function redisOptions(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number.isFinite(db) ? db : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    // BullMQ workers block on Redis; a per-request retry limit would make them throw instead of waiting
    maxRetriesPerRequest: null,
  };
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

async function ping(url: string, timeoutMs: number): Promise<boolean> {
  const client = new Redis({ ...redisOptions(url), lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
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

export interface RedisHandle {
  url: string;
  /** True when this process started the server and will stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

/**
 * The private `redis-server` used when REDIS_URL is unset: loopback only, a free port, AOF
 * data under `$DATA_DIR/redis`. A second paperboy process on the same DATA_DIR finds the
 * running one (through `paperboy-redis.json`) and shares it, so a `worker` and an
 * `edition send` on one machine see the same queues.
 */
export async function startPrivateRedis(dataDir: string): Promise<RedisHandle> {
  const dir = path.join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const stateFile = path.join(dir, 'paperboy-redis.json');
  if (existsSync(stateFile)) {
    try {
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { port: number; pid: number };
      const url = `redis://127.0.0.1:${state.port}`;
      if (alive(state.pid) && (await ping(url, 500))) {
        let stopping: Promise<void> | undefined;
        return { url, owned: false, stop: () => (stopping ??= stopIfLastClient(url, stateFile)) };
      }
    } catch {
      // stale or unreadable: start a new server below
    }
  }
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
    if (await ping(url, 300)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RedisUnavailableError(`the private redis-server did not answer on ${url} within 10 s; see ${path.join(dir, 'redis.log')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  writeFileSync(stateFile, JSON.stringify({ port, pid: child.pid }));
  child.stderr?.destroy();
  child.unref();
  let stopping: Promise<void> | undefined;
  return { url, owned: true, stop: () => (stopping ??= stopIfLastClient(url, stateFile)) };
}

/**
 * Stops the private Redis when no other client is connected (another paperboy process on the
 * same DATA_DIR keeps it running, and the last one to leave stops it). SHUTDOWN flushes the
 * AOF, so queued jobs survive until the next start.
 */
async function stopIfLastClient(url: string, stateFile: string): Promise<void> {
  const client = new Redis({ ...redisOptions(url), lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    const clients = String(await client.client('LIST')).split('\n').filter((l) => l.trim() !== '');
    if (clients.length > 1) return;
    rmSync(stateFile, { force: true });
    await client.call('SHUTDOWN').catch(() => {
      // the connection closes as the server exits: that is the answer
    });
  } catch {
    // already gone
    rmSync(stateFile, { force: true });
  } finally {
    client.disconnect();
  }
}

/** Queues lose jobs if Redis evicts keys under memory pressure; only `noeviction` is safe. */
export async function checkEvictionPolicy(url: string): Promise<string | undefined> {
  const client = new Redis({ ...redisOptions(url), lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    await client.connect();
    const reply = (await client.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy && policy !== 'noeviction') {
      return `Redis at ${url.replace(/\/\/[^@]*@/, '//')} has maxmemory-policy=${policy}: under memory pressure it may evict queued jobs. Set "maxmemory-policy noeviction" in redis.conf.`;
    }
    return undefined;
  } catch {
    // managed Redis services often forbid CONFIG; nothing to report then
    return undefined;
  } finally {
    client.disconnect();
  }
}

export async function assertReachable(url: string): Promise<void> {
  if (!(await ping(url, 3_000))) {
    throw new RedisUnavailableError(`cannot reach Redis at ${url.replace(/\/\/[^@]*@/, '//')}: start it, or correct REDIS_URL (unset it to let paperboy start a private redis-server).`);
  }
}
