import type { ConversationEngine, EngineReply } from '../../engine.ts';
import type { UiElements } from '../../protocol.ts';
import { describe, meetingView, nearestFreeSlot, overlapping, upcomingWeek, workDay, type Meeting, type WorkHours } from './calendar.ts';
import { toICalendar } from './ics.ts';
import { formatDay, formatRange, formatTime, instantOf, wallTimeOf } from './time-zones.ts';
import { understand as understandLocally, type Intent, type Understanding, type UnderstandContext } from './understand.ts';

/** Turns a message into an Understanding; the default is the deterministic one, an LLM may stand in front. */
export type Understander = (text: string, ctx: UnderstandContext, signal: AbortSignal) => Understanding | Promise<Understanding>;

export interface MeetingAssistantOptions {
  /** The clock; tests inject one. Default: Date.now. */
  now?: () => Date;
  /** Zone used until the client states one (?tz= or `timezone`). Default UTC. */
  defaultTimeZone?: string;
  /** Default 09:00–18:00 in the user's zone. */
  workHours?: WorkHours;
  /** Default: the deterministic understanding. */
  understand?: Understander;
}

interface Draft {
  title?: string;
  /** ISO UTC */
  start?: string;
  end?: string;
  /** A day named without a time, waiting for one (ISO UTC of its midnight). */
  day?: string;
  durationMinutes?: number;
  participants: string[];
  location?: string;
}

interface PendingChange {
  kind: 'cancel' | 'reschedule';
  meetingId: string;
  start?: string;
  end?: string;
}

/** Everything the assistant remembers about one client; the store keeps it between turns. */
export interface AssistantState {
  timeZone?: string;
  meetings: Meeting[];
  nextId: number;
  draft?: Draft;
  pending?: PendingChange;
  /** Meetings offered when a request matched several. */
  choices?: { kind: 'cancel' | 'reschedule'; ids: string[]; start?: string; end?: string };
  lastMeetingId?: string;
}

const DEFAULT_DURATION = 30;
const MINUTE = 60_000;

const CONFIRM_BUTTONS: UiElements = {
  buttons: [
    { action_type: 'confirm', label: 'Confirm', value: 'yes', variant: 'primary' },
    { action_type: 'change', label: 'Change', value: 'change', variant: 'secondary' },
    { action_type: 'cancel', label: 'Cancel', value: 'no', variant: 'danger' },
  ],
};

const YES_NO: UiElements = {
  buttons: [
    { action_type: 'confirm', label: 'Yes', value: 'yes', variant: 'primary' },
    { action_type: 'cancel', label: 'No', value: 'no', variant: 'secondary' },
  ],
};

const EXAMPLES = [
  '"Schedule a design review with Alice tomorrow at 3pm for 45 minutes"',
  '"What\'s on Friday?"',
  '"Move the standup to 4pm"',
  '"Cancel my 3pm"',
  '"Am I free Monday afternoon?"',
];

const HELP = `I can book, list, move and cancel your meetings, and check when you're free. Try: ${EXAMPLES.join(', ')}.`;

function fresh(state: unknown): AssistantState {
  const s = (state ?? {}) as Partial<AssistantState>;
  return { ...s, meetings: Array.isArray(s.meetings) ? s.meetings : [], nextId: typeof s.nextId === 'number' ? s.nextId : 1 };
}

/** The MeetingMuse scheduling assistant: understands, asks for what is missing, confirms, then books. */
export function createMeetingAssistant(options: MeetingAssistantOptions = {}): ConversationEngine & { calendar(state: unknown, clientId: string): string } {
  const clock = options.now ?? (() => new Date());
  const defaultZone = options.defaultTimeZone ?? 'UTC';
  const hours = options.workHours ?? { start: 9 * 60, end: 18 * 60 };
  const understand = options.understand ?? understandLocally;

  return {
    async reply(message, ctx) {
      const state = fresh(ctx.state);
      if (message.timezone) state.timeZone = message.timezone;
      const timeZone = state.timeZone ?? defaultZone;
      const now = clock();
      const u = await understand(message.content, { now, timeZone, clientId: ctx.clientId }, ctx.signal);
      const turn = new Turn(state, u, message.content, now, timeZone, hours);
      return { replies: [turn.respond()], state };
    },
    calendar: (state, clientId) => toICalendar(fresh(state).meetings, clientId, clock()),
  };
}

/** One message's worth of decisions over the state, which it mutates. */
class Turn {
  readonly #state: AssistantState;
  readonly #u: Understanding;
  readonly #text: string;
  readonly #now: Date;
  readonly #zone: string;
  readonly #hours: WorkHours;

