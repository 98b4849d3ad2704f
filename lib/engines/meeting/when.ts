import * as chrono from 'chrono-node';
import { CLOCK_WORDS, DAY_ORDINALS, MONTHS, NUMBER_WORDS, ROOM_WORDS, WEEKDAYS } from './lexicon.ts';
import { escape } from './tokens.ts';
import { addDays, instantOf, isSkipped, wallTimeOf, weekdayOf, type WallTime } from './time-zones.ts';

/**
 * The time-expression layer: finds every date, time, length, shift and repeat in a message, in the
 * user's zone, and marks the spans it used so the rest of the analysis never reads "Tuesday at 10"
 * as a name or "an hour" as a title. chrono-node reads the calendar expressions; around it, the
 * spellings chrono misses (1745, "in twenty minutes", "two weeks from Monday") and the hour a person
 * means by a bare "at 7" given the words around it.
 */

export interface WhenFound {
  /** Wall date and time of the start, when a time of day was named. */
  start?: WallTime;
  /** An instant start ("in 20 minutes"), already absolute. */
  startInstant?: Date;
  hasDate: boolean;
  hasTime: boolean;
  /** A day named without a time. */
  day?: WallTime;
  end?: WallTime;
  durationMinutes?: number;
  /** "15 minutes earlier" → -15, "an hour later" / "push back an hour" → 60. */
  shiftMinutes?: number;
  /** "the day after", "two days later" → 2, "push it back a day" → 1: whole days, kept on the wall clock. */
  shiftDays?: number;
  /** "every other Friday", "weekly": the words that asked for a repeat. */
  repeat?: string;
  /** The hour was bare ("at 7") and the meridiem was chosen from context or working hours. */
  guessedMeridiem?: 'am' | 'pm';
  /** The wall time named does not exist in the zone (skipped by a DST change). */
  nonexistent?: boolean;
  /** A week, weekend, month or "next N days" span named (for lists and availability). */
  span?: { from: WallTime; to: WallTime; label: string };
}

export interface WhenContext {
  now: Date;
  timeZone: string;
}

const NUMBER = `(\\d+(?:\\.\\d+)?|${Object.keys(NUMBER_WORDS)
  .sort((a, b) => b.length - a.length)
  .join('|')})`;
const toNumber = (word: string) => NUMBER_WORDS[word] ?? Number(word);
const UNIT = '(minutes|minute|min|m|hours|hour|h)';
const WORD_NUMBER = `(?:${Object.keys(NUMBER_WORDS)
  .sort((a, b) => b.length - a.length)
  .join('|')})`;
/** An amount of time: digits with a unit ("45m", "1.5 hours"), or a number word with a spelled unit ("twenty minutes", not "am"). */
const QTY = `(?:\\d+(?:\\.\\d+)?[ -]?(?:minutes|minute|min|m|hours|hour|hrs|hr|h)|${WORD_NUMBER}[ -](?:minutes|minute|mins|min|hours|hour))`;
const unitMinutes = (unit: string) => (unit.startsWith('h') ? 60 : 1);

const CLOCK = `(\\d{1,2}|${Object.keys(CLOCK_WORDS).join('|')})`;
const CLOCK_WORD = `(?:${Object.keys(CLOCK_WORDS).join('|')})`;
/** A continental clock ("7h45", "14h") as the 24-hour clock it is: 07:45, never the evening a bare 7 would be. */
export const continentalClock = (hour: string, minute?: string) => `${hour.padStart(2, '0')}:${minute ?? '00'}`;

const SUFFIX = (n: number) =>
  n % 10 === 1 && n !== 11 ? 'st' : n % 10 === 2 && n !== 12 ? 'nd' : n % 10 === 3 && n !== 13 ? 'rd' : 'th';
/** "the twenty third", "on the first", "31st": a day of the month, spelled or in digits. */
const DAY_ORDINAL = `(?:(?:twenty|thirty)[ -](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|${Object.keys(DAY_ORDINALS).join('|')})`;
const ordinalDay = (word: string) => {
  const [tens, unit] = word.toLowerCase().split(/[ -]/);
  return unit ? (tens === 'twenty' ? 20 : 30) + DAY_ORDINALS[unit]! : DAY_ORDINALS[tens!]!;
};
const MONTH_WORD = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?';
/** A month said right after a day of the month: "2nd November", "30 of September". */
const MONTH_AHEAD = new RegExp(`^,? (?:of )?${MONTH_WORD}`, 'i');
const clock = (word: string) => CLOCK_WORDS[word.toLowerCase()] ?? Number(word);
/** Minutes said after a spelled hour ("nine thirty", "two oh five"). */
const SPELLED_MINUTES: Record<string, number> = {
  'oh five': 5,
  'o five': 5,
  ten: 10,
  fifteen: 15,
  twenty: 20,
  'twenty five': 25,
  thirty: 30,
  'thirty five': 35,
  forty: 40,
  'forty five': 45,
  fifty: 50,
  'fifty five': 55,
};
/** The minutes a spelled word says, two digits ("thirty" → "30", "oh five" → "05"); undefined for other words. */
export const spelledMinutes = (word: string): string | undefined => {
  const minutes = SPELLED_MINUTES[word.toLowerCase().replace(/[ -]+/g, ' ')];
  return minutes === undefined ? undefined : String(minutes).padStart(2, '0');
};
const SPELLED_MINUTE = Object.keys(SPELLED_MINUTES)
  .sort((a, b) => b.length - a.length)
  .map((m) => m.replace(' ', '[ -]'))
  .join('|');
const WEEKDAY_OR_DAY =
  'today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thurs|fri|sat|sun';

const CLOCK_TIME = '\\d{1,2}(?:[:.][0-5]\\d)?(?: ?[ap]m)?';
const TIME_SPAN = `(?:(?:from|between) ${CLOCK_TIME} (?:to|and) ${CLOCK_TIME}|${CLOCK_TIME} ?- ?${CLOCK_TIME}|(?:(?:at|@) )?${CLOCK_TIME})`;
/** Words that take a time back: "no no", "no wait", "nvm", "scratch that", "sorry I mean", a bare "make it". */
const TAKE_BACK =
  '(?:no,? )+(?:wait,? |sorry,? |actually,? )?|wait,? |nvm,? |never ?mind,? |scratch that,? |sorry,? (?:i mean,? |i meant,? )?|i mean,? |i meant,? |actually,? |or rather,? |correction,? ';
/** A sound of hesitation before a correction: "... eh make it 12.45". */
const HESITATION = 'eh|uh|um|oh|ah|hmm|oops|erm';
/** A time, words without a number, then a take-back and the time meant, ending the message. */
const TAKEN_BACK = new RegExp(
  `(?<![\\w:.])(${TIME_SPAN})(?![\\w:])([^\\d]{0,80}?)[\\s,.;!…-]*(?:(${HESITATION}),? )?(${TAKE_BACK}|(?=make (?:it|that)))(?:(?:make|change) (?:it|that)(?: to)?,? )?(${TIME_SPAN})(?: instead)?(?:,? (?:please|pls|thanks|then))?[\\s.!]*$`,
  'i',
);
const MOVING = /\b(?:move|moving|push|shift|bring|pull|reschedule|postpone|bump|change|swap)\b/i;

/** The time meant, put where the one taken back was said; its am or pm carried over when the hour is the same or later. */
function takeBack(
  whole: string,
  said: string,
  between: string,
  hesitation: string | undefined,
  marker: string,
  meant: string,
  _at: number,
  text: string,
): string {
  // A bare "make it 5pm" is a correction only after a hesitation ("1pm w Priya... eh make it 12.45"); else it moves
  // the meeting the first time names ("today 2pm meeting make it 5pm instead", "move my 3pm to tomorrow, make it 4pm").
  if (!marker && (!hesitation || MOVING.test(text))) return whole;
  let time = meant.replace(/(\d)\.(\d\d)/, '$1:$2');
  const saidHour = /(\d{1,2})(?:[:.]\d\d)? ?([ap]m)$/i.exec(said);
  const meantHour = /^(?:(?:at|@) )?(\d{1,2})(?:[:.]\d\d)?$/i.exec(time);
  if (saidHour && meantHour && Number(meantHour[1]) >= Number(saidHour[1]) && Number(meantHour[1]) < 12)
    time += saidHour[2];
  if (/^(?:at|@) /i.test(said) && !/^(?:at|@|from|between) /i.test(time)) time = `at ${time}`;
  return `${time}${between.replace(/[\s,.;!…-]+$/, '')}`;
}

