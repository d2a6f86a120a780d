import { writeFileSync } from 'node:fs';
import type { App } from '../app.ts';
import { QUEUE } from '../queues/index.ts';
import { startIngestWorkers, syncSourceSchedulers } from './ingest.ts';
import { startRankWorkers, syncFreezeScheduler } from './rank.ts';
import { startRenderWorker } from './render.ts';
import { startSendWorker } from './send.ts';
import { startMailWorker } from './mail.ts';
import type { StageHandle } from './worker.ts';

export const STAGES = ['ingest', 'rank', 'render', 'send', 'mail'] as const;
export type Stage = (typeof STAGES)[number];

export interface RunningStages {
  stages: Stage[];
  /** Idempotent: lets in-flight jobs finish, then closes every worker. */
  close(): Promise<void>;
}

/** Starts the workers of the given stages in this process. */
export async function startStages(app: App, stages: readonly Stage[], opts: { schedulers?: boolean } = {}): Promise<RunningStages> {
  const handles: StageHandle[] = [];
  for (const stage of stages) {
    if (stage === 'ingest') {
      if (opts.schedulers) await syncSourceSchedulers(app);
      handles.push(startIngestWorkers(app));
    } else if (stage === 'rank') {
      if (opts.schedulers) await syncFreezeScheduler(app);
      handles.push(startRankWorkers(app));
    } else if (stage === 'render') handles.push(startRenderWorker(app));
    else if (stage === 'mail') handles.push(startMailWorker(app));
    else handles.push(startSendWorker(app));
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
      writeFileSync(file, new Date().toISOString());
    } catch (err) {
      app.log.warn('heartbeat: Redis did not answer', { error: err as Error });
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
