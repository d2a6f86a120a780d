/**
 * Real paperboy processes for the fault, crash and service tests: workers started as an
 * operator would, and what the kernel says about a process (stopped? which are left in a
 * process group?), read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll } from 'vitest';
import { repoRoot } from './index.ts';

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr so far (its log at LOG_LEVEL, notes, errors). */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const leftovers: ChildProcess[] = [];
afterAll(async () => {
  for (const child of leftovers.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }
});

/** `paperboy worker STAGE…` as a child process; killed at the end of the file if still running. */
export function startWorker(env: Record<string, string>, stages: string[], opts: { logLevel?: string } = {}): WorkerProcess {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'paperboy.js'), 'worker', ...stages], {
    env: { ...process.env, ...env, LOG_LEVEL: opts.logLevel ?? 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  leftovers.push(child);
  return { child, stderr: () => stderr, exited };
}

/** SIGTERM, as systemd or `docker stop` sends it: the worker finishes its jobs in flight; resolves with its exit code. */
export async function stopWorker(worker: WorkerProcess): Promise<number | null> {
  worker.child.kill('SIGTERM');
  return (await worker.exited).code;
}

interface ProcStat {
  pid: number;
  /** R running, S sleeping, T stopped, Z zombie, … */
  state: string;
  pgid: number;
  command: string;
}

function procStat(pid: number | string): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone
  }
  // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses
  const close = text.lastIndexOf(')');
  const [state, , pgid] = text.slice(close + 2).split(' ');
  return { pid: Number(pid), state: state!, pgid: Number(pgid), command: text.slice(text.indexOf('(') + 1, close) };
}

/** Whether the kernel has stopped the process (SIGSTOP took effect), rather than merely been asked to. */
export function isStopped(pid: number): boolean {
  return procStat(pid)?.state === 'T';
}

/** The living processes (zombies excluded) of a process group, with their command lines. */
export function processGroup(pgid: number): { pid: number; command: string }[] {
  const members: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    if (!stat || stat.pgid !== pgid || stat.state === 'Z') continue;
    let command = stat.command;
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim() || command;
    } catch {
      // it left meanwhile: its short name will do
    }
    members.push({ pid: stat.pid, command });
  }
  return members;
}
