/**
 * The private redis-server and signals, on real processes: it is stopped on every way out
 * (the end, a signal, a second signal), and never while another process on the same
 * DATA_DIR uses it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/lib/process.ts';
import { redisOptions } from '../../src/queues/redisClient.ts';
import { repoRoot, runCli, tempDir, until } from '../harness/index.ts';

const children: ChildProcess[] = [];
const pids: number[] = [];
const silent: net.Server[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // a redis-server a failed test left behind
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const s of silent) s.close();
});

interface Started {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A long-running `paperboy …` on a DATA_DIR with a private Redis. */
function start(args: string[], env: Record<string, string>): Started {
  const full: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...env };
  delete full.REDIS_URL;
  delete full.DATABASE_URL;
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'paperboy.js'), ...args], { cwd: repoRoot, env: full });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, exited };
}

function redisState(dataDir: string): { port: number; pid: number } | undefined {
  const file = path.join(dataDir, 'redis', 'paperboy-redis.json');
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as { port: number; pid: number };
  if (!pids.includes(state.pid)) pids.push(state.pid);
  return state;
}

async function expectRedisStopped(pid: number): Promise<void> {
  await until(`redis-server ${pid} to exit`, () => !isAlive(pid), { timeoutMs: 10_000 });
}

/** A feed server that accepts connections and never answers: a fetch stays in flight. */
async function hangingFeed(): Promise<string> {
  const server = net.createServer((socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  silent.push(server);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => sockets.add(s));
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    sockets.forEach((s) => s.destroy());
    return close(cb);
  }) as typeof server.close;
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/feed.xml`;
}

function slowSourceConfig(dir: string, url: string): string {
  const file = path.join(dir, 'paperboy.config.json');
  writeFileSync(
    file,
    JSON.stringify({ sources: [{ name: 'slow', kind: 'rss', url, allowLocal: true }], fetch: { connectTimeoutMs: 120_000, totalTimeoutMs: 180_000 } }),
  );
  return file;
}

describe('the private redis-server shared by processes of one DATA_DIR', () => {
  it('keeps running under `serve` while one-shot commands come and go; `serve` stops it when it leaves', async () => {
    const dataDir = tempDir();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const serve = start(['serve', '--port', String(port), '--host', '127.0.0.1'], { DATA_DIR: dataDir });
    await until('serve to listen', () => /serving on/.test(serve.stderr()));
    const state = redisState(dataDir)!;
    expect(state).toBeDefined();
    // before this fix, `serve` held no connection until its first /readyz, and the one-shot
    // command stopped the Redis under it
    for (const args of [['doctor'], ['edition', 'show', '--date', '2026-11-26']]) {
      await runCli(args, { env: { DATA_DIR: dataDir, REDIS_URL: undefined, DATABASE_URL: undefined } });
      expect(isAlive(state.pid), `redis-server after \`paperboy ${args.join(' ')}\``).toBe(true);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status, await ready.text()).toBe(200);
    }
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    await expectRedisStopped(state.pid);
    expect(redisState(dataDir)).toBeUndefined();
  }, 180_000);

  it('survives one-shot commands running in parallel, each exiting cleanly, and is stopped by the last', async () => {
    const dataDir = tempDir();
    const runs = await Promise.all(
      Array.from({ length: 6 }, () =>
        runCli(['edition', 'build', '--date', '2026-11-26'], { env: { DATA_DIR: dataDir, REDIS_URL: undefined, DATABASE_URL: undefined } }),
      ),
    );
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/Connection is closed|\n\s+at /);
    }
    expect(redisState(dataDir)).toBeUndefined();
    const log = readFileSync(path.join(dataDir, 'redis', 'redis.log'), 'utf8');
    expect((log.match(/ready to accept connections/gi) ?? []).length).toBe((log.match(/Redis is now ready to exit/gi) ?? []).length);
  }, 240_000);
});

