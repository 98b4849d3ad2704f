import type { Limit } from '../../options.ts';
import { isValidTimeZone } from '../../protocol.ts';
import type { WorkHours } from './calendar.ts';

/**
 * The assistant's settings: defaults and rules. lib/config.ts names the environment variables
 * (DEFAULT_TIMEZONE, WORK_HOURS, LLM_*) and reads them with these.
 */
export const ASSISTANT_SETTINGS = {
  /** Zone for clients that state none. */
  defaultTimeZone: { default: 'UTC', expects: 'an IANA time zone name such as Europe/Paris', valid: isValidTimeZone },
  /** Where free slots are looked for, in the user's zone. */
  workHours: {
    default: '09:00-18:00',
    expects: 'HH:MM-HH:MM with the start before the end, such as 09:00-18:00',
    valid: (text: string) => parseWorkHours(text) !== undefined,
  },
  /** An LLM answer slower than this falls back to the rules. */
  llmTimeoutMs: { default: 10_000, min: 100, max: 600_000, unit: 'milliseconds' } satisfies Limit,
};

/** "09:00-18:00" → minutes after midnight; undefined unless the start is before the end. */
export function parseWorkHours(text: string): WorkHours | undefined {
  const match = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!match) return undefined;
  const [, h1, m1, h2, m2] = match.map(Number) as [number, number, number, number, number];
  const start = h1 * 60 + m1;
  const end = h2 * 60 + m2;
  return m1 < 60 && m2 < 60 && start < end && end <= 24 * 60 ? { start, end } : undefined;
}
