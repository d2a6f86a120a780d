import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError, withTimeout } from '../../src/lib/timeout.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('withTimeout', () => {
  it('gives the work its result when it finishes in time, without aborting it', async () => {
    let signal: AbortSignal | undefined;
    const result = await withTimeout('the database', 1_000, async (s) => {
      signal = s;
      return 42;
    });
    expect(result).toBe(42);
    expect(signal!.aborted).toBe(false);
  });

  it('aborts work that outlasts the limit and throws a TimeoutError naming it and the limit', async () => {
    vi.useFakeTimers();
    let signal: AbortSignal | undefined;
    const settled = withTimeout('Redis', 2_000, (s) => {
      signal = s;
      return new Promise<never>(() => {});
    }).catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(signal!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const err = await settled;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ what: 'Redis', ms: 2_000, message: 'Redis did not answer within 2000 ms' });
    expect(signal!.aborted).toBe(true);
    expect(signal!.reason).toBe(err);
  });

  it('throws the work’s own error as it is, not as a timeout', async () => {
    const failure = new Error('ECONNREFUSED');
    await expect(withTimeout('SES', 1_000, async () => Promise.reject(failure))).rejects.toBe(failure);
  });

  it('leaves no timer behind once the work is done', async () => {
    vi.useFakeTimers();
    await withTimeout('x', 60_000, async () => 'done');
    expect(vi.getTimerCount()).toBe(0);
  });
});
