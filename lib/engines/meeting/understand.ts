import { CLOCK_WORDS, ROOM_WORDS, SPELLINGS } from './lexicon.ts';
import { type WallTime, addDays, instantOf } from './time-zones.ts';
import { type WhenFound, continentalClock, partOfDay, readWhen, rewriteClocks, spelledMinutes } from './when.ts';
import { withoutAside } from './asides.ts';
import { asksAboutTheWorld, FEED_CUE, intentOf } from './intents.ts';
import { participantsOf } from './people.ts';
import {
  DATED_VENUE,
  DATE_ABBREVIATION,
  asWritten,
  datedVenueOf,
  isVenueName,
  locationOf,
  namedIn,
  streetAddressOf,
  timeWordInVenue,
  toSubscript,
  withoutAddress,
  withoutPlace,
} from './places.ts';
import { quotedTitleOf, requestTitleOf } from './titles.ts';
import { EVENT_WORDS, NOT_A_NAME, PLACE_WORDS, escape, tokenize, unhidden } from './tokens.ts';

/**
 * Deterministic understanding of one message: what the user wants and the meeting details in it.
 * Three layers: the text is normalised (spellings, emoji) keeping a cased copy; the time layer
 * (`when.ts`, over chrono-node) takes every date, time, length and shift out of it; then the words
 * left are tokens whose roles come from the words around them (with/and/+ → people, at/in + a place
 * word or proper noun → place, about/re/to discuss/for → topic, a known event noun → title) and the
 * verbs and question words decide the intent.
 */

export const INTENTS = [
  'schedule',
  'list',
  'cancel',
  'reschedule',
  'availability',
  'greeting',
  'help',
  'confirm',
  'decline',
  'unknown',
] as const;
export type Intent = (typeof INTENTS)[number];

export interface Understanding {
  intent: Intent;
  /** The start, when the message names a time of day (with or without a date). */
  start?: Date;
  /** True when the message named a date or weekday, not only a time. */
  hasDate: boolean;
  /** True when the message named a time of day. */
  hasTime: boolean;
  /** The day named, as its wall date (midnight), with or without a time. */
  day?: WallTime;
  end?: Date;
  durationMinutes?: number;
  participants: string[];
  location?: string;
  title?: string;
  /** A span asked about (list, availability): a day, part of a day, a week, a month. */
  range?: { from: Date; to: Date; label?: string };
  /** The message points at the meeting discussed last ("it", "that one"). */
  refersToLast: boolean;
  /** "15 minutes earlier" → -15; "push it back an hour" → 60. */
  shiftMinutes?: number;
  /** "the day after, same time" → 1; "a day earlier" → -1: whole days on the wall clock. */
  shiftDays?: number;
  /** The words that asked for a repeating meeting ("every other Friday"). */
  repeat?: string;
  /** A bare hour ("at 7") was read as am or pm from working hours, not from the message. */
  guessedMeridiem?: 'am' | 'pm';
  /** The named wall time does not exist in the zone (a DST gap); `start` is then unset. */
  nonexistent?: WallTime;
  /** "all my meetings", "everything": a request about every meeting (in the range, if one is named). */
  all: boolean;
  /** The user asks how to get the meetings into a calendar app (subscribe, ics, feed). */
  calendarFeed: boolean;
}

/** What the assistant's last question waits for: a yes to book the draft, to cancel, or to move. */
export type Awaiting = 'book' | 'cancel' | 'move';

export interface UnderstandContext {
  now: Date;
  timeZone: string;
  /** The question the message may answer; a reply is read in its light ("yes, cancel it" is a yes). Default: none. */
  awaiting?: Awaiting;
  /** The client whose message this is, for log lines. */
  clientId?: string;
}

const NAME_LIKE_DAY =
  /(?<=(?:^|[\s,])\p{Lu}[\p{Ll}\p{M}]+ )(?:Thu|Tue)(?= (?!(?:Morning|Afternoon|Evening|Night|At|On|In|With|And|From|To|For|Via|By)\b)\p{Lu}[\p{Ll}\p{M}]+(?:[\s,.!?]|$))/gu;
