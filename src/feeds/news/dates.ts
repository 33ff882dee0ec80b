// Publication times of feed items: RFC 822 / RFC 2822 (RSS pubDate) and RFC 3339 (Atom, social posts),
// parsed strictly into unix microseconds. Date.parse is not used: it accepts almost anything.

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

/** Zone names of RFC 822 §5.1, in minutes east of UTC, plus IST (Indian Standard Time, used by Indian publishers). */
const ZONES: Readonly<Record<string, number>> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
  ist: 330,
};

// [Day ","] DD Mon YYYY HH:MM[:SS] zone — RFC 2822 §3.3, with its obsolete 2-digit years (§4.3).
const RFC_822 =
  /^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\s*,?\s*)?(\d{1,2})\s+([a-z]{3})[a-z]*\.?\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[a-z]{1,3})$/i;

// YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM) — RFC 3339 §5.6 (a space for the T, and ±HHMM, are tolerated).
const RFC_3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*([Zz]|[+-]\d{2}:?\d{2})$/;

const MICROS_PER_MILLI = 1000;
const MICROS_PER_MINUTE = 60_000_000;

/** Unix µs of a calendar time, or undefined if a field is out of range (31 Feb, 25:00, …). */
function utcMicros(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  if (year < 1900 || year > 9999 || hour > 23 || minute > 59 || second > 60 || day < 1) return undefined;
  // A leap second (hh:mm:60) is one second after hh:mm:59.
  const leap = second === 60 ? 1 : 0;
  const millis = Date.UTC(year, month, day, hour, minute, second - leap);
  // Date.UTC rolls 31 Feb over into March: a different month or day means the date does not exist.
  const check = new Date(millis);
  if (check.getUTCMonth() !== month || check.getUTCDate() !== day) return undefined;
  return (millis + leap * 1000) * MICROS_PER_MILLI;
}

/** `Tue, 02 Jan 2024 14:30:00 +0000` → unix µs; undefined if it is not an RFC 822 / 2822 date-time. */
export function parseRfc822Date(text: string): number | undefined {
  const match = RFC_822.exec(text.trim());
  if (!match) return undefined;
  const [, dayText, monthText, yearText, hourText, minuteText, secondText, zoneText] = match;
  const month = MONTHS[(monthText ?? '').toLowerCase()];
  if (month === undefined || !zoneText) return undefined;
  let year = Number(yearText);
  if (yearText?.length === 2) year += year < 50 ? 2000 : 1900;
  else if (yearText?.length === 3) year += 1900;
  let offsetMinutes: number | undefined;
  if (zoneText.startsWith('+') || zoneText.startsWith('-')) {
    const hours = Number(zoneText.slice(1, 3));
    const minutes = Number(zoneText.slice(3, 5));
    if (minutes > 59) return undefined;
    offsetMinutes = (zoneText.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  } else offsetMinutes = ZONES[zoneText.toLowerCase()];
  if (offsetMinutes === undefined) return undefined;
  const local = utcMicros(
    year,
    month,
    Number(dayText),
    Number(hourText),
    Number(minuteText),
    Number(secondText ?? 0),
  );
  return local === undefined ? undefined : local - offsetMinutes * MICROS_PER_MINUTE;
}

/** `2024-01-02T14:30:00.123456-05:00` → unix µs (fraction kept to the µs); undefined if not RFC 3339. */
export function parseRfc3339Date(text: string): number | undefined {
  const match = RFC_3339.exec(text.trim());
  if (!match) return undefined;
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fractionText, zoneText] = match;
  if (!zoneText) return undefined;
  let offsetMinutes = 0;
  if (zoneText !== 'Z' && zoneText !== 'z') {
    const digits = zoneText.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5));
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (digits.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  const local = utcMicros(
    Number(yearText),
    Number(monthText) - 1,
    Number(dayText),
    Number(hourText),
    Number(minuteText),
    Number(secondText),
  );
  if (local === undefined) return undefined;
  const fraction = fractionText ? Number(fractionText.slice(0, 6).padEnd(6, '0')) : 0;
  return local + fraction - offsetMinutes * MICROS_PER_MINUTE;
}

/** Either form: feeds put RFC 3339 in `pubDate` and RFC 822 in Atom `updated` often enough to accept both. */
export function parseFeedDate(text: string): number | undefined {
  return parseRfc822Date(text) ?? parseRfc3339Date(text);
}
