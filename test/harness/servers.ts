import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOnPath, freePort } from '../../src/lib/process.ts';
import { until } from './until.ts';

export interface Server {
  url: string;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

/**
 * A redis-server of its own: AOF on, `appendfsync` as given (Redis's default, everysec, unless
 * told). `restart` stops it cleanly; `kill` is SIGKILL, the way a crash or the OOM killer
 * ends it, and `start` brings it back on the same port and data folder.
 */
export async function startRedis(
  opts: { appendfsync?: 'always' | 'everysec' } = {},
): Promise<Server & { port: number; restart(): Promise<void>; kill(): Promise<void>; start(): Promise<void> }> {
  const binary = findOnPath('redis-server', ['/usr/sbin']);
  if (!binary) throw new Error('redis-server is not installed: apt-get install redis-server (the tests use a real Redis)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-test-redis-'));
  const port = await freePort();
  const start = () => {
    const child = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        opts.appendfsync ?? 'everysec',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    return child;
  };
  let child = start();
  const { Redis } = await import('ioredis');
  const ping = async () => {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  };
  await until('redis-server to start', ping, { timeoutMs: 20_000, intervalMs: 50 });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      await stopChild(child);
      child = start();
      await until('redis-server to start again', ping, { timeoutMs: 20_000, intervalMs: 50 });
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    async start() {
      child = start();
      await until('redis-server to start again', ping, { timeoutMs: 20_000, intervalMs: 50 });
    },
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBinDir(): string | undefined {
  const onPath = findOnPath('initdb');
  if (onPath && findOnPath('pg_ctl')) return path.dirname(onPath);
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(path.join(root, v, 'bin', 'initdb'))) return path.join(root, v, 'bin');
  return undefined;
}

/**
 * A throw-away cluster; as root it runs as the `postgres` user (initdb refuses root).
 * `stopServer` is a fast shutdown (every session cut), `startServer` brings it back on the
 * same port and data.
 */
export async function startPostgres(): Promise<(Server & { stopServer(): Promise<void>; startServer(): Promise<void> }) | undefined> {
  const bin = postgresBinDir();
  if (!bin) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-test-pg-'));
  chmodSync(dir, 0o755);
  const asRoot = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error('running as root but there is no "postgres" user to run PostgreSQL as');
    uid = Number(id.stdout.trim());
    gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const run = (args: string[]) => {
    const r = spawnSync(path.join(bin, args[0]!), args.slice(1), { encoding: 'utf8', uid, gid, cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
    if (r.status !== 0) throw new Error(`${args[0]} failed: ${r.stderr || r.stdout}`);
  };
  run(['initdb', '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const startServer = () =>
    run([
      'pg_ctl',
      '-D',
      data,
      '-l',
      path.join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      'start',
    ]);
  startServer();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    async stopServer() {
      run(['pg_ctl', '-D', data, '-m', 'fast', '-w', 'stop']);
    },
    async startServer() {
      startServer();
    },
    async stop() {
      try {
        run(['pg_ctl', '-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A throw-away Redis Cluster of `nodes` masters (no replicas) on loopback free ports, each
 * with its own folder and cluster config file; resolves once every node reports
 * cluster_state:ok. `url` names one node, as an operator's REDIS_URL would. With
 * `create: false` the nodes are left without slots, a cluster in cluster_state:fail.
 */
export async function startRedisCluster(nodes = 3, opts: { create?: boolean } = {}): Promise<Server & { ports: number[] }> {
  const binary = findOnPath('redis-server', ['/usr/sbin']);
  const cli = findOnPath('redis-cli', ['/usr/sbin']);
  if (!binary || !cli) throw new Error('redis-server and redis-cli are not installed: apt-get install redis-server (the tests use a real Redis)');
  const root = mkdtempSync(path.join(os.tmpdir(), 'pb-test-redis-cluster-'));
  const ports: number[] = [];
  while (ports.length < nodes) {
    const port = await freePort();
    // a node also listens on port + 10000 for the cluster bus
    if (port <= 55535 && !ports.includes(port)) ports.push(port);
  }
  const children = ports.map((port) => {
    const dir = path.join(root, String(port));
    mkdirSync(dir);
    return spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, 'nodes.conf'),
        '--cluster-node-timeout',
        '5000',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
  });
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const cliOut = (args: string[]) => spawnSync(cli, args, { encoding: 'utf8', timeout: 30_000 });
    for (const port of ports)
      await until(`redis-server (cluster node ${port}) to start`, () => cliOut(['-h', '127.0.0.1', '-p', String(port), 'PING']).stdout.trim() === 'PONG', {
        timeoutMs: 20_000,
        intervalMs: 50,
      });
    if (opts.create === false) return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop };
    const created = cliOut(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stderr || created.stdout}`);
    for (const port of ports) {
      await until(
        `Redis Cluster node ${port} to reach cluster_state:ok`,
        () => /cluster_state:ok/.test(cliOut(['-h', '127.0.0.1', '-p', String(port), 'CLUSTER', 'INFO']).stdout),
        { timeoutMs: 30_000, intervalMs: 50 },
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop };
}
