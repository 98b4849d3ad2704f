import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMeetingAssistant } from '../lib/engines/meeting/assistant.ts';
import type { EngineReply } from '../lib/engine.ts';
import { silentLogger } from '../lib/logger.ts';
import type { UserMessage } from '../lib/protocol.ts';

/** A conversation with the assistant on an injected clock, keeping state between turns like the store does. */
function conversation(now: string, timeZone = 'America/New_York') {
  let clock = new Date(now);
  const assistant = createMeetingAssistant({ now: () => clock, defaultTimeZone: timeZone });
  let state: unknown;
  return {
    async say(
      content: string,
      extra: Partial<UserMessage> = {},
    ): Promise<EngineReply & { metadata: Record<string, any> }> {
      const message = { type: 'user_message' as const, content, session_id: 's', ...extra };
      const out = await assistant.reply(message, {
        clientId: 'dialog',
        signal: new AbortController().signal,
        log: silentLogger,
        state,
      });
      state = JSON.parse(JSON.stringify(out.state ?? state));
      assert.equal(out.replies.length, 1);
      return out.replies[0] as EngineReply & { metadata: Record<string, any> };
    },
    advance(ms: number) {
      clock = new Date(clock.getTime() + ms);
    },
    calendar: () => assistant.calendar(state, 'dialog'),
    get state() {
      return state as { meetings: Array<{ status: string; start: string }> };
    },
  };
}

// Thursday 2026-11-26, 10:00 in New York.
const NOW = '2026-11-26T15:00:00Z';

