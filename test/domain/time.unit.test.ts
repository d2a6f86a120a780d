import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addDays, canonicalTimeZone, currentEditionDay, cutoffOf, editionDayOf, instantAt, isDate, localDate, timeZoneChoices } from '../../src/domain/time.ts';

const utc6 = { timezone: 'UTC', cutoffHour: 6 };
const berlin7 = { timezone: 'Europe/Berlin', cutoffHour: 7 };

describe('edition days', () => {
  it('files an announcement before the cut-off under that day, after it under the next', () => {
    expect(editionDayOf(new Date('2026-11-26T05:59:59Z'), utc6)).toBe('2026-11-26');
    expect(editionDayOf(new Date('2026-11-26T06:00:00Z'), utc6)).toBe('2026-11-27');
    expect(editionDayOf(new Date('2026-11-25T06:00:00Z'), utc6)).toBe('2026-11-26');
  });

  it("puts arXiv's 20:00 US Eastern announcement into the next morning's edition", () => {
    // Wed 25 Nov 2026, 20:00 EST = Thu 01:00 UTC
    expect(editionDayOf(new Date('2026-11-26T01:00:00Z'), utc6)).toBe('2026-11-26');
    expect(editionDayOf(new Date('2026-11-26T01:00:00Z'), berlin7)).toBe('2026-11-26');
  });

  it("reads the cut-off in the operator's time zone, across daylight-saving changes", () => {
    expect(cutoffOf('2026-07-01', berlin7).toISOString()).toBe('2026-07-01T05:00:00.000Z');
    expect(cutoffOf('2026-12-01', berlin7).toISOString()).toBe('2026-12-01T06:00:00.000Z');
    // the night clocks go back in Berlin (25 Oct 2026)
    expect(instantAt('2026-10-25', 7, 'Europe/Berlin').toISOString()).toBe('2026-10-25T06:00:00.000Z');
    expect(editionDayOf(new Date('2026-10-25T05:30:00Z'), berlin7)).toBe('2026-10-25');
    expect(editionDayOf(new Date('2026-10-25T06:30:00Z'), berlin7)).toBe('2026-10-26');
  });

  it('calls the current edition the latest one whose cut-off has passed', () => {
    expect(currentEditionDay(new Date('2026-11-27T10:00:00Z'), utc6)).toBe('2026-11-27');
    expect(currentEditionDay(new Date('2026-11-27T05:00:00Z'), utc6)).toBe('2026-11-26');
  });

  it('does date arithmetic on calendar dates', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(localDate(new Date('2026-11-26T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-11-27');
    expect(isDate('2026-02-30')).toBe(false);
    expect(isDate('2026-11-26')).toBe(true);
  });
});

describe('one rule for a time zone', () => {
  it('accepts any name Intl knows, in any case and by any alias, and gives the name the forms list', () => {
    for (const [given, name] of [
      ['Asia/Kolkata', 'Asia/Calcutta'],
      ['Europe/Kyiv', 'Europe/Kiev'],
      ['US/Eastern', 'America/New_York'],
      ['asia/tokyo', 'Asia/Tokyo'],
      ['Etc/UTC', 'UTC'],
      ['GMT', 'UTC'],
      [' Europe/Berlin ', 'Europe/Berlin'],
    ]) {
      expect(canonicalTimeZone(given!), given).toBe(name);
      expect(timeZoneChoices(), name).toContain(name);
    }
  });

  it('knows no zone by a made-up, empty or overlong name', () => {
    for (const given of ['Mars/Base', '', '   ', 'Europe/Berlin'.repeat(10), '+05:30x']) expect(canonicalTimeZone(given), given).toBeUndefined();
  });
});

describe('one clock', () => {
  it('reads the current date only through the App clock (systemClock), so tests can move time', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
    const readers: string[] = [];
    for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file === path.join('domain', 'time.ts')) continue;
      readFileSync(path.join(root, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/new Date\(\s*\)/.test(line)) readers.push(`src/${file}:${i + 1}`);
        });
    }
    expect(readers, 'use app.clock.now() (or ctx.clock.now()) instead of new Date()').toEqual([]);
  });
});
