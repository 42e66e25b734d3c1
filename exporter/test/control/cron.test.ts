import { CronError, cronMatches, nextCronTime, parseCron } from '../../src/scheduler';

const at = (s: string): Date => new Date(s);

describe('cron parser', () => {
  test.each([
    ['*/15 * * * *', '2026-01-01T10:07:00Z', '2026-01-01T10:15:00Z'],
    ['0 3 * * *', '2026-01-01T03:00:00Z', '2026-01-02T03:00:00Z'],
    ['30 9 * * mon-fri', '2026-11-21T12:00:00Z', '2026-11-23T09:30:00Z'],
    ['0 0 1 jan *', '2026-03-01T00:00:00Z', '2027-01-01T00:00:00Z'],
    ['5,35 8-9 * * *', '2026-05-05T08:36:00Z', '2026-05-05T09:05:00Z'],
    ['0 12 13 * 5', '2026-02-01T00:00:00Z', '2026-02-06T12:00:00Z'],
    ['@hourly', '2026-01-01T10:59:59Z', '2026-01-01T11:00:00Z'],
    ['0 0 * * 7', '2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z'],
  ])('%s after %s is %s', (expr, after, next) => {
    expect(nextCronTime(parseCron(expr), at(after))?.toISOString()).toBe(at(next).toISOString());
  });

  test('day-of-month and day-of-week restricted together match either (classic cron)', () => {
    const s = parseCron('0 12 13 * 5');
    expect(cronMatches(s, at('2026-02-13T12:00:00Z'))).toBe(true); // a Friday the 13th
    expect(cronMatches(s, at('2026-03-13T12:00:00Z'))).toBe(true); // the 13th, a Friday too
    expect(cronMatches(s, at('2026-03-20T12:00:00Z'))).toBe(true); // a Friday
    expect(cronMatches(s, at('2026-03-19T12:00:00Z'))).toBe(false);
  });

  test('an impossible date has no next time', () => {
    expect(nextCronTime(parseCron('0 0 31 2 *'), at('2026-01-01T00:00:00Z'))).toBeNull();
  });

  test.each([
    ['* * * *'],
    ['60 * * * *'],
    ['*/0 * * * *'],
    ['5-1 * * * *'],
    ['a * * * *'],
    ['1,,2 * * * *'],
    ['* * * 13 *'],
  ])('%s is refused with a CronError', (expr) => {
    expect(() => parseCron(expr)).toThrow(CronError);
  });
});