describe('assistant dialogs', () => {
  it('asks for a missing time, confirms, books, lists and cancels', async () => {
    const c = conversation(NOW);
    const ask = await c.say('Schedule a design review with Alice tomorrow');
    assert.match(ask.content, /What time on Fri, Nov 27\?/);
    assert.deepEqual(ask.metadata.missing, ['start']);
    const draft = await c.say('3pm');
    assert.equal(draft.metadata.meeting.status, 'draft');
    assert.equal(draft.metadata.meeting.start, '2026-11-27T15:00:00-05:00');
    assert.equal(draft.metadata.meeting.end, '2026-11-27T15:30:00-05:00');
    assert.deepEqual(draft.metadata.meeting.participants, ['Alice']);
    assert.deepEqual(
      draft.ui_elements?.buttons.map((b) => b.action_type),
      ['confirm', 'change', 'cancel'],
    );
    assert.equal(c.state.meetings.length, 0, 'nothing is booked before the yes');
    const booked = await c.say('yes');
    assert.match(booked.content, /^Booked: Design review/);
    assert.equal(booked.metadata.meeting.status, 'confirmed');
    assert.ok(booked.metadata.meeting.id);
    const list = await c.say("what's on tomorrow?");
    assert.equal(list.metadata.intent, 'list');
    assert.match(list.content, /Design review, Fri, Nov 27, 3:00 PM–3:30 PM \(America\/New_York\) with Alice/);
    const cancel = await c.say('cancel it');
    assert.equal(cancel.metadata.intent, 'cancel');
    assert.equal(c.state.meetings[0]!.status, 'confirmed', 'not cancelled before the yes');
    const done = await c.say('yes');
    assert.equal(done.metadata.meeting.status, 'cancelled');
    assert.match((await c.say('show my meetings')).content, /no upcoming meetings/);
  });

  it('keeps what was said across messages and asks one thing at a time', async () => {
    const c = conversation(NOW);
    assert.deepEqual((await c.say('I need a meeting with Bob')).metadata.missing, ['start']);
    const draft = await c.say('Friday at 2 for 45 minutes on Zoom about hiring');
    assert.deepEqual(
      [
        draft.metadata.meeting.title,
        draft.metadata.meeting.start,
        draft.metadata.meeting.end,
        draft.metadata.meeting.location,
        draft.metadata.meeting.participants,
      ],
      ['Hiring', '2026-11-27T14:00:00-05:00', '2026-11-27T14:45:00-05:00', 'Zoom', ['Bob']],
    );
  });

  it('edits the draft on a change of mind and asks again', async () => {
    const c = conversation(NOW);
    await c.say('lunch with Ana tomorrow at noon');
    const edited = await c.say('actually make it 1pm');
    assert.equal(edited.metadata.meeting.start, '2026-11-27T13:00:00-05:00');
    assert.equal(edited.metadata.meeting.title, 'Lunch');
    assert.match(edited.content, /Shall I book it\?/);
    const longer = await c.say('for an hour');
    assert.equal(longer.metadata.meeting.end, '2026-11-27T14:00:00-05:00');
    const moved = await c.say('make it Monday');
    assert.equal(moved.metadata.meeting.start, '2026-11-30T13:00:00-05:00', 'a day alone keeps the time');
    assert.equal((await c.say('yes')).metadata.meeting.status, 'confirmed');
  });

  it('drops the draft on no, and books nothing', async () => {
    const c = conversation(NOW);
    await c.say('book a call tomorrow at 4pm');
    const no = await c.say('no');
    assert.equal(no.metadata.intent, 'decline');
    assert.match(no.content, /Nothing was booked/);
    assert.equal(c.state.meetings.length, 0);
    assert.equal((await c.say('yes')).metadata.intent, 'confirm', 'a later yes has nothing to confirm');
    assert.equal(c.state.meetings.length, 0);
  });

  it('refuses a time in the past and says why', async () => {
    const c = conversation(NOW);
    const past = await c.say('meeting today at 9am');
    assert.match(past.content, /has already passed/);
    assert.deepEqual(past.metadata.missing, ['start']);
    assert.equal((await c.say('yes')).metadata.missing?.[0], 'start', 'a yes cannot book a refused time');
    assert.equal(c.state.meetings.length, 0);
  });

  it('flags an overlap and proposes the nearest free slot of the same length in working hours', async () => {
    const c = conversation(NOW);
    await c.say('standup tomorrow at 9am for an hour');
    await c.say('yes');
    const clash = await c.say('review with Kim tomorrow at 9:30 for an hour');
    assert.match(clash.content, /overlaps with Standup/);
    assert.equal(clash.metadata.meeting.start, '2026-11-27T10:00:00-05:00');
    assert.equal(clash.metadata.meeting.end, '2026-11-27T11:00:00-05:00');
    await c.say('yes');
    const late = await c.say('call tomorrow at 5:30pm for an hour');
    assert.equal(
      late.metadata.meeting.start,
      '2026-11-27T17:30:00-05:00',
      'no clash, even if it runs past 18:00: the user asked',
    );
    await c.say('no');
    const blocked = await c.say('planning tomorrow at 10 for an hour');
    assert.equal(blocked.metadata.meeting.start, '2026-11-27T11:00:00-05:00');
  });

  it('moves a meeting by title, confirming first, and bumps its sequence', async () => {
    const c = conversation(NOW);
    await c.say('standup tomorrow at 9:30am');
    await c.say('yes');
    const ask = await c.say('move the standup to 4pm');
    assert.equal(ask.metadata.intent, 'reschedule');
    assert.equal(ask.metadata.meeting.start, '2026-11-27T16:00:00-05:00');
    const moved = await c.say('yes');
    assert.match(moved.content, /^Moved: Standup, Fri, Nov 27, 4:00 PM–4:30 PM/);
    assert.match(c.calendar(), /SEQUENCE:1/);
  });

  it('asks which meeting when a request matches several', async () => {
    const c = conversation(NOW);
    for (const text of ['sync with Ana tomorrow at 10am', 'yes', 'sync with Ben tomorrow at 2pm', 'yes'])
      await c.say(text);
    const which = await c.say('cancel the sync');
    assert.match(which.content, /^Which one\?/);
    assert.equal(which.ui_elements?.buttons.length, 2);
    const picked = await c.say('2');
    assert.match(picked.content, /^Cancel Sync, Fri, Nov 27, 2:00 PM/);
    await c.say('yes');
    assert.deepEqual(
      c.state.meetings.map((m) => m.status),
      ['confirmed', 'cancelled'],
    );
  });

  it('answers availability from the calendar', async () => {
    const c = conversation(NOW);
    assert.match((await c.say('am I free Friday afternoon?')).content, /^You're free Fri, Nov 27, 12:00 PM–5:00 PM/);
    await c.say('demo Friday at 3pm');
    await c.say('yes');
    const busy = await c.say('am I free Friday afternoon?');
    assert.match(
      busy.content,
      /free slots Fri, Nov 27, 12:00 PM–5:00 PM [^\n]*\n- Fri, Nov 27, 12:00 PM–3:00 PM [^\n]*\n- Fri, Nov 27, 3:30 PM–5:00 PM/,
    );
    assert.match(busy.content, /Demo/);
  });

  it('answers greetings, help and anything else with what it can do', async () => {
    const c = conversation(NOW);
    assert.equal((await c.say('hello')).metadata.intent, 'greeting');
    assert.match((await c.say('what can you do?')).content, /book, list, move and cancel/);
    const other = await c.say('tell me a joke');
    assert.equal(other.metadata.intent, 'unknown');
    assert.match(other.content, /Try: "Schedule/);
  });

  it('works in the user zone: Tokyo, Kolkata and London', async () => {
    // 15:00Z is already Friday 00:00 in Tokyo, so its "tomorrow" is Saturday.
    const cases: Array<[string, string]> = [
      ['Asia/Tokyo', '2026-11-28T15:00:00+09:00'],
      ['Asia/Kolkata', '2026-11-27T15:00:00+05:30'],
      ['Europe/London', '2026-11-27T15:00:00+00:00'],
    ];
    for (const [zone, start] of cases) {
      const c = conversation(NOW, zone);
      const draft = await c.say('meeting tomorrow at 3pm');
      assert.equal(draft.metadata.meeting.start, start, zone);
      assert.equal(draft.metadata.meeting.time_zone, zone);
    }
  });

  it('takes the zone of the message over the default, and keeps it', async () => {
    const c = conversation(NOW, 'UTC');
    const paris = await c.say('meeting tomorrow at 9am', { timezone: 'Europe/Paris' });
    assert.equal(paris.metadata.meeting.start, '2026-11-27T09:00:00+01:00');
    await c.say('no');
    assert.equal((await c.say('meeting tomorrow at 10am')).metadata.meeting.start, '2026-11-27T10:00:00+01:00');
  });

  it('gets the offset right across a DST change', async () => {
    // Friday 2026-10-30 in New York is EDT (-04:00); Monday 2026-11-02 is EST (-05:00).
    const c = conversation('2026-10-30T14:00:00Z');
    const draft = await c.say('meeting next Monday at 10am for an hour');
    assert.equal(draft.metadata.meeting.start, '2026-11-02T10:00:00-05:00');
    assert.equal(draft.metadata.meeting.end, '2026-11-02T11:00:00-05:00');
    await c.say('yes');
    assert.equal(c.state.meetings[0]!.start, '2026-11-02T15:00:00.000Z');
  });
});

describe('iCalendar export', () => {
  it('exports confirmed and cancelled meetings with stable UIDs and sequences', async () => {
    const c = conversation(NOW);
    for (const text of [
      'review, with bob@example.com; tomorrow at 3pm in Room 4',
      'yes',
      'lunch tomorrow at noon',
      'yes',
      'cancel it',
      'yes',
    ])
      await c.say(text);
    const ics = c.calendar();
    assert.ok(ics.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n'));
    assert.ok(ics.endsWith('END:VCALENDAR\r\n'));
    assert.equal(ics.match(/BEGIN:VEVENT/g)?.length, 2);
    assert.match(ics, /UID:m1\.dialog@meetingmuse\r\n/);
    assert.match(ics, /DTSTART:20261127T200000Z\r\nDTEND:20261127T203000Z/);
    assert.match(ics, /LOCATION:Room 4/);
    assert.match(ics, /ATTENDEE;CN=bob@example.com:mailto:bob@example.com/);
    assert.match(ics, /UID:m2\.dialog@meetingmuse\r\n[\s\S]*SEQUENCE:1\r\nSTATUS:CANCELLED/);
    for (const line of ics.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, `folded: ${line}`);
  });
});
