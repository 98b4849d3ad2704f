/**
 * Wall-clock time in IANA zones with nothing but Intl: converting between an instant and the
 * year/month/day/hour/minute a person in that zone reads, across DST changes.
 */

export interface WallTime {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** Formatters kept per style: zone names come from clients, so the cache is bounded (least recently used goes). */
export const FORMATTER_CACHE_SIZE = 256;

/** One formatter per zone and style: building an Intl.DateTimeFormat costs far more than using one. */
function cached(map: Map<string, Intl.DateTimeFormat>, timeZone: string, options: Intl.DateTimeFormatOptions) {
  let formatter = map.get(timeZone);
  if (formatter) {
    // Map keeps insertion order: re-inserting marks it recently used.
    map.delete(timeZone);
  } else {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, ...options });
    if (map.size >= FORMATTER_CACHE_SIZE) map.delete(map.keys().next().value!);
  }
  map.set(timeZone, formatter);
  return formatter;
}

/** How many formatters and offsets are cached now (for tests of the bounds). */
export function cacheSizes(): { formatters: number; offsets: number } {
  return { formatters: Math.max(partsFormatters.size, dayFormatters.size, timeFormatters.size), offsets: offsets.size };
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();
const PARTS: Intl.DateTimeFormatOptions = {
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
};

/** The zone's offset at an instant, read from Intl (slow: a formatToParts call). */
function readOffset(timeZone: string, instant: Date): number {
  const parts: Record<string, number> = {};
  for (const { type, value } of cached(partsFormatters, timeZone, PARTS).formatToParts(instant))
    parts[type] = Number(value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/**
 * Offsets per zone and quarter hour. Every zone in use today changes its offset on a quarter-hour
 * boundary, so one reading serves the whole quarter; this keeps Intl, which dominated the cost of
 * understanding a message, off the hot path.
 */
const QUARTER_HOUR_MS = 15 * 60_000;
const OFFSET_CACHE_SIZE = 10_000;
const offsets = new Map<string, number>();

/** Minutes east of UTC in the zone at that instant (New York in winter: -300). */
export function offsetMinutes(timeZone: string, instant: Date): number {
  const quarter = Math.floor(instant.getTime() / QUARTER_HOUR_MS);
  const key = `${timeZone} ${quarter}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    if (offsets.size >= OFFSET_CACHE_SIZE) offsets.clear();
    offset = readOffset(timeZone, new Date(quarter * QUARTER_HOUR_MS));
    offsets.set(key, offset);
  }
  return offset;
}

export function wallTimeOf(instant: Date, timeZone: string): WallTime & { second: number } {
  const shifted = new Date(instant.getTime() + offsetMinutes(timeZone, instant) * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
  };
}

/**
 * The instant a wall time names in the zone: the offset is read near the guess, then again at the
 * result, which settles it on either side of a DST change. A repeated time resolves to its first
 * occurrence; a skipped one to the instant one gap away.
 */
export function instantOf(wall: WallTime, timeZone: string): Date {
  const guess = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  const first = offsetMinutes(timeZone, new Date(guess));
  const settled = offsetMinutes(timeZone, new Date(guess - first * 60_000));
  return new Date(guess - settled * 60_000);
}

/** True when the zone's clocks skip the wall time (a DST change moves past it): it names no instant. */
export function isSkipped(wall: WallTime, timeZone: string): boolean {
  const named = wallTimeOf(instantOf(wall, timeZone), timeZone);
  return (
    named.year !== wall.year ||
    named.month !== wall.month ||
    named.day !== wall.day ||
    named.hour !== wall.hour ||
    named.minute !== wall.minute
  );
}

/** Adds whole days to a wall date (calendar arithmetic, independent of DST). */
export function addDays(wall: WallTime, days: number): WallTime {
  const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days));
  return { ...wall, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** 0 = Sunday … 6 = Saturday, for the wall date. */
export function weekdayOf(wall: WallTime): number {
  return new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay();
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** ISO 8601 with the zone's offset at that instant: 2026-11-27T15:00:00-05:00. */
export function isoInZone(instant: Date, timeZone: string): string {
  const w = wallTimeOf(instant, timeZone);
  const offset = offsetMinutes(timeZone, instant);
  const sign = offset < 0 ? '-' : '+';
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${sign}${pad(Math.trunc(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();
const timeFormatters = new Map<string, Intl.DateTimeFormat>();

/** "Fri, Nov 27" */
export function formatDay(instant: Date, timeZone: string): string {
  return cached(dayFormatters, timeZone, { weekday: 'short', month: 'short', day: 'numeric' }).format(instant);
}

/** "3:00 PM" */
export function formatTime(instant: Date, timeZone: string): string {
  return cached(timeFormatters, timeZone, { hour: 'numeric', minute: '2-digit' }).format(instant);
}

/** "Fri, Nov 27, 3:00 PM–3:30 PM (America/New_York)" */
export function formatRange(start: Date, end: Date, timeZone: string): string {
  const sameDay = formatDay(start, timeZone) === formatDay(end, timeZone);
  const endText = sameDay ? formatTime(end, timeZone) : `${formatDay(end, timeZone)}, ${formatTime(end, timeZone)}`;
  return `${formatDay(start, timeZone)}, ${formatTime(start, timeZone)}–${endText} (${timeZone})`;
}
