/**
 * The 24-hour sending quota: the configured `send.dailyQuota`, or what SES says (GetSendQuota /
 * GetAccount) when it answers within `send.quotaLookupTimeoutMs`, whichever is smaller.
 */
import type { StageContext } from '../app.ts';
import type { Messenger } from '../mail/messenger.ts';

export async function dailyQuota(ctx: Pick<StageContext, 'config' | 'log'>, messenger: Messenger): Promise<number> {
  const configured = ctx.config.send.dailyQuota;
  if (!messenger.metered || !ctx.config.send.quotaLookup || !messenger.quota) return configured;
  const answered = await messenger.quota(ctx.config.send.quotaLookupTimeoutMs);
  if (!answered || answered.max24HourSend <= 0) {
    ctx.log.info('the mail provider did not tell its sending quota; using send.dailyQuota', { dailyQuota: configured || 'none' });
    return configured;
  }
  if (answered.maxSendRate > 0 && ctx.config.send.ratePerSecond > answered.maxSendRate) {
    ctx.log.warn('send.ratePerSecond is above the account’s maximum send rate: SES will throttle', {
      ratePerSecond: ctx.config.send.ratePerSecond,
      maxSendRate: answered.maxSendRate,
    });
  }
  return configured > 0 ? Math.min(configured, answered.max24HourSend) : answered.max24HourSend;
}
