import type { ConversationEngine, EngineReply } from '../../engine.ts';
import type { UiElements } from '../../protocol.ts';
import {
  describe,
  freeSlots,
  meetingView,
  nearestFreeSlot,
  overlapping,
  workDay,
  type Meeting,
  type WorkHours,
} from './calendar.ts';
import { toICalendar } from './ics.ts';
import {
  addDays,
  formatDay,
  formatRange,
  formatTime,
  instantOf,
  isSkipped,
  wallTimeOf,
  type WallTime,
} from './time-zones.ts';
import {
  understand as understandLocally,
  type Awaiting,
  type Intent,
  type Understanding,
  type UnderstandContext,
} from './understand.ts';
import { meridiemFromContext } from './when.ts';

/** Turns a message into an Understanding; the default is the deterministic one, an LLM may stand in front. */
export type Understander = (
  text: string,
  ctx: UnderstandContext,
  signal: AbortSignal,
) => Understanding | Promise<Understanding>;

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
  /** The bare hour was read as am or pm by guess: the draft says which. */
  guessed?: boolean;
  /** The words that asked for a repeat, which is not supported: the draft says so. */
  repeat?: string;
  /** A wall time ('HH:MM') that does not exist on `day` (a DST gap), to say once. */
  gap?: string;
}

/** A new time as the state keeps it between turns (a When with the start as ISO UTC). */
export type StoredWhen = Pick<
  Understanding,
  'hasDate' | 'day' | 'durationMinutes' | 'shiftMinutes' | 'shiftDays' | 'guessedMeridiem'
> & {
  start?: string;
};

/** What a message says about a meeting's new time: a date and time, a time, a day, a shift, a length. */
type When = Omit<StoredWhen, 'start'> & { start?: Date };

const storedWhen = ({ start, ...rest }: When): StoredWhen => (start ? { ...rest, start: start.toISOString() } : rest);
const whenOf = ({ start, ...rest }: StoredWhen): When => (start ? { ...rest, start: new Date(start) } : rest);

/** The message moves by an amount ("an hour later", "the day after") rather than to a time. */
const shifted = (when: Pick<When, 'shiftMinutes' | 'shiftDays'>): boolean => !!(when.shiftMinutes || when.shiftDays);

/** `from` moved by a message's shift: whole days on the wall clock (a DST change keeps the time), then minutes. */
function shiftedBy(from: Date, { shiftDays, shiftMinutes }: When, zone: string): Date {
  const onDay = shiftDays ? instantOf(addDays(wallTimeOf(from, zone), shiftDays), zone) : from;
  return new Date(onDay.getTime() + (shiftMinutes ?? 0) * MINUTE);
}

interface PendingChange {
  kind: 'cancel' | 'reschedule';
  meetingId: string;
  /** A bulk cancel: every meeting listed, meetingId being the first. */
  meetingIds?: string[];
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
  /** Meetings offered when a request matched several, with the new time asked for, applied to the one picked. */
  choices?: { kind: 'cancel' | 'reschedule'; ids: string[]; when?: StoredWhen };
  lastMeetingId?: string;
}

const DEFAULT_DURATION = 30;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Meetings that ended longer ago than this leave the state for the archive (cancelled ones once past). */
const ARCHIVE_AFTER_MS = 30 * DAY;
/** A list shows at most this many meetings, then says how many more there are. */
const LIST_LIMIT = 15;

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

/** Words of a which-one reply that pick nothing by themselves. */
const PICK_FILLERS = new Set([
  'and',
  'call',
  'cancel',
  'for',
  'meeting',
  'move',
  'one',
  'please',
  'that',
  'the',
  'this',
  'want',
  'with',
  'yes',
]);

const HELP = `I can book, list, move and cancel your meetings, and check when you're free. Try: ${EXAMPLES.join(', ')}.`;

/** Meetings long over (or cancelled and past) move out of the state, so it stays small as bookings accumulate. */
function prune(state: AssistantState, now: Date): Meeting[] {
  const keep: Meeting[] = [];
  const archive: Meeting[] = [];
  for (const m of state.meetings) {
    const end = new Date(m.end).getTime();
    const old = end < now.getTime() - ARCHIVE_AFTER_MS || (m.status === 'cancelled' && end < now.getTime());
    (old ? archive : keep).push(m);
  }
  state.meetings = keep;
  return archive;
}

const isMeeting = (m: unknown): m is Meeting =>
  typeof m === 'object' &&
  m !== null &&
  typeof (m as Meeting).id === 'string' &&
  typeof (m as Meeting).start === 'string';

function fresh(state: unknown): AssistantState {
  const s = (state ?? {}) as Partial<AssistantState>;
  return {
    ...s,
    meetings: Array.isArray(s.meetings) ? s.meetings : [],
    nextId: typeof s.nextId === 'number' ? s.nextId : 1,
  };
}

/** The yes or no the last reply asked for, in whose light the next message is read. */
function awaitingOf(state: AssistantState): Awaiting | undefined {
  if (state.pending) return state.pending.kind === 'cancel' ? 'cancel' : 'move';
  // "When should the sync move to?" waits for a new time, as a proposed move does.
  if (state.choices?.kind === 'reschedule' && state.choices.ids.length === 1) return 'move';
  return state.draft ? 'book' : undefined;
}

/** The MeetingMuse scheduling assistant: understands, asks for what is missing, confirms, then books. */
export function createMeetingAssistant(
  options: MeetingAssistantOptions = {},
): ConversationEngine & { calendar(state: unknown, clientId: string, archive?: unknown[]): string } {
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
      const awaiting = awaitingOf(state);
      const u = await understand(
        message.content,
        { now, timeZone, clientId: ctx.clientId, ...(awaiting ? { awaiting } : {}) },
        ctx.signal,
      );
      const turn = new Turn(state, u, message.content, now, timeZone, hours);
      const reply = u.calendarFeed ? await feedReply(ctx.calendarFeedUrl) : turn.respond();
      const archive = prune(state, now);
      return archive.length ? { replies: [reply], state, archive } : { replies: [reply], state };
    },
    calendar: (state, clientId, archive = []) =>
      toICalendar([...archive.filter(isMeeting), ...fresh(state).meetings], clientId, clock()),
  };
}

/** How to get the meetings into a calendar app: the client's feed URL, when the server serves feeds. */
async function feedReply(calendarFeedUrl: (() => Promise<string>) | undefined): Promise<EngineReply> {
  if (!calendarFeedUrl) {
    return {
      content:
        'Calendar feeds aren\'t available on this server, so there\'s no link to subscribe to. Ask me "show my meetings" to see them here.',
      metadata: { intent: 'help', missing: [] },
    };
  }
  const url = await calendarFeedUrl();
  return {
    content: `Subscribe to this calendar feed in Google Calendar, Outlook or Apple Calendar ("add calendar from URL"); your meetings, and every change to them, show up there:\n${url}\nKeep the link private: anyone with it can read your meetings.`,
    metadata: { intent: 'help', missing: [], calendar_url: url },
  };
}

