import { describe, expect, it } from 'vitest';
import { arxivAnnouncementAfter, arxivMailingToAnnouncement, easternToInstant } from '../../src/ingest/arxivCalendar.ts';

const after = (iso: string) => arxivAnnouncementAfter(new Date(iso)).toISOString();
const mailing = (date: string) => arxivMailingToAnnouncement(new Date(date)).toISOString();

describe('arxivAnnouncementAfter (US Eastern, 14:00 deadline, 20:00 announcement)', () => {
  it('Monday–Thursday before 14:00 ET → 20:00 ET the same day', () => {
    expect(after('2026-09-21T17:59:59Z')).toBe('2026-09-22T00:00:00.000Z'); // Mon 13:59:59 EDT
    expect(after('2026-09-24T13:00:00Z')).toBe('2026-09-25T00:00:00.000Z'); // Thu 09:00 EDT
    expect(after('2026-01-14T18:59:00Z')).toBe('2026-01-15T01:00:00.000Z'); // Wed 13:59 EST
  });

  it('at or after 14:00 ET Monday–Wednesday → 20:00 ET the next day', () => {
    expect(after('2026-09-21T18:00:00Z')).toBe('2026-09-23T00:00:00.000Z'); // Mon 14:00:00 EDT → Tue
    expect(after('2026-09-23T23:30:00Z')).toBe('2026-09-25T00:00:00.000Z'); // Wed 19:30 EDT → Thu
  });

  it('Thursday 14:00 – Friday 14:00 ET → Sunday 20:00 ET', () => {
    expect(after('2026-09-24T18:00:00Z')).toBe('2026-09-28T00:00:00.000Z'); // Thu 14:00 EDT
    expect(after('2026-09-25T17:59:00Z')).toBe('2026-09-28T00:00:00.000Z'); // Fri 13:59 EDT
  });

  it('Friday 14:00 – Monday 14:00 ET → Monday 20:00 ET', () => {
    expect(after('2026-09-25T18:00:00Z')).toBe('2026-09-29T00:00:00.000Z'); // Fri 14:00 EDT
    expect(after('2026-09-26T12:00:00Z')).toBe('2026-09-29T00:00:00.000Z'); // Sat
    expect(after('2026-09-28T03:00:00Z')).toBe('2026-09-29T00:00:00.000Z'); // Sun 23:00 EDT
    expect(after('2026-09-28T17:00:00Z')).toBe('2026-09-29T00:00:00.000Z'); // Mon 13:00 EDT
  });

  it('uses the ET calendar day, not the UTC one (Tue 21:00 EDT is Wednesday 01:00 UTC)', () => {
    expect(after('2026-09-23T01:00:00Z')).toBe('2026-09-24T00:00:00.000Z'); // Tue 21:00 EDT → Wed 20:00 EDT
  });

  it('follows daylight saving time (no hard-coded offset)', () => {
    // DST starts Sunday 8 March 2026: a Friday-evening submission is announced Monday 9 March at 20:00 EDT.
    expect(after('2026-03-06T22:00:00Z')).toBe('2026-03-10T00:00:00.000Z');
    // DST ends Sunday 1 November 2026: Thursday-afternoon submission → Sunday 1 Nov 20:00 EST.
    expect(after('2026-10-29T19:00:00Z')).toBe('2026-11-02T01:00:00.000Z');
  });
});

describe('arxivMailingToAnnouncement (RSS pubDate = mailing day 00:00 ET → 20:00 ET the evening before)', () => {
  it('Thu, 24 Sep 2026 00:00:00 -0400 → Wed 23 Sep 20:00 EDT', () => {
    expect(mailing('Thu, 24 Sep 2026 00:00:00 -0400')).toBe('2026-09-24T00:00:00.000Z');
  });

  it('in winter the offset is -0500', () => {
    expect(mailing('Tue, 13 Jan 2026 00:00:00 -0500')).toBe('2026-01-13T01:00:00.000Z');
  });

  it('Monday mailings were announced on Sunday evening', () => {
    expect(mailing('Mon, 27 Apr 2026 00:00:00 -0400')).toBe('2026-04-27T00:00:00.000Z');
  });

  it('the evening before a DST change uses that evening’s offset', () => {
    // Monday 9 March 2026 (EDT) was announced Sunday 8 March 20:00, already EDT.
    expect(mailing('Mon, 09 Mar 2026 00:00:00 -0400')).toBe('2026-03-09T00:00:00.000Z');
    // Monday 2 November 2026 (EST) was announced Sunday 1 November 20:00 EST.
    expect(mailing('Mon, 02 Nov 2026 00:00:00 -0500')).toBe('2026-11-02T01:00:00.000Z');
  });

  it('a pubDate written in UTC still names its mailing day', () => {
    expect(mailing('Thu, 24 Sep 2026 04:00:00 GMT')).toBe('2026-09-24T00:00:00.000Z');
  });
});

describe('easternToInstant', () => {
  it('converts New York wall time to UTC on both sides of DST', () => {
    expect(easternToInstant(2026, 7, 1, 20).toISOString()).toBe('2026-07-02T00:00:00.000Z');
    expect(easternToInstant(2026, 12, 1, 20).toISOString()).toBe('2026-12-02T01:00:00.000Z');
  });
});
