/**
 * The one way a test waits: on state (rows, job states, received messages, log lines), never
 * on time. The time-out is only a guard that turns a hang into a failure that says what
 * was awaited and, through `explain`, where things stood.
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; explain?: () => string | Promise<string> } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const where = opts.explain
        ? await Promise.resolve()
            .then(opts.explain)
            .catch((err: Error) => `(could not tell: ${err.message})`)
        : '';
      throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s${where ? `: ${where}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25));
  }
}
