/**
 * One send rate for all send workers on all machines: a token bucket in Redis, refilled at
 * 95 % of `ratePerSecond` and holding at most a twentieth of a second of tokens (at least
 * one), so the tokens of any sliding second stay within the rate, and the jitter of the
 * network and the event loop between taking a token and SES receiving the call has 10 % of
 * headroom before SES would count more than the rate. The same script counts the day's sends against
 * the 24-hour quota. Time comes from Redis, so machines' clocks do not matter. Both keys start
 * with the queue prefix, which has a hash tag on a Redis Cluster, so the script's keys share a slot.
 */
import { redisClient, type RedisClient, type RedisTarget } from '../queues/redis.ts';

const SCRIPT = `
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local quota = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if quota > 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= quota then return -1 end
end
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + (now - ts) * rate / 1000)
if tokens >= 1 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[1], 60000)
  if quota > 0 then
    redis.call('INCR', KEYS[2])
    redis.call('EXPIRE', KEYS[2], 172800)
  end
  return 0
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
return math.max(1, math.ceil((1 - tokens) * 1000 / rate))
`;

export type Permit = { ok: true } | { ok: false; reason: 'quota'; resumeAt: number } | { ok: false; reason: 'stopped' };

/** The UTC day whose quota a send counts against, and when the next one begins. */
export function quotaDay(now: Date): { day: string; nextDayAt: number } {
  const day = now.toISOString().slice(0, 10);
  return { day, nextDayAt: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) };
}

export class SendRateLimiter {
  private readonly redis: RedisClient;
  private readonly capacity: number;
  private readonly refillPerSecond: number;

  constructor(
    redis: RedisTarget,
    private readonly prefix: string,
    private readonly ratePerSecond: number,
    /** Sends per UTC day across all workers; 0: no limit. */
    private readonly dailyQuota: number,
  ) {
    this.redis = redisClient(redis, 'queue', { name: 'paperboy-send-rate' });
    this.redis.on('error', () => {});
    this.redis.defineCommand('takeSendToken', { numberOfKeys: 2, lua: SCRIPT });
    this.capacity = Math.max(1, ratePerSecond / 20);
    this.refillPerSecond = ratePerSecond * 0.95;
  }

  /** Waits for a token; refuses when the day's quota is used up. */
  async acquire(stop?: () => boolean): Promise<Permit> {
    for (;;) {
      const { day, nextDayAt } = quotaDay(new Date());
      const wait = Number(await (this.redis as unknown as { takeSendToken(...a: (string | number)[]): Promise<number> }).takeSendToken(`${this.prefix}:send:rate`, `${this.prefix}:send:quota:${day}`, this.refillPerSecond, this.capacity, this.dailyQuota));
      if (wait === 0) return { ok: true };
      if (wait < 0) return { ok: false, reason: 'quota', resumeAt: nextDayAt };
      if (stop?.()) return { ok: false, reason: 'stopped' };
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Sends counted against today's quota so far (for status and tests). */
  async usedToday(): Promise<number> {
    return Number((await this.redis.get(`${this.prefix}:send:quota:${quotaDay(new Date()).day}`)) ?? 0);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