/** A change of mind about a time just agreed: "make it 11", "make that an hour", "how about thursday instead", "it's actually 10:15". */
const EDIT_CUE =
  /^(?:\S+ ){0,3}?(?:make (?:it|that)|how about|what about|can we do|could we do|let'?s do|rather|better)\b|\b(?:instead|would be better|is better|works better|same time|(?:it'?s|its|it is) actually|actually (?:it'?s|its|it is))\b/;

/** How an edit of a draft starts ("and put it in Room 2", "actually a call", "plus Sam"). */
const EDIT_LEAD =
  /^(?:and|also|plus|oh|actually|wait|sorry|no|nope|rather|but|or|make|change|instead|then|so|um+|uh+|hmm+)\b/;

/** A booking verb with a new event after it: "book a call with Pieter", "pls schedule another meeting". */
const NEW_BOOKING =
  /^(?:\S+ ){0,3}?(?:schedule|book|set up|arrange|organi[sz]e|sked|plan|create) (?:(?:me|us) )?(?:a|an|another|one more|new|a new)\b/;

/** A booking verb at the head of the message, after a word or two ("also book", "and pls schedule"). */
const BOOKING_LEAD = /^(?:\S+ ){0,2}?(?:schedule|book|set up|arrange|organi[sz]e|sked)\b/;
/** A weekday or a day of the month: a move "to Tuesday next week" names its day, "to next week" only the week. */
const NAMED_DAY = /\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b|\b\d{1,2}(?:st|nd|rd|th)\b/;
/** A weekday said alone: "make it Friday instead" (not "next Friday", "Friday the 29th", "Friday 29 May"). */
const BARE_WEEKDAY =
  /^(?!.*\b(?:next|this|coming|following|week|weeks|fortnight|\d{1,2}(?:st|nd|rd|th)?\b(?! ?(?::|am|pm|a\.m|p\.m|h\b|o'?clock))|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)).*\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b/;

/** A place for the draft said about "it": "and put it in salle Rodin", "have it at Café Lumière". */
const PUT_IT_IN =
  /^(?:(?:and|oh|also|please|pls|can you|could you|then)[, ]+)*(?:put|have|hold|do|book|set|make) (?:it|that|this)(?: (?:in|at|on))? (?:the )?([\p{L}\d][\p{L}\d .'&-]{0,40}?)[.!]*$/iu;
const NOT_A_PLACE =
  /\b(?:calendar|diary|agenda|schedule|cal|please|pls|instead|earlier|later|longer|shorter|today|tomorrow)\b/i;

/** Words where a move's message turns from the meeting to its new time ("to", "make it", "can be", "->"). */
const MOVE_TURNS =
  /\b(?:to|until|till|for|on|make it|can we do|do it|have it|can be|could be|should (?:now )?be|needs? to be|happen|works? better|is now|now)\b|->|→/gi;

/** The message cut at each turn word, the last first: [what names the meeting, the new time]. */
function moveSplits(text: string): Array<[string, string]> {
  return [...text.matchAll(MOVE_TURNS)]
    .reverse()
    .map((m) => [text.slice(0, m.index), text.slice(m.index + m[0].length)] as [string, string]);
}

/** One message's worth of decisions over the state, which it mutates. */
class Turn {
  readonly #state: AssistantState;
  readonly #u: Understanding;
  readonly #text: string;
  /** The message as written (names keep their capitals). */
  readonly #said: string;
  readonly #now: Date;
  readonly #zone: string;
  readonly #hours: WorkHours;

  constructor(state: AssistantState, u: Understanding, text: string, now: Date, zone: string, hours: WorkHours) {
    this.#state = state;
    this.#u = u;
    this.#said = text.trim();
    this.#text = this.#said.toLowerCase();
    this.#now = now;
    this.#zone = zone;
    this.#hours = hours;
  }

  respond(): EngineReply {
    return this.#answerPending() ?? this.#answerChoices() ?? this.#answerDraft() ?? this.#answerIntent();
  }

  /** The answer to a change waiting for yes or no, if the message answers it; otherwise the change is dropped (or kept, when the message is not understood). */
  #answerPending(): EngineReply | undefined {
    const { intent } = this.#u;
    const state = this.#state;
    if (!state.pending) return undefined;
    const pending = state.pending;
    if (intent === 'confirm') {
      delete state.pending;
      return this.#apply(pending);
    }
    if (intent === 'decline') {
      delete state.pending;
      // The meeting as it stays: "no, keep it" shows it unchanged.
      const kept = state.meetings.find((m) => m.id === (pending.meetingIds?.[0] ?? pending.meetingId));
      return this.#say(
        'decline',
        pending.kind === 'cancel' ? 'OK, I kept it: nothing was cancelled.' : 'OK, I left it where it was.',
        kept ? { meeting: meetingView(kept, this.#zone) } : {},
      );
    }
    // A message that is neither a new request nor understood keeps the question open; a new length ("make it an
    // hour") changes a proposed move.
    const lengthOfMove = pending.kind === 'reschedule' && !!this.#u.durationMinutes && EDIT_CUE.test(this.#text);
    if (intent === 'unknown' && !this.#u.hasTime && !this.#u.day && !lengthOfMove) return this.#repeatPending(pending);
    delete state.pending;
    return pending.kind === 'reschedule' ? this.#editMove(pending) : undefined;
  }

  /** "actually make it 3 instead", "wednesday instead": a new time for the move proposed, not a new request. */
  #editMove(pending: PendingChange): EngineReply | undefined {
    const u = this.#u;
    const meeting = this.#state.meetings.find((m) => m.id === pending.meetingId);
    if (
      !meeting ||
      !pending.start ||
      !(u.start || u.day || shifted(u) || (u.durationMinutes && EDIT_CUE.test(this.#text))) ||
      this.#startsAnew({ ...meeting, participants: meeting.participants }) ||
      ['list', 'availability', 'cancel', 'help'].includes(u.intent) ||
      this.#matching({ ...u, refersToLast: false, start: undefined, day: undefined, range: undefined }).some(
        (m) => m.id !== meeting.id && (u.title || u.participants.length),
      )
    )
      return undefined;
    const proposed = { ...meeting, start: pending.start, end: pending.end! };
    return this.#proposeChange('reschedule', meeting, this.#newTimes(proposed, u));
  }

  /** The proposed change to the meeting picked from the choices offered last turn, if one is picked; the choices are dropped either way. */
  #answerChoices(): EngineReply | undefined {
    const { intent } = this.#u;
    const state = this.#state;
    if (!state.choices) return undefined;
    const choices = state.choices;
    delete state.choices;
    const only = choices.ids.length === 1 ? this.#state.meetings.find((m) => m.id === choices.ids[0]) : undefined;
    const picked =
      only &&
      (this.#u.start || this.#u.day || shifted(this.#u) || this.#u.durationMinutes) &&
      !['list', 'availability', 'cancel'].includes(intent)
        ? only
        : this.#pick(choices.ids);
    if (!picked) return this.#answerAll(choices);
    const u = this.#u;
    // "push it" → when to? → "30 mins": a length alone is how far.
    const said =
      picked === only && u.durationMinutes && !u.start && !u.day && !shifted(u)
        ? { ...u, shiftMinutes: u.durationMinutes, durationMinutes: undefined }
        : u;
    let to = this.#newTimes(picked, choices.when ? whenOf(choices.when) : said);
    // "the one at 3" names the meeting, not its new time.
    if (!choices.when && to?.start.getTime() === new Date(picked.start).getTime()) to = undefined;
    return this.#proposeChange(choices.kind, picked, to);
  }

  /** "both" or "all of them" to cancel asks once for all the meetings offered; "neither" keeps them. */
  #answerAll(choices: NonNullable<AssistantState['choices']>): EngineReply | undefined {
    const said = this.#text.replace(/[.!?]+$/, '');
    if (this.#u.intent === 'decline' || /^(?:neither|none|no one)\b/.test(said))
      return this.#say('decline', 'OK, nothing was changed.');
    if (
      choices.kind !== 'cancel' ||
      !/^(?:(?:yes|yeah|yep|ok),? )?(?:(?:cancel|clear|drop|scrap|delete|remove|bin|get rid of) )?(?:both|all|all \w+|both of them|all of them|them all|the lot|everything)(?: please| pls)?$/.test(
        said,
      )
    )
      return undefined;
    const offered = this.#upcoming().filter((m) => choices.ids.includes(m.id));
    return offered.length ? this.#askBulkCancel(offered) : undefined;
  }

  /** The answer when the message books, edits or drops the draft being built, if it does. */
  #answerDraft(): EngineReply | undefined {
    const { intent } = this.#u;
    const state = this.#state;
    if (!state.draft) return undefined;
    if (intent === 'confirm') return this.#book(state.draft);
    if (this.#startsAnew(state.draft)) {
      delete state.draft;
      return undefined;
    }
    if (
      intent === 'cancel' &&
      this.#u.participants.length &&
      /\b(remove|drop|without|uninvite|take)\b/.test(this.#text)
    ) {
      // "remove Bob": a change to the draft, not the end of it.
      const gone = this.#u.participants.map((p) => p.toLowerCase());
      state.draft.participants = state.draft.participants.filter((p) => !gone.includes(p.toLowerCase()));
      return this.#proposeDraft(state.draft);
    }
    if (intent === 'decline' || (intent === 'cancel' && !this.#u.hasTime && !this.#u.title && !this.#u.all)) {
      delete state.draft;
      return this.#say('decline', 'OK, I dropped that draft. Nothing was booked.');
    }
    if (!this.#hasDetails() && this.#editPeople(state.draft)) return this.#proposeDraft(state.draft);
    if (this.#text === 'change')
      return this.#say(
        'schedule',
        'What should I change? You can give a new time, length, title, place or people, e.g. "make it 4pm for an hour".',
        { meeting: this.#draftView(state.draft), missing: this.#missing(state.draft) },
      );
    const editing = intent === 'reschedule' && !this.#namesBookedMeeting();
    if (
      (editing || !['list', 'availability', 'help', 'greeting', 'cancel', 'reschedule'].includes(intent)) &&
      this.#hasDetails()
    ) {
      this.#merge(state.draft);
      return this.#proposeDraft(state.draft);
    }
    const place = PUT_IT_IN.exec(this.#said)?.[1];
    if (['schedule', 'unknown'].includes(intent) && place && !NOT_A_PLACE.test(place)) {
      state.draft.location = place;
      return this.#proposeDraft(state.draft);
    }
    // "put it in the calendar": a booking word that says nothing new keeps the draft as it is.
    if (intent === 'schedule' && !this.#hasDetails()) return this.#proposeDraft(state.draft);
    return undefined;
  }

  /**
   * True when, with a draft open (or a move proposed), the message is a complete new request rather than an edit
   * of it: a booking verb with a new event ("book a call with Pieter"), or an event of its own with its own time
   * and other people ("Thursday at 14:30 call with Pieter"); never when it speaks of the draft ("make it 3", "and
   * put it in Room 2", "plus Sam", "lunch at 1 instead").
   */
  #startsAnew(draft: Pick<Draft, 'start' | 'participants'>): boolean {
    const u = this.#u;
    if (u.intent !== 'schedule' || EDIT_CUE.test(this.#text)) return false;
    if (/\b(?:it|the draft|this one|that one|the same)\b/.test(this.#text)) return false;
    if (NEW_BOOKING.test(this.#text)) return !!(u.title || u.participants.length || u.start || u.day);
    // "also book lunch with Ana Friday at 1": a booking verb before an event with its own time.
    if (BOOKING_LEAD.test(this.#text) && u.title && (u.start || u.day)) return true;
    if (EDIT_LEAD.test(this.#text)) return false;
    // An answer to "what time?" with a topic and a day ("Friday at 2 about hiring") fills the draft in.
    if (!u.title || !(u.start || u.day) || !u.participants.length || !(draft.start || draft.participants.length))
      return false;
    const known = draft.participants.map((p) => p.toLowerCase());
    return !u.participants.some((p) => known.includes(p.toLowerCase()));
  }

  /**
   * True when, with no draft open, the message edits the meeting just booked or discussed ("actually make
   * it 11", "11 would be better", "how about thursday instead"): that is a move of it.
   */
  #editsLast(): boolean {
    const u = this.#u;
    return (
      !this.#state.draft &&
      ['schedule', 'unknown'].includes(u.intent) &&
      EDIT_CUE.test(this.#text) &&
      !!(u.start || u.day || shifted(u) || u.durationMinutes) &&
      !u.participants.length &&
      this.#upcoming().some((m) => m.id === this.#state.lastMeetingId)
    );
  }

  /**
   * True when a move said while a draft is open names a booked meeting ("move the standup to 4", "push my 2pm"),
   * not the draft being discussed ("can we do 7 instead?", "push it 30 min").
   */
  #namesBookedMeeting(): boolean {
    const u = this.#u;
    if (/\b(?:my|the) (?:\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)?|noon)(?! ?(?:min|hour|h\b))/.test(this.#text))
      return true;
    if (!u.title && !u.participants.length) return false;
    const named = { ...u, refersToLast: false, start: undefined, day: undefined, range: undefined, hasDate: false };
    return this.#matching(named).length > 0;
  }

  /**
   * A reply to a draft made only of names and joining words: "plus Sam", "Mia as well", "and Zara too" add them;
   * after "not" or "instead of" they leave ("Raj, not Tom"). False when the message is anything else.
   */
  #editPeople(draft: Draft): boolean {
    const words = this.#said
      .replace(/[.!]+$/, '')
      .split(/\s*,\s*|\s+/)
      .filter(Boolean);
    // "plus ben": a lowercase word the understanding read as a person counts too.
    const named = this.#u.participants.map((p) => p.toLowerCase());
    let leaving = false;
    const add: string[] = [];
    const remove: string[] = [];
    for (const [i, word] of words.entries()) {
      const low = word.toLowerCase();
      if (low === 'not' || (low === 'instead' && words[i + 1]?.toLowerCase() === 'of')) leaving = true;
      else if (
        /^(?:and|plus|also|oh|wait|actually|sorry|rather|no|nah|nope|ok|okay|hmm+|um+|\+|&|add|invite|too|as|well|of|please|pls|instead|but)$/.test(
          low,
        )
      )
        continue;
      else if (
        (/^\p{Lu}[\p{L}'-]*$/u.test(word) && !/^(?:I|OK|Ok|No|Yes)$/.test(word)) ||
        named.includes(low.replace(/'s$/, ''))
      ) {
        (leaving ? remove : add).push(word.replace(/'s$/, ''));
        leaving = false;
      } else return false;
    }
    if (!add.length && !remove.length) return false;
    const gone = remove.map((p) => p.toLowerCase());
    draft.participants = draft.participants.filter((p) => !gone.includes(p.toLowerCase()));
    for (const p of add)
      if (!draft.participants.some((q) => q.toLowerCase() === p.toLowerCase())) draft.participants.push(p);
    return true;
  }

  /** The answer to the message's intent on its own, when nothing pending, offered or drafted took it. */
  #answerIntent(): EngineReply {
    const { intent } = this.#u;
    if (this.#editsLast()) return this.#reschedule(true);
    switch (intent) {
      case 'schedule':
        return this.#startDraft();
      case 'list':
        return this.#list();
      case 'availability':
        return this.#availability();
      case 'cancel':
        return this.#cancel();
      case 'reschedule':
        return this.#reschedule();
      case 'greeting':
        return this.#say(
          'greeting',
          /\b(thank|thanks|thx|ty|ta|cheers)\b/.test(this.#text) ? "You're welcome! Anything else?" : `Hi! ${HELP}`,
        );
      case 'help':
        return this.#say('help', HELP);
      case 'confirm':
      case 'decline':
        return this.#say(intent, "There's nothing waiting for a yes or no right now. " + HELP);
      default:
        return this.#u.hasTime || this.#u.nonexistent
          ? this.#startDraft()
          : this.#say('unknown', `Sorry, I didn't get that. ${HELP}`);
    }
  }

  #say(
    intent: Intent,
    content: string,
    extra: { meeting?: object; missing?: string[]; ui?: UiElements } = {},
  ): EngineReply {
    const metadata: Record<string, unknown> = { intent, missing: extra.missing ?? [] };
    if (extra.meeting) metadata.meeting = extra.meeting;
    return extra.ui ? { content, metadata, ui_elements: extra.ui } : { content, metadata };
  }

  #repeatPending(pending: PendingChange): EngineReply {
    const ids = pending.meetingIds ?? [pending.meetingId];
    const meetings = this.#state.meetings.filter((m) => ids.includes(m.id));
    const what =
      pending.kind === 'cancel'
        ? `cancel ${meetings.length > 1 ? `these ${meetings.length} meetings` : (meetings[0]?.title ?? 'that meeting')}`
        : `move ${meetings[0]?.title ?? 'that meeting'} to ${pending.start ? formatRange(new Date(pending.start), new Date(pending.end!), this.#zone) : 'the new time'}`;
    const meeting =
      meetings[0] && pending.kind === 'reschedule' && pending.start
        ? meetingView({ ...meetings[0], start: pending.start, end: pending.end!, status: 'draft' }, this.#zone)
        : meetings[0]
          ? meetingView(meetings[0], this.#zone)
          : undefined;
    return this.#say('unknown', `Sorry, I didn't get that. Should I still ${what}? Please answer yes or no.`, {
      ...(meeting ? { meeting } : {}),
      ui: YES_NO,
    });
  }

  #hasDetails(): boolean {
    const u = this.#u;
    return !!(
      u.start ||
      u.day ||
      u.durationMinutes ||
      u.end ||
      u.participants.length ||
      u.location ||
      u.title ||
      u.nonexistent ||
      shifted(u)
    );
  }

  /** Folds what this message says into the draft; a time alone keeps the draft's day, a day alone keeps its time. */
  #merge(draft: Draft): void {
    const u = this.#u;
    const previous = draft.start ? new Date(draft.start) : undefined;
    const dayOf = previous ?? (draft.day ? new Date(draft.day) : undefined);
    // "01:30" answering "what time on Sun, Mar 29?" in London: the draft's day has no such time; say so, ask again.
    const onDraftDay =
      u.start && !u.hasDate && dayOf
        ? { ...wallTimeOf(dayOf, this.#zone), ...this.#clockOf(u.start, draft, previous) }
        : undefined;
    const gap = u.nonexistent ?? (onDraftDay && isSkipped(onDraftDay, this.#zone) ? onDraftDay : undefined);
    if (gap) {
      delete draft.start;
      draft.day = instantOf({ ...gap, hour: 12, minute: 0 }, this.#zone).toISOString();
      draft.gap = `${String(gap.hour).padStart(2, '0')}:${String(gap.minute).padStart(2, '0')}`;
    } else if (u.start) {
      let start = u.start;
      if (!u.hasDate && dayOf)
        start = instantOf({ ...wallTimeOf(dayOf, this.#zone), ...this.#clockOf(u.start, draft, previous) }, this.#zone);
      draft.start = start.toISOString();
      delete draft.day;
      delete draft.gap;
      // "10am till 1pm" answering "what time on Saturday?": the range moves to the draft's day whole.
      if (u.end) draft.end = new Date(start.getTime() + (u.end.getTime() - u.start.getTime())).toISOString();
      else if (draft.end && previous)
        draft.end = new Date(start.getTime() + (new Date(draft.end).getTime() - previous.getTime())).toISOString();
    } else if (shifted(u) && previous) {
      const start = shiftedBy(previous, u, this.#zone);
      if (draft.end)
        draft.end = new Date(start.getTime() + (new Date(draft.end).getTime() - previous.getTime())).toISOString();
      draft.start = start.toISOString();
    } else if (u.day) {
      if (previous) {
        const time = wallTimeOf(previous, this.#zone);
        const start = instantOf({ ...u.day, hour: time.hour, minute: time.minute }, this.#zone);
        if (draft.end)
          draft.end = new Date(start.getTime() + (new Date(draft.end).getTime() - previous.getTime())).toISOString();
        draft.start = start.toISOString();
      } else {
        draft.day = instantOf({ ...u.day, hour: 12, minute: 0 }, this.#zone).toISOString();
      }
    }
    if (u.end && !u.start) draft.end = u.end.toISOString();
    if (u.durationMinutes) {
      draft.durationMinutes = u.durationMinutes;
      if (!u.end) delete draft.end;
    }
    if (u.guessedMeridiem && u.start) draft.guessed = true;
    else if (u.start) delete draft.guessed;
    if (u.repeat) draft.repeat = u.repeat;
    // "with Raj instead": the people named take the place of those in the draft.
    if (u.participants.length && /\binstead\b(?! of)/.test(this.#text) && !u.start && !u.day) draft.participants = [];
    for (const p of u.participants)
      if (!draft.participants.some((q) => q.toLowerCase() === p.toLowerCase())) draft.participants.push(p);
    if (u.location) draft.location = u.location;
    if (u.title && !(draft.title && this.#saidInPassing(u.title))) draft.title = u.title;
  }

  /**
   * "make it an hour, they're both getting cleanings": words in a clause about someone, said while editing a draft,
   * say why; they rename nothing.
   */
  #saidInPassing(title: string): boolean {
    const statement = /[,;.!-]\s*(?:they|she|he|we|i)(?:'re|'s|'m| are| is| am)\b/.exec(this.#text);
    return !!statement && this.#text.indexOf(title.toLowerCase(), statement.index) > statement.index;
  }

  /** The wall clock a time said for the draft stands for (its hour read in the draft's context). */
  #clockOf(start: Date, draft: Draft, previous: Date | undefined): { hour: number; minute: number } {
    const time = wallTimeOf(start, this.#zone);
    return { hour: this.#hourInContext(time.hour, draft, previous), minute: time.minute };
  }

  /** A bare hour said about a draft ("make it 7") takes the draft's context: breakfast is am; else the half of the day it was in. */
  #hourInContext(hour: number, draft: Draft, previous: Date | undefined): number {
    if (!this.#u.guessedMeridiem) return hour;
    const other = hour >= 12 ? hour - 12 : hour + 12;
    const hint = meridiemFromContext(`${draft.title ?? ''}`.toLowerCase(), hour % 12);
    if (hint) return hint === 'pm' ? Math.max(hour, other) : Math.min(hour, other);
    if (!previous) return hour;
    const was = wallTimeOf(previous, this.#zone).hour;
    return Math.abs(other - was) < Math.abs(hour - was) ? other : hour;
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
    const end = draft.end
      ? new Date(draft.end)
      : new Date(start.getTime() + (draft.durationMinutes ?? DEFAULT_DURATION) * MINUTE);
    return { start, end };
  }

  /** What a draft with its times says of the meeting, as drafted or booked. */
  #timedDraft(draft: Draft, times: { start: Date; end: Date }) {
    return {
      title: this.#draftTitle(draft),
      start: times.start.toISOString(),
      end: times.end.toISOString(),
      timeZone: this.#zone,
      participants: draft.participants,
      ...(draft.location ? { location: draft.location } : {}),
    };
  }

  #draftTitle(draft: Draft): string {
    return draft.title ?? (draft.participants.length ? `Meeting with ${draft.participants.join(', ')}` : 'Meeting');
  }

  /** The draft as clients see it: `start`/`end` null while unknown, the day when only that is known. */
  #draftView(draft: Draft, times = this.#draftTimes(draft)) {
    if (times) return meetingView({ ...this.#timedDraft(draft, times), status: 'draft' }, this.#zone);
    const day = draft.day ? wallTimeOf(new Date(draft.day), this.#zone) : undefined;
    return {
      title: this.#draftTitle(draft),
      start: null,
      end: null,
      ...(day ? { day: `${day.year}-${String(day.month).padStart(2, '0')}-${String(day.day).padStart(2, '0')}` } : {}),
      ...(draft.durationMinutes ? { duration_minutes: draft.durationMinutes } : {}),
      time_zone: this.#zone,
      participants: draft.participants,
      location: draft.location ?? null,
      status: 'draft',
    };
  }

  #missing(draft: Draft): string[] {
    return draft.start ? [] : ['start'];
  }

  /** Notes the draft owes the user: an hour read as am or pm, and repeats not being supported. */
  #notes(draft: Draft, start?: Date): string {
    const notes: string[] = [];
    if (draft.repeat)
      notes.push(`Repeating meetings aren't supported yet ("${draft.repeat}"), so this books only the first one.`);
    // Only the hours people use both ways (7 for breakfast or dinner) are worth a note.
    if (draft.guessed && start && [6, 7, 8, 18, 19, 20].includes(wallTimeOf(start, this.#zone).hour))
      notes.push(
        `I took that as ${formatTime(start, this.#zone)}; say "make it ${wallTimeOf(start, this.#zone).hour >= 12 ? 'am' : 'pm'}" if you meant the other one.`,
      );
    return notes.length ? `\n${notes.join('\n')}` : '';
  }

  /** Asks for the one thing missing, or refuses a past time, or flags a conflict, or shows the draft for a yes. */
  #proposeDraft(draft: Draft): EngineReply {
    const times = this.#draftTimes(draft);
    if (!times) {
      const view = this.#draftView(draft);
      if (draft.gap && draft.day) {
        const day = formatDay(new Date(draft.day), this.#zone);
        const gap = draft.gap;
        delete draft.gap;
        return this.#say(
          'schedule',
          `${gap} doesn't exist on ${day} in ${this.#zone}: the clocks skip that hour for daylight saving time. What time should it be instead?`,
          { meeting: view, missing: ['start'] },
        );
      }
      const question = draft.day
        ? `What time on ${formatDay(new Date(draft.day), this.#zone)}?`
        : 'When should it be? For example "tomorrow at 3pm".';
      const said = draft.title || draft.participants.length ? `${view.title}: ` : '';
      return this.#say('schedule', `${said}${question}${this.#notes(draft)}`, { meeting: view, missing: ['start'] });
    }
    if (times.end <= times.start) {
      delete draft.end;
      return this.#say('schedule', 'The end is before the start. How long should it be?', {
        meeting: this.#draftView(draft),
        missing: ['duration'],
      });
    }
    if (times.start <= this.#now) {
      const when = `${formatDay(times.start, this.#zone)}, ${formatTime(times.start, this.#zone)}`;
      delete draft.start;
      delete draft.end;
      return this.#say(
        'schedule',
        `${when} has already passed (it's ${formatTime(this.#now, this.#zone)} ${this.#zone} now). When should it be instead?`,
        { meeting: this.#draftView(draft), missing: ['start'] },
      );
    }
    const clash = overlapping(this.#state.meetings, times.start, times.end);
    if (clash.length) {
      const duration = times.end.getTime() - times.start.getTime();
      const slot = nearestFreeSlot(this.#state.meetings, times.start, duration, this.#zone, this.#hours, this.#now);
      const conflict = `That overlaps with ${describe(clash[0]!, this.#zone)}.`;
      if (!slot)
        return this.#say(
          'schedule',
          `${conflict} I found no free slot of that length in working hours in the next two weeks. When else?`,
          { meeting: this.#draftView(draft), missing: ['start'] },
        );
      draft.start = slot.toISOString();
      draft.end = new Date(slot.getTime() + duration).toISOString();
      const view = this.#draftView(draft);
      return this.#say(
        'schedule',
        `${conflict} The nearest free slot is ${formatRange(slot, new Date(slot.getTime() + duration), this.#zone)}. Book "${view.title}" then?${this.#notes(draft)}`,
        { meeting: view, ui: CONFIRM_BUTTONS },
      );
    }
    const view = this.#draftView(draft, times);
    const who = view.participants.length ? `\nWith: ${view.participants.join(', ')}` : '';
    const where = view.location ? `\nWhere: ${view.location}` : '';
    return this.#say(
      'schedule',
      `Here's the draft:\n${view.title}\n${formatRange(times.start, times.end, this.#zone)}${who}${where}${this.#notes(draft, times.start)}\nShall I book it?`,
      { meeting: view, ui: CONFIRM_BUTTONS },
    );
  }

  #book(draft: Draft): EngineReply {
    const times = this.#draftTimes(draft);
    if (!times || times.start <= this.#now || overlapping(this.#state.meetings, times.start, times.end).length)
      return this.#proposeDraft(draft);
    const stamp = this.#now.toISOString();
    const meeting: Meeting = {
      id: `m${this.#state.nextId++}`,
      ...this.#timedDraft(draft, times),
      status: 'confirmed',
      sequence: 0,
      createdAt: stamp,
      updatedAt: stamp,
    };
    this.#state.meetings.push(meeting);
    this.#state.lastMeetingId = meeting.id;
    delete this.#state.draft;
    const once = draft.repeat ? ' It is booked once; repeating meetings are not supported yet.' : '';
    return this.#say('confirm', `Booked: ${describe(meeting, this.#zone)}.${once}`, {
      meeting: meetingView(meeting, this.#zone),
    });
  }

  #upcoming(): Meeting[] {
    return this.#state.meetings
      .filter((m) => m.status === 'confirmed' && new Date(m.end) > this.#now)
      .sort((a, b) => a.start.localeCompare(b.start));
  }

  #spanLabel(range: { from: Date; to: Date; label?: string }): string {
    if (range.label) return range.label;
    const oneDay =
      range.to.getTime() - range.from.getTime() <= DAY + 2 * 3_600_000 && wallTimeOf(range.from, this.#zone).hour === 0;
    return oneDay ? `on ${formatDay(range.from, this.#zone)}` : formatRange(range.from, range.to, this.#zone);
  }

  #list(): EngineReply {
    const range = this.#u.range;
    const upcoming = this.#upcoming();
    const found = range
      ? upcoming.filter((m) => new Date(m.start) < range.to && new Date(m.end) > range.from)
      : upcoming;
    const span = range ? this.#spanLabel(range) : 'coming up';
    if (!found.length) {
      const next = range && upcoming[0] ? ` The next one is ${describe(upcoming[0], this.#zone)}.` : '';
      return this.#say('list', range ? `You have no meetings ${span}.${next}` : 'You have no upcoming meetings.');
    }
    const lines = found.slice(0, LIST_LIMIT).map((m) => `- ${describe(m, this.#zone)}`);
    if (found.length > LIST_LIMIT) lines.push(`…and ${found.length - LIST_LIMIT} more.`);
    return this.#say(
      'list',
      `You have ${found.length} meeting${found.length > 1 ? 's' : ''} ${span}:\n${lines.join('\n')}`,
    );
  }

  /** Free time: one slot asked about, or the free stretches of a day, part of a day or span in working hours. */
  #availability(): EngineReply {
    const u = this.#u;
    if (u.start) {
      const range = {
        from: u.start,
        to: u.end ?? new Date(u.start.getTime() + (u.durationMinutes ?? DEFAULT_DURATION) * MINUTE),
      };
      const busy = overlapping(this.#state.meetings, range.from, range.to);
      const span = formatRange(range.from, range.to, this.#zone);
      if (!busy.length) return this.#say('availability', `Yes, you're free ${span}.`);
      const slot = nearestFreeSlot(
        this.#state.meetings,
        range.from,
        range.to.getTime() - range.from.getTime(),
        this.#zone,
        this.#hours,
        this.#now,
      );
      const nearest = slot
        ? `\nThe nearest free slot of that length is ${formatRange(slot, new Date(slot.getTime() + range.to.getTime() - range.from.getTime()), this.#zone)}.`
        : '';
      return this.#say(
        'availability',
        `No, ${span} overlaps with:\n${busy.map((m) => `- ${describe(m, this.#zone)}`).join('\n')}${nearest}`,
      );
    }
    const range = u.range ?? workDay(this.#now, this.#zone, this.#hours);
    const minimum = (u.durationMinutes ?? 15) * MINUTE;
    const slots = freeSlots(this.#state.meetings, range.from, range.to, this.#zone, this.#hours, this.#now).filter(
      (s) => s.end.getTime() - s.start.getTime() >= minimum,
    );
    const span = u.range ? this.#spanLabel(u.range) : `today (${formatDay(this.#now, this.#zone)})`;
    if (!slots.length)
      return this.#say(
        'availability',
        `You have no free time${u.durationMinutes ? ` of ${u.durationMinutes} minutes` : ''} in working hours ${span}.`,
      );
    const only = slots.length === 1 ? slots[0]! : undefined;
    if (only && only.start.getTime() === range.from.getTime() && only.end.getTime() === range.to.getTime())
      return this.#say('availability', `You're free ${formatRange(only.start, only.end, this.#zone)}.`);
    const lines = slots.slice(0, 12).map((s) => `- ${formatRange(s.start, s.end, this.#zone)}`);
    if (slots.length > 12) lines.push(`…and ${slots.length - 12} more.`);
    const busy = overlapping(this.#state.meetings, range.from, range.to)
      .slice(0, LIST_LIMIT)
      .map((m) => `- ${describe(m, this.#zone)}`);
    return this.#say(
      'availability',
      `Your free slots ${span} (working hours):\n${lines.join('\n')}${busy.length ? `\nBusy with:\n${busy.join('\n')}` : ''}`,
    );
  }

  /**
   * Meetings the message points at: "it", a title or person, a time, a day. "It" with words that fit no meeting ("cancel
   * it, Ramon called out sick") is still the last meeting, when the people and time said fit it; "now" said in passing
   * ("oh she's off sick now, cancel it") is no time of it.
   */
  #matching(u: Understanding): Meeting[] {
    const found = this.#matchingSaid(u);
    const saidNow = !!u.start && Math.abs(u.start.getTime() - this.#now.getTime()) < MINUTE;
    if (found.length) return found;
    const untimed = saidNow
      ? { start: undefined, day: undefined, range: undefined, hasTime: false, hasDate: false }
      : {};
    // "Imogen's poorly now so bin the brunch": the meeting named, at any time.
    if (saidNow && !u.refersToLast && (u.title || u.participants.length))
      return this.#matchingSaid({ ...u, ...untimed });
    if (!u.refersToLast || !(u.title || saidNow)) return found;
    return this.#matchingSaid({ ...u, ...untimed, title: undefined }).filter((m) => m.id === this.#state.lastMeetingId);
  }

  /** The meetings that fit everything the message says. */
  #matchingSaid(u: Understanding): Meeting[] {
    let found = this.#upcoming();
    if (u.refersToLast && this.#state.lastMeetingId && !u.title && !u.start && !u.participants.length) {
      const last = found.filter((m) => m.id === this.#state.lastMeetingId);
      if (last.length) return last;
    }
    let titled = false;
    if (u.title && !/^(meeting|meetings|call|event)$/i.test(u.title)) {
      // "move the doctor one to saturday": the meeting called by its first words.
      const words = u.title.toLowerCase().replace(/ ones?$/, '');
      const called = (said: string) =>
        found.filter((m) => m.title.toLowerCase().includes(said) || said.includes(m.title.toLowerCase()));
      // "cancel the bore pump job" for "Bore pump repair": a last word any meeting could be called may differ.
      const head = words.replace(/ (?:job|thing|appointment|appt|booking|session|meeting|mtg|visit)$/, '');
      let byTitle = called(words);
      if (!byTitle.length && head !== words) byTitle = called(head);
      if (byTitle.length || !u.participants.length) found = byTitle;
      titled = byTitle.length > 0;
    } else if (u.title) {
      // "move the call to wednesday": a word any meeting could be called picks the meetings called just that, if any.
      const same = found.filter((m) => m.title.toLowerCase() === u.title!.toLowerCase());
      if (same.length) found = same;
    }
    if (u.participants.length) {
      const withThem = found.filter((m) =>
        u.participants.some(
          (p) =>
            // "the one with Ana" is Ana Ruiz, "Dr. Kamau" is Dr. Wanjiru Kamau: the words said are the name's.
            m.participants.some((q) => {
              const named = q.toLowerCase().split(' ');
              return p
                .toLowerCase()
                .split(' ')
                .every((word) => named.includes(word));
            }) || m.title.toLowerCase().includes(p.toLowerCase()),
        ),
      );
      // "cancel Emma's orthodontist", booked for Emma without her as a guest: the title found it, the person cannot
      // unfind it (the question that follows names the meeting).
      if (withThem.length || !titled) found = withThem;
    }
    if (u.start) {
      const t = wallTimeOf(u.start, this.#zone);
      found = found.filter((m) => {
        const w = wallTimeOf(new Date(m.start), this.#zone);
        return w.hour === t.hour && w.minute === t.minute && (!u.hasDate || (w.day === t.day && w.month === t.month));
      });
    } else if (u.range) {
      const range = u.range;
      found = found.filter((m) => new Date(m.start) < range.to && new Date(m.end) > range.from);
    }
    return found;
  }

  #cancel(): EngineReply {
    const u = this.#u;
    // "clear tomorrow", "free up my afternoon": clearing a span names no one meeting, so it takes all in it.
    const clears = /\b(?:clear|free up|wipe)\b/.test(this.#text) && !!u.range && !u.title && !u.participants.length;
    const bulk = u.all || clears || /\b(meetings|everything)\b/.test(this.#text);
    if (bulk) {
      const found = u.range
        ? this.#matching({ ...u, refersToLast: false, title: undefined as never })
        : this.#matching({ ...u, refersToLast: false });
      if (!found.length)
        return this.#say(
          'cancel',
          `You have no upcoming meetings ${u.range ? this.#spanLabel(u.range) : 'to cancel'}.`,
        );
      return this.#askBulkCancel(found);
    }
    return this.#findAndPropose('cancel', u);
  }

  /** Lists the meetings a bulk cancel would take and asks once. */
  #askBulkCancel(found: Meeting[]): EngineReply {
    this.#state.pending = { kind: 'cancel', meetingId: found[0]!.id, meetingIds: found.map((m) => m.id) };
    const lines = found.slice(0, LIST_LIMIT).map((m) => `- ${describe(m, this.#zone)}`);
    if (found.length > LIST_LIMIT) lines.push(`…and ${found.length - LIST_LIMIT} more.`);
    return this.#say(
      'cancel',
      `Cancel ${found.length === 1 ? 'this meeting' : `all ${found.length} of these meetings`}?\n${lines.join('\n')}`,
      { meeting: meetingView(found[0]!, this.#zone), ui: YES_NO },
    );
  }

  #findAndPropose(kind: 'cancel' | 'reschedule', target: Understanding, when: When = this.#u): EngineReply {
    const found = this.#matching(target);
    if (!found.length)
      return this.#say(kind, `I couldn't find an upcoming meeting like that. Say "show my meetings" to see them.`);
    if (found.length > 1) {
      this.#state.choices = {
        kind,
        ids: found.map((m) => m.id),
        ...(when.start || when.day || shifted(when) ? { when: storedWhen(when) } : {}),
      };
      const lines = found.map((m, i) => `${i + 1}. ${describe(m, this.#zone)}`);
      const buttons = found.slice(0, 5).map((m, i) => ({
        action_type: 'choose',
        label: `${i + 1}. ${m.title}`,
        value: String(i + 1),
        variant: 'secondary',
      }));
      return this.#say(kind, `Which one?\n${lines.join('\n')}`, { ui: { buttons } });
    }
    return this.#proposeChange(kind, found[0]!, kind === 'reschedule' ? this.#newTimes(found[0]!, when) : undefined);
  }

  /** The offered meeting a reply picks: by number or order, by time, title or person, by part of day or a word only it has. */
  #pick(ids: string[]): Meeting | undefined {
    const said = this.#text
      .replace(/[.!?]+$/, '')
      .replace(/,? (?:please|pls|plz|thanks|thx|lah|la|sir|ji|boss|madam|ma'am)$/, '');
    const index =
      /^(?:#|no\.? ?|number |option )?(\d+)\.?$|^(?:the )?(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th|earlier|earliest|former|later|latest|latter)(?: one| meeting| call)?$/.exec(
        said,
      );
    const ordinal = {
      first: 1,
      second: 2,
      third: 3,
      fourth: 4,
      fifth: 5,
      '1st': 1,
      '2nd': 2,
      '3rd': 3,
      '4th': 4,
      '5th': 5,
      earlier: 1,
      earliest: 1,
      former: 1,
      last: ids.length,
      later: ids.length,
      latest: ids.length,
      latter: ids.length,
    } as Record<string, number>;
    const n = index ? Number(index[1] ?? ordinal[index[2]!]) : undefined;
    const id = n ? ids[n - 1] : undefined;
    const byIndex = this.#state.meetings.find((m) => m.id === id);
    if (byIndex) return byIndex;
    // "the one with Ana", "the 2pm one": the same matching, within the offered meetings.
    const within = this.#matching({ ...this.#u, refersToLast: false }).filter((m) => ids.includes(m.id));
    if (within.length === 1 && (this.#u.title || this.#u.participants.length || this.#u.start)) return within[0];
    const offered = this.#state.meetings.filter((m) => ids.includes(m.id));
    const part = /\b(morning|afternoon|evening|tonight)\b/.exec(said)?.[1];
    if (part) {
      const [from, to] = part === 'morning' ? [0, 12] : part === 'afternoon' ? [12, 17] : [17, 24];
      const inPart = offered.filter((m) => {
        const hour = wallTimeOf(new Date(m.start), this.#zone).hour;
        return hour >= from && hour < to;
      });
      if (inPart.length === 1) return inPart[0];
    }
    return this.#onlyOneHas(offered, said);
  }

  /** "Omar's", "the Tuesday one", "the one in Room 2": the meeting that alone has one of the reply's words. */
  #onlyOneHas(offered: Meeting[], said: string): Meeting | undefined {
    const words = (said.match(/\p{L}{3,}/gu) ?? []).filter((w) => !PICK_FILLERS.has(w));
    const weekday = new Intl.DateTimeFormat('en-US', { weekday: 'long', timeZone: this.#zone });
    const has = offered.map((m) => {
      const about = [m.title, ...m.participants, m.location ?? '', weekday.format(new Date(m.start))].join(' ');
      const own = new Set(about.toLowerCase().match(/\p{L}+/gu) ?? []);
      // "tues" is Tuesday, "Omar's" is Omar.
      return words.some((w) => [...own].some((o) => o.startsWith(w) || o === w.replace(/s$/, '')));
    });
    return has.filter(Boolean).length === 1 ? offered[has.indexOf(true)] : undefined;
  }

  #proposeChange(kind: 'cancel' | 'reschedule', meeting: Meeting, to?: { start: Date; end: Date }): EngineReply {
    this.#state.lastMeetingId = meeting.id;
    if (kind === 'cancel') {
      this.#state.pending = { kind, meetingId: meeting.id };
      return this.#say('cancel', `Cancel ${describe(meeting, this.#zone)}?`, {
        meeting: meetingView(meeting, this.#zone),
        ui: YES_NO,
      });
    }
    if (!to) {
      this.#state.choices = { kind, ids: [meeting.id] };
      return this.#say('reschedule', `When should ${meeting.title} move to?`, {
        meeting: meetingView(meeting, this.#zone),
        missing: ['start'],
      });
    }
    if (to.start <= this.#now)
      return this.#say(
        'reschedule',
        `${formatDay(to.start, this.#zone)}, ${formatTime(to.start, this.#zone)} has already passed. When should it move to?`,
        { meeting: meetingView(meeting, this.#zone), missing: ['start'] },
      );
    const clash = overlapping(this.#state.meetings, to.start, to.end, meeting.id);
    let note = '';
    if (clash.length) {
      const duration = to.end.getTime() - to.start.getTime();
      const slot = nearestFreeSlot(
        this.#state.meetings,
        to.start,
        duration,
        this.#zone,
        this.#hours,
        this.#now,
        meeting.id,
      );
      if (!slot)
        return this.#say(
          'reschedule',
          `That overlaps with ${describe(clash[0]!, this.#zone)}, and I found no free slot nearby. When else?`,
          { meeting: meetingView(meeting, this.#zone), missing: ['start'] },
        );
      note = `That overlaps with ${describe(clash[0]!, this.#zone)}; the nearest free slot is ${formatTime(slot, this.#zone)}. `;
      to = { start: slot, end: new Date(slot.getTime() + duration) };
    }
    this.#state.pending = { kind, meetingId: meeting.id, start: to.start.toISOString(), end: to.end.toISOString() };
    const moved = { ...meeting, start: to.start.toISOString(), end: to.end.toISOString(), status: 'draft' };
    return this.#say('reschedule', `${note}Move ${meeting.title} to ${formatRange(to.start, to.end, this.#zone)}?`, {
      meeting: meetingView(moved, this.#zone),
      ui: YES_NO,
    });
  }

  /** The new time a message gives a meeting: a shift, a date and time, a time on its day, or its time on a new day. */
  #newTimes(
    meeting: Meeting,
    when: When & Partial<Pick<Understanding, 'range'>> = this.#u,
  ): { start: Date; end: Date } | undefined {
    const oldStart = new Date(meeting.start);
    const duration = when.durationMinutes
      ? when.durationMinutes * MINUTE
      : new Date(meeting.end).getTime() - oldStart.getTime();
    const old = wallTimeOf(oldStart, this.#zone);
    let start: Date;
    if (shifted(when) && !when.start) start = shiftedBy(oldStart, when, this.#zone);
    else if (when.start && when.hasDate) start = when.start;
    else if (when.start) {
      const t = wallTimeOf(when.start, this.#zone);
      // A bare hour keeps the half of the day the meeting was in: dinner at 7pm moved "to 8" is 8pm; never into the
      // small hours: a 9am sync moved "to 4" is 4pm.
      const other = t.hour >= 12 ? t.hour - 12 : t.hour + 12;
      const nearer = Math.abs(other - old.hour) < Math.abs(t.hour - old.hour) && other >= 7 && other <= 22;
      const hour = when.guessedMeridiem && nearer ? other : t.hour;
      // "the day after at 3": the time on the meeting's day moved by those days.
      start = instantOf({ ...addDays(old, when.shiftDays ?? 0), hour, minute: t.minute }, this.#zone);
    } else if (when.range?.label === 'next week' && !NAMED_DAY.test(this.#text))
      // "move it to the same time next week", "push the retro to next week": the meeting's next week, not today's.
      start = instantOf(addDays(old, 7), this.#zone);
    else if (when.day) start = instantOf({ ...(when.day as WallTime), hour: old.hour, minute: old.minute }, this.#zone);
    else if (when.durationMinutes) start = oldStart;
    else return undefined;
    if (when.day && BARE_WEEKDAY.test(this.#text)) start = this.#weekNearest(start, oldStart);
    return { start, end: new Date(start.getTime() + duration) };
  }

  /**
   * "can we make it Friday instead" for a meeting on Thursday the 28th: a weekday said alone is the one nearest the
   * meeting's own day (the 29th), not the next one from today (the 22nd); never one in the past.
   */
  #weekNearest(start: Date, meetingStart: Date): Date {
    const week = 7 * 24 * 60 * MINUTE;
    const wall = wallTimeOf(start, this.#zone);
    const weeks = Math.max(0, Math.round((meetingStart.getTime() - start.getTime()) / week));
    return weeks ? instantOf(addDays(wall, 7 * weeks), this.#zone) : start;
  }

  /** Proposes a move; `toLast` when the message can only mean the meeting discussed last. */
  #reschedule(toLast = false): EngineReply {
    // "move the standup to 4pm": what comes before the last "to" (or "make it", "can we do", "->") names
    // the meeting, what follows the new time; the last such word followed by a time or day is the one.
    const context = { now: this.#now, timeZone: this.#zone };
    let target: Understanding = {
      ...this.#u,
      start: undefined,
      day: undefined,
      range: undefined,
      hasDate: false,
      hasTime: false,
    } as Understanding;
    let when: Understanding = this.#u;
    // As written: "push the Harper call to 4pm" names Harper by the capital.
    const splits = moveSplits(this.#said);
    for (const [i, [before, after]] of splits.entries()) {
      // "move it to monday 10 to 12": a "to" between two clocks ends a range; an earlier turn word says where to.
      if (i < splits.length - 1 && /\d(?::\d\d)? ?(?:am|pm)? $/i.test(before) && /^ ?\d/.test(after)) continue;
      const head = understandLocally(before, context);
      // "move my 2pm to 4": a bare number after "to" is an hour.
      const tail = understandLocally(
        /^\s*\d{1,2}(?::\d\d)?\s*(?:am|pm)?\s*[.!?]*$/i.test(after) ? `at ${after}` : after,
        context,
      );
      if (tail.start || tail.day || shifted(tail)) {
        // "can we make it friday": the "it" in the split word is the meeting meant, when the head names no other.
        target = {
          ...head,
          refersToLast: head.refersToLast || (this.#u.refersToLast && !head.title && !head.participants.length),
        };
        when = {
          ...tail,
          shiftMinutes: tail.shiftMinutes ?? this.#u.shiftMinutes,
          shiftDays: tail.shiftDays ?? this.#u.shiftDays,
        } as Understanding;
        break;
      }
    }
    if (!when.start && !when.day && !shifted(when) && this.#u.start && !toLast)
      target = { ...this.#u, shiftMinutes: undefined, shiftDays: undefined } as Understanding;
    // "move it to friday 1 to 2": a range said for the move is its new length.
    if (when.start && when.end && !when.durationMinutes)
      when = { ...when, durationMinutes: Math.round((when.end.getTime() - when.start.getTime()) / MINUTE) };
    // An edit of the meeting just discussed names no other: its words ("how about … instead") are no title.
    if (toLast) target = { ...target, refersToLast: true, title: undefined } as Understanding;
    let found = this.#matching(target);
    // "how about friday, same time": nothing else matches what a change of mind names; it is the last meeting.
    if (!found.length && EDIT_CUE.test(this.#text))
      found = this.#upcoming().filter((m) => m.id === this.#state.lastMeetingId);
    if (found.length === 1) return this.#proposeChange('reschedule', found[0]!, this.#newTimes(found[0]!, when));
    return this.#findAndPropose('reschedule', target, when);
  }

  #apply(pending: PendingChange): EngineReply {
    const ids = pending.meetingIds ?? [pending.meetingId];
    const meetings = this.#state.meetings.filter((m) => ids.includes(m.id) && m.status === 'confirmed');
    if (!meetings.length) return this.#say(pending.kind, 'That meeting is no longer on your calendar.');
    for (const meeting of meetings) {
      meeting.sequence++;
      meeting.updatedAt = this.#now.toISOString();
    }
    const first = meetings[0]!;
    this.#state.lastMeetingId = first.id;
    if (pending.kind === 'cancel') {
      for (const meeting of meetings) meeting.status = 'cancelled';
      const text =
        meetings.length === 1
          ? `Cancelled: ${describe(first, this.#zone)}.`
          : `Cancelled ${meetings.length} meetings:\n${meetings.map((m) => `- ${describe(m, this.#zone)}`).join('\n')}`;
      return this.#say('confirm', text, { meeting: meetingView(first, this.#zone) });
    }
    first.start = pending.start!;
    first.end = pending.end!;
    return this.#say('confirm', `Moved: ${describe(first, this.#zone)}.`, { meeting: meetingView(first, this.#zone) });
  }
}
