/**
 * arXiv's announcement calendar (US Eastern time, DST computed with Intl; holidays ignored).
 *
 * - Submissions received before the 14:00 ET deadline on Monday–Thursday are announced at
 *   20:00 ET the same day; Thursday 14:00 – Friday 14:00 → Sunday 20:00 ET; Friday 14:00 –
 *   Monday 14:00 → Monday 20:00 ET.
 * - The RSS feed's `pubDate` is the mailing date at 00:00 ET; that mailing was announced at
 *   20:00 ET the evening before.
 */

const ARXIV_ZONE = 'America/New_York';
const DEADLINE_HOUR = 14;
const ANNOUNCE_HOUR = 20;
const DAY_MS = 86_400_000;

interface WallTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const formatter = new Intl.DateTimeFormat('en-US', {
  timeZone: ARXIV_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

/** The wall-clock time in New York at `instant`. */
export function easternWallTime(instant: Date): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter.formatToParts(instant)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const year = parts.year!;
  const month = parts.month!;
  const day = parts.day!;
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return { year, month, day, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second!, weekday };
}

/** New York's offset from UTC in ms at `instant` (e.g. −4 h during EDT). */
function easternOffsetMs(instant: number): number {
  const w = easternWallTime(new Date(instant));
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (instant - (instant % 1000));
}

/** The instant at which New York's clocks show `y-m-d h:00`. */
export function easternToInstant(year: number, month: number, day: number, hour: number, minute = 0): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall - easternOffsetMs(wall);
  // Re-check with the offset in force at the guess (differs only across a DST change).
  const again = wall - easternOffsetMs(guess);
  if (again !== guess) guess = again;
  return new Date(guess);
}

/** The calendar day `days` after y-m-d (UTC arithmetic on dates only: no DST involved). */
function addDays(year: number, month: number, day: number, days: number): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(Date.UTC(year, month - 1, day) + days * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay() };
}

/** When arXiv announces a submission received at `submitted` (20:00 ET on the announcement day). */
export function arxivAnnouncementAfter(submitted: Date): Date {
  const w = easternWallTime(submitted);
  const beforeDeadline = w.hour < DEADLINE_HOUR;
  const weekday = w.weekday >= 1 && w.weekday <= 5;
  // The deadline that catches this submission: today's if it is a weekday before 14:00, else
  // the next weekday's.
  let deadline = { year: w.year, month: w.month, day: w.day, weekday: w.weekday };
  if (!(weekday && beforeDeadline)) {
    do deadline = addDays(deadline.year, deadline.month, deadline.day, 1);
    while (deadline.weekday === 0 || deadline.weekday === 6);
  }
  // Monday–Thursday deadlines are announced that evening; Friday's on Sunday evening.
  const announce = deadline.weekday === 5 ? addDays(deadline.year, deadline.month, deadline.day, 2) : deadline;
  return easternToInstant(announce.year, announce.month, announce.day, ANNOUNCE_HOUR);
}

/**
 * The announcement instant of the RSS mailing dated `pubDate` (00:00 ET on the mailing day):
 * 20:00 ET on the evening before.
 */
export function arxivMailingToAnnouncement(pubDate: Date): Date {
  // Read the mailing day in New York; a pubDate a few hours off midnight still names its day.
  const w = easternWallTime(new Date(pubDate.getTime() + 6 * 3_600_000));
  const eve = addDays(w.year, w.month, w.day, -1);
  return easternToInstant(eve.year, eve.month, eve.day, ANNOUNCE_HOUR);
}
