/**
 * `npm run bench -- load`: one edition to 100,000 readers in 20 variants, sent by 1, 2 and 4
 * `paperboy worker send` processes through the SES stand-in on loopback, on SQLite and on
 * PostgreSQL. Each (database, workers) run gets a copy of the same prepared database and a
 * redis-server of its own (so its memory peak is that run's); the edition is rendered and
 * fanned out here while the send queue is paused, then the queue is resumed with every worker
 * connected. Checks as it goes that every reader got exactly one message.
 *
 * Sizes: LOAD_SUBSCRIBERS (100000), LOAD_WORKERS (1,2,4), LOAD_DATABASES (sqlite,postgres),
 * LOAD_BATCH (send.batchSize, 200), LOAD_CONCURRENCY (send.concurrency, 16). LOAD_PROFILE_DIR:
 * each worker writes a V8 CPU profile there when it stops (open it in Chrome's DevTools).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEnvironment, parseConfig } from '../src/config/load.ts';
import { Store, kyselyOf } from '../src/db/store.ts';
import { QUEUE, Queues } from '../src/queues/index.ts';
import { fanOutEdition } from '../src/send/fanout.ts';
import { startPostgres, startRedis } from '../test/harness/servers.ts';
import { addReaders, baseConfig, benchEdition, DATE, MAIL_FROM, PUBLIC_URL, SECRET } from './edition.ts';
import { machineLines, root, writeSection, benchApp } from './lib.ts';
import { startStandInProcess, type StandInCounts } from './standIn.ts';

const SUBSCRIBERS = Number(process.env.LOAD_SUBSCRIBERS ?? 100_000);
const WORKERS = (process.env.LOAD_WORKERS ?? '1,2,4').split(',').map(Number);
const DATABASES = (process.env.LOAD_DATABASES ?? 'sqlite,postgres').split(',') as ('sqlite' | 'postgres')[];
const BATCH = Number(process.env.LOAD_BATCH ?? 200);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 16);
/** Far above what the stand-in and two cores reach: the shared limiter is on the path, never the limit. */
const RATE = 100_000;
const PROFILE_DIR = process.env.LOAD_PROFILE_DIR && path.resolve(process.env.LOAD_PROFILE_DIR);
const RUN_TIMEOUT_MS = 20 * 60_000;
const PREFIX = 'load';

const CLK_TCK = 100; // Linux's USER_HZ on every architecture Node.js runs on
const work = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-load-'));
const configFile = path.join(work, 'paperboy.config.json');
const configJson = {
  ...baseConfig,
  mail: { ...baseConfig.mail, postalAddress: '1 Bench Street, Testville' },
  send: { batchSize: BATCH, ratePerSecond: RATE, concurrency: CONCURRENCY, quotaLookup: false },
};
writeFileSync(configFile, JSON.stringify(configJson));
const config = parseConfig(configJson, configFile);

// ---- /proc: what a process (and the machine) spent ---------------------------------------------
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name may hold spaces: the fields start after its closing parenthesis
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
/** CPU ms of a process; with `reaped`, also of its children that exited (a postmaster's backends). */
function cpuMs(pid: number, reaped = false): number {
  try {
    const f = statFields(pid);
    // fields 14-17 of stat(5): utime stime cutime cstime, here from index 11
    const ticks = Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0);
    return (ticks * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
/** Busy and total CPU ticks of the whole machine (every helper's work included). */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total };
}
/** A PostgreSQL cluster's processes: its postmaster (found by its port) and the backends it started. */
function postgresCpuMs(port: number): number {
  let total = 0;
  const pids = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const postmaster = pids.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(`-p ${port} `);
    } catch {
      return false;
    }
  });
  if (!postmaster) return NaN;
  total += cpuMs(postmaster, true);
  for (const pid of pids) {
    try {
      if (Number(statFields(pid)[1]) === postmaster) total += cpuMs(pid);
    } catch {
      // exited meanwhile: its time is in the postmaster's reaped children
    }
  }
  return total;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(p * s.length) - 1)] ?? NaN;
}

