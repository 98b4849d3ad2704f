import * as chrono from 'chrono-node';
import { addDays, instantOf, offsetMinutes, wallTimeOf, weekdayOf, type WallTime } from './time-zones.ts';

/**
 * Deterministic understanding of one message: what the user wants and the meeting details in it.
 * chrono-node reads dates and times; around it: casual spellings, durations, end times, business-hour
 * guesses for "at 3", participants, locations, titles, and the intent.
 */

export const INTENTS = ['schedule', 'list', 'cancel', 'reschedule', 'availability', 'greeting', 'help', 'confirm', 'decline', 'unknown'] as const;
export type Intent = (typeof INTENTS)[number];

export interface Understanding {
  intent: Intent;
  /** The start, when the message names a time of day (with or without a date). */
  start?: Date;
  /** True when the message named a date or weekday, not only a time. */
  hasDate: boolean;
  /** True when the message named a time of day. */
  hasTime: boolean;
  /** A day named without a time ("tomorrow", "Friday"), as its wall date. */
  day?: WallTime;
  end?: Date;
  durationMinutes?: number;
  participants: string[];
  location?: string;
  title?: string;
  /** A span asked about (list, availability): a day, part of a day, or a week. */
  range?: { from: Date; to: Date };
  /** The message points at the meeting discussed last ("it", "that one"). */
  refersToLast: boolean;
}

export interface UnderstandContext {
  now: Date;
  timeZone: string;
  /** The client whose message this is, for log lines. */
  clientId?: string;
}

const SPELLINGS: Array<[RegExp, string]> = [
  [/\bcall off\b/g, 'cancel'],
  [/\bnext week (monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/g, 'next $1'],
  [/\b(tmrw|tmrow|tmr|tomorow|tommorow|tommorrow|2moro|2morrow|2mrw)\b/g, 'tomorrow'],
  [/\b(2day|tdy)\b/g, 'today'],
  [/\b(2nite|tonite)\b/g, 'tonight'],
  [/\bnxt\b/g, 'next'],
  [/\bmtg\b/g, 'meeting'],
  [/\bw\//g, 'with '],
  [/\b(mins?)\b/g, 'minutes'],
  [/\b(hrs?)\b/g, 'hours'],
  [/\bmon\b(?!th)/g, 'monday'],
  [/\btues?\b/g, 'tuesday'],
  [/\bwed\b/g, 'wednesday'],
  [/\bthu(rs?)?\b/g, 'thursday'],
  [/\bfri\b/g, 'friday'],
  [/\bp\.m\.?/g, 'pm'],
  [/\ba\.m\.?/g, 'am'],
];

const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
};
const NUMBER_WORD = `(\\d{1,2}|${Object.keys(NUMBER_WORDS).join('|')})`;
const toNumber = (word: string) => NUMBER_WORDS[word] ?? Number(word);
const HALF_PAST = new RegExp(`\\bhalf past ${NUMBER_WORD}\\b`, 'g');
const QUARTER_PAST = new RegExp(`\\bquarter past ${NUMBER_WORD}\\b`, 'g');
const QUARTER_TO = new RegExp(`\\bquarter to ${NUMBER_WORD}\\b`, 'g');
const AT_HOUR = new RegExp(`\\bat ${NUMBER_WORD}( ?o'?clock)?\\b`, 'g');

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** Lowercase, casual spellings expanded, emoji and stray symbols dropped, spacing folded. */
function normalize(text: string): string {
  let out = text
    .toLowerCase()
    .replace(/[👍👌✅]/gu, ' yes ')
    .replace(/[👎❌]/gu, ' no ')
    .replace(/\p{Extended_Pictographic}/gu, ' ')
    .replace(/[“”]/g, '"')
    .replace(/[‘’]/g, "'");
  for (const [pattern, replacement] of SPELLINGS) out = out.replace(pattern, replacement);
  out = out
    .replace(HALF_PAST, (_, h: string) => `${toNumber(h)}:30`)
    .replace(QUARTER_PAST, (_, h: string) => `${toNumber(h)}:15`)
    .replace(QUARTER_TO, (_, h: string) => `${(toNumber(h) + 10) % 12 + 1}:45`)
    .replace(AT_HOUR, (_, h: string) => `at ${toNumber(h)}`)
    .replace(/\s+/g, ' ')
    .trim();
  return out;
}

/** Durations: removed from the text before chrono, which would otherwise read "45 minutes" as a time. */
const DURATION_PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => number]> = [
  [/\bfor (an|one|1) hours? and (a )?half\b/, () => 90],
  [/\b(for )?(an? )?hour and a half\b/, () => 90],
  [/\b(for )?half an hour\b/, () => 30],
  [/\b(for )?(a )?half hour\b/, () => 30],
  [/\b(for )?(\d+)h ?(\d+)(m|minutes)?\b/, (m) => Number(m[2]) * 60 + Number(m[3])],
  [/\b(for )?(\d+(?:\.\d+)?) ?(h|hours|hour)\b/, (m) => Math.round(Number(m[2]) * 60)],
  [/\b(for )?(\d+) ?(m|minutes|minute)\b(?! ago)/, (m) => Number(m[2])],
  [/\bfor (an|one|a) hour\b/, () => 60],
  [/\bfor (two|three) hours\b/, (m) => toNumber(m[1]!) * 60],
];