/** Clock spellings chrono misses, rewritten (case-insensitively) before the message is analysed. */
const CLOCK_REWRITES: Array<[RegExp, (...m: string[]) => string]> = (
  [
    // "on the twenty third", "the first of May": a spelled day of the month, in digits (a date word follows or "on" leads);
    // "the first one" is no day.
    [
      new RegExp(
        `\\b(on the|the|on) (${DAY_ORDINAL})\\b(?! ones?\\b)(?=,? (?:at|@|from|of|by|around|for|${MONTH_WORD}|\\d|${CLOCK_WORD}\\b)|[?!.,]?$)`,
        'g',
      ),
      (_, lead, word) => {
        const day = ordinalDay(word!);
        return `${lead} ${day}${SUFFIX(day)}`;
      },
    ],
    // "on 19th", "21st at 3pm", "tue 22nd 10-11am": a day of the month without "the" (read as "the 19th"); an hour
    // right after it is a start. Someone's ordinal is a birthday: "drinks for Mel's 40th at the Espy".
    // "on the day 19", "day 25 at 11": a day of the month said as in Portuguese or Spanish ("dia 19").
    [
      /\b(on )?(?:the )?day (\d{1,2})\b(?=\s*(?:$|[,.?!]|at\b|@|from\b|in the\b|\d{1,2}(?:[:.h]\d\d)?\b(?! ?(?:hours?|days?|weeks?|minutes?)\b)))/g,
      (_, on: string | undefined, day: string) => `${on ?? ''}the ${day}${SUFFIX(Number(day))}`,
    ],
    // "move the PTM to 12th": so is a day of the month a move goes to (not "to 5th floor").
    [
      new RegExp(
        `\\b(on|to) (\\d{1,2}(?:st|nd|rd|th))\\b(?! of\\b)(?!,? ${MONTH_WORD})(?! (?:floor|level|street|st|avenue|ave|grade|place|row|period)\\b)`,
        'g',
      ),
      (_, on, day) => `${on} the ${day}`,
    ],
    [
      new RegExp(
        `(?<![\\d/.-] ?)(?<!\\b(?:the|on|${MONTH_WORD}) )(?<!['’]s )\\b((?:[12]\\d|3[01]|0?[1-9])(?:st|nd|rd|th))\\b(?!,? ${MONTH_WORD})(?=,? (?:at |@ ?|from |\\d))`,
        'g',
      ),
      (_, day) => `the ${day}`,
    ],
    [/\bthe (\d{1,2}(?:st|nd|rd|th)),? (?=\d)/g, (_, day) => `the ${day} at `],
    // "1st Dec 11 to 12": the hour after a date said day first is a start.
    [
      new RegExp(`\\b(\\d{1,2}(?:st|nd|rd|th)?,? ${MONTH_WORD}) (\\d{1,2}(?::\\d\\d)?)(?= (?:to|till|until)\\b)`, 'g'),
      (_, date, t) => `${date} at ${t}`,
    ],
    // "what's the rest of my day look like", "cancel everything for the rest of the day": today, unless another day
    // is named.
    [
      /\b(?:the )?rest of (?:my|the) day\b(?!,? (?:on |of )?(?:tomorrow|today|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|the \d))/g,
      () => 'today',
    ],
    // "her 6 week check", "the 12 month review": an age or a span that names the visit, not a date that far ahead.
    [
      /(?<!\b(?:in|for|after|within|every|about|around|next|last|than) )\b(\d{1,2}) (week|month|year|day)s? (?=(?:old )?(?:check(?! in\b)|checkup|check-up|review|appointment|appt|jabs?|shots?|scan|visit|follow[ -]?up|injections?|vaccinations?|immuni[sz]ations?|birthday|anniversary)\b)/g,
      (_, n, unit) => `${n}-${unit} `,
    ],
    // "well, it's gone midnight. I need …": the hour it is now, said in passing, is no time for the meeting.
    [/\b(?:it'?s|its|it is) (?:just )?(?:gone|past|after) midnight\b/g, () => "it's late"],
    // "not Friday, Monday": the day said after the one refused.
    [
      /\bnot (?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow),? (?:but )?(?:on )?(?=(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow)\b)/g,
      () => '',
    ],
    // "past tomorrow at 10", "after tomorrow at 11h" (pasado mañana, après-demain): the day after tomorrow.
    [/\b(?:past|after) tomorrow\b(?=,? (?:at|@|\d)|[.!?]?$)/g, () => 'the day after tomorrow'],
    // "on 20.11 at 11:30": a day and month with a dot, read day first where no clock can be meant.
    [
      /\bon (\d{1,2})\.(\d{1,2})\b(?![.:]\d)/g,
      (whole, d, m) => {
        const [day, month] = [Number(d), Number(m)];
        return day >= 1 && day <= 31 && month >= 1 && month <= 12
          ? `on the ${day}${SUFFIX(day)} of ${MONTHS[month - 1]}`
          : whole;
      },
    ],
    // "Thursday 24 at 9 o'clock", "Wednesday 30 of September", "thursday 19th": a weekday, then its day of the month
    // (with a month after it, chrono reads "Monday 2nd November" itself).
    [
      /\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday) (\d{1,2})(st|nd|rd|th)?\b(?![:.]\d)/g,
      (whole, weekday, d, suffix, offset, text) => {
        const day = Number(d);
        const after = String(text).slice(Number(offset) + whole.length);
        if (day < 1 || day > 31) return whole;
        if (MONTH_AHEAD.test(after)) return suffix ? whole : `${weekday} ${day}${SUFFIX(day)}`;
        return suffix || /^ (?:at|@|from) ?\d/.test(after) ? `${weekday} the ${day}${SUFFIX(day)}` : whole;
      },
    ],
    // "09:00~10:00": a tilde between two clocks is a range.
    [/(\d{1,2}(?::\d\d)?) ?~ ?(?=\d{1,2}(?::\d\d)?\b)/g, (_, from) => `${from}-`],
    // "on the afternoon of Monday", "the morning of the 12th", "the evening of 19 November": the part of a day,
    // said the other way round.
    [
      /\b(?:on )?the (morning|afternoon|evening|night) of (today|tomorrow|(?:next |this )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b/g,
      (_, part, day) => `${day} ${part}`,
    ],
    [
      new RegExp(
        `\\b(?:on )?(?:the )?(morning|afternoon|evening|night) of ((?:the )?\\d{1,2}(?:st|nd|rd|th)?(?:,? (?:of )?${MONTH_WORD})?|${MONTH_WORD} (?:the )?\\d{1,2}(?:st|nd|rd|th)?)(?![\\d:])`,
        'g',
      ),
      (_, part, day) => `${/^\d+(?:st|nd|rd|th)?$/.test(day) ? `the ${day}` : day} in the ${part}`,
    ],
    // "at the 3 of afternoon", "at 9 of the morning": the hour and its part of the day, said as in Spanish or French;
    // "at 7.30 in the evening" with its minutes.
    [
      /(?<!\b(?:half|past|to|after) )(?<![\d.:])\b(?:at )?(?:the )?(\d{1,2}(?:[:.][0-5]\d)?) (?:of|in) (?:the )?(morning|afternoon|evening|night)\b/g,
      (_, t, part) => `at ${t.replace('.', ':')}${part === 'morning' ? 'am' : 'pm'}`,
    ],
    // "at 3 a call with Ortega": "a" before a word is the article, not "am".
    [/(?<![\w:.])(\d{1,2}(?::\d\d)?) a (?=[a-z]{2,})(?!m\b)/g, (_, t) => `${t}, a `],
    // "from ten to twelve", "between two and three": a range of spelled hours (before "ten to twelve" can be 11:50).
    [
      new RegExp(
        `\\b(from|between) (${CLOCK_WORD})( ?[ap]m)? (?:to|till|until|til|and|-) (${CLOCK_WORD})\\b(?! (?:minutes?|hours?|people))`,
        'g',
      ),
      (_, p, a, m, b) =>
        `${p === 'between' ? 'between' : 'from'} ${clock(a!)}${m ?? ''} ${p === 'between' ? 'and' : 'to'} ${clock(b!)}`,
    ],
    // "nine thirty am", "tomorrow ten forty five", "at two twenty": an hour and its minutes, spelled (dictation).
    [
      new RegExp(
        `\\b((?:at|@|by|around|from|to|until|till|til|${WEEKDAY_OR_DAY}) )?(${CLOCK_WORD})[ -](${SPELLED_MINUTE})\\b(?![ -]?(?:minutes?|mins?|hours?|hrs?|people|ppl|of)\\b)(?=( ?(?:am|pm|a\\.m\\.|p\\.m\\.|o'?clock)\\b)?)`,
        'g',
      ),
      (whole, lead, h, m, meridiem) => {
        if (!lead && !meridiem) return whole;
        const time = `${clock(h!)}:${spelledMinutes(m!)}`;
        return lead && !/^(?:at|@|by|around|from|to|until|till|til) $/.test(lead)
          ? `${lead}at ${time}`
          : `${lead ?? ''}${time}`;
      },
    ],
    [new RegExp(`\\bhalf past ${CLOCK}\\b`, 'g'), (_, h) => `${clock(h!)}:30`],
    [new RegExp(`\\bhalf ${CLOCK}\\b(?! (?:an|a) hour)`, 'g'), (_, h) => `${clock(h!)}:30`],
    [new RegExp(`\\bquarter (?:past|after) ${CLOCK}\\b`, 'g'), (_, h) => `${clock(h!)}:15`],
    [new RegExp(`\\b(?:a )?quarter (?:to|til|till) ${CLOCK}\\b`, 'g'), (_, h) => `${((clock(h!) + 10) % 12) + 1}:45`],
    [
      new RegExp(
        `\\b(at|@|by|around|from|to|until|till|til) ${CLOCK} (thirty|fifteen|forty-five|forty five|o five)\\b`,
        'g',
      ),
      (_, p, h, m) => `${p} ${clock(h!)}:${spelledMinutes(m!)}`,
    ],
    [
      // "at ten to ten" is 9:50, read below.
      new RegExp(
        `\\b(at|@|around|from|until|till|til|by) (${Object.keys(CLOCK_WORDS).join('|')})\\b(?!-)(?!(?<=\\b(?:five|ten)) (?:past|after|to|til|till) ${CLOCK}\\b)`,
        'g',
      ),
      (_, p, h) => `${p} ${clock(h!)}`,
    ],
    // "move the coffee chat to eleven", "push it to 3 tomorrow": a bare hour a move goes to.
    [
      new RegExp(
        `(?<=\\b(?:move|moving|push|shift|bring|pull|reschedule|postpone|bump|change|switch)\\b.{0,60})\\bto (\\d{1,2}|${CLOCK_WORD})\\b(?![:.]\\d)(?=\\s*(?:[.!?]*$|,? (?:on|tomorrow|today|tonight|instead|please|pls|then|if)\\b))`,
        'g',
      ),
      (_, h) => `to ${clock(h!)}:00`,
    ],
    [
      new RegExp(`\\b(${Object.keys(CLOCK_WORDS).join('|')}) (am|pm|o'clock)\\b`, 'g'),
      (_, h, s) => `${clock(h!)} ${s}`,
    ],
    [/\b(\d{1,2}) o'clock\b/g, (_, h) => `${h}:00`],
    [/\b(at|@|by|from|until|till|to) (\d{1,2})h(\d\d)?\b/g, (_, p, h, m) => `${p} ${continentalClock(h!, m)}`],
    // "at Friday 9h30", "tomorrow 8h": a continental clock right after the day is a start, not a length ("fri 1h30"
    // under six hours stays a length).
    [
      /\b(today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thurs|fri|sat|sun) ([6-9]|1\d|2[0-3])h(\d\d)?\b/g,
      (_, d, h, m) => `${d} at ${continentalClock(h!, m)}`,
    ],
    // "make that 9h30 rather": a continental clock from six on with its minutes is a time ("1h30" stays a length).
    [
      /(?<![\d.,])\b([6-9])h([0-5]\d)\b(?! ?(?:long|meeting|session|block|slot|shift|drive|flight|trip))/g,
      (_, h, m) => continentalClock(h!, m),
    ],
    // "14h", "14h30", "10h-11h": the continental clock (a length that long, or "1h30", stays a length).
    [/\b(\d{1,2})h ?- ?(\d{1,2})h\b/g, (_, a, b) => `${a}:00-${b}:00`],
    [
      /(?<![\d.,])\b(1\d|2[0-3])h([0-5]\d)?\b(?! ?(?:long|meeting|session|block|slot))/g,
      (_, h, m) => `${h}:${m ?? '00'}`,
    ],
    [
      new RegExp(
        `(?<!\\b(?:from|between) )\\b(\\d{1,2}|five|ten|twenty|twenty-five|twenty five) (past|after|to|til|till) ${CLOCK}\\b(?! (?:minutes?|hours?|days?|weeks?))`,
        'g',
      ),
      (_, m, rel, h) => {
        const minutes =
          ({ five: 5, ten: 10, twenty: 20, 'twenty-five': 25, 'twenty five': 25 } as Record<string, number>)[
            m!.toLowerCase()
          ] ?? Number(m);
        const hour = clock(h!);
        // "from 2 to 3" is a range: only spelled minutes count before "to".
        if (!(minutes > 0 && minutes < 60) || (/to|til/.test(rel!) && /^\d/.test(m!))) return `${m} ${rel} ${h}`;
        return /past|after/.test(rel!)
          ? `${hour}:${String(minutes).padStart(2, '0')}`
          : `${((hour + 10) % 12) + 1}:${String(60 - minutes).padStart(2, '0')}`;
      },
    ],
    // A range of 24-hour times without colons: 1500-1600, 1745–1830.
    [
      /(?<![\w:/.-])([01]\d|2[0-3])([0-5]\d) ?- ?([01]\d|2[0-3])([0-5]\d)(?![\w:/.-])/g,
      (_, h1, m1, h2, m2) => `${h1}:${m1}-${h2}:${m2}`,
    ],
    // 24-hour times written without a colon: 1745, 0815 (not years, not room numbers).
    // "1500hrs", "0930h": a 24-hour clock with its suffix attached.
    [/(?<![\w:/.-])([01]\d|2[0-3])([0-5]\d)(?:hours|hrs|hr|h)\b/g, (_, h, m) => `${h}:${m}`],
    [
      /(?<![\w:/.-])(?<!room |rm |suite |floor |building |no\. |#)(?<!\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? )(?<!\d{1,2}(?:st|nd|rd|th)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*,? )([01]\d|2[0-3])([0-5]\d)(?![\w:/.-])(?! ?(?:hours|hrs|h\b))/g,
      (_, h, m) => `${h}:${m}`,
    ],
    [
      /(?<![\w:/.-])((?:[01]?\d|2[0-3])(?::[0-5]\d)?) ?- ?((?:[01]?\d|2[0-3])(?::[0-5]\d)?)(?![\w:/.-])(?! ?(?:people|ppl|persons|minutes|mins|hours|days|weeks|%|am|pm|a\b|p\b))/g,
      (_, a, b) => `from ${a} to ${b}`,
    ],
    // "3 till 4", "11 till 12:30": a range (not "from 2 to 3", already one).
    [
      /(?<![\w:.ː-])(?<!\b(?:from|between|at|@) )(\d{1,2}(?::\d\d)?(?: ?[ap]m)?) (?:till|til|until) (\d{1,2}(?::\d\d)?(?: ?[ap]m)?)(?![\w:.])(?! ?(?:minutes?|hours?|people|days?|weeks?))/g,
      (_, a, b) => `from ${a} to ${b}`,
    ],
    // "02:30", "07:15": a leading zero is the 24-hour clock, so the morning.
    [/(?<![\w:.])0([1-9]):([0-5]\d)(?! ?[ap]m)(?![\w:])/g, (_, h, m) => `${h}:${m}am`],
    [
      /\bbetween (\d{1,2}(?::\d\d)? ?(?:am|pm)?) and (\d{1,2}(?::\d\d)? ?(?:am|pm)?)(?![\d:])/g,
      (_, a, b) => `from ${a} to ${b}`,
    ],
    [
      new RegExp(
        `\\b(make it|how about|what about|say|try|maybe|instead at|rather|better|prefer|preferably|ideally|actually|i mean|no wait,?) (\\d{1,2}|${CLOCK_WORD})(?![\\d:])(?!\\.\\d(?!\\d))(?! ?(?:minutes?|hours?|people|ppl|days?|weeks?|am|pm|o'clock|thirty|fifteen|forty))\\b`,
        'g',
      ),
      (_, p, h) => `${p} at ${clock(h!)}`,
    ],
    // "at 2, no 3", "at two no three", "saturday at 9, no 9:30", "at ten no actually eleven": an hour taken back at once
    // ("at 10 no one else", "no two ways about it" take nothing back).
    [
      new RegExp(
        `\\b((?:at|@|today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday) (?:\\d{1,2}(?::\\d\\d)?|${CLOCK_WORD})(?: ?[ap]m)?),? no,? (?:(?:actually|wait|sorry|make it|make that),? )?(?:at )?(\\d{1,2}|${CLOCK_WORD}(?! (?:else|ways?|of|more|other|thing|things|body|where|problem|time|chance|doubt|idea|need|needed|matter|worries|longer|later|sooner|earlier)\\b))((?::[0-5]\\d)?(?: ?[ap]m)?)\\b(?![\\d:])(?! ?(?:minutes?|hours?|people|days?|weeks?))`,
        'g',
      ),
      (_, first, h, rest) => `${first}, no wait at ${clock(h!)}${rest ?? ''}`,
    ],
    // A bare hour offered as the better one: "11 is better", "can we do 11", "11 pls", "not 10, 11".
    [
      /\bnot (?:at )?\d{1,2}(?::\d\d)?(?: ?[ap]m)?,? (?:but )?(?:at )?(\d{1,2}(?::\d\d)?(?: ?[ap]m)?)(?![\d:])(?! ?(?:minutes?|hours?|people))/g,
      (_, t) => `at ${t}`,
    ],
    [
      /(?<![\w:.-])(\d{1,2}(?::\d\d)?(?: ?[ap]m)?) (?=(?:is|would be|'d be|works|might be|should be) (?:better|best|fine|good|ok|okay)\b|(?:pls|please|then|instead|works for me|is fine)\b)/g,
      (_, t) => `at ${t} `,
    ],
    [
      /\b(can we do|could we do|let'?s do|lets do|we can do|i can do|do) (\d{1,2}(?::\d\d)?(?: ?[ap]m)?)(?![\d:])(?!\.\d(?!\d))(?! ?(?:minutes?|hours?|people|days?|weeks?|mins|hrs))/g,
      (_, p, t) => `${p} at ${t}`,
    ],
    // "7ish", "around 9-ish", "noonish": the hour, said loosely.
    [
      /\b(?:(at|@|around|about|by|from|to|until|till) )?(\d{1,2}(?::\d\d)?)(?: ?-ish|ish)\b/g,
      (_, p, t) => `${p ?? 'at'} ${t}`,
    ],
    [/\b(noon|midday|midnight)-?ish\b/g, (_, t) => t],
    [
      /\b(?:around|about|approx\.?|approximately|~|circa|ca\.?) ?(\d{1,2}(?::\d\d)?(?: ?[ap]m)?)(?![\d:])(?!\.\d(?!\d))(?! ?(?:minutes?|hours?|mins?|hrs?|people|days?|weeks?))\b/g,
      (_, t) => `at ${t}`,
    ],
    [
      /(?<![\d:.ː-])(?<!\b(?:at|from|to|until|till|by|around|for|in|the|on|room|rm|suite|floor|level|building|gate|table|no|number|dec|nov|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|december|november|january|february|march|april|june|july|august|september|october) )\b(\d{1,2}(?:[:.]\d\d)?) (tonight|tomorrow|today|this (?:morning|afternoon|evening))\b/g,
      (_, t, d) => `at ${t.replace('.', ':')} ${d}`,
    ],
    [/\b(\d{1,2})\.(\d\d) ?(am|pm)\b/g, (_, h, m, s) => `${h}:${m}${s}`],
    // "saturday 9 30 am", "1 30 pm": dictation leaves out the colon (not after a month: "Dec 12 10 am").
    [
      new RegExp(`(?<!\\b(?:${MONTH_WORD}|the|on|of)\\.? )\\b(1[0-2]|0?[1-9]) ([0-5]\\d) ?(am|pm)\\b`, 'g'),
      (_, h, m, s) => `${h}:${m}${s}`,
    ],
    // "12.30" said alone (the answer to "what time?"): a dotted clock.
    [/^(\d{1,2})\.([0-5]\d)[.!]?$/g, (_, h, m) => `at ${h}:${m}`],
    [/\b(at|@|from|to|until|till|til|by|around) (\d{1,2})\.([0-5]\d)\b/g, (_, p, h, m) => `${p} ${h}:${m}`],
    // "tomorrow evening 6 dinner": a bare hour after a day's part is its clock.
    [
      /\b((?:this|today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thurs|fri|sat|sun) (?:morning|afternoon|evening|night)) (\d{1,2}(?::\d\d)?)(?![\d:ː])(?! ?(?:minutes|mins|hours|hrs|am|pm|people|(?:th|st|nd|rd)\b|days|weeks|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)))\b/g,
      (_, part, h) => `${part} at ${h}`,
    ],
    [
      /\b(today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday) (\d{1,2})(?![\d:ː])(?![.,]\d+ ?(?:hours?|hrs?|h)\b)(?! ?(?:minutes?|hours?|am|pm|people|th|st|nd|rd|days?|weeks?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)))\b/g,
      (_, d, h) => `${d} at ${h}`,
    ],
    [/\bfirst thing\b/g, () => 'at 9am'],
    [/\b(?:end of (?:the )?day|eod|cob|close of business)\b/g, () => 'at 5pm'],
    [/\blunchtime\b/g, () => 'at noon'],
    [/\b(morning|afternoon|evening|night) (tomorrow|today)\b/g, (_, part, day) => `${day} ${part}`],
    // "in the morning on Oct 20": chrono joins the two into a wrong day; a comma between, it reads both.
    [
      new RegExp(`\\b(in the (?:morning|afternoon|evening)) on (${MONTH_WORD} \\d{1,2}(?:st|nd|rd|th)?)\\b`, 'g'),
      (_, part, date) => `${part}, on ${date}`,
    ],
    // "12 noon to 1", "10am to 12noon": noon said with its hour, and the small hour it runs to is the afternoon's.
    [/\b12 ?(noon|midday)\b/g, (_, n) => n],
    // "9:30 to noon": 12:00 without "pm", so chrono lends no meridiem to the start.
    [/\b(to|until|till|til|through) (noon|midday)\b/g, (_, p) => `${p} 12:00`],
    // "9am-noon": the same with a dash.
    [/(?<=\d(?: ?[ap]m)?) ?- ?(?:noon|midday)\b/g, () => ' to 12:00'],
    [
      /\b(?:from )?(?:noon|midday) ?(?:to|till|until|til|-) ?([1-6])(?::([0-5]\d))?(?![\d:])(?! ?[ap]m)(?! ?(?:minutes?|hours?|people))/g,
      (_, h, m) => `from 12:00 to ${h}:${m ?? '00'}pm`,
    ],
    // "on the 15 at 9": a day of the month without its suffix, when a time follows.
    [/\bon the ([1-9]|[12]\d|3[01]) (?=(?:at|@|from)\b)/g, (_, d) => `on the ${d}${SUFFIX(Number(d))} `],
    // "12.30 lunch", "later 12.30 lunch", "7.30 @ Bills": a dotted clock before a meal, a venue or a person is the time;
    // so is one right after the day it is on ("later 5.30 kopi", "tmr 9.15 dentist"), and one on the quarter hour that
    // ends a message about a meal or a call ("sat brekkie w/ Jase 7.30").
    [
      /(?<![\w:.$£€#/-])(\d{1,2})\.([0-5]\d)(?= (?:@|(?:at|with|w|lunch|dinner|breakfast|brekkie|brunch|coffee|kopi|chai|drinks|tea|call|meeting)\b))|(?<=\b(?:later|today|tonight|tomorrow|tmr|tmrw) )(\d{1,2})\.([0-5]\d)(?![\d.])|(?<=\b(?:lunch|dinner|breakfast|brekkie|brunch|coffee|drinks|call|meeting)\b.* )(\d{1,2})\.(00|15|30|45)$/g,
      (_, h, m, h2, m2, h3, m3) => `at ${h ?? h2 ?? h3}:${m ?? m2 ?? m3}`,
    ],
    // "later 12.30 lunch": later today.
    [/\blater,? (?=(?:at|@) ?\d)/g, () => 'today '],
    // "Tuesdays 2pm", "on Tuesdays at 2pm": a weekday said in the plural, then its time, is every such day from the first.
    [/\b(?:on )?(mon|tues|wednes|thurs|fri|satur|sun)days(?=,? (?:at |@ ?)?\d)/g, (_, d) => `every ${d}day`],
    // "Dec 3 at 2 year-end review": a year-end or month-end is a topic, not a length after the hour.
    [/(?<=\d) (?=(?:year|month|quarter|week)-end\b)/g, () => ', '],
    // "today 4pm.. no no 5pm", "10 am call with Dr. Rao, no wait, make it 10:30", "Tuesday 2-3pm, scratch that, 3-4pm":
    // a time taken back at the end of the message stands where the first one was said.
    [TAKEN_BACK, takeBack],
  ] as Array<[RegExp, (...m: string[]) => string]>
).map(([pattern, replace]) => [new RegExp(pattern.source, 'gi'), replace]);

/** Rewrites clock spellings chrono misses ("half past two", "1745", "make it 10") into ones it reads. */
export function rewriteClocks(text: string): string {
  let out = hidePlaceNumbers(text);
  for (const [pattern, replace] of CLOCK_REWRITES) out = out.replace(pattern, replace as (...m: string[]) => string);
  return showPlaceNumbers(out);
}

/** A part of the day right after a date: "the 14th morning", "the 3rd in the afternoon". */
const PART_OF_DAY_AFTER = /^ (?:in the |this )?(?:morning|afternoon|evening|night)\b/;

/** "the 3rd" → the next 3rd of a month (chrono reads a day number only with a month). */
const DAY_OF_MONTH =
  /\b(on )?(?:(monday|tuesday|wednesday|thursday|friday|saturday|sunday),? )?the (\d{1,2})(st|nd|rd|th)\b(?! of)(?!,? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))/;

/** The text being read, with every span already used blanked out. */
interface Spans {
  text: string;
}

/** Blanks a span (same length) so later readers skip it and offsets into the original still hold. */
function take(s: Spans, index: number, length: number): void {
  s.text = s.text.slice(0, index) + ' '.repeat(length) + s.text.slice(index + length);
}

/** Lengths, each pattern global (they are scanned for the first match that is a length, not a start). */
const DURATION_PATTERNS: Array<[RegExp, (m: RegExpExecArray) => number]> = (
  [
    // "for a quarter of an hour", "three quarters of an hour", "a quick hour": lengths said in words.
    [/\b(?:for )?(?:three|3) quarters? of an hour\b/, () => 45],
    [/\b(?:for )?(?:(?:a|one) )?quarter(?: of an|-an)? hour\b/, () => 15],
    [/\b(?:for |during )?half of an hour\b/, () => 30],
    [/\b(?:for |during )?(?:(?:an?|one) )?(?:quick|short|full|whole|solid|good|brief) hour\b/, () => 60],
    [/\b(?:for )?(?:an?|one|1) hours? and (?:a )?half\b/, () => 90],
    [/\b(?:for )?(?:an? )?hour and a half\b/, () => 90],
    [new RegExp(`\\b(?:for )?(?:an? )?${NUMBER}[ -]and[ -]a[ -]half[ -]hours?\\b`), (m) => toNumber(m[1]!) * 60 + 30],
    [/\b(?:for )?(?:a )?half(?: an?|-an?)?[ -]hour(?:[ -]long)?\b/, () => 30],
    [/\b(?:for )?(\d+) ?h(?:ours?|rs?)? ?(\d+) ?(?:m|minutes?)?\b/, (m) => Number(m[1]) * 60 + Number(m[2])],
    [new RegExp(`\\b(?:for )?(?:an? )?${QTY}(?:[ -]long)?\\b`), (m) => amountOf(m[0])],
    [/\b(?:for )?(?:an? )?hour[ -]long\b/, () => 60],
    [/\bquick (\d{2})\b/, (m) => Number(m[1])],
  ] as Array<[RegExp, (m: RegExpExecArray) => number]>
).map(([pattern, minutes]) => [new RegExp(pattern.source, 'g'), minutes]);

/** Where a length phrase stops being a length: "in an hour" (a start), "an hour earlier" (a shift), "an hour ago". */
function isLength(text: string, index: number, length: number): boolean {
  const before = text.slice(Math.max(0, index - 12), index);
  const after = text.slice(index + length, index + length + 12);
  // "fit in a 45 minute call": a length naming the thing that follows is a length, not "in 45 minutes".
  const phrase = text.slice(index, index + length);
  const namesAThing =
    /^an? \d/.test(phrase) ||
    (/\d[ -]?(?:minute|min|hour|hr|h)(?:[ -]long)?$/.test(phrase) &&
      /^[ -]?(?:long )?(?:meeting|call|slot|session|sync|chat|block|window|gap|break|review|interview|meet|catch|1ː1|one-on-one)\b/.test(
        after,
      ));
  if (
    /\bin (?:about |around )?$/.test(before) &&
    !/\b(?:fit|squeeze|slot|pencil|get|put|pop|stick|chuck|whack|bung|block|book|lock|fitting|squeezing|putting) in $/.test(
      before,
    ) &&
    !/^\s*(?:for|long)/.test(text.slice(index)) &&
    !namesAThing
  )
    return false;
  // "he's an hour behind", "Tokyo is 9 hours ahead": how far apart two clocks are, not a length.
  if (/^ ?(?:earlier|later|sooner|ago|before|after|from now|back|forward|more|less|behind|ahead)\b/.test(after))
    return false;
  // "i lost an hour of sleep", "an extra hour in bed", "an hour of traffic", "the clocks stole an hour of my sleep",
  // "I am an hour short on sleep": time spoken of in an aside, not a length.
  if (/\b(?:lost|lose|losing|gained|gain|gaining|wasted|spent|extra|stole|stolen|steals)(?: an?)? $/.test(before))
    return false;
  if (
    !/\d/.test(phrase) &&
    /^ (?:of (?:my |our |your |the )?|short (?:on |of )?|less )(?:sleep|rest|traffic|delays?|overtime|driving|commuting)\b/.test(
      text.slice(index + length, index + length + 24),
    )
  )
    return false;
  if (/\b(?:by|back|forward|ahead|later|earlier)(?: by)? ?$/.test(before)) return false;
  // "thurs at 9 hour-long onboarding": the number is the clock, the length is "hour-long".
  if (/\b(?:at|@) $/.test(before) && /^\d/.test(phrase)) return false;
  return true;
}

function takeDuration(s: Spans): number | undefined {
  for (const [pattern, minutes] of DURATION_PATTERNS) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(s.text); m; m = pattern.exec(s.text)) {
      if (!isLength(s.text, m.index, m[0].length)) continue;
      const value = minutes(m);
      if (!(value > 0 && value <= 24 * 60)) continue;
      take(s, m.index, m[0].length);
      return value;
    }
  }
  return undefined;
}

const AMOUNT = `(?:by )?(?:${QTY}|(?:an? )?half(?: an?)? hour|an? hour and a half)`;
/** "an hour later", "30 min earlier"; not "she's an hour ahead" (where someone's clock is). */
const SHIFT_AFTER = new RegExp(
  `(?<!(?:\\b(?:is|are|am|was|were)|'s|'re|'m) )\\b${AMOUNT} (earlier|later|sooner|back|forward|ahead)\\b`,
);
const SHIFT_BEFORE = new RegExp(
  `\\b(back|forward|later|earlier|ahead|up)(?: by)? (?:${QTY}|(an? )?half(?: an?)? hour|(an? )?hour)\\b`,
);
/** "postpone by 1 hour", "push it by 30 mins", "prepone the call by 15 min": a shift said with its verb. */
const SHIFT_BY = new RegExp(
  `(?<=\\b(push|postpone|delay|bump|shift|move|slide|prepone|advance)\\b(?: \\S+){0,5} )by (?:${QTY}|(an? )?half(?: an?)? hour|(an? )?hour)\\b`,
);

const AMOUNT_PARTS = new RegExp(`(\\d+(?:\\.\\d+)?|${WORD_NUMBER})[ -]?${UNIT}`);
const NEXT_DAYS = new RegExp(`\\b(?:next|coming|following) ${NUMBER} (days|weeks)\\b`);
const NAMED_MONTH = new RegExp(
  `\\b(?:in|during|for|through(?:out)?|of|on in) (${MONTHS.join('|')})\\b(?! \\d)|^(?:what'?s on |anything |meetings )?(${MONTHS.join('|')})\\??$`,
);

function amountOf(phrase: string): number {
  if (/hour and a half/.test(phrase)) return 90;
  if (/half/.test(phrase)) return 30;
  const m = AMOUNT_PARTS.exec(phrase);
  if (m) return Math.round(toNumber(m[1]!) * unitMinutes(m[2]!));
  return /hour/.test(phrase) ? 60 : 0;
}

/** "15 minutes earlier", "an hour later", "push it back an hour", "bring it forward 30 min". */
function takeShift(s: Spans, pushing: boolean): number | undefined {
  const after = SHIFT_AFTER.exec(s.text);
  if (after) {
    take(s, after.index, after[0].length);
    const direction = after[after.length - 1]!;
    const minutes = amountOf(after[0]);
    return /earlier|sooner|forward|ahead/.test(direction) ? -minutes : minutes;
  }
  const before = SHIFT_BEFORE.exec(s.text);
  if (before && (pushing || /later|earlier/.test(before[1]!))) {
    take(s, before.index, before[0].length);
    const minutes = amountOf(before[0]);
    return /earlier|forward|ahead|up/.test(before[1]!) ? -minutes : minutes;
  }
  const by = SHIFT_BY.exec(s.text);
  if (by) {
    take(s, by.index, by[0].length);
    const minutes = amountOf(by[0]);
    return /prepone|advance/.test(by[1]!) ? -minutes : minutes;
  }
  return undefined;
}

const DAY_COUNT = `(a|${WORD_NUMBER}|\\d)`;
/**
 * What may follow "the day after" for it to mean the meeting's next day: the end of a clause, a time, "same time".
 * "the day after the exam", "the day after my birthday" name another day.
 */
const DAY_SHIFT_END = `(?=\\s*(?:$|[,.!?;:)]|(?:same|at|@|instead|then|please|pls|plz|if|and|but|in the|around|from)\\b|\\d))`;
/** "the day after", "a day later", "two days earlier", "the next day": the day relative to the meeting's. */
const DAY_SHIFT = new RegExp(
  `\\b(?:the day|${DAY_COUNT} days?) (after|later|before|earlier)\\b${DAY_SHIFT_END}|\\bthe (?:next|following) day\\b${DAY_SHIFT_END}`,
);
/** "push it back a day", "bring it forward two days", "delay it by a day": a move by whole days with its verb. */
const DAY_SHIFT_PUSHED = new RegExp(
  `\\b(back|forward|up)(?: by)? ${DAY_COUNT} days?\\b|(?<=\\b(push|postpone|delay|bump|shift|move|slide|prepone|advance)\\b(?: \\S+){0,5} )by ${DAY_COUNT} days?\\b`,
);

/** "the day after", "push it back a day": whole days later (positive) or earlier (negative). */
function takeDayShift(s: Spans, pushing: boolean): number | undefined {
  const said = DAY_SHIFT.exec(s.text);
  if (said) {
    take(s, said.index, said[0].length);
    const days = said[1] ? dayCount(said[1]) : 1;
    return /before|earlier/.test(said[2] ?? '') ? -days : days;
  }
  const pushed = pushing ? DAY_SHIFT_PUSHED.exec(s.text) : null;
  if (!pushed) return undefined;
  take(s, pushed.index, pushed[0].length);
  const days = dayCount(pushed[2] ?? pushed[4]!);
  return /forward|up/.test(pushed[1] ?? '') || /prepone|advance/.test(pushed[3] ?? '') ? -days : days;
}

const dayCount = (word: string): number => (word === 'a' ? 1 : toNumber(word));

// "squeeze in 30 minutes", "fit in an hour", "book in 30 mins w/ Jono": the "in" belongs to the verb, and the amount
// is a length.
const RELATIVE_START = new RegExp(
  `(?<!\\b(?:fit|squeeze|slot|pencil|get|put|pop|block|lock|book|chuck|stick|bung|fitting|squeezing|putting|locking|booking) )\\bin (?:about |around |like )?(?:(an? )?hour and a half|(?:a )?half(?: an?)? hour|an? hour|${QTY})\\b|\\b${QTY} from now\\b`,
);

const REPEAT =
  /\b(?:every (?:other |second |single )?(?:day|week|weekday|month|morning|afternoon|evening|monday|tuesday|wednesday|thursday|friday|saturday|sunday|(?:\d+|two|three) weeks)s?|each (?:day|week|month|monday|tuesday|wednesday|thursday|friday)|daily|weekly|biweekly|bi-weekly|fortnightly|monthly|recurring|repeating|on (?:mondays|tuesdays|wednesdays|thursdays|fridays))\b/;

/** "two weeks from Monday", "a week from tomorrow", "Tuesday week": the anchor day plus whole weeks. */
const WEEKS_FROM = new RegExp(
  `\\b${NUMBER} weeks? (?:from|after|on) (today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|now)\\b`,
);
/** "Tuesday week", "Monday fortnight" (already "Monday 2 weeks"): the day after next, or a week later. */
const DAY_WEEK = /\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday) (week|2 weeks)\b/;
const NEXT_WEEK_DAY =
  /\b(?:next week(?: on)? (monday|tuesday|wednesday|thursday|friday|saturday|sunday)|(monday|tuesday|wednesday|thursday|friday|saturday|sunday) (?:of )?next week)\b/;

const CALENDAR_WORD =
  /\d|\b(?:today|tomorrow|tonight|yesterday|noon|midnight|morning|afternoon|evening|night|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|week|month|year|weekend|now)/;

const PARTS_OF_DAY: Record<string, [number, number]> = {
  morning: [9, 12],
  afternoon: [12, 17],
  evening: [17, 21],
  tonight: [17, 23],
  night: [17, 23],
};

const MEAL_WORD = /\b(?:breakfast|brekkie|brekky|brunch|lunch|dinner|supper|drinks|party)\b/g;
const MEAL_IN_TOPIC = /\b(?:to discuss|to go over|to talk about|to plan|about|regarding|re:|re|concerning)\b[^,.;!?]*/g;

/** The meridiem the words around a bare hour ask for: breakfast and morning are am; dinner and evening pm. */
export function meridiemFromContext(text: string, hour: number): 'am' | 'pm' | undefined {
  // "morning!", "good evening": a greeting says nothing about the hour meant.
  const said = text
    .replace(
      /^(?:good )?(?:morning|afternoon|evening)\b[!,.]*|\bgood (?:morning|afternoon|evening)\b|\blast night\b/g,
      '',
    )
    // "to discuss harvest supper numbers on Tuesday at 11": a meal in the topic is what is talked about, not when.
    .replace(MEAL_IN_TOPIC, (topic) => topic.replace(MEAL_WORD, ''))
    // "in the supper room", "at the breakfast bar": a meal that names a room is no hour.
    .replace(
      /\b(?:breakfast|brekkie|brunch|lunch|dinner|supper|tea) (?:room|hall|bar|lounge|area|table|counter)\b/g,
      '',
    );
  if (/\b(morning|sunrise|dawn|before work)\b/.test(said)) return 'am';
  // "brunch at 1": a meal's hour is its own, so a small hour after breakfast or brunch is the afternoon's.
  if (/\b(breakfast|brekkie|brekky|brunch)\b/.test(said)) return hour <= 4 ? 'pm' : 'am';
  // "interview for night porter": a night role is no hour; a working party works by day.
  if (
    /\b(evening|tonight|dinner|supper|drinks|night(?! (?:porter|manager|nurse|staff|guard|auditor|cleaner|supervisor|team|crew))|after work|(?<!\bwork(?:ing)? )party(?! (?:planning|prep|committee|meeting|budget))|gig|concert)\b/.test(
      said,
    )
  )
    return 'pm';
  if (/\b(lunch|afternoon)\b/.test(said)) return hour >= 10 && hour <= 11 && /\blunch\b/.test(said) ? 'am' : 'pm';
  return undefined;
}

/** The reference chrono computes in: the user's wall time as a system-local Date, so every relative day is the user's. */
function localReference(wall: WallTime & { second?: number }): Date {
  return new Date(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second ?? 0);
}

const dayOnly = (w: WallTime): WallTime => ({ year: w.year, month: w.month, day: w.day, hour: 0, minute: 0 });

function mondayOf(day: WallTime): WallTime {
  return addDays(dayOnly(day), -((weekdayOf(day) + 6) % 7));
}

/** A span asked about: this/next week, the weekend, a month, the next N days. */
function spanOf(text: string, today: WallTime): WhenFound['span'] {
  const week = /\b(this|next|coming|the) week\b|\brest of (?:the|this) week\b/.exec(text);
  if (week) {
    const monday = addDays(mondayOf(today), week[1] === 'next' ? 7 : 0);
    // On a Saturday or Sunday "this week" is mostly the one about to start.
    const weekend = week[1] !== 'next' && (weekdayOf(today) === 0 || weekdayOf(today) === 6);
    return {
      from: week[1] === 'next' ? monday : dayOnly(today),
      to: addDays(monday, weekend ? 14 : 7),
      label: week[1] === 'next' ? 'next week' : 'this week',
    };
  }
  const weekend = /\b(this|next)? ?weekend\b/.exec(text);
  if (weekend) {
    const saturday = addDays(mondayOf(today), 5 + (weekend[1] === 'next' ? 7 : 0));
    return { from: saturday, to: addDays(saturday, 2), label: `${weekend[1] ?? 'this'} weekend` };
  }
  const days = NEXT_DAYS.exec(text);
  if (days) {
    const n = toNumber(days[1]!) * (days[2] === 'weeks' ? 7 : 1);
    return { from: dayOnly(today), to: addDays(dayOnly(today), n + 1), label: `the next ${days[1]} ${days[2]}` };
  }
  const month = /\b(this|next) month\b/.exec(text);
  if (month) {
    const m = today.month + (month[1] === 'next' ? 1 : 0);
    const from = { year: today.year + (m > 12 ? 1 : 0), month: ((m - 1) % 12) + 1, day: 1, hour: 0, minute: 0 };
    return {
      from,
      to: { ...from, year: from.year + (from.month === 12 ? 1 : 0), month: (from.month % 12) + 1 },
      label: `${month[1]} month`,
    };
  }
  const named = NAMED_MONTH.exec(text);
  if (named) {
    const index = MONTHS.indexOf((named[1] ?? named[2])!) + 1;
    const year = index < today.month ? today.year + 1 : today.year;
    const from = { year, month: index, day: 1, hour: 0, minute: 0 };
    return {
      from,
      to: { ...from, year: year + (index === 12 ? 1 : 0), month: (index % 12) + 1 },
      label: `in ${capitalize(MONTHS[index - 1]!)}`,
    };
  }
  return undefined;
}

const capitalize = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

/**
 * Numbers that belong to a place, not the clock: "Room 3.14", "Raum 2.04", "Lab 4", "Gate 12", "the 4th floor",
 * "12 Elm Road" (not "at 10 in St Patrick's"). Their digits are hidden from every time reader and given back in
 * the rest; a day before a month is a date ("the big conference room 16 Feb").
 */
const PLACE_NUMBER = new RegExp(
  `\\b(?:room|rm|lab|suite|floor|level|building|bldg|gate|terminal|platform|studio|pod|booth|desk|table|unit|bay|hall|wing|ward|pier|dock|zone|section|classroom|office|rink|court|pitch|field|lane|pool|stage|gym|no\\.|number|${ROOM_WORDS.map(escape).join('|')}) ?#?\\d+(?:[.-]\\d+)?[a-z]?\\b(?!:|\\.\\d| ?(?:am|pm|[ap]\\b|minutes|hours|people)| (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\b)|\\b\\d+(?:st|nd|rd|th) (?:floor|level|street|st|avenue|ave)\\b|(?<![\\d:.])\\b\\d+[a-z]? (?:(?!(?:at|in|on|am|pm|by|near|to|from|of|the)\\b)[a-z]+ ){1,2}(?:street|st|road|rd|avenue|ave|lane|ln|boulevard|blvd|drive|way|square|sq|place|terrace)\\b`,
  'gi',
);
/** Subscript digits stand in for a place's digits while times are read: the same length, and no reader's \d matches them. */
const hidePlaceNumbers = (text: string) =>
  text.replace(PLACE_NUMBER, (m) => m.replace(/\d/g, (d) => String.fromCharCode(0x2080 + Number(d))));
const showPlaceNumbers = (text: string) => text.replace(/[\u2080-\u2089]/g, (d) => String(d.charCodeAt(0) - 0x2080));

type ClockTime = { hour: number; minute: number; certainMeridiem: boolean };
type EndWall = { hour: number; minute: number; meridiem?: 'am' | 'pm' };

/** Takes a repetition ("every Monday", "weekly") into `found.repeat`, keeping the weekday and an adjective for the rest. */
function takeRepeat(s: Spans, found: WhenFound): void {
  const repeat = REPEAT.exec(s.text);
  if (!repeat) return;
  found.repeat = repeat[0];
  const weekday = /(monday|tuesday|wednesday|thursday|friday|saturday|sunday)/.exec(repeat[0]);
  // Keep the weekday for chrono: "every other Friday at 4" still names the first Friday; and
  // "weekly", an adjective, stays for the title ("Weekly sync").
  const lead = weekday ? repeat[0].slice(0, weekday.index) : repeat[0];
  if (!/^(daily|weekly|biweekly|bi-weekly|fortnightly|monthly)$/.test(repeat[0])) take(s, repeat.index, lead.length);
}

/** Takes a start relative to now ("in 20 minutes") into `found.startInstant`, to the whole minute. */
function takeRelativeStart(s: Spans, found: WhenFound, now: Date): void {
  const relative = RELATIVE_START.exec(s.text);
  // "book it in an hour call": a length; but a message that opens with "in an hour call w Sofia" says when.
  if (!relative || /.\bin (?:an? )?(?:hour|\d+ ?(?:minutes|hours?)) (?:meeting|call|slot)/.test(s.text.trim())) return;
  take(s, relative.index, relative[0].length);
  const minute = Math.floor(now.getTime() / 60_000) * 60_000;
  found.startInstant = new Date(
    minute +
      amountOf(
        relative[0]
          .replace(/^in (?:about |around |like )?/, '')
          .replace(/ from now$/, '')
          .replace(/^an? (hour)/, '1 $1'),
      ) *
        60_000,
  );
  found.hasTime = true;
  found.hasDate = true;
}

/**
 * Takes the day offsets chrono cannot read: "2 weeks from Friday" and "Friday week" (extra days added
 * to the day read later) and "Monday next week" (a day that overrides it).
 */
function takeDayOffsets(s: Spans, today: WallTime): { extraDays: number; forcedDay?: WallTime } {
  let extraDays = 0;
  const weeksFrom = WEEKS_FROM.exec(s.text);
  if (weeksFrom) {
    extraDays = toNumber(weeksFrom[1]!) * 7;
    const anchor = weeksFrom[2] === 'now' ? 'today' : weeksFrom[2]!;
    s.text =
      s.text.slice(0, weeksFrom.index) +
      anchor.padEnd(weeksFrom[0].length) +
      s.text.slice(weeksFrom.index + weeksFrom[0].length);
  }
  const dayWeek = DAY_WEEK.exec(s.text);
  if (!weeksFrom && dayWeek && !/\bnext$/.test(s.text.slice(0, dayWeek.index).trim())) {
    extraDays = dayWeek[2] === 'week' ? 7 : 14;
    take(s, dayWeek.index + dayWeek[1]!.length, dayWeek[2]!.length + 1);
  }
  const nextWeekDay = NEXT_WEEK_DAY.exec(s.text);
  let forcedDay: WallTime | undefined;
  if (nextWeekDay) {
    const index = WEEKDAYS.indexOf((nextWeekDay[1] ?? nextWeekDay[2])!);
    forcedDay = addDays(mondayOf(today), 7 + ((index + 6) % 7));
    take(s, nextWeekDay.index, nextWeekDay[0].length);
  }
  return forcedDay ? { extraDays, forcedDay } : { extraDays };
}

const WEEKDAY_BEFORE_DATE = new RegExp(
  `\\b(?:${WEEKDAYS.join('|')}),? ((?:the )?\\d{1,2}(?:st|nd|rd|th)? of ${MONTH_WORD})(?=\\W|$)`,
  'g',
);

/** Rewrites a bare day of the month ("on the 4th") as this month's or next month's date for chrono. */
function rewriteDayOfMonth(s: Spans, today: WallTime): void {
  // "Tuesday the 1st of December": the date names the day (chrono would read the weekday alone); blanked, the
  // weekday keeps the date's offsets.
  s.text = s.text.replace(WEEKDAY_BEFORE_DATE, (whole, date: string) => date.padStart(whole.length));
  s.text = s.text.replace(
    DAY_OF_MONTH,
    (whole, on: string | undefined, _weekday, day: string, _suffix, at: number, text: string) => {
      const n = Number(day);
      const month = n >= today.day ? today.month : (today.month % 12) + 1;
      // The short month keeps the rewrite no longer than "the 4th", so offsets into the message still hold.
      const date = `${MONTHS[month - 1]!.slice(0, 3)} ${n}`;
      // "the 14th in the morning": the date set off, and touching it, so chrono reads no hour 14 in the morning.
      if (PART_OF_DAY_AFTER.test(text.slice(at + whole.length)))
        return `${on ?? ''}${`${date},`.padStart(whole.length - (on?.length ?? 0))}`;
      return `${on ?? ''}${date}`.padEnd(whole.length);
    },
  );
}

/**
 * Takes an explicit end time ("until 5", "from 3 to 4") out of the text, if any, with where the start it closes
 * ("from 3") stands.
 */
function takeEndTime(s: Spans): (EndWall & { startAt?: number }) | undefined {
  const until =
    /\b(?:until|till|til|to|through|ending at|ends at|end at|finishing at|done by) (\d{1,2})(?::(\d{2}))? ?(am|pm)?(?![\d:])(?! ?(?:minutes?|hours?|people|days))/.exec(
      s.text,
    );
  if (!until) return undefined;
  const before = s.text.slice(0, until.index);
  const start = /\b(?:from|at) \d{1,2}(?::\d\d)? ?(?:am|pm)? ?$/.exec(before);
  if (
    !(/\b(until|till|til|ending|ends|end|finishing|done)\b/.test(until[0]) || start) ||
    // "block out 10 till 12": a bare hour right before is the start of a range, which chrono reads whole.
    /(?<!\b(?:from|at|@|by|around|between) )(?<![\d:.])\b\d{1,2}(?::\d\d)? ?(?:am|pm)? $/.test(before)
  )
    return undefined;
  take(s, until.index, until[0].length);
  return {
    hour: Number(until[1]),
    minute: Number(until[2] ?? 0),
    ...(until[3] ? { meridiem: until[3] as 'am' | 'pm' } : {}),
    ...(start ? { startAt: start.index } : {}),
  };
}

/**
 * "presentation night on Friday at 6pm", "parents evening thursday 19th at 6", "coffee morning on Friday at 10": an
 * event's morning, afternoon, evening or night before the day it is on. chrono reads "night friday" as tonight and
 * drops the weekday, so the word is hidden from it (the meridiem is still read from the whole text).
 */
const EVENT_PART_OF_DAY = new RegExp(
  `(?<=\\b(?!(?:the|this|that|a|one|every|each|late|early|mid|in|on|at|of|by|good|last|next|today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\\b)[a-z]+'? )(?:morning|afternoon|night|evening)(?=,? (?:on )?(?:the )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|${MONTH_WORD}|\\d{1,2}(?:st|nd|rd|th)?)\\b)`,
  'g',
);

/** The first date, start time and end time chrono reads in the rest of the text; their spans are taken. */
function readChronoDateTime(
  s: Spans,
  nowWall: WallTime,
  today: WallTime,
): {
  date?: { year: number; month: number; day: number };
  time?: ClockTime;
  /** Where the text chrono read the time from starts and ends. */
  timeSpan?: [number, number];
  chronoEnd?: ClockTime;
  weekdayOnly: boolean;
} {
  // chrono reads the rest; the user's wall clock is its reference, so "tomorrow" is the user's tomorrow.
  // chrono never needs "with", and its "within" pattern backtracks for ever on "with with with …" (0.4 s at 400 characters).
  const results = chrono.parse(
    s.text.replace(/\bwith\b/g, 'w_th').replace(EVENT_PART_OF_DAY, (part) => ' '.repeat(part.length)),
    localReference(nowWall),
    { forwardDate: true },
  );
  let date: { year: number; month: number; day: number } | undefined;
  let time: ClockTime | undefined;
  let timeSpan: [number, number] | undefined;
  let chronoEnd: ClockTime | undefined;
  let weekdayOnly = false;
  // A result naming a day beats one naming only a month ("next month on the 3rd"); one after a
  // correction beats one before it ("lunch at 1pm, actually make it 2pm").
  const corrected = CORRECTION.exec(s.text)?.index ?? Infinity;
  const names = (r: chrono.ParsedResult) => r.start.isCertain('day') || r.start.isCertain('weekday');
  // "the Sunday after next we've got the fair, … but put a call in on Saturday at 3pm": of two days in different
  // clauses, the one given a time is the meeting's.
  const apart = (r: chrono.ParsedResult) =>
    results.some((o) => {
      if (o === r || !names(o)) return false;
      const [first, second] = o.index < r.index ? [o, r] : [r, o];
      return /[,.;!?]| but | so | - /.test(s.text.slice(first.index + first.text.length, second.index));
    });
  // "in the morning on Oct 20": a named date beats the day a part of the day implies.
  const rank = (r: chrono.ParsedResult) =>
    Number(names(r)) +
    (r.index > corrected ? 2 : 0) +
    (names(r) && r.start.isCertain('hour') && apart(r) ? 0.25 : 0) +
    (/^(?:in the |this )?(?:morning|afternoon|evening)$/.test(r.text.trim()) ? -0.5 : 0);
  results.sort((a, b) => rank(b) - rank(a));
  for (const r of results) {
    // "the demo is now on friday": "now" beside another day or time says when the change is, not the start.
    if (r.text.trim() === 'now' && results.length > 1) continue;
    // "prepping for the week": a span (spanOf reads it for lists), never a day.
    if (/^the (?:week|month|year|weekend)$/.test(r.text.trim())) continue;
    // "Clocks went back today so … what's on tomorrow morning?": a bare day in an aside gives way to
    // a day named after the clause ends.
    if (/^(?:today|tonight|tomorrow)$/.test(r.text.trim()) && asideBefore(s.text, r, results)) continue;
    // "election day is tuesday but put … in on wednesday", "the clocks went back Sunday so … what's on tomorrow?": a day
    // something else is or was on is an aside too.
    if (
      /^(?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),?$/.test(r.text.trim()) &&
      /(?:\bis|'s|\bfalls on|\bwas|\bwent (?:back|forward)|\bchanged|\bhappened|\bended|\bstarted)(?: on)?\s+$/.test(
        s.text.slice(0, r.index),
      ) &&
      asideBefore(s.text, r, results)
    )
      continue;
    // "the clocks went back last night … today at 4pm": a past day is an aside when another day or time is named.
    if (/^(?:last night|yesterday|last (?:week|weekend|\w+day))\b/.test(r.text.trim()) && results.length > 1) continue;
    if (/^\d{1,2}$/.test(r.text.trim()) && !/\b(?:at|@|by|around|from)\s*$/.test(s.text.slice(0, r.index))) continue;
    // "4410 W Belmont": a house number and a compass letter, not 4410 weeks.
    if (/^\d{3,} ?[nsew]$/.test(r.text.trim())) continue;
    // chrono reads "the hr" (HR, the team) as an hour: a date or time names a number or a calendar word.
    if (!CALENDAR_WORD.test(r.text)) continue;
    const c = r.start;
    let certainDay = c.isCertain('day') || c.isCertain('weekday') || c.isCertain('month');
    // "evening, tomorrow 6:30pm": chrono anchors on the part of the day and drops the relative day.
    const relativeDay = /\b(tomorrow|today|tonight)\b/.exec(r.text);
    if (!certainDay && relativeDay && !date) {
      date = relativeDay[1] === 'tomorrow' ? addDays(today, 1) : today;
      certainDay = true;
    }
    if (!date && certainDay) {
      date = { year: c.get('year')!, month: c.get('month')!, day: c.get('day')! };
      weekdayOnly = c.isCertain('weekday') && !c.isCertain('day');
    }
    if (!time && c.isCertain('hour')) {
      time = {
        hour: c.get('hour')!,
        minute: c.get('minute')!,
        certainMeridiem: c.isCertain('meridiem') || /\b(noon|midnight)\b/.test(r.text),
      };
      timeSpan = [r.index, r.index + r.text.length];
      if (r.end?.isCertain('hour'))
        chronoEnd = {
          hour: r.end.get('hour')!,
          minute: r.end.get('minute')!,
          certainMeridiem: r.end.isCertain('meridiem'),
        };
    }
    if (certainDay || c.isCertain('hour')) take(s, r.index, r.text.length);
  }
  return {
    ...(date ? { date } : {}),
    ...(time ? { time, timeSpan } : {}),
    ...(chronoEnd ? { chronoEnd } : {}),
    weekdayOnly,
  };
}

/** Words that take back what was just said: the time after them is the one meant. */
const CORRECTION =
  /\b(?:actually|i mean|no wait|sorry|oops|wait|correction|scratch that|or rather|rather|make (?:it|that))\b/;

/** True when another day is named after `r` and a clause break ("so", " - ", a comma or full stop) comes between. */
function asideBefore(text: string, r: chrono.ParsedResult, results: chrono.ParsedResult[]): boolean {
  return results.some(
    (later) =>
      later.index > r.index &&
      (later.start.isCertain('day') || later.start.isCertain('weekday')) &&
      // chrono may take the comma after the day ("on sunday,") into its text.
      /(?:[,.;!]| - | so | but )/.test(text.slice(r.index + r.text.replace(/[\s,.;!]+$/, '').length, later.index)),
  );
}

/** The hour of a start time on the 24-hour clock, from context or a guess (noted in `found`) when "am"/"pm" is missing. */
function startHourOf(time: ClockTime, input: string, found: WhenFound): number {
  let hour = time.hour;
  if (!time.certainMeridiem && hour >= 1 && hour <= 11) {
    const context = meridiemFromContext(input, hour);
    const pm = context ? context === 'pm' : hour <= 7;
    if (pm) hour += 12;
    if (!context) found.guessedMeridiem = pm ? 'pm' : 'am';
  }
  return hour;
}

/** The start's wall time: on the date read, else today if still ahead (or said), else tomorrow. */
function startWallOf(
  hour: number,
  minute: number,
  date: { year: number; month: number; day: number } | undefined,
  weekdayOnly: boolean,
  input: string,
  ctx: WhenContext,
  nowWall: WallTime,
  today: WallTime,
): WallTime {
  if (date) {
    const wall = { ...date, hour, minute };
    // A weekday that is today but whose hour has passed means next week's.
    if (
      weekdayOnly &&
      instantOf(wall, ctx.timeZone) <= ctx.now &&
      wall.day === nowWall.day &&
      wall.month === nowWall.month
    )
      return addDays(wall, 7);
    return wall;
  }
  const todayAt = { ...today, hour, minute };
  return instantOf(todayAt, ctx.timeZone) > ctx.now || /\btoday\b|\btonight\b/.test(input)
    ? todayAt
    : addDays(todayAt, 1);
}

/** Sets `found.end` from the end read, after `found.start` (later the same day, else the next day). */
function placeEnd(found: WhenFound, endOf: EndWall, startHour: number, startMinute: number): void {
  let endHour = endOf.hour;
  if (endOf.meridiem === 'pm' && endHour < 12) endHour += 12;
  const startMinutes = startHour * 60 + startMinute;
  if (
    !endOf.meridiem &&
    endHour < 12 &&
    endHour * 60 + endOf.minute <= startMinutes &&
    (endHour + 12) * 60 + endOf.minute > startMinutes
  )
    endHour += 12;
  const startWall = found.start!;
  found.end = { ...startWall, hour: endHour, minute: endOf.minute };
  if (endHour * 60 + endOf.minute <= startWall.hour * 60 + startWall.minute) found.end = addDays(found.end, 1);
}

/** The end chrono read as a range's end ("3-4pm"), in the shape of an explicit end. */
function endWallOfChrono(chronoEnd: ClockTime | undefined): EndWall | undefined {
  return chronoEnd
    ? {
        hour: chronoEnd.hour,
        minute: chronoEnd.minute,
        ...(chronoEnd.certainMeridiem ? { meridiem: chronoEnd.hour >= 12 ? ('pm' as const) : ('am' as const) } : {}),
      }
    : undefined;
}

/**
 * Reads every time expression in `text` (already normalised, lowercase) and returns what it found and
 * the text with those spans blanked out (same length, so offsets into the original still hold).
 */
export function readWhen(input: string, ctx: WhenContext): { found: WhenFound; rest: string } {
  const s: Spans = { text: hidePlaceNumbers(input) };
  const found: WhenFound = { hasDate: false, hasTime: false };
  const nowWall = wallTimeOf(ctx.now, ctx.timeZone);
  const today = dayOnly(nowWall);

  takeRepeat(s, found);
  const pushing = /\b(push|bump|move|shift|bring|pull|slide|delay|make)\b/.test(s.text);
  const shift = takeShift(s, pushing);
  if (shift) found.shiftMinutes = shift;
  const shiftDays = takeDayShift(s, pushing);
  if (shiftDays) found.shiftDays = shiftDays;
  takeRelativeStart(s, found, ctx.now);
  const minutes = takeDuration(s);
  if (minutes !== undefined) found.durationMinutes = minutes;
  const { extraDays, forcedDay } = takeDayOffsets(s, today);
  rewriteDayOfMonth(s, today);
  const endWall = takeEndTime(s);

  const spanText = s.text;
  const span = spanOf(spanText, nowWall);
  if (span) found.span = span;

  const chronoRead = readChronoDateTime(s, nowWall, today);
  const { time, timeSpan, chronoEnd, weekdayOnly } = chronoRead;
  let date = chronoRead.date;
  if (forcedDay) date = forcedDay;
  if (date && extraDays) date = addDays({ ...date, hour: 0, minute: 0 }, extraDays);
  if (!date && extraDays) date = addDays(today, extraDays);

  if (found.startInstant) {
    found.start = wallTimeOf(found.startInstant, ctx.timeZone);
  } else if (time) {
    const hour = startHourOf(time, input, found);
    found.hasTime = true;
    if (date) found.hasDate = true;
    const wall = startWallOf(hour, time.minute, date, weekdayOnly, input, ctx, nowWall, today);
    found.start = wall;
    if (date || found.hasTime) found.day = dayOnly(wall);
    if (isSkipped(wall, ctx.timeZone)) found.nonexistent = true;
    // "power's off from 10 to 12 so book a call at 1pm": a range whose start is not the meeting's is an aside.
    const endCloses =
      endWall?.startAt === undefined || (timeSpan && timeSpan[0] <= endWall.startAt && endWall.startAt < timeSpan[1]);
    const endOf = (endCloses ? endWall : undefined) ?? endWallOfChrono(chronoEnd);
    if (endOf) placeEnd(found, endOf, hour, time.minute);
  } else if (date) {
    found.hasDate = true;
    found.day = { ...date, hour: 0, minute: 0 };
  }
  if (!found.day && !found.hasTime && /\b(morning|afternoon|evening|tonight)\b/.test(spanText) && !found.span) {
    found.day = today;
  }
  return { found, rest: showPlaceNumbers(s.text) };
}

/** The hours of a part of the day named in the text ("morning": 9–12), if any. */
export function partOfDay(text: string): [number, number] | undefined {
  const m = /\b(morning|afternoon|evening|tonight|night)\b/.exec(text);
  return m ? PARTS_OF_DAY[m[1]!] : undefined;
}