  constructor(state: AssistantState, u: Understanding, text: string, now: Date, zone: string, hours: WorkHours) {
    this.#state = state;
    this.#u = u;
    this.#text = text.trim().toLowerCase();
    this.#now = now;
    this.#zone = zone;
    this.#hours = hours;
  }

  respond(): EngineReply {
    const { intent } = this.#u;
    const state = this.#state;
    if (state.pending) {
      const pending = state.pending;
      delete state.pending;
      if (intent === 'confirm') return this.#apply(pending);
      if (intent === 'decline') return this.#say('decline', 'OK, I left it as it was.');
    }
    if (state.choices) {
      const choices = state.choices;
      delete state.choices;
      const picked = this.#pick(choices.ids);
      if (picked) return this.#proposeChange(choices.kind, picked, choices.start ? { start: new Date(choices.start), end: new Date(choices.end!) } : undefined);
    }
    if (state.draft) {
      if (intent === 'confirm') return this.#book(state.draft);
      if (intent === 'decline' || (intent === 'cancel' && !this.#u.hasTime && !this.#u.title)) {
        delete state.draft;
        return this.#say('decline', "OK, I dropped that draft. Nothing was booked.");
      }
      if (this.#text === 'change') return this.#say('schedule', 'What should I change? You can give a new time, length, title, place or people, e.g. "make it 4pm for an hour".', { missing: [] });
      if (!['list', 'availability', 'help', 'greeting', 'cancel', 'reschedule'].includes(intent) && this.#hasDetails()) {
        this.#merge(state.draft);
        return this.#proposeDraft(state.draft);
      }
    }
    switch (intent) {
      case 'schedule':
        return this.#startDraft();
      case 'list':
        return this.#list();
      case 'availability':
        return this.#availability();
      case 'cancel':
        return this.#findAndPropose('cancel', this.#u);
      case 'reschedule':
        return this.#reschedule();
      case 'greeting':
        return this.#say('greeting', `Hi! ${HELP}`);
      case 'help':
        return this.#say('help', HELP);
      case 'confirm':
      case 'decline':
        return this.#say(intent, "There's nothing waiting for a yes or no right now. " + HELP);
      default:
        return this.#u.hasTime ? this.#startDraft() : this.#say('unknown', `Sorry, I didn't get that. ${HELP}`);
    }
  }

  #say(intent: Intent, content: string, extra: { meeting?: ReturnType<typeof meetingView>; missing?: string[]; ui?: UiElements } = {}): EngineReply {
    const metadata: Record<string, unknown> = { intent, missing: extra.missing ?? [] };
    if (extra.meeting) metadata.meeting = extra.meeting;
    return extra.ui ? { content, metadata, ui_elements: extra.ui } : { content, metadata };
  }

  #hasDetails(): boolean {
    const u = this.#u;
    return !!(u.start || u.day || u.durationMinutes || u.end || u.participants.length || u.location || u.title);
  }

