/**
 * Progress of a long command: a bar (cli-progress) when stderr is a terminal, plain lines
 * otherwise (logs, CI, pipes), never on stdout, which carries the command's results; with
 * `--json`, progress events on stdout instead, one JSON object a line, for a machine to read;
 * with LOG_FORMAT=json, JSON log lines on stderr (with the stage and its counts), never a bar.
 */
import cliProgress from 'cli-progress';
import { jsonLogs, noteLogger } from '../lib/log.ts';

/** Named counts behind a progress text ("12 sent, 3 failed" is { sent: 12, failed: 3 }), for `--json`. */
export type ProgressCounts = Record<string, string | number | null>;

export interface Progress {
  /** `done` of `total` (units of the caller's choice), and a short text: "12 sent, 3 failed". */
  update(done: number, total: number, text: string, counts?: ProgressCounts): void;
  /** Ends the bar (or prints the last line, if it was not printed yet). */
  stop(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Without a terminal: at most one line per this many ms (the last state is always printed). */
  everyMs?: number;
  /** What a `--json` progress event names besides its counts: { stage: 'send', edition: '…' }. */
  event?: { stage: string } & ProgressCounts;
}

let eventSink: ((event: object) => void) | undefined;

/**
 * `--json`: every progress from now on is an event `{ type: 'progress', stage, done, total,
 * …counts }` given to `sink` (at most one per `everyMs`, the last state always), never a bar.
 */
export function progressAsEvents(sink: (event: object) => void): void {
  eventSink = sink;
}

export function startProgress(label: string, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (eventSink) return eventProgress(eventSink, opts.event ?? { stage: label }, opts.everyMs ?? 1_000);
  if (stream.isTTY && process.env.TERM !== 'dumb' && !jsonLogs()) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% {value}/{total} {text}`, stream, hideCursor: true, clearOnComplete: false, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total, text) {
        if (!started) {
          bar.start(Math.max(total, 1), done, { text });
          started = true;
        }
        bar.setTotal(Math.max(total, 1));
        bar.update(done, { text });
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  const everyMs = opts.everyMs ?? 1_000;
  let lastText = '';
  let lastAt = 0;
  let pending: { line: string; fields: ProgressCounts } | undefined;
  const print = (p: { line: string; fields: ProgressCounts }) => {
    if (jsonLogs()) noteLogger().info(p.line, p.fields);
    else stream.write(`${p.line}\n`);
    lastText = p.line;
    lastAt = Date.now();
    pending = undefined;
  };
  return {
    update(done, total, text, counts = {}) {
      const line = `${label}: ${done}/${total} ${text}`.trimEnd();
      if (line === lastText) return;
      const p = { line, fields: { ...(opts.event ?? { stage: label }), done, total, ...counts } };
      if (Date.now() - lastAt >= everyMs || done >= total) print(p);
      else pending = p;
    },
    stop() {
      if (pending) print(pending);
    },
  };
}

function eventProgress(sink: (event: object) => void, names: { stage: string } & ProgressCounts, everyMs: number): Progress {
  let last = '';
  let lastAt = 0;
  let pending: object | undefined;
  const emit = (event: object, key: string) => {
    sink(event);
    last = key;
    lastAt = Date.now();
    pending = undefined;
  };
  return {
    update(done, total, _text, counts = {}) {
      const event = { type: 'progress', ...names, done, total, ...counts };
      const key = JSON.stringify(event);
      if (key === last) return;
      if (Date.now() - lastAt >= everyMs || done >= total) emit(event, key);
      else pending = event;
    },
    stop() {
      if (pending) emit(pending, JSON.stringify(pending));
    },
  };
}
