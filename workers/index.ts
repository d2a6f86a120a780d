import type { App } from '../src/app.ts';
import { startIngestWorkers, syncSourceSchedulers } from './ingest.ts';
import { startRankWorkers, syncFreezeScheduler } from './rank.ts';
import { startRenderWorker } from './render.ts';
import { startSendWorker } from './send.ts';
import { startMailWorker } from './mail.ts';
import type { StageHandle } from './shared.ts';

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