function takeDuration(text: string): { text: string; minutes?: number } {
  // "in 90 minutes" is a start time, not a length.
  const guarded = text.replace(/\bin (\d+) ?(minutes|hours?)\b/g, 'in_$1_$2');
  for (const [pattern, minutes] of DURATION_PATTERNS) {
    const match = guarded.match(pattern);
    if (match && !match[0].startsWith('in_')) {
      return { text: guarded.replace(match[0], ' ').replace(/in_(\d+)_(\w+)/g, 'in $1 $2'), minutes: minutes(match) };
    }
  }
  return { text };
}

/** "on the 3rd" → the next 3rd of a month (chrono reads a day number only with a month). */
const DAY_OF_MONTH = /\b(on )?(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),? )?the (\d{1,2})(st|nd|rd|th)\b(?! of)/;

function expandDayOfMonth(text: string, today: WallTime): string {
  return text.replace(DAY_OF_MONTH, (_, _on, day: string) => {
    const n = Number(day);
    const month = n >= today.day ? today.month : (today.month % 12) + 1;
    return `on ${MONTHS[month - 1]} ${n}`;
  });
}

const STOP_WORDS = new Set([
  'at', 'on', 'in', 'for', 'about', 'to', 'from', 'tomorrow', 'today', 'tonight', 'next', 'this', 'via', 'by', 'over', 'until', 'till',
  'regarding', 're', 'around', 'after', 'before', 'please', 'pls', 'plz', 'and', 'the', 'monday', 'tuesday', 'wednesday', 'thursday',
  'friday', 'saturday', 'sunday', 'noon', 'morning', 'afternoon', 'evening', 'called', 'titled', 'named', 'every', 'asap',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', ...MONTHS,
]);

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Names after "with" (up to a stop word), e-mail addresses and @mentions, in order, without repeats. */
function participantsOf(original: string, text: string): string[] {
  const found: string[] = [];
  const add = (name: string) => {
    const clean = name.trim().replace(/[.,!?;:]+$/, '');
    if (clean && !found.some((f) => f.toLowerCase() === clean.toLowerCase())) found.push(clean);
  };
  for (const email of original.match(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g) ?? []) add(email.toLowerCase());
  for (const mention of original.match(/(?<![\w.])@[A-Za-z][\w.-]*/g) ?? []) add(mention.replace(/\.+$/, ''));
  const withMatch = /\bwith ([^.!?]+)/.exec(text);
  if (withMatch) {
    const words = withMatch[1]!.split(' ');
    if (words[0] === 'the') words.shift();
    const names: string[] = [];
    for (const raw of words) {
      const word = raw.replace(/[,;]$/, '');
      if (STOP_WORDS.has(word) && word !== 'and') break;
      if (/\d/.test(word) && !word.includes('@')) break;
      names.push(raw);
    }
    const phrase = names.join(' ');
    for (const part of phrase.split(/,|\band\b|&/)) {
      const name = part.trim().replace(/^(my|our)\s+/, '');
      if (!name || name.includes('@')) continue;
      if (['me', 'us', 'them', 'him', 'her', 'you'].includes(name)) continue;
      add(name.split(' ').map(capitalize).join(' '));
    }
  }
  return found;
}

/** A platform named anywhere counts; "phone" only after on/via/over ("call Bob on the phone"). */
const PLATFORMS: Array<[RegExp, string]> = [
  [/\b(google meet|gmeet|hangouts)\b/, 'Google Meet'],
  [/\b(microsoft teams|ms teams|teams)\b/, 'Microsoft Teams'],
  [/\bzoom\b/, 'Zoom'],
  [/\bwebex\b/, 'Webex'],
  [/\bskype\b/, 'Skype'],
  [/\bslack( huddle)?\b/, 'Slack'],
  [/\b(on|via|over|by) (the )?phone\b/, 'Phone'],
];

function locationOf(original: string, text: string): string | undefined {
  for (const [pattern, name] of PLATFORMS) if (pattern.test(text)) return name;
  const room = /\b(?:in|at) ((?:the )?(?:conference |meeting )?room [\w-]+|(?:the )?boardroom|(?:the )?office|(?:the )?lobby|(?:the )?cafeteria|(?:the )?kitchen|hq|(?:the )?library|(?:the )?cafe|(?:the )?coffee shop)\b/.exec(text);
  if (room) {
    const at = text.indexOf(room[1]!);
    const span = original.slice(at, at + room[1]!.length);
    return /[A-Z]/.test(span) ? span : room[1]!.replace(/\broom\b/, 'Room').replace(/^hq$/, 'HQ');
  }
  return undefined;
}

