import { describe, expect, it } from 'vitest';
import { CronSchedule, IntervalSchedule } from '../../../src/keys/schedule.js';

describe('rotation schedules', () => {
  it('adds the interval to the activation time', () => {
    const schedule = new IntervalSchedule(7 * 86_400_000);
    expect(schedule.nextAfter(new Date('2026-01-01T10:00:00Z')).toISOString()).toBe(
      '2026-01-08T10:00:00.000Z',
    );
  });

  it('finds the next cron occurrence in UTC', () => {
    const schedule = new CronSchedule('0 3 * * 1');
    // 2026-01-01 is a Thursday: next Monday 03:00 is the 5th.
    expect(schedule.nextAfter(new Date('2026-01-01T10:00:00Z')).toISOString()).toBe(
      '2026-01-05T03:00:00.000Z',
    );
    expect(schedule.nextAfter(new Date('2026-01-05T03:00:00Z')).toISOString()).toBe(
      '2026-01-12T03:00:00.000Z',
    );
  });

  it('honours the time zone', () => {
    const schedule = new CronSchedule('0 3 * * *', 'America/New_York');
    expect(schedule.nextAfter(new Date('2026-01-10T00:00:00Z')).toISOString()).toBe(
      '2026-01-10T08:00:00.000Z',
    );
    expect(schedule.nextAfter(new Date('2026-07-10T00:00:00Z')).toISOString()).toBe(
      '2026-07-10T07:00:00.000Z',
    );
  });

  it('fires once across a DST gap and once across a DST overlap', () => {
    const gap = new CronSchedule('30 2 * * *', 'Europe/Berlin');
    // 2026-03-29 02:30 does not exist in Berlin: it fires once that night, then on the 30th.
    const first = gap.nextAfter(new Date('2026-03-28T12:00:00Z'));
    const second = gap.nextAfter(first);
    expect(first.toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(second.toISOString()).toBe('2026-03-30T00:30:00.000Z');

    const overlap = new CronSchedule('30 2 * * *', 'Europe/Berlin');
    // 2026-10-25 02:30 happens twice in Berlin: the rotation happens once.
    const a = overlap.nextAfter(new Date('2026-10-24T12:00:00Z'));
    const b = overlap.nextAfter(a);
    expect(b.getTime() - a.getTime()).toBeGreaterThan(23 * 3_600_000);
  });

  it('refuses an invalid cron expression naming the key', () => {
    expect(() => new CronSchedule('61 * * * *')).toThrow(/keys\.rotation\.cron/);
    expect(() => new CronSchedule('0 3 * * *', 'Mars/Olympus')).toThrow(/keys\.rotation\.cron/);
  });
});
