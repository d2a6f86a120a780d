/**
 * The SES stand-in (test/harness/sesStandIn.ts) in a child process of its own, so that its CPU
 * is not counted as ours. It counts what it accepts instead of keeping the bytes: messages,
 * distinct recipients (a recipient seen twice is a message sent twice), and its own CPU time.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { root } from './lib.ts';

export interface StandInCounts {
  accepted: number;
  distinctRecipients: number;
  /** Messages to a recipient who had one already since the last reset. */
  duplicates: number;
  /** First and last acceptance since the last reset (ms since epoch; 0 when none). */
  firstAt: number;
  lastAt: number;
  /** CPU the stand-in used since the last reset (user + system, ms). */
  cpuMs: number;
}

export interface StandInProcess {
  url: string;
  pid: number;
  counts(): Promise<StandInCounts>;
  /** Forgets every recipient and count (between two editions that mail the same readers). */
  reset(): Promise<void>;
  stop(): void;
}

type Request = { id: number; op: 'counts' | 'reset' };

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child' && process.send) {
  const { startSesStandIn } = await import('../test/harness/sesStandIn.ts');
  const standIn = await startSesStandIn();
  let seen = new Set<string>();
  let counts = { accepted: 0, duplicates: 0, firstAt: 0, lastAt: 0 };
  let cpu0 = process.cpuUsage();
  const drain = () => {
    for (const m of standIn.messages.splice(0)) {
      counts.accepted++;
      if (counts.firstAt === 0) counts.firstAt = m.at;
      counts.lastAt = m.at;
      const to = m.to.join(',').toLowerCase();
      if (seen.has(to)) counts.duplicates++;
      else seen.add(to);
    }
  };
  setInterval(drain, 200);
  process.on('message', (req: Request) => {
    drain();
    if (req.op === 'reset') {
      seen = new Set();
      counts = { accepted: 0, duplicates: 0, firstAt: 0, lastAt: 0 };
      cpu0 = process.cpuUsage();
      process.send!({ id: req.id });
    } else {
      const cpu = process.cpuUsage(cpu0);
      process.send!({ id: req.id, counts: { ...counts, distinctRecipients: seen.size, cpuMs: (cpu.user + cpu.system) / 1000 } satisfies StandInCounts });
    }
  });
  // the parent went away: so does the stand-in
  process.on('disconnect', () => process.exit(0));
  process.send({ url: standIn.url });
}

export async function startStandInProcess(): Promise<StandInProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', self, '--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: root });
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('message', (m: { url: string }) => resolve(m.url));
    proc.once('exit', (code) => reject(new Error(`the SES stand-in exited (${code}) before it listened`)));
  });
  let nextId = 0;
  const ask = <T>(op: Request['op']) =>
    new Promise<T>((resolve) => {
      const id = ++nextId;
      const onMessage = (m: { id: number } & T) => {
        if (m.id !== id) return;
        proc.off('message', onMessage);
        resolve(m);
      };
      proc.on('message', onMessage);
      proc.send({ id, op } satisfies Request);
    });
  return {
    url,
    pid: proc.pid!,
    counts: async () => (await ask<{ counts: StandInCounts }>('counts')).counts,
    reset: async () => void (await ask('reset')),
    stop: () => void proc.kill('SIGTERM'),
  };
}
