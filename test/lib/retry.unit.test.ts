import { describe, expect, it } from 'vitest';
import { backoffMs, retrying } from '../../src/lib/retry.ts';

describe('retrying', () => {
  it('tries again while a failure is retryable, and returns the first success', async () => {
    const seen: number[] = [];
    const value = await retrying(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error(`try ${attempt}`);
        return 'done';
      },
      { baseMs: 1, capMs: 2, retryable: () => true },
    );
    expect(value).toBe('done');
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it('rethrows the failure that is not retryable, telling onRetry only of those retried', async () => {
    const retried: string[] = [];
    const run = retrying(
      async (attempt) => {
        throw new Error(`try ${attempt}`);
      },
      { baseMs: 1, capMs: 2, retryable: (_err, attempt) => attempt < 2, onRetry: (err) => retried.push((err as Error).message) },
    );
    await expect(run).rejects.toThrow('try 2');
    expect(retried).toEqual(['try 0', 'try 1']);
  });

  it('waits at most base × 2^attempt, never more than the cap', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      for (let i = 0; i < 50; i++) {
        const ms = backoffMs(attempt, 100, 2_000);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThan(Math.min(2_000, 100 * 2 ** attempt));
      }
    }
  });
});
