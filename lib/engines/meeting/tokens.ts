import {
  BOUNDARY_WORDS,
  DOTTED_HONORIFICS,
  EVENT_NOUNS,
  HOLIDAY_NAMES,
  HONORIFICS,
  MONTHS,
  PLACE_NOUNS,
  PRONOUNS,
  WEEKDAYS,
} from './lexicon.ts';

export interface Token {
  raw: string;
  low: string;
  index: number;
}

const TOKEN =
  /[\w.+-]+@[\w-]+(?:\.[\w-]+)+|@[\p{L}][\w.-]*|(?<![\p{L}&])\p{L}&\p{L}{1,2}(?![\p{L}&])|[\p{L}][\p{L}\p{M}\d'.-]*[\p{L}\p{M}\d]|[\p{L}]|\dː\d|\d[\w:.]*|[,+&;!?()"/:@]/gu;

/** Words, numbers and marks; a letter and one or two joined by "&" are one ("R&D", "P&C", "Q&A"). */
export function tokenize(cased: string, blanked: string): Token[] {
  const tokens: Token[] = [];
  for (const m of blanked.matchAll(TOKEN)) {
    // "Dr.", "Lic." keep their dot, so the name is kept as written ("Dr. Okafor", "Dr Okafor", "Lic. Hernández").
    const dotted = blanked[m.index + m[0].length] === '.';
    const titled = HONORIFICS.test(m[0]) || (DOTTED_HONORIFICS.test(m[0]) && /^\p{Lu}/u.test(cased.slice(m.index)));
    const length = m[0].length + (titled && dotted ? 1 : 0);
    const raw = cased.slice(m.index, m.index + length);
    tokens.push({ raw, low: raw.toLowerCase(), index: m.index });
  }
  return tokens;
}

export const EMAIL = /^[\w.+-]+@[\w-]+(\.[\w-]+)+$/;
/** Whether `b` follows `a` after a single space: the two are one run of words. */
export const adjoining = (a: Token, b: Token) => b.index === a.index + a.raw.length + 1;
/** Written like a name: "Ana", "McKay", "O'Neil"; not an acronym in capitals ("HR", "QA") nor a word in lowercase. */
export const isCapitalized = (t: Token) =>
  /^\p{Lu}/u.test(t.raw) && !/^\p{Lu}+$/u.test(t.raw.replace(/[^\p{L}]/gu, ''));
export const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
/** The head word of each event and place noun: "review" of "design review", "room" of "conference room". */
const head = (phrase: string) => phrase.split(' ').pop()!;
export const EVENT_WORDS = new Set(EVENT_NOUNS.map(head));
export const PLACE_WORDS = new Set(PLACE_NOUNS.map(head));
export const TIME_WORDS = new Set([
  ...WEEKDAYS,
  ...MONTHS,
  'today',
  'tomorrow',
  'tonight',
  'noon',
  'midnight',
  'morning',
  'afternoon',
  'evening',
  'week',
  'weekend',
  'month',
]);
export const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** One pattern per event noun (a title is the earliest match), and one for any of them (an intent cue). */
export const EVENT_PATTERNS = EVENT_NOUNS.map(
  (noun) => new RegExp(`(?<![\\w-])${escape(noun)}s?(?![\\w-])(?! (?:room|rooms|hall|centre|center|area|line|number))`),
);
export const EVENT_NOUN = new RegExp(`(?<![\\w-])(?:${EVENT_NOUNS.map(escape).join('|')})s?(?![\\w-])`);
export const EVENT_NOUNS_ANYWHERE = new RegExp(EVENT_NOUN.source, 'g');
export const NOT_A_NAME = new Set([
  ...BOUNDARY_WORDS,
  ...HOLIDAY_NAMES,
  ...PRONOUNS,
  ...TIME_WORDS,
  'meeting',
  'meetings',
  // "with the holiday tomorrow", "with the long weekend": a time off, not a person.
  'holiday',
  'holidays',
  'vacation',
  // "Thank you and God bless", "with respect": a blessing and a courtesy, not people.
  'god',
  'respect',
  // "with daylight saving", "with the clocks": the clocks, not a person.
  'daylight',
  'clock',
  'clocks',
  // What people are "between": "between patients - book …", "between classes".
  'patients',
  'classes',
  'lessons',
  'lectures',
  'shifts',
  'jobs',
  'clients',
  'appointments',
  'sessions',
  'calls',
  'flights',
  'errands',
  'call',
  'chat',
  'zoom',
  'teams',
  'skype',
  'slack',
  'webex',
  'phone',
  'time',
  'something',
  'hi',
  'hey',
  'hello',
  'thanks',
  'there',
  'yes',
  'no',
  'sure',
  'ok',
  'okay',
  'pls',
  'please',
  'schedule',
  'book',
  'cancel',
  'move',
  'reschedule',
  'lunch',
  'coffee',
  'dinner',
  'breakfast',
  'drinks',
  'i',
  "i'm",
  'im',
  "i've",
  'ive',
  "i'd",
  "i'll",
  "we've",
  "we're",
  "we'll",
  "you're",
  "they're",
  "it's",
  'am',
  'pm',
  'what',
  'how',
  'when',
  'where',
  'why',
  'is',
  'are',
  'do',
  'does',
  'did',
  'set',
  'get',
  'grab',
  'need',
  'want',
  // "kickoff w tara needs to go to tuesday": a verb after a lowercase name.
  'has',
  'needs',
  'wants',
  "let's",
  'lets',
  'can',
  'could',
  'would',
  'will',
  'should',
  'must',
  'may',
  'might',
  'need',
  'also',
  'add',
  'put',
  'find',
  'free',
  'busy',
  'everyone',
  'team',
  'whole',
  'entire',
  'office',
  'room',
  // "Level 3 kitchen", "Ward 9", "cabin 5": parts of a building.
  'cabin',
  'floor',
  'level',
  'ward',
  'quick',
  'brief',
  'short',
  'mins',
  'hrs',
  'asap',
  'urgent',
  'important',
  'new',
  'other',
  'both',
  // "call w/ marta tmrw 10 am, actually make it 11": a self-correction, not a second person.
  'actually',
  'instead',
  'make',
  'rather',
  'scratch',
  'sorry',
  'wait',
  // "With kind regards", "With best wishes": a sign-off.
  'best',
  'kind',
  'regards',
  'warm',
  'warmest',
  'wishes',
]);

export const unhidden = (text: string) =>
  text
    .replace(/\u028A/g, 'u')
    .replace(/\u0251/g, 'a')
    .replace(/\u2060/g, '');
