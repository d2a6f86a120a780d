/**
 * Progress of a long command: a bar (cli-progress) when stderr is a terminal, plain lines
 * otherwise (logs, CI, pipes), never on stdout, which carries the command's results.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** `done` of `total` (units of the caller's choice), and a short text: "12 sent, 3 failed". */
  update(done: number, total: number, text: string): void;
  /** Ends the bar (or prints the last line, if it was not printed yet). */
  stop(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Without a terminal: at most one line per this many ms (the last state is always printed). */
  everyMs?: number;
}

export function startProgress(label: string, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (stream.isTTY && process.env.TERM !== 'dumb') {
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
  let pending: string | undefined;
  const print = (line: string) => {
    stream.write(`${line}\n`);
    lastText = line;
    lastAt = Date.now();
    pending = undefined;
  };
  return {
    update(done, total, text) {
      const line = `${label}: ${done}/${total} ${text}`.trimEnd();
      if (line === lastText) return;
      if (Date.now() - lastAt >= everyMs || done >= total) print(line);
      else pending = line;
    },
    stop() {
      if (pending) print(pending);
    },
  };
}
