import { describe, expect, it } from 'vitest';
import { readerSendAt } from '../../src/send/schedule.ts';

describe("a reader's hour", () => {
  const clock = { timezone: 'Asia/Tokyo', cutoffHour: 6 };

  it('is read in the reader’s zone, whatever alias it was stored under', () => {
    expect(readerSendAt('2026-12-04', clock, 'Asia/Kolkata', 9).toISOString()).toBe(readerSendAt('2026-12-04', clock, 'Asia/Calcutta', 9).toISOString());
    expect(readerSendAt('2026-12-04', clock, 'Asia/Calcutta', 9).toISOString()).toBe('2026-12-04T03:30:00.000Z');
  });

  it("falls back to the operator's zone, where the edition's day is, for a zone Intl does not know (never silently UTC)", () => {
    // 09:00 in Tokyo on the edition's day (frozen at 06:00 Tokyo), not 09:00 UTC
    expect(readerSendAt('2026-12-04', clock, 'Mars/Base', 9).toISOString()).toBe('2026-12-04T00:00:00.000Z');
  });
});