/** "Black Friday staffing", "Good Friday service", "the Sunday school teachers": a day inside a holiday's or a group's name is no date. */
const HOLIDAY_DAY =
  /(?:[Ss]un|[Ss]atur)day(?= [Ss]chool (?:teachers|kids|children|staff|volunteers|parents|committee|leaders|class)\b)|(?<=\b(?:[Bb]lack|[Cc]yber|[Aa]sh|[Pp]alm|[Mm]aundy|[Ss]hrove|[Ee]aster|[Rr]emembrance|[Mm]othering|[Ww]hit|Good|Holy|Super|Giving|Blue) )(?:[Mm]on|[Tt]ues|[Ww]ednes|[Tt]hurs|[Ff]ri|[Ss]atur|[Ss]un)day\b/g;

/** "push the Harper call to 4pm", "shift the Deepak meeting": a name between "the" and a meeting word. */
const NAMED_MEETING =
  /\b(?:the|my|our|this|that) (\p{Lu}[\p{Ll}\p{M}]+) (?:meeting|mtg|call|sync|catch-?up|chat|1ː1|one-on-one|check-?in)\b/u;

/** A move or cancel finds a meeting by its person, named before the meeting word, as well as by those named with it. */
function movedPerson(intent: Intent, cased: string, participants: string[]): string[] {
  if (intent !== 'reschedule' && intent !== 'cancel') return participants;
  const name = NAMED_MEETING.exec(cased)?.[1];
  const low = name?.toLowerCase() ?? '';
  if (!name || NOT_A_NAME.has(low) || EVENT_WORDS.has(low) || PLACE_WORDS.has(low) || participants.includes(name))
    return participants;
  return [...participants, name];
}

