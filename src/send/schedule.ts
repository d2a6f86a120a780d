/**
 * Each reader's hour: an edition goes to a reader at the first time their delivery hour comes
 * round in their time zone once the edition is frozen. Readers who share that instant form a
 * bucket, and each bucket's send batches are delayed jobs.
 */
import { addDays, cutoffOf, instantAt, localDate, type EditionClock } from '../rank/calendar.ts';

/** When the edition of `date` is due for a reader at `hour` in `timeZone` (an unknown zone counts as UTC). */
export function readerSendAt(date: string, clock: EditionClock, timeZone: string, hour: number): Date {
  const frozen = cutoffOf(date, clock);
  let zone = timeZone;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    zone = 'UTC';
  }
  const day = localDate(frozen, zone);
  const sameDay = instantAt(day, hour, zone);
  return sameDay.getTime() >= frozen.getTime() ? sameDay : instantAt(addDays(day, 1), hour, zone);
}
