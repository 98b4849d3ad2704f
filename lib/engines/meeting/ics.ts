import type { Meeting } from './calendar.ts';

/**
 * Control characters other than tab, which RFC 5545 allows in no value. A bare CR left in would let a
 * parser that splits lines on it see a property, or a whole VEVENT, that the title smuggled in.
 */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/** RFC 5545 TEXT: backslash, semicolon and comma escaped; every line break (CRLF, LF, CR) as \n; other controls dropped. */
function text(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n|\u2028|\u2029/g, '\\n')
    .replace(CONTROL, '');
}

/** A parameter value (RFC 5545 3.2): without the controls and quotes it may not hold, quoted if it has `;`, `:` or `,`. */
function paramValue(value: string): string {
  const clean = value.replace(CONTROL, '').replace(/"/g, '');
  return /[;:,]/.test(clean) ? `"${clean}"` : clean;
}

/** A URI value: controls, spaces and the characters that end a content line dropped. */
function uri(value: string): string {
  return value.replace(CONTROL, '').replace(/[\s"]/g, '');
}

/** 20261127T150000Z */
function utc(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Folds a content line at 75 octets, continuation lines starting with a space (RFC 5545 3.1). */
function fold(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + (start === 0 ? 75 : 74));
    // Never split a UTF-8 sequence: back up to a lead byte.
    while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
    parts.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
  }
  return parts.join('\r\n ');
}

/**
 * The client's meetings as an iCalendar document: confirmed ones, and cancelled ones with
 * STATUS:CANCELLED so subscribed calendars remove them. UIDs are stable per meeting; SEQUENCE counts changes.
 */
export function toICalendar(meetings: Meeting[], clientId: string, now: Date): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//MeetingMuse//Assistant//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${text(`MeetingMuse (${clientId})`)}`,
  ];
  for (const m of meetings) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${m.id}.${clientId}@meetingmuse`,
      `DTSTAMP:${utc(now.toISOString())}`,
      `LAST-MODIFIED:${utc(m.updatedAt)}`,
      `DTSTART:${utc(m.start)}`,
      `DTEND:${utc(m.end)}`,
      `SUMMARY:${text(m.title)}`,
      `SEQUENCE:${m.sequence}`,
      `STATUS:${m.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED'}`,
    );
    if (m.location) lines.push(`LOCATION:${text(m.location)}`);
    if (m.participants.length) lines.push(`DESCRIPTION:${text(`With ${m.participants.join(', ')}`)}`);
    for (const p of m.participants)
      if (p.includes('@') && !p.startsWith('@')) lines.push(`ATTENDEE;CN=${paramValue(p)}:mailto:${uri(p)}`);
    lines.push('END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.map(fold).join('\r\n') + '\r\n';
}
