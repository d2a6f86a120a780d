/**
 * The one retry loop and back-off of the project. The queues' own retries (BullMQ job options,
 * src/queues/index.ts) are configured there; this is for a call retried in place.
 */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Exponential back-off with full jitter: a random wait in [0, min(cap, base × 2^attempt)).
 * The jitter keeps workers that failed together (a database restart, SES throttling all of
 * them) from trying again together.
 */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

export interface RetryOptions {
  /** Back-off of the first retry's wait, doubled on each (see backoffMs). */
  baseMs: number;
  /** The longest wait between two tries. */
  capMs: number;
  /** Whether a failure of try `attempt` (0 = the first) is worth another try; false rethrows it. */
  retryable(err: unknown, attempt: number): boolean;
  /** Told of each failure that is retried. */
  onRetry?(err: unknown, attempt: number): void;
}

/** Calls `fn` until it succeeds or a failure is not retryable, waiting backoffMs between tries. */
export async function retrying<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!opts.retryable(err, attempt)) throw err;
      opts.onRetry?.(err, attempt);
      await sleep(backoffMs(attempt, opts.baseMs, opts.capMs));
    }
  }
}
