/**
 * One send rate for all send workers on all machines: a token bucket in Redis, refilled at
 * 95 % of `ratePerSecond` and holding at most a twentieth of a second of tokens (at least
 * one), so the tokens of any sliding second stay within the rate, and the jitter of the
 * network and the event loop between taking a token and SES receiving the call has 10 % of
 * headroom before SES would count more than the rate. The same script counts the sends of the
 * last 24 hours against the quota, as SES does. Time comes from Redis, so machines' clocks do
 * not matter. Both keys start with the queue prefix, which has a hash tag on a Redis Cluster,
 * so the script's keys share a slot.
 */
import { redisClient, type RedisClient, type RedisTarget } from '../queues/redisClient.ts';

/**
 * KEYS[1]: the bucket; KEYS[2]: the quota window, a hash of per-minute counts ("m<minute>"),
 * their running "total" and "floor", the oldest minute still counted. SES's quota is over the
 * last 24 hours, not a calendar day: minutes older than 1,440 leave the total as time passes.
 * Returns 0 (a token; its minute in the second element), a wait in ms, or -1 with the time
 * (ms) at which the oldest counted minute leaves the window.
 */
const SCRIPT = `
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local quota = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minute = math.floor(now / 60000)
if quota > 0 then
  local floor = tonumber(redis.call('HGET', KEYS[2], 'floor') or minute)
  if minute - floor > 2880 then
    redis.call('DEL', KEYS[2])
    floor = minute
  end
  local total = tonumber(redis.call('HGET', KEYS[2], 'total') or '0')
  while floor <= minute - 1440 do
    local c = redis.call('HGET', KEYS[2], 'm' .. floor)
    if c then
      total = total - tonumber(c)
      redis.call('HDEL', KEYS[2], 'm' .. floor)
    end
    floor = floor + 1
  end
  redis.call('HSET', KEYS[2], 'floor', floor, 'total', total)
  redis.call('PEXPIRE', KEYS[2], 90000000)
  if total >= quota then
    local m = floor
    while m <= minute do
      local c = tonumber(redis.call('HGET', KEYS[2], 'm' .. m) or '0')
      if c > 0 then break end
      m = m + 1
    end
    return {-1, (m + 1441) * 60000}
  end
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
    redis.call('HINCRBY', KEYS[2], 'm' .. minute, 1)
    redis.call('HINCRBY', KEYS[2], 'total', 1)
  end
  return {0, minute}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
return {math.max(1, math.ceil((1 - tokens) * 1000 / rate)), minute}
`;

/** Gives back the count of a send SES did not accept, if its minute is still in the window. */
const REFUND = `
local floor = tonumber(redis.call('HGET', KEYS[1], 'floor') or '-1')
local minute = tonumber(ARGV[1])
if minute < floor or not redis.call('HGET', KEYS[1], 'm' .. minute) then return 0 end
redis.call('HINCRBY', KEYS[1], 'm' .. minute, -1)
redis.call('HINCRBY', KEYS[1], 'total', -1)
return 1
`;

/** A token (with the minute its send counts in, to give it back), or why there is none. */
export type Permit = { ok: true; minute: number } | { ok: false; reason: 'quota'; resumeAt: number } | { ok: false; reason: 'stopped' };

type Scripts = {
  takeSendToken(...a: (string | number)[]): Promise<[number, number]>;
  refundSendToken(...a: (string | number)[]): Promise<number>;
};

export class SendRateLimiter {
  private readonly redis: RedisClient;
  private readonly capacity: number;
  private readonly refillPerSecond: number;

  constructor(
    redis: RedisTarget,
    private readonly prefix: string,
    private readonly ratePerSecond: number,
    /** Sends per rolling 24 hours across all workers; 0: no limit. */
    readonly quota: number,
  ) {
    this.redis = redisClient(redis, 'queue', { name: 'paperboy-send-rate' });
    this.redis.on('error', () => {});
    this.redis.defineCommand('takeSendToken', { numberOfKeys: 2, lua: SCRIPT });
    this.redis.defineCommand('refundSendToken', { numberOfKeys: 1, lua: REFUND });
    this.capacity = Math.max(1, ratePerSecond / 20);
    this.refillPerSecond = ratePerSecond * 0.95;
  }

  private get scripts(): Scripts {
    return this.redis as unknown as Scripts;
  }

  private get quotaKey(): string {
    return `${this.prefix}:send:quota24h`;
  }

  /** Waits for a token; refuses when the last 24 hours' quota is used up. */
  async acquire(stop?: () => boolean): Promise<Permit> {
    for (;;) {
      const [wait, at] = (await this.scripts.takeSendToken(`${this.prefix}:send:rate`, this.quotaKey, this.refillPerSecond, this.capacity, this.quota)).map(
        Number,
      ) as [number, number];
      if (wait === 0) return { ok: true, minute: at };
      if (wait < 0) return { ok: false, reason: 'quota', resumeAt: at };
      if (stop?.()) return { ok: false, reason: 'stopped' };
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /**
   * A send SES answered with an error (throttled, rejected, paused) was not accepted, so it
   * does not use up the quota: without this, an hour of throttling ate the day's quota.
   */
  async refund(permit: Permit): Promise<void> {
    if (!permit.ok || this.quota <= 0) return;
    await this.scripts.refundSendToken(this.quotaKey, permit.minute);
  }

  /** Sends counted against the quota over the last 24 hours (for status and tests). */
  async usedLast24Hours(): Promise<number> {
    return Number((await this.redis.hget(this.quotaKey, 'total')) ?? 0);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