const TOPIC_WORDS = /\b(standup|stand-up|sync|1:1|one-on-one|1-on-1|retro|retrospective|lunch|coffee|interview|review|demo|kickoff|kick-off|planning|call|catch ?up|check-in|brainstorm|onboarding|workshop|offsite|dinner|breakfast)\b/;

function titleOf(original: string, text: string): string | undefined {
  const quoted = /["'“‘]([^"'”’]{2,80})["'”’]/.exec(original);
  if (quoted) return quoted[1]!.trim();
  const about = /\b(?:about|regarding|re:|to discuss|on the topic of|called|titled|named) (?:the |our |my )?([^.!?,]+)/.exec(text);
  if (about) {
    const words: string[] = [];
    for (const word of about[1]!.split(' ')) {
      if (STOP_WORDS.has(word) && words.length > 0) break;
      if (/^\d/.test(word)) break;
      words.push(word);
    }
    if (words.length) return capitalize(words.join(' '));
  }
  const forTopic = /\bfor (?:a |an |the |our )?((?:[a-z0-9-]+ ){0,2}(?:review|sync|demo|planning|standup|interview|retro|kickoff|check-in|brainstorm|workshop|lunch|coffee|dinner))\b/.exec(text);
  if (forTopic) return capitalize(forTopic[1]!);
  const topic = TOPIC_WORDS.exec(text);
  if (topic) {
    const before = /(?:^|\b(?:a|an|the|our|my|schedule|book|set up|add) )([a-z0-9-]+ )?$/.exec(text.slice(0, topic.index));
    const qualifier = before?.[1]?.trim();
    const phrase = qualifier && !STOP_WORDS.has(qualifier) && !/^(a|an|the|new|quick|move|cancel|reschedule|push|shift|postpone|delete|remove|change|book|schedule|set|plan|my|our|can|lets|let's)$/.test(qualifier) ? `${qualifier} ${topic[1]}` : topic[1]!;
    return capitalize(phrase.replace('catchup', 'catch up'));
  }
  return undefined;
}

const CONFIRM = /^(y|yes|yeah|yep|yup|ya|yas|sure|ok|okay|k|confirm|confirmed|book it|do it|go ahead|sounds good|sounds great|perfect|great|correct|that works|works for me|absolutely|definitely|please do|yes please|lgtm|👍)( please| thanks| thank you|!|\.)*$/;
const DECLINE = /^(n|no|nope|nah|no thanks|never ?mind|forget it|don'?t|do not|stop|scrap that|drop it|not now|no way)( please| thanks|!|\.)*$/;

function intentOf(text: string): Intent {
  const bare = text.replace(/[!.?]+$/, '').trim();
  if (CONFIRM.test(bare)) return 'confirm';
  if (DECLINE.test(bare)) return 'decline';
  if (/\b(cancel|delete|remove|call off|scrap)\b/.test(text)) return 'cancel';
  if (/\b(move|reschedule|push|postpone|shift|bring forward|change .{0,30}\bto\b)\b/.test(text)) return 'reschedule';
  if (/\b(am i free|are we free|is .{1,20} free|am i available|available|availability|am i busy|do i have time|any free time|free slot)\b/.test(text)) return 'availability';
  if (/\b(what'?s on|what is on|whats on|show( me)?( my)?|list|agenda|my meetings|my schedule|my calendar|upcoming|what do i have|anything on|what meetings|what'?s next|do i have any|any meetings?)\b/.test(text)) return 'list';
  if (/\b(what can you do|help|how does this work|how do i|what do you do|commands|instructions)\b/.test(text)) return 'help';
  if (/\b(schedule|book|set up|setup|arrange|organi[sz]e|plan|add|create|put|meet|meeting|invite)\b/.test(text) || TOPIC_WORDS.test(text)) return 'schedule';
  if (/^(hi|hello|hey|hiya|howdy|yo|good (morning|afternoon|evening)|greetings|sup|hola)\b/.test(text)) return 'greeting';
  return 'unknown';
}

const PARTS_OF_DAY: Record<string, [number, number]> = { morning: [9, 12], afternoon: [12, 17], evening: [17, 21], tonight: [17, 23] };

function wallDay(date: WallTime): WallTime {
  return { ...date, hour: 0, minute: 0 };
}

/** The span a list or availability question asks about, if it names one. */
function rangeOf(text: string, day: WallTime | undefined, ctx: UnderstandContext): { from: Date; to: Date } | undefined {
  const today = wallTimeOf(ctx.now, ctx.timeZone);
  const at = (w: WallTime, hour: number) => instantOf({ ...w, hour, minute: 0 }, ctx.timeZone);
  const week = /\b(this|next) week\b/.exec(text);
  if (week) {
    const monday = addDays(today, -((weekdayOf(today) + 6) % 7) + (week[1] === 'next' ? 7 : 0));
    const from = week[1] === 'this' ? ctx.now : at(monday, 0);
    return { from, to: at(addDays(monday, 7), 0) };
  }
  const part = /\b(morning|afternoon|evening|tonight)\b/.exec(text);
  if (day || part) {
    const base = day ?? wallDay(today);
    if (part) {
      const [from, to] = PARTS_OF_DAY[part[1]!]!;
      return { from: at(base, from), to: at(base, to) };
    }
    return { from: at(base, 0), to: at(addDays(base, 1), 0) };
  }
  return undefined;
}

/** Understands one message in the user's zone, relative to `now`. Pure and synchronous. */
export function understand(message: string, ctx: UnderstandContext): Understanding {
  const today = wallTimeOf(ctx.now, ctx.timeZone);
  const normalized = normalize(message);
  const { text: withoutDuration, minutes } = takeDuration(normalized);
  let timeText = expandDayOfMonth(withoutDuration, today);
  let endWall: { hour: number; minute: number; meridiem: boolean } | undefined;
  const until = /\b(?:until|till|til) (\d{1,2})(?::(\d{2}))? ?(am|pm)?\b/.exec(timeText);
  if (until) {
    endWall = { hour: Number(until[1]) + (until[3] === 'pm' && Number(until[1]) < 12 ? 12 : 0), minute: Number(until[2] ?? 0), meridiem: !!until[3] };
    timeText = timeText.replace(until[0], ' ');
  }

  const reference = { instant: ctx.now, timezone: offsetMinutes(ctx.timeZone, ctx.now) };
  const results = chrono.parse(timeText, reference, { forwardDate: true });
  const result = results.find((r) => r.start.isCertain('hour') || r.start.isCertain('day') || r.start.isCertain('weekday'));

  const understanding: Understanding = {
    intent: intentOf(normalized),
    hasDate: false,
    hasTime: false,
    participants: participantsOf(message, normalized),
    refersToLast: /\b(it|that one|that meeting|this meeting|the meeting)\b/.test(normalized),
  };
  if (minutes !== undefined) understanding.durationMinutes = minutes;
  const location = locationOf(message, normalized);
  if (location) understanding.location = location;
  const title = titleOf(message, normalized);
  if (title) understanding.title = title;

  if (result) {
    const s = result.start;
    understanding.hasDate = s.isCertain('day') || s.isCertain('weekday') || s.isCertain('month');
    understanding.hasTime = s.isCertain('hour');
    const relative = /\bin \d+ (minutes|hours?)\b/.test(timeText);
    let wall: WallTime = { year: s.get('year')!, month: s.get('month')!, day: s.get('day')!, hour: s.get('hour')!, minute: s.get('minute')! };
    if (understanding.hasTime && !relative && !s.isCertain('meridiem') && wall.hour >= 1 && wall.hour <= 7) {
      // "at 3" for a meeting means 3 pm; chrono guessed 3 am.
      wall = { ...wall, hour: wall.hour + 12 };
      if (!understanding.hasDate) wall = { ...wall, year: today.year, month: today.month, day: today.day };
    }
    if (understanding.hasTime && !understanding.hasDate && !relative) {
      // A bare time means its next occurrence from now, today if still ahead.
      const todayAt = { ...wall, year: today.year, month: today.month, day: today.day };
      wall = instantOf(todayAt, ctx.timeZone) > ctx.now ? todayAt : addDays(todayAt, 1);
    }
    if (understanding.hasTime) {
      understanding.start = relative ? s.date() : instantOf(wall, ctx.timeZone);
      if (result.end?.isCertain('hour')) {
        const e = result.end;
        let endHour = e.get('hour')!;
        if (!e.isCertain('meridiem') && endHour < wall.hour) endHour += 12;
        understanding.end = instantOf({ ...wall, hour: endHour, minute: e.get('minute')! }, ctx.timeZone);
      }
    } else {
      understanding.day = wallDay(wall);
    }
    if (understanding.hasDate && understanding.hasTime) understanding.day = wallDay(wall);
  }
  if (endWall && understanding.start) {
    const startWall = wallTimeOf(understanding.start, ctx.timeZone);
    let hour = endWall.hour;
    if (!endWall.meridiem && hour <= startWall.hour) hour += 12;
    understanding.end = instantOf({ ...startWall, hour, minute: endWall.minute }, ctx.timeZone);
  }
  const range = rangeOf(normalized, understanding.hasTime ? undefined : understanding.day, ctx);
  if (range) understanding.range = range;
  return understanding;
}