  /** Folds what this message says into the draft; a time alone keeps the draft's day, a day alone keeps its time. */
  #merge(draft: Draft): void {
    const u = this.#u;
    const previous = draft.start ? new Date(draft.start) : undefined;
    if (u.start) {
      let start = u.start;
      const dayOf = previous ?? (draft.day ? new Date(draft.day) : undefined);
      if (!u.hasDate && dayOf) {
        const day = wallTimeOf(dayOf, this.#zone);
        const time = wallTimeOf(u.start, this.#zone);
        start = instantOf({ ...day, hour: time.hour, minute: time.minute }, this.#zone);
      }
      draft.start = start.toISOString();
      delete draft.day;
      if (!u.end && draft.end && previous) draft.end = new Date(start.getTime() + (new Date(draft.end).getTime() - previous.getTime())).toISOString();
    } else if (u.day) {
      if (previous) {
        const time = wallTimeOf(previous, this.#zone);
        const start = instantOf({ ...u.day, hour: time.hour, minute: time.minute }, this.#zone);
        if (draft.end) draft.end = new Date(start.getTime() + (new Date(draft.end).getTime() - previous.getTime())).toISOString();
        draft.start = start.toISOString();
      } else {
        draft.day = instantOf(u.day, this.#zone).toISOString();
      }
    }
    if (u.end) draft.end = u.end.toISOString();
    if (u.durationMinutes) {
      draft.durationMinutes = u.durationMinutes;
      if (!u.end) delete draft.end;
    }
    for (const p of u.participants) if (!draft.participants.includes(p)) draft.participants.push(p);
    if (u.location) draft.location = u.location;
    if (u.title) draft.title = u.title;
  }

  #startDraft(): EngineReply {
    const draft: Draft = { participants: [] };
    this.#merge(draft);
    this.#state.draft = draft;
    return this.#proposeDraft(draft);
  }

  #draftTimes(draft: Draft): { start: Date; end: Date } | undefined {
    if (!draft.start) return undefined;
    const start = new Date(draft.start);
    const end = draft.end ? new Date(draft.end) : new Date(start.getTime() + (draft.durationMinutes ?? DEFAULT_DURATION) * MINUTE);
    return { start, end };
  }

  #draftView(draft: Draft, times: { start: Date; end: Date }) {
    const title = draft.title ?? (draft.participants.length ? `Meeting with ${draft.participants.join(', ')}` : 'Meeting');
    return meetingView({ title, start: times.start.toISOString(), end: times.end.toISOString(), timeZone: this.#zone, participants: draft.participants, ...(draft.location ? { location: draft.location } : {}), status: 'draft' }, this.#zone);
  }

  /** Asks for the one thing missing, or refuses a past time, or flags a conflict, or shows the draft for a yes. */
  #proposeDraft(draft: Draft): EngineReply {
    const times = this.#draftTimes(draft);
    if (!times) {
      const question = draft.day ? `What time on ${formatDay(new Date(draft.day), this.#zone)}?` : 'When should it be? For example "tomorrow at 3pm".';
      return this.#say('schedule', question, { missing: ['start'] });
    }
    if (times.end <= times.start) {
      delete draft.end;
      return this.#say('schedule', 'The end is before the start. How long should it be?', { missing: ['duration'] });
    }
    if (times.start <= this.#now) {
      const when = `${formatDay(times.start, this.#zone)}, ${formatTime(times.start, this.#zone)}`;
      delete draft.start;
      return this.#say('schedule', `${when} has already passed (it's ${formatTime(this.#now, this.#zone)} ${this.#zone} now). When should it be instead?`, { missing: ['start'] });
    }
    const clash = overlapping(this.#state.meetings, times.start, times.end);
    if (clash.length) {
      const duration = times.end.getTime() - times.start.getTime();
      const slot = nearestFreeSlot(this.#state.meetings, times.start, duration, this.#zone, this.#hours, this.#now);
      const conflict = `That overlaps with ${describe(clash[0]!, this.#zone)}.`;
      if (!slot) return this.#say('schedule', `${conflict} I found no free slot of that length in working hours in the next two weeks. When else?`, { missing: ['start'] });
      draft.start = slot.toISOString();
      draft.end = new Date(slot.getTime() + duration).toISOString();
      const view = this.#draftView(draft, { start: slot, end: new Date(slot.getTime() + duration) });
      return this.#say('schedule', `${conflict} The nearest free slot is ${formatRange(slot, new Date(slot.getTime() + duration), this.#zone)}. Book "${view.title}" then?`, { meeting: view, ui: CONFIRM_BUTTONS });
    }
    const view = this.#draftView(draft, times);
    const who = view.participants.length ? `\nWith: ${view.participants.join(', ')}` : '';
    const where = view.location ? `\nWhere: ${view.location}` : '';
    return this.#say('schedule', `Here's the draft:\n${view.title}\n${formatRange(times.start, times.end, this.#zone)}${who}${where}\nShall I book it?`, { meeting: view, ui: CONFIRM_BUTTONS });
  }

  #book(draft: Draft): EngineReply {
    const times = this.#draftTimes(draft);
    if (!times || times.start <= this.#now || overlapping(this.#state.meetings, times.start, times.end).length) return this.#proposeDraft(draft);
    const view = this.#draftView(draft, times);
    const stamp = this.#now.toISOString();
    const meeting: Meeting = {
      id: `m${this.#state.nextId++}`,
      title: view.title,
      start: times.start.toISOString(),
      end: times.end.toISOString(),
      timeZone: this.#zone,
      participants: draft.participants,
      ...(draft.location ? { location: draft.location } : {}),
      status: 'confirmed',
      sequence: 0,
      createdAt: stamp,
      updatedAt: stamp,
    };
    this.#state.meetings.push(meeting);
    this.#state.lastMeetingId = meeting.id;
    delete this.#state.draft;
    return this.#say('schedule', `Booked: ${describe(meeting, this.#zone)}.`, { meeting: meetingView(meeting, this.#zone) });
  }

  #upcoming(): Meeting[] {
    return this.#state.meetings
      .filter((m) => m.status === 'confirmed' && new Date(m.end) > this.#now)
      .sort((a, b) => a.start.localeCompare(b.start));
  }

  #list(): EngineReply {
    const range = this.#u.range ?? upcomingWeek(this.#now, this.#zone);
    const found = this.#upcoming().filter((m) => new Date(m.start) < range.to && new Date(m.end) > range.from);
    const week = /\b(this|next) week\b/.exec(this.#text);
    const span = week ? `${week[1]} week` : this.#u.day ? `on ${formatDay(range.from, this.#zone)}` : this.#u.range ? `in ${formatRange(range.from, range.to, this.#zone)}` : 'in the next 7 days';
    if (!found.length) return this.#say('list', `You have no meetings ${span}.`);
    const lines = found.map((m) => `- ${describe(m, this.#zone)}`);
    return this.#say('list', `You have ${found.length} meeting${found.length > 1 ? 's' : ''} ${span}:\n${lines.join('\n')}`);
  }

  #availability(): EngineReply {
    const u = this.#u;
    // A time asks about that slot; a whole day (no part of day named) about its working hours.
    const wholeDay = u.day && !/\b(morning|afternoon|evening|tonight)\b/.test(this.#text);
    const range = u.start
      ? { from: u.start, to: u.end ?? new Date(u.start.getTime() + (u.durationMinutes ?? DEFAULT_DURATION) * MINUTE) }
      : wholeDay
        ? workDay(instantOf({ ...u.day!, hour: 12 }, this.#zone), this.#zone, this.#hours)
        : (u.range ?? workDay(this.#now, this.#zone, this.#hours));
    const busy = overlapping(this.#state.meetings, range.from, range.to);
    const span = formatRange(range.from, range.to, this.#zone);
    if (!busy.length) return this.#say('availability', `You're free ${span}.`);
    return this.#say('availability', `You have ${busy.length === 1 ? 'a meeting' : `${busy.length} meetings`} in ${span}:\n${busy.map((m) => `- ${describe(m, this.#zone)}`).join('\n')}`);
  }

  /** Meetings the message points at: "it", a title or person, a time, a day. */
  #matching(u: Understanding): Meeting[] {
    let found = this.#upcoming();
    if (u.refersToLast && this.#state.lastMeetingId && !u.title && !u.start) {
      return found.filter((m) => m.id === this.#state.lastMeetingId);
    }
    if (u.title) {
      const words = u.title.toLowerCase();
      found = found.filter((m) => m.title.toLowerCase().includes(words) || words.includes(m.title.toLowerCase()));
    }
    if (u.participants.length) found = found.filter((m) => u.participants.some((p) => m.participants.includes(p)));
    if (u.start) {
      const t = wallTimeOf(u.start, this.#zone);
      found = found.filter((m) => {
        const w = wallTimeOf(new Date(m.start), this.#zone);
        return w.hour === t.hour && w.minute === t.minute && (!u.hasDate || (w.day === t.day && w.month === t.month));
      });
    } else if (u.day) {
      const d = u.day;
      found = found.filter((m) => {
        const w = wallTimeOf(new Date(m.start), this.#zone);
        return w.year === d.year && w.month === d.month && w.day === d.day;
      });
    }
    return found;
  }

  #findAndPropose(kind: 'cancel' | 'reschedule', target: Understanding, to?: { start: Date; end: Date }): EngineReply {
    const found = this.#matching(target);
    if (!found.length) return this.#say(kind, `I couldn't find an upcoming meeting like that. Say "show my meetings" to see them.`);
    if (found.length > 1) {
      this.#state.choices = { kind, ids: found.map((m) => m.id), ...(to ? { start: to.start.toISOString(), end: to.end.toISOString() } : {}) };
      const lines = found.map((m, i) => `${i + 1}. ${describe(m, this.#zone)}`);
      const buttons = found.slice(0, 5).map((m, i) => ({ action_type: 'choose', label: `${i + 1}. ${m.title}`, value: String(i + 1), variant: 'secondary' }));
      return this.#say(kind, `Which one?\n${lines.join('\n')}`, { ui: { buttons } });
    }
    return this.#proposeChange(kind, found[0]!, to);
  }

  #pick(ids: string[]): Meeting | undefined {
    const index = /^(\d+)$|^(?:the )?(first|second|third|last)( one)?$/.exec(this.#text);
    const ordinal = { first: 1, second: 2, third: 3, last: ids.length } as Record<string, number>;
    const n = index ? Number(index[1] ?? ordinal[index[2]!]) : undefined;
    const id = n ? ids[n - 1] : undefined;
    return this.#state.meetings.find((m) => m.id === id);
  }

  #proposeChange(kind: 'cancel' | 'reschedule', meeting: Meeting, to?: { start: Date; end: Date }): EngineReply {
    this.#state.lastMeetingId = meeting.id;
    if (kind === 'cancel') {
      this.#state.pending = { kind, meetingId: meeting.id };
      return this.#say('cancel', `Cancel ${describe(meeting, this.#zone)}?`, { meeting: meetingView(meeting, this.#zone), ui: YES_NO });
    }
    if (!to) return this.#say('reschedule', `When should ${meeting.title} move to?`, { meeting: meetingView(meeting, this.#zone), missing: ['start'] });
    if (to.start <= this.#now) return this.#say('reschedule', `${formatDay(to.start, this.#zone)}, ${formatTime(to.start, this.#zone)} has already passed. When should it move to?`, { missing: ['start'] });
    const clash = overlapping(this.#state.meetings, to.start, to.end, meeting.id);
    let note = '';
    if (clash.length) {
      const duration = to.end.getTime() - to.start.getTime();
      const slot = nearestFreeSlot(this.#state.meetings, to.start, duration, this.#zone, this.#hours, this.#now, meeting.id);
      if (!slot) return this.#say('reschedule', `That overlaps with ${describe(clash[0]!, this.#zone)}, and I found no free slot nearby. When else?`, { missing: ['start'] });
      note = `That overlaps with ${describe(clash[0]!, this.#zone)}; the nearest free slot is ${formatTime(slot, this.#zone)}. `;
      to = { start: slot, end: new Date(slot.getTime() + duration) };
    }
    this.#state.pending = { kind, meetingId: meeting.id, start: to.start.toISOString(), end: to.end.toISOString() };
    const moved = { ...meeting, start: to.start.toISOString(), end: to.end.toISOString() };
    return this.#say('reschedule', `${note}Move ${meeting.title} to ${formatRange(to.start, to.end, this.#zone)}?`, { meeting: meetingView(moved, this.#zone), ui: YES_NO });
  }

  #reschedule(): EngineReply {
    // "move the standup to 4pm": what comes before the last "to" names the meeting, what follows the new time.
    const split = /^(.*)\b(?:to|until|till)\b(.*)$/.exec(this.#text);
    const context = { now: this.#now, timeZone: this.#zone };
    const target = split ? understandLocally(split[1]!, context) : { ...this.#u, start: undefined, day: undefined };
    const when = split ? understandLocally(split[2]!, context) : this.#u;
    const found = this.#matching(target);
    const meeting = found.length === 1 ? found[0]! : undefined;
    let to: { start: Date; end: Date } | undefined;
    if (meeting && (when.start || when.day)) {
      const oldStart = new Date(meeting.start);
      const duration = when.durationMinutes ? when.durationMinutes * MINUTE : new Date(meeting.end).getTime() - oldStart.getTime();
      const old = wallTimeOf(oldStart, this.#zone);
      let start: Date;
      if (when.start && when.hasDate) start = when.start;
      else if (when.start) {
        const t = wallTimeOf(when.start, this.#zone);
        start = instantOf({ ...old, hour: t.hour, minute: t.minute }, this.#zone);
      } else start = instantOf({ ...when.day!, hour: old.hour, minute: old.minute }, this.#zone);
      to = { start, end: new Date(start.getTime() + duration) };
    }
    if (meeting) return this.#proposeChange('reschedule', meeting, to);
    return this.#findAndPropose('reschedule', target, to);
  }

  #apply(pending: PendingChange): EngineReply {
    const meeting = this.#state.meetings.find((m) => m.id === pending.meetingId && m.status === 'confirmed');
    if (!meeting) return this.#say(pending.kind, 'That meeting is no longer on your calendar.');
    meeting.sequence++;
    meeting.updatedAt = this.#now.toISOString();
    this.#state.lastMeetingId = meeting.id;
    if (pending.kind === 'cancel') {
      meeting.status = 'cancelled';
      return this.#say('cancel', `Cancelled: ${describe(meeting, this.#zone)}.`, { meeting: meetingView(meeting, this.#zone) });
    }
    meeting.start = pending.start!;
    meeting.end = pending.end!;
    return this.#say('reschedule', `Moved: ${describe(meeting, this.#zone)}.`, { meeting: meetingView(meeting, this.#zone) });
  }
}
