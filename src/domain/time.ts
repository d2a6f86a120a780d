/**
 * Edition days. An edition day D collects what was announced between the cut-off hour of
 * D-1 and the cut-off hour of D, in the operator's time zone; at D's cut-off it is frozen.
 */

/**
 * Where the time of day comes from. Every decision that depends on the calendar (which
 * edition is today's, whether a link has expired, whether a pause is over, how old a vote is,
 * the timestamp a record carries) asks the App's clock, so a test can move time instead of
 * waiting for it. Durations (deadlines, intervals, rates) measure elapsed time with
 * `Date.now()`: they do not depend on what day it is.
 */
export interface Clock {
  now(): Date;
}

/** The machine's clock: the only place the code reads the current date. */
export const systemClock: Clock = { now: () => new Date() };

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/**
 * The one rule for a time zone, wherever one comes in (the config, the web forms, the CLI, a CSV
 * import): any name Intl knows, in any case and by any alias ("Asia/Kolkata", "US/Eastern",
 * "europe/kyiv", "Etc/UTC"), is accepted and stored under Intl's own name for it, the name the
 * web's list shows ("Asia/Calcutta", "America/New_York", "Europe/Kiev", "UTC"), so one zone is
 * never two variants or two spellings. Undefined when Intl does not know it.
 */
export function canonicalTimeZone(input: string): string | undefined {
  if (!input.trim() || input.length > 100) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: input.trim() }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The zones a form offers, UTC first: Intl's names, the ones `canonicalTimeZone` stores. */
export function timeZoneChoices(): string[] {
  const zones = Intl.supportedValuesOf('timeZone');
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsIn(instant: Date, timeZone: string): Record<string, number> {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(instant)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** The calendar date of an instant in a time zone. */
export function localDate(instant: Date, timeZone: string): string {
  const p = partsIn(instant, timeZone);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The instant at which a local date and hour begin in a time zone (DST-aware). */
export function instantAt(date: string, hour: number, timeZone: string): Date {
  const guess = new Date(`${date}T${String(hour).padStart(2, '0')}:00:00Z`);
  // the zone's offset at the guess, applied twice to settle across a DST change
  let t = guess.getTime();
  for (let i = 0; i < 2; i++) {
    const p = partsIn(new Date(t), timeZone);
    const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
    t = guess.getTime() - (asUtc - t);
  }
  return new Date(t);
}

export interface EditionClock {
  timezone: string;
  cutoffHour: number;
}

/** The edition day that an announcement at `instant` belongs to. */
export function editionDayOf(instant: Date, clock: EditionClock): string {
  const p = partsIn(instant, clock.timezone);
  const date = `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  return p.hour! >= clock.cutoffHour ? addDays(date, 1) : date;
}

/** The latest edition day whose cut-off has passed at `now`: the edition readers get today. */
export function currentEditionDay(now: Date, clock: EditionClock): string {
  return addDays(editionDayOf(now, clock), -1);
}

/** When the edition of `date` is frozen. */
export function cutoffOf(date: string, clock: EditionClock): Date {
  return instantAt(date, clock.cutoffHour, clock.timezone);
}