// ---- one run ----------------------------------------------------------------------------------
interface Worker {
  proc: ChildProcess;
  log: string;
}

function startWorker(env: NodeJS.ProcessEnv): Worker {
  const proc = spawn(
    process.execPath,
    [...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []), path.join(root, 'bin', 'paperboy.js'), 'worker', 'send'],
    { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const w: Worker = { proc, log: '' };
  proc.stderr!.on('data', (d: Buffer) => (w.log = (w.log + d.toString()).slice(-4000)));
  return w;
}

function stopWorker(w: Worker): Promise<void> {
  if (w.proc.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    w.proc.once('exit', () => resolve());
    w.proc.kill('SIGTERM');
    setTimeout(() => w.proc.kill('SIGKILL'), 30_000).unref();
  });
}

interface Result {
  database: string;
  workers: number;
  msgsPerSec: number;
  wallMs: number;
  p50BatchMs: number;
  p99BatchMs: number;
  batches: number;
  rssMiB: number[];
  redisPeak: string;
  cpu: { workers: number; standIn: number; redis: number; postgres?: number };
  machineBusyCores: number;
  /** From the queue's resume to the edition seen sent: the span of the CPU figures. */
  sendMs: number;
  sent: number;
  standIn: StandInCounts;
  ok: boolean;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number, workers: Worker[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    const dead = workers.find((w) => w.proc.exitCode !== null);
    if (dead) throw new Error(`a send worker exited (${dead.proc.exitCode}) while waiting for ${what}:\n${dead.log}`);
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function run(
  database: 'sqlite' | 'postgres',
  databaseUrl: string,
  n: number,
  standIn: Awaited<ReturnType<typeof startStandInProcess>>,
  postgresPort?: number,
): Promise<Result> {
  const redis = await startRedis();
  const env = {
    ...process.env,
    DATA_DIR: work,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: PREFIX,
    SECRET_KEY: SECRET,
    PUBLIC_URL,
    MAIL_FROM,
    MAIL_TRANSPORT: 'ses',
    SES_REGION: 'eu-west-1',
    SES_ENDPOINT: standIn.url,
    PAPERBOY_CONFIG: configFile,
    LOG_LEVEL: 'warn',
    AWS_ACCESS_KEY_ID: 'AKIABENCHBENCHBENC',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
  };
  const queues = new Queues({ redisUrl: redis.url, prefix: PREFIX });
  const store = await Store.open(databaseUrl);
  const workers: Worker[] = [];
  try {
    const sendQueue = queues.get(QUEUE.send);
    // every worker connected before the first batch is taken: the figures are not their boot times
    await sendQueue.pause();
    for (let i = 0; i < n; i++) workers.push(startWorker(env));
    await until(async () => (await queues.workerCount(QUEUE.send)) >= n, `${n} send worker(s) to connect`, 180_000, workers);
    const appEnv = loadEnvironment(env, work);
    const app = benchApp({ config, env: appEnv, store, queues, secretKey: SECRET, redisUrl: redis.url, configSource: configFile });
    const renderStart = performance.now();
    const fanout = await fanOutEdition(app, DATE);
    const renderMs = performance.now() - renderStart;
    await standIn.reset();
    const redisClient = await sendQueue.client;
    const cpu0 = { workers: workers.map((w) => cpuMs(w.proc.pid!)), postgres: postgresPort ? postgresCpuMs(postgresPort) : undefined };
    const machine0 = machineTicks();
    const sendStart = performance.now();
    process.stderr.write(`${database}, ${n} worker(s): ${fanout.batches} batches queued in ${(renderMs / 1000).toFixed(1)} s, sending\n`);
    await sendQueue.resume();
    await until(
      async () => (await kyselyOf(store).selectFrom('editions').select('status').where('id', '=', DATE).executeTakeFirst())?.status === 'sent',
      'the edition to be sent',
      RUN_TIMEOUT_MS,
      workers,
    );

    const machine1 = machineTicks();
    const sendMs = performance.now() - sendStart;
    const workerCpu = workers.reduce((sum, w, i) => sum + cpuMs(w.proc.pid!) - cpu0.workers[i]!, 0);
    const postgresCpu = postgresPort && cpu0.postgres !== undefined ? postgresCpuMs(postgresPort) - cpu0.postgres : undefined;
    const rssMiB = workers.map((w) => peakRssMiB(w.proc.pid!));
    const counts = await standIn.counts();
    const statuses = await store.deliveries.countByStatus(DATE);
    const jobs = (await sendQueue.getJobs(['completed'])).filter((j) => j?.processedOn && j.finishedOn);
    const durations = jobs.map((j) => j.finishedOn! - j.processedOn!);
    const first = Math.min(...jobs.map((j) => j.processedOn!));
    const last = Math.max(...jobs.map((j) => j.finishedOn!));
    const info = await redisClient.info();
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '?';
    const wallMs = last - first;
    const ok = statuses.sent === SUBSCRIBERS && counts.accepted === SUBSCRIBERS && counts.duplicates === 0 && counts.distinctRecipients === SUBSCRIBERS;
    const result: Result = {
      database,
      workers: n,
      msgsPerSec: statuses.sent / (wallMs / 1000),
      wallMs,
      p50BatchMs: percentile(durations, 0.5),
      p99BatchMs: percentile(durations, 0.99),
      batches: jobs.length,
      rssMiB,
      redisPeak: field('used_memory_peak_human'),
      cpu: { workers: workerCpu, standIn: counts.cpuMs, redis: (Number(field('used_cpu_user')) + Number(field('used_cpu_sys'))) * 1000, postgres: postgresCpu },
      sendMs,
      machineBusyCores: (machine1.busy - machine0.busy) / ((machine1.total - machine0.total) / os.cpus().length),
      sent: statuses.sent,
      standIn: counts,
      ok,
    };
    if (jobs.length !== fanout.batches)
      process.stderr.write(`  note: ${jobs.length} completed send jobs in Redis for ${fanout.batches} queued (retries or removed jobs)\n`);
    if (!ok) process.stderr.write(`  CHECK FAILED: deliveries ${JSON.stringify(statuses)}, stand-in ${JSON.stringify(counts)}\n`);
    process.stderr.write(
      `  ${Math.round(result.msgsPerSec)} msgs/s over ${(wallMs / 1000).toFixed(1)} s, p99 batch ${result.p99BatchMs} ms, RSS ${rssMiB.map((r) => r.toFixed(0)).join('/')} MiB, Redis peak ${result.redisPeak}\n`,
    );
    return result;
  } finally {
    await Promise.all(workers.map(stopWorker));
    await queues.close();
    await store.close();
    await redis.stop();
  }
}

// ---- the databases, prepared once and copied for each run ---------------------------------------
async function prepare(store: Store): Promise<void> {
  const t0 = performance.now();
  const { topicSets } = await benchEdition(store, config);
  await addReaders(store, SUBSCRIBERS, topicSets);
  process.stderr.write(
    `prepared ${SUBSCRIBERS.toLocaleString('en')} readers over ${topicSets.length} variants in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}

const loadStart = os.loadavg();
const results: Result[] = [];
const standIn = await startStandInProcess();
try {
  if (DATABASES.includes('sqlite')) {
    const base = path.join(work, 'base.db');
    const store = await Store.open(`sqlite:${base}`);
    await prepare(store);
    await store.close();
    for (const n of WORKERS) {
      const file = path.join(work, `run-${n}.db`);
      for (const suffix of ['', '-wal', '-shm']) if (existsSync(base + suffix)) copyFileSync(base + suffix, file + suffix);
      results.push(await run('sqlite', `sqlite:${file}`, n, standIn));
      for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    }
  }
  if (DATABASES.includes('postgres')) {
    const postgres = await startPostgres();
    if (!postgres) throw new Error('PostgreSQL is not installed (initdb not found): install postgresql, or run with LOAD_DATABASES=sqlite');
    try {
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
      const urlOf = (name: string) => postgres.url.replace(/\/postgres$/, `/${name}`);
      const port = Number(new URL(postgres.url).port);
      await admin.query('CREATE DATABASE load_base');
      const store = await Store.open(urlOf('load_base'));
      await prepare(store);
      await store.close();
      for (const n of WORKERS) {
        await admin.query(`CREATE DATABASE load_${n} TEMPLATE load_base`);
        results.push(await run('postgres', urlOf(`load_${n}`), n, standIn, port));
        await admin.query(`DROP DATABASE load_${n}`);
      }
      await admin.end();
    } finally {
      await postgres.stop();
    }
  }
} finally {
  standIn.stop();
  rmSync(work, { recursive: true, force: true });
}
const loadEnd = os.loadavg();

const s = (ms: number) => (ms / 1000).toFixed(1);
const dbName = (db: string) => (db === 'sqlite' ? 'SQLite' : 'PostgreSQL');
const ourCpuMs = (r: Result) => r.cpu.workers + r.cpu.standIn + r.cpu.redis + (r.cpu.postgres ?? 0);
/** CPU per message over every process of the bench. */
const perMessage = (r: Result) => ourCpuMs(r) / r.sent;
const rows = results.map((r) => {
  const one = results.find((x) => x.database === r.database && x.workers === 1);
  const scale = one && r.workers !== 1 ? ` (${(r.msgsPerSec / one.msgsPerSec).toFixed(2)}× one)` : '';
  const cpu = `${s(r.cpu.workers)} / ${s(r.cpu.standIn)} / ${s(r.cpu.redis)}${r.cpu.postgres !== undefined ? ` / ${s(r.cpu.postgres)}` : ''}`;
  const check = `${r.sent.toLocaleString('en')} sent, ${r.standIn.accepted.toLocaleString('en')} accepted, ${r.standIn.duplicates} duplicates ${r.ok ? '✓' : '✗'}`;
  const busy = `${r.machineBusyCores.toFixed(2)} (${Math.round((100 * ourCpuMs(r)) / (r.machineBusyCores * r.sendMs))} % this bench's)`;
  return `| ${dbName(r.database)} | ${r.workers} | **${Math.round(r.msgsPerSec).toLocaleString('en')}**${scale} | ${(r.wallMs / 1000).toFixed(1)} s | ${r.p99BatchMs.toLocaleString('en')} ms (p50 ${r.p50BatchMs.toLocaleString('en')}) | ${r.rssMiB.map((x) => x.toFixed(0)).join(', ')} | ${r.redisPeak} | ${cpu} | ${perMessage(r).toFixed(2)} ms | ${busy} | ${check} |`;
});

writeSection(
  'load',
  [
    '## Load (`npm run bench -- load`)',
    '',
    ...machineLines('SQLite (node:sqlite) and PostgreSQL 15'),
    `- command: \`${['LOAD_SUBSCRIBERS', 'LOAD_WORKERS', 'LOAD_DATABASES', 'LOAD_BATCH', 'LOAD_CONCURRENCY']
      .filter((k) => process.env[k])
      .map((k) => `${k}=${process.env[k]} `)
      .join('')}npm run bench -- load\``,
    `- load average (1, 5, 15 min) at the start: ${loadStart.map((l) => l.toFixed(1)).join(', ')}; at the end: ${loadEnd.map((l) => l.toFixed(1)).join(', ')}, on ${os.cpus().length} cores shared with other work`,
    `- one edition to ${SUBSCRIBERS.toLocaleString('en')} readers in 20 variants (21 KB messages), \`send.batchSize\` ${BATCH}, \`send.concurrency\` ${CONCURRENCY} (per batch; 2 batches per worker), \`send.ratePerSecond\` ${RATE.toLocaleString('en')} (the Redis limiter is asked for every message but never makes one wait), \`send.quotaLookup\` false, \`send.sesApi\` v2 (the default)`,
    '- each run: a copy of the prepared database, a fresh redis-server (AOF on, as in docker-compose.yml), N `paperboy worker send` processes, the SES stand-in (test/harness/sesStandIn.ts) in one process of its own on loopback',
    '',
    '| database | send workers | msgs/s | first claim → last sent | p99 batch latency | peak RSS per worker (MiB) | Redis used_memory_peak | CPU s: workers / stand-in / Redis / PostgreSQL | CPU per message, all processes | machine busy (cores, all processes) | correctness |',
    '|---|---:|---:|---:|---:|---|---:|---|---:|---:|---|',
    ...rows,
    '',
    'How it is measured:',
    "- msgs/s: messages sent (deliveries `sent` in the database) over the time from the first send job's `processedOn` to the last one's `finishedOn`, read from the BullMQ jobs in Redis after the run. The render and fan-out run before, while the send queue is paused, with every worker already connected.",
    `- batch latency: \`finishedOn − processedOn\` of each send job (${BATCH} readers).`,
    '- peak RSS: `VmHWM` of each worker process (/proc/PID/status) when the edition is sent, before it is stopped.',
    "- Redis memory: `used_memory_peak_human` of INFO; the redis-server is that run's alone. Completed send jobs are kept (1,000 at most, a day), so the peak includes them.",
    "- CPU: /proc/PID/stat of the workers and of the PostgreSQL cluster's processes, the stand-in's `process.cpuUsage()`, Redis's INFO cpu, over the send only. \"machine busy\" is /proc/stat over the same time: the cores in use on average by every process on the machine, other people's work included, and the share of that this bench's processes used.",
    "- correctness: every reader's delivery is `sent` in the database, the stand-in accepted exactly that many messages, each to a different recipient.",
    '',
    'What limits the figures:',
    ...[...new Set(results.map((r) => r.database))].map((db) => {
      const runs = results.filter((r) => r.database === db);
      const best = Math.min(...runs.map(perMessage));
      return `- ${dbName(db)}: CPU per message over all the bench's processes ${runs.map((r) => `${perMessage(r).toFixed(2)} ms with ${r.workers}`).join(', ')} worker(s), of which the workers' own ${runs.map((r) => (r.cpu.workers / r.sent).toFixed(2)).join(', ')} ms${runs[0]!.cpu.postgres !== undefined ? ` and PostgreSQL's ${runs.map((r) => (r.cpu.postgres! / r.sent).toFixed(3)).join(', ')} ms` : ''}. At ${best.toFixed(2)} ms, ${os.cpus().length} cores of the bench's own would cap the edition near ${Math.round((os.cpus().length * 1000) / best).toLocaleString('en')} msgs/s whatever the number of workers.`;
    }),
    "- The send worker is CPU-bound, and most of its CPU is the AWS SDK's work per call (the base64 message serialized into JSON, the SigV4 signature with a SHA-256 of the body, the middleware stack): a worker's CPU profile (`LOAD_PROFILE_DIR=DIR npm run bench -- load`, opened in Chrome's DevTools) shows it. Claiming, building the MIME message from the prepared variant, the rate limiter and recording outcomes are small beside it, and so is the database (a handful of statements per batch of readers, and one write of outcomes per second per batch).",
    `- One worker runs its JavaScript on one core, so a second worker can take the other one while it is free. Beyond the cores, more workers add no CPU: they share them with the stand-in, Redis, the database and whatever else runs on the machine ("machine busy"), and each pays its own JIT warm-up and the SDK's lazy loading, so the CPU per message does not fall with N. Here the most msgs/s came with ${[
      ...new Set(results.map((r) => r.database)),
    ]
      .map((db) => {
        const runs = results.filter((r) => r.database === db);
        return `${runs.reduce((a, b) => (b.msgsPerSec > a.msgsPerSec ? b : a)).workers} worker(s) on ${dbName(db)}`;
      })
      .join(
        ' and ',
      )}. A batch's latency grows with the batches in flight (2 per worker) sharing the cores. On SQLite, every worker's writes also take the database's one write lock, and a worker waiting for it waits synchronously (SQLite's busy timeout), its sends in flight included; PostgreSQL has no such lock. Workers pay off with cores or machines of their own (and PostgreSQL once there is more than one machine): they share the edition through Redis, one claim statement per batch.`,
  ].join('\n'),
);
if (results.some((r) => !r.ok)) process.exitCode = 1;
