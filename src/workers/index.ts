import { writeFileSync } from 'node:fs';
import type { App } from '../app.ts';
import { QUEUE, type QueueName } from '../queues/index.ts';
import { startIngestWorkers, syncSourceSchedulers } from './ingest.ts';
import { startRankWorkers, syncFreezeScheduler } from './rank.ts';
import { startRenderWorker } from './render.ts';
import { startSendWorker } from './send.ts';
import { startMailWorker } from './mail.ts';
import type { StageHandle } from './worker.ts';

/**
 * The stages, one row each: the queues its workers consume (a stage whose queues all have a
 * worker somewhere is running; `ensureWorkers` starts the rest in-process), the repeatable jobs it
 * keeps in Redis (synced by `paperboy worker`, not by one-off commands), and how to start its
 * workers. Concurrency and limits are the stage's own (config `workers.concurrency`).
 */
export const STAGE_REGISTRY = {
  ingest: { queues: [QUEUE.ingest, QUEUE.ingestArxivApi], syncSchedulers: syncSourceSchedulers, start: startIngestWorkers },
  rank: { queues: [QUEUE.papers, QUEUE.editions], syncSchedulers: syncFreezeScheduler, start: startRankWorkers },
  render: { queues: [QUEUE.render], start: startRenderWorker },
  send: { queues: [QUEUE.send], start: startSendWorker },
  mail: { queues: [QUEUE.mail], start: startMailWorker },
} satisfies Record<string, StageEntry>;

interface StageEntry {
  queues: readonly QueueName[];
  syncSchedulers?: (app: App) => Promise<void>;
  start: (app: App) => StageHandle;
}

export type Stage = keyof typeof STAGE_REGISTRY;
export const STAGES = Object.keys(STAGE_REGISTRY) as Stage[];

export interface RunningStages {
  stages: Stage[];
  /** Idempotent: lets in-flight jobs finish, then closes every worker. */
  close(): Promise<void>;
}

/** Starts the workers of the given stages in this process. */
export async function startStages(app: App, stages: readonly Stage[], opts: { schedulers?: boolean } = {}): Promise<RunningStages> {
  const handles: StageHandle[] = [];
  for (const stage of stages) {
    const entry: StageEntry = STAGE_REGISTRY[stage];
    if (opts.schedulers && entry.syncSchedulers) await entry.syncSchedulers(app);
    handles.push(entry.start(app));
  }
  let closing: Promise<void> | undefined;
  return {
    stages: [...stages],
    close() {
      closing ??= Promise.all(handles.map((h) => h.close())).then(() => undefined);
      return closing;
    },
  };
}

/** How often a long-running worker proves it is alive (see {@link startHeartbeat}). */
export const HEARTBEAT_INTERVAL_MS = 10_000;

/**
 * With PAPERBOY_HEARTBEAT_FILE set, the file is rewritten every 10 s for as long as this
 * process's event loop runs and Redis answers it: a container health check reads its age.
 */
export function startHeartbeat(app: App, file = process.env.PAPERBOY_HEARTBEAT_FILE): { stop(): void } {
  if (!file) return { stop() {} };
  const beat = async () => {
    try {
      await app.queues.workerCount(QUEUE.send);
      writeFileSync(file, app.clock.now().toISOString());
    } catch (err) {
      app.log.warn('heartbeat: Redis did not answer', { error: err as Error });
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
