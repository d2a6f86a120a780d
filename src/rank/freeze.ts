/**
 * The one freeze path: the scheduled freeze at the cut-off, `paperboy run --once` and
 * `paperboy edition build` all come here, so an edition is frozen by the same rules whoever
 * asks: papers stored but never ranked are ranked first, missed days are caught up by the
 * scheduled freeze, the weekly edition closes on its day.
 */
import type { StageContext } from '../app.ts';
import { addDays, currentEditionDay } from '../domain/time.ts';
import { editionId } from '../domain/edition.ts';
import { EditionBuilder, type BuildOutcome } from './editionBuilder.ts';
import { Ranker } from './ranker.ts';

export interface FreezeRequest {
  kind: 'daily' | 'weekly';
  /** Omitted by the scheduler: the edition whose cut-off has just passed, and missed days. */
  date?: string;
  /** Rebuild an edition frozen but not sent yet. */
  force?: boolean;
  /** Queue the render of what was built (the scheduler); commands that send later do not. */
  queueRender: boolean;
}

export interface FreezeResult {
  outcomes: BuildOutcome[];
  /** Papers that had been stored but not ranked, ranked now. */
  stragglers: number;
}

/** How many days back a freeze also builds a day whose cut-off passed while no rank worker ran. */
export const MISSED_FREEZE_DAYS = 2;

/**
 * Days before `current` whose cut-off passed without a freeze: those after the last frozen
 * day (empty days count as frozen), at most MISSED_FREEZE_DAYS. A new installation, with no
 * frozen day yet, has none, so its first freeze does not send a backlog of old days.
 */
async function missedDays(app: Pick<StageContext, 'store'>, current: string): Promise<string[]> {
  const last = await app.store.editions.latestDate('daily');
  if (!last) return [];
  const out: string[] = [];
  for (let i = MISSED_FREEZE_DAYS; i >= 1; i--) {
    const day = addDays(current, -i);
    if (day > last) out.push(day);
  }
  return out;
}

export async function freezeEditions(ctx: StageContext, req: FreezeRequest): Promise<FreezeResult> {
  const now = ctx.clock.now();
  const stragglers = await new Ranker(ctx.store, ctx.config, ctx.clock).rankStragglers();
  const builder = new EditionBuilder(ctx.store, ctx.config, ctx.clock);
  const current = req.date ?? currentEditionDay(now, ctx.config.edition);
  const days = req.date ? [req.date] : [...(await missedDays(ctx, current)), current];
  const outcomes: BuildOutcome[] = [];
  for (const day of days) {
    const built = await builder.build(req.kind, day, { force: Boolean(req.force) });
    outcomes.push(built);
    if (req.kind === 'daily' && !req.date && built.status === 'built' && builder.isWeeklyDay(day)) outcomes.push(await builder.build('weekly', day));
  }
  for (const o of outcomes) {
    if (req.queueRender && (o.status === 'built' || o.status === 'rebuilt')) await ctx.queues.addRender(o.edition.id);
    ctx.log.info('edition freeze', { edition: o.status === 'empty' ? editionId(o.kind, o.date) : o.edition.id, status: o.status });
  }
  return { outcomes, stragglers };
}
