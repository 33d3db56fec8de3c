/**
 * Business days for SEPA credit transfers: TARGET2 is closed on Saturdays, Sundays, 1 January, Good
 * Friday, Easter Monday, 1 May, 25 and 26 December. Dates are YYYY-MM-DD calendar days (UTC).
 */

/** Easter Sunday of the Gregorian calendar (the anonymous Gregorian computus), as [month, day]. */
function easterSunday(year: number): [number, number] {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

function utcDate(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

const FIXED_CLOSINGS = new Set(['01-01', '05-01', '12-25', '12-26']);

export function isTarget2BusinessDay(day: string): boolean {
  const date = utcDate(day);
  const weekday = date.getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  if (FIXED_CLOSINGS.has(day.slice(5))) return false;
  const [month, dayOfMonth] = easterSunday(date.getUTCFullYear());
  const easter = Date.UTC(date.getUTCFullYear(), month - 1, dayOfMonth);
  const oneDay = 86_400_000;
  const goodFriday = isoDay(new Date(easter - 2 * oneDay));
  const easterMonday = isoDay(new Date(easter + oneDay));
  return day !== goodFriday && day !== easterMonday;
}