describe('signals', () => {
  it('Ctrl-C during `run --once` stops the command and its private redis-server', async () => {
    const dataDir = tempDir();
    const config = slowSourceConfig(dataDir, await hangingFeed());
    const run = start(['run', '--once', '--date', '2026-11-26'], { DATA_DIR: dataDir, PAPERBOY_CONFIG: config });
    await until('the ingest to start', () => /ingesting 1 source/.test(run.stderr()));
    const { pid } = redisState(dataDir)!;
    run.child.kill('SIGINT');
    expect(await run.exited).toEqual({ code: 130, signal: null });
    await expectRedisStopped(pid);
    expect(redisState(dataDir)).toBeUndefined();
  }, 120_000);

  it('a worker finishes its job on the first SIGTERM, exits at once on the second, and stops its private Redis', async () => {
    const dataDir = tempDir();
    const config = slowSourceConfig(dataDir, await hangingFeed());
    const heartbeat = path.join(dataDir, 'heartbeat');
    const worker = start(['worker', 'ingest'], { DATA_DIR: dataDir, PAPERBOY_CONFIG: config, LOG_LEVEL: 'info', PAPERBOY_HEARTBEAT_FILE: heartbeat });
    await until('the worker to run', () => /workers running/.test(worker.stderr()));
    // what the container health check of docker-compose.yml reads
    await until('the heartbeat', () => existsSync(heartbeat));
    expect(Date.now() - statSync(heartbeat).mtimeMs).toBeLessThan(60_000);
    const { pid, port } = redisState(dataDir)!;
    const queue = new Queue('ingest', { connection: redisOptions(`redis://127.0.0.1:${port}`), prefix: 'paperboy' });
    await queue.add('ingest', { source: 'slow' }, { attempts: 1 });
    await until('the job to be in flight', async () => (await queue.getActiveCount()) === 1);
    await queue.close();

    worker.child.kill('SIGTERM');
    await until('the first signal to be acknowledged', () => /finishing the jobs in flight/.test(worker.stderr()));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(worker.child.exitCode, 'the worker waits for its job after one SIGTERM').toBeNull();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 143, signal: null });
    await expectRedisStopped(pid);
  }, 120_000);

  it('a worker whose Redis hangs stops on SIGTERM within workers.stopTimeoutSeconds, saying why', async () => {
    const dataDir = tempDir();
    const config = path.join(dataDir, 'paperboy.config.json');
    writeFileSync(config, JSON.stringify({ sources: [], workers: { stopTimeoutSeconds: 3 } }));
    const worker = start(['worker', 'send', 'mail'], { DATA_DIR: dataDir, PAPERBOY_CONFIG: config, LOG_LEVEL: 'info' });
    await until('the worker to run', () => /workers running/.test(worker.stderr()));
    const { pid, port } = redisState(dataDir)!;
    // both workers waiting on Redis for their next job, as a running worker is
    const probe = new Redis(redisOptions(`redis://127.0.0.1:${port}`));
    await until('both workers to wait for jobs', async () => Number(/blocked_clients:(\d+)/.exec(await probe.info('clients'))?.[1]) >= 2);
    probe.disconnect();
    // a Redis that takes connections and answers nothing (a hung server, a partition): before
    // the bound, BullMQ's close waited for its answer for ever, until systemd's TimeoutStopSec
    // or docker's grace period SIGKILLed the worker
    process.kill(pid, 'SIGSTOP');
    try {
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toEqual({ code: 1, signal: null });
      expect(worker.stderr()).toMatch(
        /workers did not stop within 3 s \(workers.stopTimeoutSeconds\): Redis at redis:\/\/127.0.0.1:\d+ does not answer; leaving now/,
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }, 120_000);

  it('a worker whose Redis is down says each error once, not at each reconnect', async () => {
    const dataDir = tempDir();
    const worker = start(['worker', 'send', 'mail'], {
      DATA_DIR: dataDir,
      PAPERBOY_CONFIG: slowSourceConfig(dataDir, 'http://127.0.0.1:9/feed.xml'),
      LOG_LEVEL: 'debug',
    });
    await until('the worker to run', () => /workers running/.test(worker.stderr()));
    const { pid } = redisState(dataDir)!;
    process.kill(pid, 'SIGKILL');
    await expectRedisStopped(pid);
    // each connection retries about once a second; wait for two failed reconnects of each queue
    const again = (queue: string) => (worker.stderr().match(new RegExp(`worker error again queue=${queue} .*ECONNREFUSED`, 'g')) ?? []).length;
    await until('two failed reconnects of each queue', () => again('send') >= 2 && again('mail') >= 2);
    worker.child.kill('SIGKILL');
    const said = worker.stderr().match(/ error worker error .*ECONNREFUSED.*/g) ?? [];
    expect(said.map((line) => /queue=(\w+)/.exec(line)?.[1]).sort(), said.join('\n')).toEqual(['mail', 'send']);
  }, 120_000);
});

describe('a background Redis command that outlives its closed connection', () => {
  // CI: `edition build` closed its in-process rank workers, one of BullMQ's background
  // commands then rejected "Connection is closed." unhandled, and the crash handler stopped
  // the database under the build ("driver has already been destroyed", exit 1)
  it('does not stop the command: its work finishes and its result stands', async () => {
    const dataDir = tempDir();
    const script = `
      const { withData, output } = await import(${JSON.stringify(path.join(repoRoot, 'src/cli/runtime.ts'))});
      process.exitCode = await withData(async (app) => {
        void Promise.reject(new Error('Connection is closed.'));
        await new Promise((r) => setTimeout(r, 200));
        output.line('papers: ' + (await app.store.papers.count()));
        return 0;
      });
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: `sqlite:${path.join(dataDir, 'p.db')}`, REDIS_URL: '' },
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).not.toMatch(/Connection is closed|destroyed/);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('papers: 0\n');
  }, 60_000);
});
