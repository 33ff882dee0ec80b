// Feed date parsing against hand-computed instants and the examples of RFC 2822 and RFC 3339.
import { describe, expect, it } from 'vitest';
import { parseFeedDate, parseRfc3339Date, parseRfc822Date } from './dates.ts';

// 1970-01-01 → 2024-01-01 is 54 years with 13 leap days (1972 … 2020): 54 × 365 + 13 = 19,723 days.
// 2024-01-02T00:00:00Z is day 19,724: 19,724 × 86,400 s = 1,704,153,600 s.
const JAN_2_2024 = 1_704_153_600_000_000;
const HOUR = 3_600_000_000;
const MINUTE = 60_000_000;
const SECOND = 1_000_000;

describe('parseRfc822Date', () => {
  it('reads the RSS pubDate forms with numeric zones', () => {
    expect(parseRfc822Date('Tue, 02 Jan 2024 14:30:12 +0000')).toBe(
      JAN_2_2024 + 14 * HOUR + 30 * MINUTE + 12 * SECOND,
    );
    // +0530 (India): 16:40:12 local is 11:10:12 UTC.
    expect(parseRfc822Date('Tue, 02 Jan 2024 16:40:12 +0530')).toBe(
      JAN_2_2024 + 11 * HOUR + 10 * MINUTE + 12 * SECOND,
    );
    // -0600: RFC 2822 Appendix A.1.1 "Fri, 21 Nov 1997 09:55:06 -0600" is 15:55:06 UTC.
    expect(parseRfc822Date('Fri, 21 Nov 1997 09:55:06 -0600')).toBe(parseRfc3339Date('1997-11-21T15:55:06Z'));
  });

  it('reads RFC 822 zone names, optional weekday and seconds, and two-digit years', () => {
    // EST is -0500 (RFC 822 §5.1): 09:30 EST is 14:30 UTC.
    expect(parseRfc822Date('Tue, 02 Jan 2024 09:30:00 EST')).toBe(JAN_2_2024 + 14 * HOUR + 30 * MINUTE);
    expect(parseRfc822Date('02 Jan 2024 14:30 GMT')).toBe(JAN_2_2024 + 14 * HOUR + 30 * MINUTE);
    // RFC 2822 §4.3: a two-digit year below 50 is 20xx.
    expect(parseRfc822Date('Tue, 2 Jan 24 14:30:00 UT')).toBe(JAN_2_2024 + 14 * HOUR + 30 * MINUTE);
    expect(parseRfc822Date('tuesday, 02 january 2024 14:30:00 z')).toBe(JAN_2_2024 + 14 * HOUR + 30 * MINUTE);
  });

  it('rejects what is not a date-time', () => {
    expect(parseRfc822Date('Tue, 02 Jan 2024 14:30:00')).toBeUndefined(); // no zone
    expect(parseRfc822Date('Sat, 31 Feb 2024 10:00:00 +0000')).toBeUndefined(); // no such day
    expect(parseRfc822Date('Tue, 02 Foo 2024 14:30:00 +0000')).toBeUndefined();
    expect(parseRfc822Date('Tue, 02 Jan 2024 24:00:00 +0000')).toBeUndefined();
    expect(parseRfc822Date('Tue, 02 Jan 2024 14:30:00 XYZ')).toBeUndefined();
    expect(parseRfc822Date('2024')).toBeUndefined();
    expect(parseRfc822Date('')).toBeUndefined();
  });
});

describe('parseRfc3339Date', () => {
  it('reads the examples of RFC 3339 §5.8', () => {
    // 1970 → 1985: 15 years, 4 leap days = 5,479 days; + Jan–Mar 1985 (90) + 11 = 5,580 days = 482,112,000 s;
    // + 23:20:50.52 (84,050.52 s) = 482,196,050.52 s.
    expect(parseRfc3339Date('1985-04-12T23:20:50.52Z')).toBe(482_196_050_520_000);
    // "1996-12-19T16:39:57-08:00 … is equivalent to 1996-12-20T00:39:57Z".
    expect(parseRfc3339Date('1996-12-19T16:39:57-08:00')).toBe(parseRfc3339Date('1996-12-20T00:39:57Z'));
    // "1990-12-31T23:59:60Z … the leap second": one second after 23:59:59.
    expect(parseRfc3339Date('1990-12-31T23:59:60Z')).toBe(parseRfc3339Date('1991-01-01T00:00:00Z'));
    // "1937-01-01T12:00:27.87+00:20 … the same instant as 1937-01-01T11:40:27.87Z".
    expect(parseRfc3339Date('1937-01-01T12:00:27.87+00:20')).toBe(
      parseRfc3339Date('1937-01-01T11:40:27.87Z'),
    );
  });

  it('keeps the fraction to the microsecond', () => {
    expect(parseRfc3339Date('2024-01-02T00:00:00.123456789Z')).toBe(JAN_2_2024 + 123_456);
    expect(parseRfc3339Date('2024-01-02T16:28:41-05:00')).toBe(
      JAN_2_2024 + 21 * HOUR + 28 * MINUTE + 41 * SECOND,
    );
  });

  it('rejects what is not RFC 3339', () => {
    expect(parseRfc3339Date('2024-01-02T16:28:41')).toBeUndefined(); // no offset
    expect(parseRfc3339Date('2024-02-30T00:00:00Z')).toBeUndefined();
    expect(parseRfc3339Date('2024-01-02T16:28:41+25:00')).toBeUndefined();
    expect(parseRfc3339Date('2024-01-02')).toBeUndefined();
  });
});

describe('parseFeedDate', () => {
  it('accepts either form', () => {
    expect(parseFeedDate('Tue, 02 Jan 2024 00:00:00 GMT')).toBe(JAN_2_2024);
    expect(parseFeedDate(' 2024-01-02T00:00:00Z ')).toBe(JAN_2_2024);
    expect(parseFeedDate('yesterday')).toBeUndefined();
  });
});
