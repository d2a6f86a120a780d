/**
 * Each reader's hour: an edition goes to a reader at the first time their delivery hour comes
 * round in their time zone once the edition is frozen. Readers who share that instant form a
 * bucket, and each bucket's send batches are delayed jobs.
 */
import type { Config } from '../config/schema.ts';
import type { DeliveryTime } from '../render/transactional.ts';
import { addDays, canonicalTimeZone, currentEditionDay, cutoffOf, instantAt, localDate, weekday, type EditionClock } from '../domain/time.ts';

/**
 * When the edition of `date` is due for a reader at `hour` in `timeZone`. Every way in stores a
 * zone Intl knows (`canonicalTimeZone`); one it has since forgotten (an older ICU after a
 * downgrade) counts as the operator's zone, where the edition's own day is, not as UTC.
 */
export function readerSendAt(date: string, clock: EditionClock, timeZone: string, hour: number): Date {
  const frozen = cutoffOf(date, clock);
  const zone = zoneOrOperators(timeZone, clock);
  const day = localDate(frozen, zone);
  const sameDay = instantAt(day, hour, zone);
  return sameDay.getTime() >= frozen.getTime() ? sameDay : instantAt(addDays(day, 1), hour, zone);
}

/**
 * The day of the week (0 = Sunday) on which a reader at `hour` in `timeZone` gets the weekly
 * edition, on their calendar: the edition of the weekly day (`edition.weeklyDay`) reaches them
 * the first time their hour comes round after its freeze, which can be the next day (Monday's
 * 06:00 freeze in New York comes after 07:00 that Monday in Tokyo). Worked out on the coming
 * weekly day, so it has that week's summer or winter time.
 */
export function weeklyDayOfReader(clock: EditionClock, weeklyDay: number, timeZone: string, hour: number, now: Date): number {
  const today = currentEditionDay(now, clock);
  const next = addDays(today, (weeklyDay - weekday(today) + 7) % 7);
  return weekday(localDate(readerSendAt(next, clock, timeZone, hour), zoneOrOperators(timeZone, clock)));
}

/**
 * When editions reach this reader: at their own hour in their zone when they chose one (and
 * `send.atReadersHour` is on), else as each edition goes out, soon after the cut-off in the
 * operator's zone; weekly on the day that gives, on the reader's calendar.
 */
export function readerDeliveryTime(
  config: Config,
  reader: { frequency: 'daily' | 'weekly'; timezone: string; deliveryHour: number; deliveryTimeChosen: boolean },
  now: Date,
): DeliveryTime {
  const readersHour = config.send.atReadersHour && reader.deliveryTimeChosen;
  const hour = readersHour ? reader.deliveryHour : config.edition.cutoffHour;
  const timezone = readersHour ? reader.timezone : config.edition.timezone;
  if (reader.frequency === 'daily') return { frequency: 'daily', hour, timezone, readersHour };
  const weekday = readersHour ? weeklyDayOfReader(config.edition, config.edition.weeklyDay, timezone, hour, now) : config.edition.weeklyDay;
  return { frequency: 'weekly', weekday, hour, timezone, readersHour };
}

function zoneOrOperators(timeZone: string, clock: EditionClock): string {
  return canonicalTimeZone(timeZone) ?? clock.timezone;
}
