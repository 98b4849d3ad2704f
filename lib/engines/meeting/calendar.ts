import { addDays, formatRange, instantOf, isoInZone, wallTimeOf, type WallTime } from './time-zones.ts';

/** A meeting as the assistant keeps it in the session's engine state (JSON). */
export interface Meeting {
  id: string;
  title: string;
  /** ISO 8601 UTC */
  start: string;
  end: string;
  timeZone: string;
  participants: string[];
  location?: string;
  status: 'confirmed' | 'cancelled';
  /** RFC 5545 SEQUENCE: bumped on every change. */
  sequence: number;
  createdAt: string;
  updatedAt: string;
}

/** Working hours in minutes after local midnight. */
export interface WorkHours {
  start: number;
  end: number;
}

/** The meeting as clients see it in `metadata.meeting`: times with the zone's offset. */
export function meetingView(
  m: Pick<Meeting, 'title' | 'start' | 'end' | 'timeZone' | 'participants' | 'location'> & {
    id?: string;
    status: string;
  },
  timeZone: string,
) {
  return {
    ...(m.id ? { id: m.id } : {}),
    title: m.title,
    start: isoInZone(new Date(m.start), timeZone),
    end: isoInZone(new Date(m.end), timeZone),
    time_zone: timeZone,
    participants: m.participants,
    location: m.location ?? null,
    status: m.status,
  };
}

export function describe(
  m: Pick<Meeting, 'title' | 'start' | 'end' | 'participants' | 'location'>,
  timeZone: string,
): string {
  const who = m.participants.length ? ` with ${m.participants.join(', ')}` : '';
  const where = m.location ? `, ${m.location}` : '';
  return `${m.title}, ${formatRange(new Date(m.start), new Date(m.end), timeZone)}${who}${where}`;
}

export function overlapping(meetings: Meeting[], start: Date, end: Date, exceptId?: string): Meeting[] {
  return meetings.filter(
    (m) => m.status === 'confirmed' && m.id !== exceptId && new Date(m.start) < end && start < new Date(m.end),
  );
}

const STEP_MS = 15 * 60_000;
const SEARCH_DAYS = 14;

/**
 * The free slot of the same length nearest to `start` (earlier or later), inside working hours in the
 * zone, in the future, within two weeks; undefined if there is none.
 */
export function nearestFreeSlot(
  meetings: Meeting[],
  start: Date,
  durationMs: number,
  timeZone: string,
  hours: WorkHours,
  now: Date,
  exceptId?: string,
): Date | undefined {
  const fits = (candidate: Date) => {
    if (candidate <= now) return false;
    const wall = wallTimeOf(candidate, timeZone);
    const minutes = wall.hour * 60 + wall.minute;
    if (minutes < hours.start || minutes + durationMs / 60_000 > hours.end) return false;
    return overlapping(meetings, candidate, new Date(candidate.getTime() + durationMs), exceptId).length === 0;
  };
  const aligned = Math.round(start.getTime() / STEP_MS) * STEP_MS;
  const limit = (SEARCH_DAYS * 24 * 3_600_000) / STEP_MS;
  for (let step = 1; step <= limit; step++) {
    for (const candidate of [aligned + step * STEP_MS, aligned - step * STEP_MS]) {
      if (fits(new Date(candidate))) return new Date(candidate);
    }
  }
  return undefined;
}

/** Working hours of the day that contains `instant`, as instants. */
export function workDay(instant: Date, timeZone: string, hours: WorkHours): { from: Date; to: Date } {
  const day = wallTimeOf(instant, timeZone);
  const at = (minutes: number) => instantOf({ ...day, hour: Math.floor(minutes / 60), minute: minutes % 60 }, timeZone);
  return { from: at(hours.start), to: at(hours.end) };
}

export function upcomingWeek(now: Date, timeZone: string): { from: Date; to: Date } {
  const today = wallTimeOf(now, timeZone);
  return { from: now, to: instantOf({ ...addDays(today, 7), hour: 0, minute: 0 }, timeZone) };
}

/**
 * The free stretches between `from` and `to` inside working hours on each day, after `now`, with the
 * confirmed meetings taken out: what "am I free Friday afternoon?" answers with.
 */
export function freeSlots(
  meetings: Meeting[],
  from: Date,
  to: Date,
  timeZone: string,
  hours: WorkHours,
  now: Date,
): Array<{ start: Date; end: Date }> {
  const slots: Array<{ start: Date; end: Date }> = [];
  const busy = meetings
    .filter((m) => m.status === 'confirmed' && new Date(m.start) < to && new Date(m.end) > from)
    .map((m) => ({ start: new Date(m.start).getTime(), end: new Date(m.end).getTime() }))
    .sort((a, b) => a.start - b.start);
  let day: WallTime = wallTimeOf(from, timeZone);
  for (let guard = 0; guard < 62; guard++) {
    const work = workDay(instantOf({ ...day, hour: 12, minute: 0 }, timeZone), timeZone, hours);
    if (work.from >= to) break;
    let cursor = Math.max(work.from.getTime(), from.getTime(), now.getTime());
    const stop = Math.min(work.to.getTime(), to.getTime());
    // Round a "now" start up to the next quarter hour: nobody books 10:07.
    if (cursor === now.getTime()) cursor = Math.ceil(cursor / STEP_MS) * STEP_MS;
    for (const b of busy) {
      if (b.end <= cursor || b.start >= stop) continue;
      if (b.start > cursor) slots.push({ start: new Date(cursor), end: new Date(b.start) });
      cursor = Math.max(cursor, b.end);
    }
    if (cursor < stop) slots.push({ start: new Date(cursor), end: new Date(stop) });
    day = addDays(day, 1);
  }
  return slots;
}
