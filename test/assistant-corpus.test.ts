import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addDays, instantOf, wallTimeOf } from '../lib/engines/meeting/time-zones.ts';
import { understand, type Understanding } from '../lib/engines/meeting/understand.ts';
import { CORPUS, NOW, ZONE, type Expected, type When } from './fixtures/utterances.ts';

/** The instant [days, 'HH:MM'] names in the corpus zone, relative to the injected clock. */
function at([days, time]: When): string {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return instantOf({ ...addDays(wallTimeOf(NOW, ZONE), days), hour, minute }, ZONE).toISOString();
}

/** Every field the corpus entry states that the understanding gets wrong, as "field: got … want …". */
export function mismatches(u: Understanding, want: Expected): string[] {
  const wrong: string[] = [];
  const check = (field: string, got: unknown, expected: unknown) => {
    if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`${field}: got ${JSON.stringify(got)} want ${JSON.stringify(expected)}`);
  };
  check('intent', u.intent, want.intent);
  if (want.start) check('start', u.start?.toISOString(), at(want.start));
  if (want.end) check('end', u.end?.toISOString(), at(want.end));
  if (want.duration !== undefined) check('duration', u.durationMinutes, want.duration);
  if (want.participants) check('participants', u.participants, want.participants);
  if (want.location) check('location', u.location, want.location);
  if (want.title) check('title', u.title, want.title);
  if (want.day !== undefined) {
    const today = wallTimeOf(NOW, ZONE);
    const d = addDays(today, want.day);
    check('day', u.day && [u.day.year, u.day.month, u.day.day], [d.year, d.month, d.day]);
  }
  return wrong;
}

describe('understanding corpus', () => {
  it(`understands at least 95 % of ${CORPUS.length} utterances exactly`, (t) => {
    assert.ok(CORPUS.length >= 150, 'the corpus has at least 150 utterances');
    const failures: string[] = [];
    for (const [text, want] of CORPUS) {
      const wrong = mismatches(understand(text, { now: NOW, timeZone: ZONE }), want);
      if (wrong.length) failures.push(`${JSON.stringify(text)}: ${wrong.join('; ')}`);
    }
    const accuracy = (CORPUS.length - failures.length) / CORPUS.length;
    t.diagnostic(`corpus accuracy: ${(accuracy * 100).toFixed(1)} % (${CORPUS.length - failures.length}/${CORPUS.length})`);
    for (const failure of failures) t.diagnostic(`miss: ${failure}`);
    assert.ok(accuracy >= 0.95, `accuracy ${accuracy}:\n${failures.join('\n')}`);
  });
});
