/**
 * The operator guide's systemd units and cron line, run as systemd and cron run them: the
 * command and environment taken from README.md (its paths mapped to this checkout and temp
 * folders, its EnvironmentFile holding the test's endpoints), a clean environment, an
 * unprivileged user without a home, a process group of its own. Then systemd's stop: SIGTERM
 * to the whole group (KillMode=control-group, the default) or to the main process alone
 * (KillMode=mixed, `kill $MAINPID`). The main process must exit 0 within TimeoutStopSec,
 * leave nothing of itself running, and have finished what it was sending.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { Store } from '../../src/db/store.ts';
import { freePort } from '../../src/lib/process.ts';
import { addDays, currentEditionDay, cutoffOf } from '../../src/domain/time.ts';
import { redisUrl, repoRoot, runCli, serveRoutes, tempDir, until } from '../harness/index.ts';
import { processGroup } from '../harness/processes.ts';
import { startSesStandIn } from '../harness/sesStandIn.ts';
import { EDITION_DATE, prepareEdition } from '../harness/edition.ts';

const README = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

/** The fenced blocks of README.md in a language. */
function readmeBlocks(lang: string): string[] {
  return [...README.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```', 'gm'))].map((m) => m[1]!);
}

/** Words as systemd splits a command line or an Environment= line: by spaces, quotes kept together. */
function systemdWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

interface Unit {
  description: string;
  /** [Service] settings, each with every value it was given (Environment= may come more than once). */
  service: Map<string, string[]>;
}

function documentedUnits(): Unit[] {
  const units: Unit[] = [];
  for (const block of readmeBlocks('ini')) {
    let section = '';
    const unit: Unit = { description: '', service: new Map() };
    for (const raw of block.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const header = /^\[(\w+)\]$/.exec(line);
      if (header) {
        section = header[1]!;
        continue;
      }
      const eq = line.indexOf('=');
      const [key, value] = [line.slice(0, eq), line.slice(eq + 1)];
      if (section === 'Unit' && key === 'Description') unit.description = value;
      if (section === 'Service') unit.service.set(key, [...(unit.service.get(key) ?? []), value]);
    }
    if (unit.service.size > 0) units.push(unit);
  }
  return units;
}

function unitRunning(command: string): Unit {
  const unit = documentedUnits().find((u) => {
    const execStart = u.service.get('ExecStart')?.[0] ?? '';
    return /paperboy/.test(execStart) && systemdWords(execStart).includes(command);
  });
  if (!unit) throw new Error(`README.md documents no systemd unit whose ExecStart runs paperboy ${command}`);
  return unit;
}

/** The command of the README's crontab line (after its five time fields). */
function documentedCronCommand(): string {
  const line = readmeBlocks('cron')
    .flatMap((b) => b.split('\n'))
    .find((l) => l.trim() && !l.trim().startsWith('#'));
  const m = line && /^\s*(?:\S+\s+){5}(.+)$/.exec(line);
  if (!m) throw new Error('README.md has no crontab line in a ```cron block');
  return m[1]!;
}

/** Replaces the README's machine paths (a path or a prefix of one) by this test's. */
function pathMapper(paths: Record<string, string>): (text: string) => string {
  const froms = Object.keys(paths).sort((a, b) => b.length - a.length);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(${froms.map(escape).join('|')})(?=$|[/\\s'"])`, 'g');
  return (text) => text.replace(pattern, (from) => paths[from]!);
}

/** KEY=VALUE lines, as systemd reads an EnvironmentFile. */
function readEnvironmentFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/**
 * Who the units and the cron job run as. The README's `paperboy` is a system user without a
 * home folder; here, as root, it is `nobody` (home /nonexistent), when `nobody` can read this
 * checkout. Otherwise the tests' own user, with a home that cannot be created even by root.
 */
interface Account {
  uid?: number;
  gid?: number;
  name: string;
  home: string;
}

function serviceAccount(scratch: string): Account {
  const nonexistentHome = () => {
    // a path under a regular file: no user, root included, can make it a folder
    const file = path.join(scratch, 'not-a-folder');
    writeFileSync(file, '');
    return path.join(file, 'home');
  };
  if (process.getuid?.() !== 0) return { name: process.env.USER ?? 'tester', home: '/nonexistent' };
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  const [uid, gid] = [id('-u'), id('-g')];
  const probe = spawnSync(
    process.execPath,
    ['-e', `require('fs').readFileSync(${JSON.stringify(path.join(repoRoot, 'node_modules', 'tsx', 'package.json'))})`],
    { uid, gid },
  );
  if (Number.isNaN(uid) || probe.status !== 0) return { name: 'root', home: nonexistentHome() };
  return { uid, gid, name: 'nobody', home: '/nonexistent' };
}

function giveTo(account: Account, dir: string): void {
  if (account.uid === undefined) return;
  const r = spawnSync('chown', ['-R', `${account.uid}:${account.gid}`, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`chown ${dir}: ${r.stderr}`);
}

interface Launched {
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

function launch(argv: string[], opts: { cwd: string; env: Record<string, string>; account: Account }): Launched {
  // detached: a process group of its own, as a unit's control group or a cron job is
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env,
    uid: opts.account.uid,
    gid: opts.account.gid,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  child.once('error', (err) => (output += `spawn failed: ${err.message}\n`));
  return { pid: child.pid!, output: () => output, exited, hasExited: () => done };
}

/** Whatever is left of a group when a test ends: SIGKILL, as systemd's last resort. */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // nothing left
  }
}

/** The environment systemd gives a unit's process: its own, never the shell's that started it. */
function unitEnvironment(unit: Unit, map: (s: string) => string, account: Account): Record<string, string> {
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: account.home,
    USER: account.name,
    LOGNAME: account.name,
    SHELL: '/bin/sh',
  };
  for (const line of unit.service.get('Environment') ?? []) {
    for (const word of systemdWords(map(line))) {
      const eq = word.indexOf('=');
      env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  for (const value of unit.service.get('EnvironmentFile') ?? []) {
    const optional = value.startsWith('-');
    const file = map(optional ? value.slice(1) : value);
    if (existsSync(file)) Object.assign(env, readEnvironmentFile(file));
    else if (!optional) throw new Error(`EnvironmentFile ${file} is missing`);
  }
  return env;
}

/** Starts a documented unit's ExecStart as systemd would. */
function startUnit(unit: Unit, map: (s: string) => string, account: Account): Launched {
  const argv = systemdWords(map(unit.service.get('ExecStart')![0]!));
  if (!path.isAbsolute(argv[0]!)) throw new Error(`ExecStart must name its program by an absolute path: ${argv[0]}`);
  return launch(argv, { cwd: map(unit.service.get('WorkingDirectory')?.[0] ?? '/'), env: unitEnvironment(unit, map, account), account });
}

/** systemd's stop: KillSignal to the group or the main process, then up to TimeoutStopSec for the main process to exit. */
async function stopUnit(unit: Unit, running: Launched, whom: 'group' | 'main'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const signal = (unit.service.get('KillSignal')?.[0] ?? 'SIGTERM') as NodeJS.Signals;
  const timeoutSec = Number(unit.service.get('TimeoutStopSec')?.[0] ?? 90);
  process.kill(whom === 'group' ? -running.pid : running.pid, signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>(
    (_, reject) =>
      (timer = setTimeout(
        () => reject(new Error(`the main process did not exit within TimeoutStopSec=${timeoutSec}: systemd would SIGKILL it\n${running.output()}`)),
        timeoutSec * 1000,
      )),
  );
  try {
    return await Promise.race([running.exited, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Nothing of the unit is left running: what systemd waits for (control-group) or SIGKILLs (mixed). */
async function expectNothingLeft(running: Launched): Promise<void> {
  await until('every process of the unit to have exited', () => processGroup(running.pid).length === 0, {
    timeoutMs: 10_000,
    explain: () => `still running: ${JSON.stringify(processGroup(running.pid))}\n${running.output()}`,
  }).finally(() => killGroup(running.pid));
}

/** A folder owned by the service account, with the README's paths mapped into it. */
function machine(account: Account, prefix: string) {
  const dir = tempDir(prefix);
  const dataDir = path.join(dir, 'var-lib-paperboy');
  mkdirSync(dataDir);
  const envFile = path.join(dir, 'paperboy.env');
  const logFile = path.join(dir, 'paperboy.log');
  const map = pathMapper({
    '/srv/paperboy': repoRoot,
    '/var/lib/paperboy': dataDir,
    '/etc/paperboy.env': envFile,
    '/var/log/paperboy.log': logFile,
    '/usr/bin/node': process.execPath,
  });
  return { dir, dataDir, envFile, logFile, map };
}

function envFileText(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

const READERS = 400;

describe('the README’s systemd units and cron line, run as systemd and cron run them', () => {
  it('paperboy-worker, stopped mid-send by SIGTERM to its whole control group (KillMode=control-group, the default), started again, stopped by SIGTERM to its main process alone (KillMode=mixed, kill $MAINPID): each time the main process exits 0 with its batches recorded, and nothing of it is left sending', async () => {
    const unit = unitRunning('worker');
    const scratch = tempDir('pb-unit-');
    const account = serviceAccount(scratch);
    const m = machine(account, 'pb-unit-worker-');
    const standIn = await startSesStandIn();
    try {
      standIn.latencyMs = 20;
      const configPath = path.join(m.dir, 'paperboy.config.json');
      writeFileSync(
        configPath,
        JSON.stringify({
          ...JSON.parse(readFileSync(path.join(repoRoot, 'paperboy.config.json'), 'utf8')),
          sources: [],
          send: { batchSize: 20, ratePerSecond: 100, quotaLookup: false },
        }),
      );
      // what an operator keeps in /etc/paperboy.env: the endpoints and secrets
      const endpoints = {
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: `unit-${Date.now()}`,
        PAPERBOY_CONFIG: configPath,
        SECRET_KEY: 'unit-secret-0123456789abcdef',
        MAIL_TRANSPORT: 'ses',
        SES_REGION: 'eu-west-1',
        SES_ENDPOINT: standIn.url,
        PUBLIC_URL: 'https://papers.example.org',
        MAIL_FROM: 'Daily Papers <papers@example.org>',
        AWS_ACCESS_KEY_ID: 'AKIATESTTESTTEST',
        AWS_SECRET_ACCESS_KEY: 'test-secret',
      };
      writeFileSync(m.envFile, envFileText(endpoints));
      const cli = { ...endpoints, DATA_DIR: m.dataDir };
      await prepareEdition(cli, m.dir, READERS);
      const queued = await runCli(['edition', 'send', '--date', EDITION_DATE], { env: cli });
      expect(queued.code, queued.stderr).toBe(0);

      for (const whom of ['group', 'main'] as const) {
        giveTo(account, m.dir);
        const before = standIn.messages.length;
        const running = startUnit(unit, m.map, account);
        try {
          await until('the worker to be sending', () => standIn.messages.length >= before + 40 || running.hasExited(), {
            timeoutMs: 120_000,
            explain: running.output,
          });
          expect(running.hasExited(), `the unit's process exited before sending:\n${running.output()}`).toBe(false);
          const exit = await stopUnit(unit, running, whom);
          expect(exit, `SIGTERM to the ${whom}: the main process's exit (systemd counts anything but 0 as a failure):\n${running.output()}`).toEqual({
            code: 0,
            signal: null,
          });
          await expectNothingLeft(running);
        } finally {
          killGroup(running.pid);
        }

        // the batches in flight were finished and recorded: nothing "sending", every message SES accepted recorded once
        const store = await Store.open(`sqlite:${path.join(m.dataDir, 'paperboy.db')}`);
        try {
          const counts = await store.deliveries.countByStatus(EDITION_DATE);
          const received = new Set(standIn.messages.map((msg) => msg.to[0]));
          expect(counts.sending, `SIGTERM to the ${whom}`).toBe(0);
          expect(received.size, `SIGTERM to the ${whom}: readers sent the edition twice`).toBe(standIn.messages.length);
          expect(counts.sent, `SIGTERM to the ${whom}`).toBe(received.size);
          expect(counts.pending, `SIGTERM to the ${whom}: the edition was to be stopped mid-send`).toBeGreaterThan(0);
        } finally {
          await store.close();
        }
      }
    } finally {
      await standIn.close();
    }
  }, 300_000);

  it('paperboy-web: SIGTERM to the control group: the main process exits 0 and nothing of it is left', async () => {
    const unit = unitRunning('serve');
    const scratch = tempDir('pb-unit-');
    const account = serviceAccount(scratch);
    const m = machine(account, 'pb-unit-web-');
    const configPath = path.join(m.dir, 'paperboy.config.json');
    writeFileSync(configPath, JSON.stringify({ ...JSON.parse(readFileSync(path.join(repoRoot, 'paperboy.config.json'), 'utf8')), sources: [] }));
    const port = await freePort();
    writeFileSync(
      m.envFile,
      envFileText({
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: `unit-web-${Date.now()}`,
        PAPERBOY_CONFIG: configPath,
        SECRET_KEY: 'unit-secret-0123456789abcdef',
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
      }),
    );
    giveTo(account, m.dir);

    const running = startUnit(unit, m.map, account);
    try {
      const healthy = async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true;
      await until('the web service to answer /healthz', async () => running.hasExited() || (await healthy()), { timeoutMs: 120_000, explain: running.output });
      expect(running.hasExited(), `the unit's process exited before serving:\n${running.output()}`).toBe(false);
      const exit = await stopUnit(unit, running, 'group');
      expect(exit, running.output()).toEqual({ code: 0, signal: null });
      await expectNothingLeft(running);
    } finally {
      killGroup(running.pid);
    }
  }, 300_000);

  it('the cron line: run as cron runs it (/bin/sh, PATH=/usr/bin:/bin, a system user without a home), it does the whole day and logs it', async () => {
    const scratch = tempDir('pb-cron-');
    const account = serviceAccount(scratch);
    const m = machine(account, 'pb-cron-');
    // a feed on loopback whose posts belong to the edition the cron job builds: the current one
    const defaults = JSON.parse(readFileSync(path.join(repoRoot, 'paperboy.config.json'), 'utf8'));
    const clock = parseConfig(defaults, 'paperboy.config.json').edition;
    const day = currentEditionDay(new Date(), clock);
    const announced = new Date(cutoffOf(addDays(day, -1), clock).getTime() + 12 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const atom = readFileSync(path.join(repoRoot, 'demo', 'feeds', 'lab-blog.atom'), 'utf8').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, announced);
    const feeds = await serveRoutes({ '/lab.atom': { headers: { 'content-type': 'application/atom+xml' }, body: atom } });
    const configPath = path.join(m.dir, 'paperboy.config.json');
    writeFileSync(configPath, JSON.stringify({ ...defaults, sources: [{ name: 'lab', kind: 'rss', url: `${feeds.url}/lab.atom`, allowLocal: true }] }));
    // the crontab's own variable lines (cron reads no environment file)
    const crontabVariables = {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: `cron-${Date.now()}`,
      PAPERBOY_CONFIG: configPath,
      SECRET_KEY: 'cron-secret-0123456789abcdef',
    };
    const readers = path.join(m.dir, 'readers.csv');
    writeFileSync(readers, ['email', 'ada@example.org', 'grace@example.org', 'alan@example.org'].join('\n'));
    const imported = await runCli(['subscribers', 'import', readers, '--confirmed'], { env: { ...crontabVariables, DATA_DIR: m.dataDir } });
    expect(imported.code, imported.stderr).toBe(0);
    writeFileSync(m.logFile, '');
    giveTo(account, m.dir);

    const job = launch(['/bin/sh', '-c', m.map(documentedCronCommand())], {
      cwd: '/',
      env: { HOME: account.home, LOGNAME: account.name, SHELL: '/bin/sh', PATH: '/usr/bin:/bin', ...crontabVariables },
      account,
    });
    try {
      const exit = await Promise.race([
        job.exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`the cron job did not finish within 240 s\n${readFileSync(m.logFile, 'utf8')}`)), 240_000).unref(),
        ),
      ]);
      const log = readFileSync(m.logFile, 'utf8');
      expect(exit, `the cron job's exit; its log:\n${log}${job.output()}`).toEqual({ code: 0, signal: null });
      // the log is the run's, and every reader got the day's edition
      expect(log).toMatch(/lab: \d+ new/);
      const outbox = path.join(m.dataDir, 'outbox', day);
      expect(existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('.eml')).length : 0, log).toBe(3);
    } finally {
      killGroup(job.pid);
    }
  }, 300_000);
});