/** A letter's opening: "Dear MeetingMuse,", "Dear Sir/Madam,", "To whom it may concern,". */
const SALUTATION = /^\s*(?:dear [\p{L} /.'-]{1,40}?|to whom it may concern)\s*[,:!\n]\s*/iu;

/** Closings of a letter, any word capitalised or not ("Kind regards", "yours sincerely"). */
const CLOSINGS = [
  '(?:with )?(?:(?:kind|best|warm|warmest|many) )?(?:regards|wishes)',
  'yours (?:sincerely|faithfully|truly)',
  'sincerely',
  '(?:many )?thanks(?: (?:so much|again|in advance))?',
  'thank you(?: (?:so much|again|in advance))?',
  'cheers',
  'blessings',
  'god bless',
  'all the best',
].map((closing) => closing.replace(/\b[a-z]/g, (c) => `[${c.toUpperCase()}${c}]`));

/**
 * A letter's closing and its signature, after a sentence or a line (a regards after a comma too): "… in the
 * sacristy. Kind regards, Fr. Declan", "…\nYours sincerely,\nHilary", "… 2pm. Thanks, Bob".
 */
const SIGN_OFF = new RegExp(
  `(?:(?<=[.!?\\n]\\s*)|(?<=[,;]\\s*)(?=${CLOSINGS[0]}\\b))(?:${CLOSINGS.join('|')})\\s*[,.!]?\\s*(?:\\p{Lu}[\\p{L}'-]*\\.?(?: \\p{Lu}[\\p{L}'-]*\\.?){0,3})?\\s*$`,
  'u',
);

/** A subject line opening a letter, and the line break that ends it. */
const SUBJECT_LINE = /^(\s*subject\s*:[^\n]*?)[.!]?\s*\n/i;

/**
 * A message written as a letter, without its framing: the salutation and the sign-off go, and a subject line ends
 * its clause ("Subject: Flower show judging\n\nDear MeetingMuse,\nPlease book this for Saturday…").
 */
function withoutLetterFraming(text: string): string {
  const signed = SIGN_OFF.exec(text);
  // A closing alone ("thank you") is the whole message, not its framing.
  const body =
    signed && signed.index > 0 && /\p{L}/u.test(text.slice(0, signed.index)) ? text.slice(0, signed.index) : text;
  const subject = SUBJECT_LINE.exec(body);
  if (!subject) return body.replace(SALUTATION, '');
  return `${subject[1]}. ${body.slice(subject[0].length).replace(SALUTATION, '')}`;
}

/** Lowercase-independent normalisation: emoji, quotes, casual spellings, clock spellings; spacing folded. */
function normalize(text: string): string {
  let out = withoutLetterFraming(text)
    .replace(/[👍👌✅💯]/gu, ', yes, ')
    .replace(/🙏/gu, ', please, ')
    .replace(/[👎❌🙅]/gu, ', no, ')
    // An emoji between words ends a clause ("sunday night admin 😩 book sprint planning tomorrow 10:00"), so an aside before it stays one.
    .replace(
      /(?<=[\p{L}\d])\s*(?:\p{Extended_Pictographic}[\u{1F3FB}-\u{1F3FF}\uFE0F\u200D]*\s*)+(?=[\p{L}\d])/gu,
      '. ',
    )
    .replace(/\p{Extended_Pictographic}|[\u{1F3FB}-\u{1F3FF}\uFE0F\u200D]/gu, ' ')
    .replace(/[“”«»]/g, '"')
    .replace(/[‘’`´]/g, "'")
    .replace(/[–—]/g, '-')
    .replace(/\b1:1s?\b|\b1on1\b|\b1-1\b(?![:.]\d| ?[ap]\.?m\b)/gi, '1ː1')
    // "1:1 w Marcus": "w" after a one-on-one is "with", not a week.
    .replace(/(1ː1s?) w\b(?!\/)/g, '$1 with');
  // "Vũ Thu Trang": a capitalised "Thu" between two capitalised words is part of a name, and "Friday" in "Black
  // Friday" part of a holiday, not a day; each is hidden from the day readers (a letter swapped for a look-alike)
  // and put back in what is read out (`unhidden`).
  out = out.replace(NAME_LIKE_DAY, (word) => word.replace('u', '\u028A'));
  out = out.replace(HOLIDAY_DAY, (day) => day.replace(/a(?=y$)/, '\u0251'));
  // "at Wed Cafe": an abbreviation inside a venue's name is kept from the spellings (a word joiner after its capital).
  out = out.replace(DATED_VENUE, (venue) =>
    timeWordInVenue(venue)
      ? venue
      : venue.replace(new RegExp(`${DATE_ABBREVIATION}(?= )`, 'gu'), (a) => `${a[0]}\u2060${a.slice(1)}`),
  );
  for (const [pattern, replacement] of SPELLINGS) out = out.replace(pattern, replacement);
  // A house number is never a clock: "at 1420 W Addison" keeps its 1420 (subscript digits while clocks are rewritten).
  const street = streetAddressOf(out);
  if (street) out = out.slice(0, street.from) + toSubscript(out.slice(street.from, street.to)) + out.slice(street.to);
  out = rewriteClocks(out);
  return out.replace(/\s+/g, ' ').trim();
}

function toInstant(wall: WallTime, zone: string): Date {
  return instantOf(wall, zone);
}

/** The span a list or availability question asks about, if it names one. */
function rangeOf(text: string, when: WhenFound, ctx: UnderstandContext): Understanding['range'] {
  if (when.span)
    return {
      from: maxDate(
        toInstant(when.span.from, ctx.timeZone),
        when.span.label.startsWith('this') || when.span.label.startsWith('the next') ? ctx.now : undefined,
      ),
      to: toInstant(when.span.to, ctx.timeZone),
      label: when.span.label,
    };
  if (!when.day || when.hasTime) return undefined;
  const part = partOfDay(text);
  const base = when.day;
  if (part)
    return {
      from: toInstant({ ...base, hour: part[0] }, ctx.timeZone),
      to: toInstant({ ...base, hour: part[1] }, ctx.timeZone),
    };
  return { from: toInstant(base, ctx.timeZone), to: toInstant(addDays(base, 1), ctx.timeZone) };
}

function maxDate(a: Date, b?: Date): Date {
  return b && b > a ? b : a;
}

/** Words before a number that make it a place's ("put it in lab 2", "ward 4", "sala 3") or an amount's, never an hour. */
const NOT_AN_HOUR_AFTER = `${[...PLACE_WORDS, ...ROOM_WORDS, 'rm', 'bldg', 'number', 'table', 'unit', 'apt'].map(escape).join('|')}|no\\.?`;
/** A number left over in the words: not a place's, an amount's, an ordinal's or part of a time. */
const BARE_NUMBER = new RegExp(
  String.raw`(?<![\w:.@#/$£€+-])(?<!\b(?:${NOT_AN_HOUR_AFTER}|for|of|with|top|q) )([01]?\d|2[0-3])(?![\w:%/-]|\.\d)(?! ?(?:minutes?|mins?|hours?|hrs?|people|ppl|persons|guests|of|more|days?|weeks?|months?|x)\b)`,
  'g',
);

/** A clock time with a dot ("12.30", "9.15") left over in the words. */
const DOTTED_TIME = new RegExp(
  String.raw`(?<![\w:.@#/$£€+-])(?<!\b(?:${NOT_AN_HOUR_AFTER}|for|of|with|top|q|v|version|g|in) )(?:[01]?\d|2[0-3])\.[0-5]\d(?![\w.%/-])(?! ?(?:hours?|hrs?|h)\b)`,
  'g',
);
const HOUR_WORD =
  /(?<![\w-])(?<!\b(?:first|second|third|last|next|other|that|this|the|which|each|every|no|any|only|same|right|wrong) )(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?:[ -](fifteen|thirty|forty[ -]five|o'?clock))?(?![\w-])(?! ?(?:minutes?|mins?|hours?|hrs?|people|ppl|persons|guests|of|more|days?|weeks?|months?|x|or|and|on|at|with|person|thing|sec|moment|last|another)\b)/gi;

/**
 * Where to read "at" before a bare number in a reply to a draft or a move ("wait, make that 3", "not 2, 3",
 * "Sorry, I meant 3.", "12.30", "make it eleven instead", "11.30 for 1 hour"): the last such number, when the
 * message names no time or shift of its own; an hour in words comes with its digits.
 */
function awaitedHourAt(when: WhenFound, rest: string): { at: number; length: number; hour?: string } | undefined {
  if (when.hasTime || when.shiftMinutes !== undefined) return undefined;
  let found: { at: number; length: number; hour?: string } | undefined;
  // "oh and put it in lab 2": a number after a place word is the place's.
  const afterPlace = (at: number) =>
    PLACE_WORDS.has(/(\p{L}+) $/u.exec(rest.slice(Math.max(0, at - 20), at))?.[1] ?? '');
  for (const m of rest.matchAll(BARE_NUMBER)) if (!afterPlace(m.index)) found = { at: m.index, length: 0 };
  for (const m of rest.matchAll(DOTTED_TIME)) if (!found || m.index > found.at) found = { at: m.index, length: 0 };
  if (found) return found;
  for (const m of rest.matchAll(HOUR_WORD))
    found = {
      at: m.index,
      length: m[0].length,
      hour: `${CLOCK_WORDS[m[1]!.toLowerCase()]}:${(m[2] && spelledMinutes(m[2])) ?? '00'}`,
    };
  return found;
}

/**
 * Only the start of a long message is read: a request fits in far less, and chrono's cost grows
 * faster than linearly on long runs of repeated words ("with with with …": 0.6 s at 2000 characters).
 */
export const MAX_UNDERSTOOD_CHARS = 400;

/** The dates and times read with an address's and a venue's words blanked. */
function readOutside(
  cased: string,
  street: { from: number; to: number } | undefined,
  venue: { from: number; to: number } | undefined,
  ctx: UnderstandContext,
): ReturnType<typeof readWhen> {
  return readWhen(withoutAside(withoutAddress(withoutAddress(cased, street), venue).toLowerCase()), ctx);
}

/** A continental clock said alone ("9h", "at 14h30"). */
const ANSWERED_CLOCK = /^(?:(?:at|@) )?([01]?\d|2[0-3])h([0-5]\d)?[.!]?$/i;

/** "at the Royal Free", "Free Spirit cafe": a place named "free" or "open" asks nothing about the calendar. */
const NAMED_FREE = /\b(?:free|open|available|busy)\b/i;

/** Understands one message in the user's zone, relative to `now`. Pure and synchronous. */
export function understand(message: string, ctx: UnderstandContext): Understanding {
  const head = message.slice(0, MAX_UNDERSTOOD_CHARS);
  let cased = normalize(head);
  // "9h" alone, answering "what time?": the continental clock, not nine hours.
  if (ctx.awaiting === 'book' || ctx.awaiting === 'move')
    cased = cased.replace(ANSWERED_CLOCK, (_, h: string, m?: string) => `at ${continentalClock(h, m)}`);
  let street = streetAddressOf(cased);
  let venue = street ? undefined : datedVenueOf(cased);
  let read = readOutside(cased, street, venue, ctx);
  const hour = ctx.awaiting === 'book' || ctx.awaiting === 'move' ? awaitedHourAt(read.found, read.rest) : undefined;
  if (hour) {
    cased = `${cased.slice(0, hour.at)}at ${hour.hour ?? ''}${cased.slice(hour.at + hour.length)}`;
    street = streetAddressOf(cased);
    venue = street ? undefined : datedVenueOf(cased);
    read = readOutside(cased, street, venue, ctx);
  }
  // "lunch 12.30 at Lau Pa Sat": a venue ending in a day's abbreviation stands only beside another date.
  if (venue?.needsDate && !read.found.hasDate) {
    venue = undefined;
    read = readOutside(cased, street, venue, ctx);
  }
  const text = cased.toLowerCase();
  const { found: when, rest } = read;
  const tokens = tokenize(cased, rest);
  const found = participantsOf(tokens);
  const place = street?.address ?? venue?.address ?? locationOf(rest, cased, tokens, found);
  // "at Hotel Yak & Yeti", "…, Paws Studio Newtown": the words of a venue's name are no people.
  const participants = found.filter((name) => !place || !(namedIn(place, name) || isVenueName(place, name)));
  const location = place && asWritten(place, message);
  // A quoted title is taken as written: the reading rewrites numbers in it ("Budget 2026 kickoff").
  const title = quotedTitleOf(head) ?? requestTitleOf(withoutPlace(rest, cased, place), cased, participants, location);

  const request = withoutAside(place && NAMED_FREE.test(place) ? withoutPlace(text, cased, place) : text).trim();
  const intent = intentOf(request, when, participants.length > 0, { title, address: !!street }, ctx.awaiting);
  // "who won the football just now": the "now" of a question about the world starts no meeting.
  const timed = when.hasTime && !(intent === 'unknown' && asksAboutTheWorld(request, when));
  const understanding: Understanding = {
    intent,
    hasDate: when.hasDate,
    hasTime: timed,
    participants: movedPerson(intent, cased, participants),
    refersToLast:
      /\b(it|that one|that meeting|this meeting|the meeting|that|this one)\b/.test(text) &&
      !/\b(?:is it|it is|it's)\b/.test(text),
    // "clear the day", "clear tomorrow": every meeting in it.
    all:
      /\b(all|everything|every meeting|every single|each|whole|entire)\b/.test(text) ||
      /\bclear (?:out )?(?:(?:the|my) (?:day|morning|afternoon|evening|diary|calendar|schedule)|today|tonight|tomorrow|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b/.test(
        text,
      ),
    calendarFeed: false,
  };
  if (understanding.intent === 'help' && FEED_CUE.test(text)) understanding.calendarFeed = true;
  if (when.durationMinutes !== undefined) understanding.durationMinutes = when.durationMinutes;
  if (when.shiftMinutes !== undefined) understanding.shiftMinutes = when.shiftMinutes;
  if (when.shiftDays !== undefined) understanding.shiftDays = when.shiftDays;
  if (
    understanding.intent === 'reschedule' &&
    !when.shiftMinutes &&
    when.durationMinutes &&
    !when.hasTime &&
    !when.hasDate &&
    /\b(push|delay|bump|slide|postpone|shift)\b/.test(text) &&
    !/\bfor\b/.test(text)
  ) {
    // "push standup 30 mins": a move by that much, not a new length.
    understanding.shiftMinutes = when.durationMinutes;
    delete understanding.durationMinutes;
  }
  if (when.repeat) understanding.repeat = when.repeat;
  if (when.guessedMeridiem) understanding.guessedMeridiem = when.guessedMeridiem;
  if (location) understanding.location = unhidden(location);
  if (title) understanding.title = unhidden(title);
  if (when.day) understanding.day = when.day;
  if (when.nonexistent && when.start) {
    understanding.nonexistent = when.start;
  } else if (when.startInstant) {
    understanding.start = when.startInstant;
  } else if (when.start && timed) {
    understanding.start = toInstant(when.start, ctx.timeZone);
    if (when.end) understanding.end = toInstant(when.end, ctx.timeZone);
  }
  if (understanding.start && when.end && !understanding.end) understanding.end = toInstant(when.end, ctx.timeZone);
  const range = rangeOf(text, when, ctx);
  if (range) understanding.range = range;
  return understanding;
}
