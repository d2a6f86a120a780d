/**
 * The send quota, as SES counts it: the messages of the last 24 hours (not of a calendar day),
 * and only the ones SES accepted. On a real Redis, a fresh prefix per test.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisOptions } from '../../src/queues/redisClient.ts';
import { SendRateLimiter } from '../../src/send/rateLimiter.ts';
import { redisUrl } from '../harness/index.ts';

const open: SendRateLimiter[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});

function limiter(quota: number): { limiter: SendRateLimiter; prefix: string } {
  const prefix = `quota-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const l = new SendRateLimiter({ url: redisUrl() }, prefix, 1000, quota);
  open.push(l);
  return { limiter: l, prefix };
}

describe('the 24-hour send quota', () => {
  it('refuses the send after the quota, until the first counted minute is 24 hours old (not the next UTC midnight)', async () => {
    const { limiter: l } = limiter(3);
    const before = Date.now();
    for (let i = 0; i < 3; i++) expect((await l.acquire()).ok).toBe(true);
    const refused = await l.acquire();
    expect(refused.ok).toBe(false);
    if (refused.ok || refused.reason !== 'quota') throw new Error('expected the quota to refuse');
    // the first send's minute + 24 h (+ the minute itself): within two minutes of a day from now
    expect(refused.resumeAt).toBeGreaterThan(before + 24 * 3600_000 - 60_000);
    expect(refused.resumeAt).toBeLessThan(before + 24 * 3600_000 + 120_000);
    expect(await l.usedLast24Hours()).toBe(3);
  });

  it('no longer counts sends made more than 24 hours ago', async () => {
    const { limiter: l, prefix } = limiter(3);
    // three sends 25 hours ago, as a worker of yesterday left them
    const admin = new Redis(redisOptions(redisUrl()));
    try {
      const [seconds] = await admin.time();
      const old = Math.floor((Number(seconds) * 1000 - 25 * 3600_000) / 60_000);
      await admin.hset(`${prefix}:send:quota24h`, `m${old}`, 3, 'total', 3, 'floor', old);
    } finally {
      admin.disconnect();
    }
    expect((await l.acquire()).ok).toBe(true);
    expect(await l.usedLast24Hours()).toBe(1);
  });

  it('gives back the count of a send SES refused (throttled), so throttling does not use up the quota', async () => {
    const { limiter: l } = limiter(2);
    const first = await l.acquire();
    const second = await l.acquire();
    expect(first.ok && second.ok).toBe(true);
    await l.refund(second); // SES answered "Maximum sending rate exceeded"
    expect(await l.usedLast24Hours()).toBe(1);
    expect((await l.acquire()).ok).toBe(true);
    expect((await l.acquire()).ok).toBe(false);
  });
});
