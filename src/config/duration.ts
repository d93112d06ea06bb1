/**
 * ISO 8601 durations (PnYnMnWnDTnHnMnS) as used in the config. Calendar units
 * are fixed-length here (a month is 30 days, a year 365) because they bound
 * windows, not calendar dates.
 */
const PATTERN =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text);
  if (!match) return undefined;
  const [, y, mo, w, d, h, mi, s] = match.map((part) => (part === undefined ? 0 : Number(part)));
  return (
    (y ?? 0) * 365 * DAY +
    (mo ?? 0) * 30 * DAY +
    (w ?? 0) * 7 * DAY +
    (d ?? 0) * DAY +
    (h ?? 0) * HOUR +
    (mi ?? 0) * MINUTE +
    Math.round((s ?? 0) * SECOND)
  );
}
