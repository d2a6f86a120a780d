import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { findOnPath, freePort, isAlive } from '../lib/process.ts';
import { ensureLocalDir } from '../lib/localDir.ts';
import { connectProbe, pingRedis, RedisUnavailableError, type RedisTarget } from './redisClient.ts';

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
      if (holder > 0 && !isAlive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new RedisUnavailableError(`${lock} has been held for 30 s by process ${holder}: if no paperboy process is running, delete the file`);
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
        const lease = isAlive(state.pid) ? await openLease(url) : undefined;
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
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--logfile',
      path.join(dir, 'redis.log'),
      '--daemonize',
      'no',
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
      throw new RedisUnavailableError(
        `the private redis-server exited at start (code ${child.exitCode}): ${stderr.trim() || `see ${path.join(dir, 'redis.log')}`}`,
      );
    }
    if ((await pingRedis(url, 300)) === undefined) break;
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
    const others = holders.filter((pid) => pid !== process.pid && isAlive(pid)).length + holders.filter((pid) => pid === process.pid).length - 1;
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
