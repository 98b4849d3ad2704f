import {
  ANSWER_FILLERS,
  BOUNDARY_WORDS,
  CLOCK_WORDS,
  DOTTED_HONORIFICS,
  EVENT_NOUNS,
  GENERIC_EVENTS,
  HOLIDAY_NAMES,
  HONORIFICS,
  MONTHS,
  NO_ELSEWHERE,
  NOT_PLACE_WORDS,
  NUMBER_WORDS,
  PLACE_NOUNS,
  PLATFORMS,
  PRONOUNS,
  ROLE_ACRONYMS,
  ROLE_WORDS,
  ROOM_WORDS,
  SPELLINGS,
  STREET_ENDINGS,
  STREET_TYPES_AFTER,
  STREET_TYPES_BEFORE,
  THANKS_ELSEWHERE,
  TITLE_FILLERS,
  WEEKDAYS,
  YES_ELSEWHERE,
} from './lexicon.ts';
import { addDays, instantOf, type WallTime } from './time-zones.ts';
import { partOfDay, readWhen, rewriteClocks, type WhenFound } from './when.ts';

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
/** "Black Friday staffing", "Good Friday service": a day inside a holiday's name is no date. */
const HOLIDAY_DAY =
  /(?<=\b(?:[Bb]lack|[Cc]yber|[Aa]sh|[Pp]alm|[Mm]aundy|[Ss]hrove|[Ee]aster|Good|Holy|Super|Giving|Blue) )(?:[Mm]on|[Tt]ues|[Ww]ednes|[Tt]hurs|[Ff]ri|[Ss]atur|[Ss]un)day\b/g;
const unhidden = (text: string) =>
  text
    .replace(/\u028A/g, 'u')
    .replace(/\u0251/g, 'a')
    .replace(/\u2060/g, '');

/** Lowercase-independent normalisation: emoji, quotes, casual spellings, clock spellings; spacing folded. */
function normalize(text: string): string {
  let out = text
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
    .replace(/\b1:1s?\b|\b1on1\b|\b1-1\b/gi, '1ː1')
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

interface Token {
  raw: string;
  low: string;
  index: number;
}

const TOKEN =
  /[\w.+-]+@[\w-]+(?:\.[\w-]+)+|@[\p{L}][\w.-]*|[\p{L}][\p{L}\p{M}\d'.-]*[\p{L}\p{M}\d]|[\p{L}]|\dː\d|\d[\w:.]*|[,+&;!?()"/:@]/gu;

function tokenize(cased: string, blanked: string): Token[] {
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

const EMAIL = /^[\w.+-]+@[\w-]+(\.[\w-]+)+$/;
/** Written like a name: "Ana", "McKay", "O'Neil"; not an acronym in capitals ("HR", "QA") nor a word in lowercase. */
const isCapitalized = (t: Token) => /^\p{Lu}/u.test(t.raw) && !/^\p{Lu}+$/u.test(t.raw.replace(/[^\p{L}]/gu, ''));
const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
/** The head word of each event and place noun: "review" of "design review", "room" of "conference room". */
const head = (phrase: string) => phrase.split(' ').pop()!;
const EVENT_WORDS = new Set(EVENT_NOUNS.map(head));
const PLACE_WORDS = new Set(PLACE_NOUNS.map(head));
const TIME_WORDS = new Set([
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
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** One pattern per event noun (a title is the earliest match), and one for any of them (an intent cue). */
const EVENT_PATTERNS = EVENT_NOUNS.map(
  (noun) => new RegExp(`(?<![\\w-])${escape(noun)}s?(?![\\w-])(?! (?:room|rooms|hall|centre|center|area|line|number))`),
);
const EVENT_NOUN = new RegExp(`(?<![\\w-])(?:${EVENT_NOUNS.map(escape).join('|')})s?(?![\\w-])`);
const EVENT_NOUNS_ANYWHERE = new RegExp(EVENT_NOUN.source, 'g');
const NOT_A_NAME = new Set([
  ...BOUNDARY_WORDS,
  ...HOLIDAY_NAMES,
  ...PRONOUNS,
  ...TIME_WORDS,
  'meeting',
  'meetings',
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

/** Spoken fillers: "with maya and um josh" is maya and josh. */
const SPOKEN_FILLER = /^(?:u+m+|u+h+|e+r+m+|h+m+)$/;

/** Small words inside a person's name. */
const NAME_PARTICLES = new Set([
  'bin',
  'bint',
  'ibn',
  'al',
  'el',
  'de',
  'la',
  'del',
  'della',
  'da',
  'di',
  'du',
  'van',
  'von',
  'der',
  'den',
  'ter',
  'le',
  'dos',
  'das',
  // Irish: "Siobhán Ó Súilleabháin", "Aoife Ní Bhriain", "Séamus Mac Giolla".
  'ó',
  'ní',
  'nic',
  'mac',
  'mhic',
  'uí',
  // Hokkien and Cantonese: "Tan Ah Seng", "Lim Ah Kow".
  'ah',
]);

/** "Dr", "Mr.", "Sra.", "Atty.": an honorific as written, or a title with its dot; not "MS" in capitals ("MS Teams"). */
const honorificWord = (word: string) =>
  HONORIFICS.test(word) || (/^\p{Lu}.*\.$/u.test(word) && DOTTED_HONORIFICS.test(word.slice(0, -1)));
const isHonorific = (t: Token) => honorificWord(t.raw) && !/^\p{Lu}{2,}\.?$/u.test(t.raw);

/** Title words written out, kept before a surname like an honorific. */
const TITLE_WORDS = /^(?:doctor|captain|judge|pastor|rabbi|father|imam|reverend|senator|officer|nurse|sheriff|chef)$/;

/** A name starting at token i: honorifics kept, role words before it dropped, up to four words ("María José García López"). */
function nameAt(tokens: Token[], i: number, loose: boolean): { name?: string; next: number; role?: boolean } {
  let j = i;
  const lead: Token[] = [];
  // "athletic director Karen", "w/ charge nurse Tamika", "the foreman Sipho": lowercase words right before a
  // capitalised name say who the person is (a role), unless one title word alone opens it ("doctor Müller").
  for (
    let k = j;
    k < j + 4 && k < tokens.length && !isCapitalized(tokens[k]!) && /^\p{Ll}/u.test(tokens[k]!.raw);
    k++
  ) {
    const word = tokens[k]!.low;
    const next = tokens[k + 1];
    // "w/ night nurse Lerato", "day manager Sipho": a part of the day before a lowercase word names a shift.
    const shift =
      /^(?:night|day|evening|weekend)$/.test(word) &&
      !!next &&
      /^\p{Ll}/u.test(next.raw) &&
      !NOT_A_NAME.has(next.low) &&
      !EVENT_WORDS.has(next.low);
    if ((NOT_A_NAME.has(word) || SPOKEN_FILLER.test(word)) && !ROLE_WORDS.has(word) && !shift) break;
    if (!next || !isCapitalized(next) || next.index !== tokens[k]!.index + tokens[k]!.raw.length + 1) continue;
    const titled = k === j && (TITLE_WORDS.test(word) || isHonorific(tokens[k]!));
    if (ROLE_WORDS.has(word) || (!titled && !NOT_A_NAME.has(next.low) && !EVENT_WORDS.has(next.low))) {
      while (j <= k) lead.push(tokens[j++]!);
      break;
    }
  }
  // "my manager Petra", "intern Maya Cohen": the role words describe, the name follows.
  while (j < tokens.length && ROLE_WORDS.has(tokens[j]!.low) && !isCapitalized(tokens[j]!)) lead.push(tokens[j++]!);
  // "my HOD Dr. Meenakshi Sundaram", "our CFO Priya": a role acronym in capitals before a name says who they are.
  const acronym = tokens[j];
  const named = tokens[j + 1];
  if (
    acronym &&
    named &&
    ROLE_ACRONYMS.has(acronym.low) &&
    /^\p{Lu}+$/u.test(acronym.raw) &&
    (isCapitalized(named) || isHonorific(named)) &&
    !NOT_A_NAME.has(named.low) &&
    named.index === acronym.index + acronym.raw.length + 1
  )
    lead.push(tokens[j++]!);
  const words: string[] = [];
  while (j < tokens.length && words.length < 4) {
    const t = tokens[j]!;
    // "doctor Müller", "captain Reyes": a title word before a capitalised name is kept with it.
    if (words.length === 0 && TITLE_WORDS.test(t.low) && tokens[j + 1] && isCapitalized(tokens[j + 1]!)) {
      words.push(capitalize(t.low));
      j++;
      continue;
    }
    if (isHonorific(t) && words.length === 0) {
      words.push(capitalize(t.raw));
      j++;
      continue;
    }
    if (EMAIL.test(t.raw) || !/^[\p{L}]/u.test(t.raw)) break;
    // A blanked span (a time, a length) between two words ends the name.
    if (words.length && t.index > tokens[j - 1]!.index + tokens[j - 1]!.raw.length + 2) break;
    const word = t.raw.replace(/'s$/i, '');
    const cap = isCapitalized(t);
    const next = tokens[j + 1];
    if (cap && /^(jan|may|june|april|august|sept|dec)$/.test(t.low) && !/^\d/.test(tokens[j + 1]?.raw ?? '')) {
      words.push(word);
      j++;
      continue;
    }
    if (t.low === 'team' && words.length > 0) {
      words.push('Team');
      j++;
      break;
    }
    // "Abdullah bin Khalid", "José María de la Cruz": a particle between parts of a name.
    if (words.length && NAME_PARTICLES.has(t.low) && isCapitalized(tokens[j - 1]!)) {
      let k = j;
      while (k < tokens.length && NAME_PARTICLES.has(tokens[k]!.low)) k++;
      // "Nguyen Van An": a capitalised "An" there is a name, not the article.
      const named = tokens[k] && isCapitalized(tokens[k]!) && !TIME_WORDS.has(tokens[k]!.low);
      if (named && (!NOT_A_NAME.has(tokens[k]!.low) || BOUNDARY_WORDS.has(tokens[k]!.low))) {
        for (; j <= k; j++) words.push(tokens[j]!.raw);
        if (words.length >= 4) break;
        continue;
      }
    }
    // "call with Can", "lunch with Will": a modal in capitals after "with" is a name; so is "coffee w/ ty",
    // "breakfast w/ jan" in any case (a month's short form with no date after it).
    const modalName =
      words.length === 0 &&
      ((cap && /^(?:can|will)$/.test(t.low)) || (/^(?:ty|jan|jun|may)$/.test(t.low) && !/^\d/.test(next?.raw ?? ''))) &&
      /^(?:with|w|and|\+|&|,)$/.test(tokens[j - 1]?.low ?? '');
    // "with Ah Seng", "w Jun Hao", "mv Jun Hao": a capitalised word that is also a word or a month opens a two-word
    // name.
    const firstName =
      cap &&
      words.length === 0 &&
      (/^(?:with|w|and|\+|&|,)$/.test(tokens[j - 1]?.low ?? '') || MOVE_OR_CANCEL.test(tokens[j - 1]?.low ?? '')) &&
      !!next &&
      isCapitalized(next) &&
      !NOT_A_NAME.has(next.low) &&
      next.index === t.index + t.raw.length + 1;
    if (NOT_A_NAME.has(t.low) && !modalName && !firstName && !(cap && words.length > 0 && !BOUNDARY_WORDS.has(t.low)))
      break;
    // A lowercase word goes on a name only where names may be lowercase, and never after a capitalised one.
    const afterCapital = words.length > 0 && isCapitalized(tokens[j - 1]!);
    if (!cap && (!loose || afterCapital || EVENT_WORDS.has(t.low) || PLACE_WORDS.has(t.low))) break;
    words.push(cap ? word : capitalize(word));
    j++;
    if (t.raw.endsWith("'s")) break;
  }
  // "with my skip-level, Jordan,": a role, then the name set off by a comma.
  if (!words.length && lead.length && tokens[j]?.low === ',' && tokens[j + 1] && isCapitalized(tokens[j + 1]!)) {
    const named = nameAt(tokens, j + 1, false);
    if (named.name) return { ...named, role: true };
  }
  if (!words.length && lead.length) {
    // "with my manager": the role is all there is to go by.
    const role = lead.filter((t) => !['my', 'our', 'the', 'his', 'her', 'their'].includes(t.low));
    if (role.length) return { name: role.map((t) => capitalize(t.low)).join(' '), next: j };
  }
  if (!words.length) return { next: i };
  // "for project Sakura": a project's name, not a person.
  if (/^(?:project|programme|program|operation)$/.test(lead.at(-1)?.low ?? '')) return { next: i };
  // "the London office", "the Acme folks": a place or a group named after a town or a company, not a person.
  if (
    lead.length &&
    /^(?:office|offices|folks|crew|side|lot|people|guys|group|department|dept|branch|site)$/.test(tokens[j]?.low ?? '')
  )
    return { next: i };
  if (words.length === 1 && (HONORIFICS.test(words[0]!.replace(/\.$/, '')) || honorificWord(words[0]!)))
    return { next: i };
  return {
    name: words.join(' '),
    next: j,
    role: lead.some((t) => !['my', 'our', 'the', 'his', 'her', 'their'].includes(t.low)),
  };
}

/** Words that put a person after them: "with", "meet", "talk to", "invite", "borrow", "get … together". */
const PERSON_TRIGGERS: Array<[string[], boolean]> = [
  [['with'], true],
  [['w'], true],
  // Typos of "with".
  [['wid'], true],
  [['wiht'], true],
  [['wit'], true],
  [['wth'], true],
  [['whith'], true],
  [['meet'], true],
  [['meeting'], false],
  [['see'], false],
  [['invite'], true],
  [['borrow'], true],
  [['ping'], true],
  [['talk', 'to'], true],
  [['talk', 'with'], true],
  [['speak', 'to'], true],
  [['speak', 'with'], true],
  [['chat', 'with'], true],
  [['call'], false],
  [['get'], false],
  [['between'], true],
  [['and'], false],
  [['+'], false],
  [['plus'], false],
  [['&'], false],
  [['include'], true],
  [['add'], false],
  [['for'], false],
  [['ask'], false],
  [['remove'], false],
  [['drop'], false],
  [['without'], false],
  [['uninvite'], true],
  [['catch', 'up', 'with'], true],
  [['sync', 'with'], true],
  [['1ː1', 'with'], true],
  [['join'], false],
  [['interview'], false],
  [['cc'], true],
  [['attendees', ':'], true],
  [['participants', ':'], true],
  [['invitees', ':'], true],
  [['guests', ':'], true],
  [['people', ':'], true],
  [['with', ':'], true],
];

/** Adds a person's name to `found`, cleaned of trailing punctuation, unless it is a pronoun or already there (any case). */
function addPerson(found: string[], name: string): void {
  const clean = unhidden(name)
    .trim()
    .replace(/[.,!?;:]+$/, '')
    .replace(/\s+/g, ' ');
  if (!clean || PRONOUNS.has(clean.toLowerCase())) return;
  if (!found.some((f) => f.toLowerCase() === clean.toLowerCase())) found.push(clean);
}

/** Adds to `found` the chain of people after the trigger `words` at token `i`: "with Lena, Tariq and me", "Rui + Ayla". */
function addPeopleAfterTrigger(tokens: Token[], i: number, words: string[], loose: boolean, found: string[]): void {
  if (
    ['and', '+', '&', 'plus'].includes(words[0]!) &&
    i > 0 &&
    isCapitalized(tokens[i - 1]!) &&
    (/^(?:at|@|in)$/.test(tokens[i - 2]?.low ?? '') ||
      (tokens[i - 2]?.low === 'the' && /^(?:at|@|in)$/.test(tokens[i - 3]?.low ?? '')))
  )
    return;
  let j = i + words.length;
  if (tokens[j]?.low === 'the' && !loose) return;
  // A chain: "Lena, Tariq and me", "Rui + Ayla".
  const before = found.length;
  for (let guard = 0; guard < 8 && j < tokens.length; guard++) {
    const t = tokens[j]!;
    if (EMAIL.test(t.raw) || /^@/.test(t.raw)) {
      j++;
    } else if (SPOKEN_FILLER.test(t.low)) {
      j++;
      continue;
    } else if (PRONOUNS.has(t.low)) {
      j++;
    } else {
      // "and Ben", "plus Ben" after other words; "plus ben" alone (an edit of a draft) in any case.
      const joined = ['and', '+', '&', 'plus'].includes(words[0]!);
      const strict =
        (!loose && !joined) ||
        (joined && found.length === before && !isCapitalized(t) && (i > 0 || j + 1 < tokens.length));
      const { name, next, role } = nameAt(tokens, j, !strict || (loose && words[0] !== 'for'));
      if (!name) break;
      if (strict && !isCapitalized(tokens[j]!) && !ROLE_WORDS.has(tokens[j]!.low)) break;
      if (
        ['get', 'add', 'for', 'ask', 'join', 'call', 'see', 'interview', 'meeting'].includes(words[0]!) &&
        !isCapitalized(tokens[next - 1]!)
      )
        break;
      // "for new hire Tomás": a role word before a name makes it a person, whatever follows.
      if (
        words[0] === 'for' &&
        !role &&
        !/^(?:together|to|and|,)$/.test(tokens[next]?.low ?? '') &&
        found.length === before
      )
        break;
      // "Level 3 kitchen", "Sister's office": a word before a number or a place noun names a place.
      if (
        found.length > before &&
        (/^\d/.test(tokens[next]?.raw ?? '') || PLACE_WORDS.has(tokens[next]?.low ?? '')) &&
        tokens[next]!.index === tokens[next - 1]!.index + tokens[next - 1]!.raw.length + 1
      )
        break;
      addPerson(found, name);
      j = next;
    }
    const sep = tokens[j]?.low;
    // "with Xiao Ming, change to Monday": after capitalised names, a lowercase word past a comma is not one.
    if (sep === ',' && tokens[j + 1] && !isCapitalized(tokens[j + 1]!) && isCapitalized(tokens[j - 1]!)) break;
    if (sep === ',' || sep === 'and' || sep === '+' || sep === '&' || sep === '/') {
      j++;
      continue;
    }
    break;
  }
}

/** "Rui + Ayla": adds two capitalised names joined by + or & as people even without "with". */
function addJoinedNames(tokens: Token[], found: string[]): void {
  for (let i = 1; i + 1 < tokens.length; i++) {
    // "at Olive & Thyme" is a place's name, not two people.
    const inPlace = /^(?:at|@|in)$/.test(tokens[i - 2]?.low ?? '');
    if (
      (tokens[i]!.low === '+' || tokens[i]!.low === '&') &&
      !inPlace &&
      isCapitalized(tokens[i - 1]!) &&
      isCapitalized(tokens[i + 1]!) &&
      !NOT_A_NAME.has(tokens[i - 1]!.low)
    ) {
      // "Rohan Mehta & Divya": "Mehta" is already there as the end of a full name.
      const known = (w: string) => found.some((f) => f.toLowerCase().split(' ').includes(w.toLowerCase()));
      if (!known(tokens[i - 1]!.raw)) addPerson(found, tokens[i - 1]!.raw);
      if (!known(tokens[i + 1]!.raw)) addPerson(found, tokens[i + 1]!.raw);
    }
  }
}

/** "Mr. Tanaka asked to move our call": adds an honorific and the capitalised name after it, wherever it stands. */
function addHonorificNames(tokens: Token[], found: string[]): void {
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (!isHonorific(tokens[i]!) || !isCapitalized(tokens[i + 1]!) || /^(?:at|@|in)$/.test(tokens[i - 1]?.low ?? ''))
      continue;
    const { name } = nameAt(tokens, i, false);
    if (name && !found.some((f) => f.toLowerCase().endsWith(name.toLowerCase().split(' ').pop()!)))
      addPerson(found, name);
  }
}

/** Role words that are people on their own: "tire rep Angela", "supplier Jordi", without "with" before them. */
const PERSON_ROLES = new Set(
  [...ROLE_WORDS].filter(
    (w) =>
      !/^(?:my|our|the|his|her|their|new|hire|team|line|account|project|programme|program|level|skip|skip-level|direct|report|product|sales|head|chief|managing|executive|senior|junior|lead|partner|patient|student|vendor|client|customer|candidate)$/.test(
        w,
      ),
  ),
);
const MOVE_OR_CANCEL = /^(?:move|mv|moving|shift|push|bump|reschedule|cancel|cancelling|canceling|postpone)$/;

/** Lowercase words after "move" or "cancel" that are not a person: "cancel everything", "move things around". */
const NOT_NAMED_AFTER_VERB =
  /^(?:everything|anything|all|both|plans|stuff|things|one|mine|yours|ours|back|forward|forwards|up|down|ahead|out|off|again|now|later|earlier|sooner|anyway|too|altogether|it's)$/;

/** A lowercase word that can be a name after "move" or "cancel": no event, place, time, filler or common word. */
function lowercaseName(word: string): boolean {
  const bare = word.replace(/['’]s$/, '');
  return (
    /^\p{Ll}[\p{Ll}\p{M}'-]+$/u.test(word) &&
    !NOT_NAMED_AFTER_VERB.test(word) &&
    !/(?:ing|ings)$/.test(bare) &&
    ![NOT_A_NAME, EVENT_WORDS, PLACE_WORDS, TITLE_FILLERS, GENERIC_EVENTS, PRONOUNS, BOUNDARY_WORDS].some((set) =>
      set.has(bare),
    ) &&
    !EVENT_WORDS.has(bare.replace(/s$/, '')) &&
    !PLACE_WORDS.has(bare.replace(/s$/, ''))
  );
}

/** An event word within the three lowercase words from `k`: "dana's check in", "aroha's weekly catch-up". */
function eventAhead(tokens: Token[], k: number): boolean {
  for (let n = k; n < tokens.length && n < k + 3 && /^[\p{Ll}\dː]/u.test(tokens[n]!.raw); n++)
    if (EVENT_WORDS.has(tokens[n]!.low) || EVENT_WORDS.has(tokens[n]!.low.replace(/s$/, ''))) return true;
  return false;
}

/** Where a possessive name at `i` starts: "Jun Hao's", "Tan Ah Seng's" take the capitalised words before it. */
function firstNameBefore(tokens: Token[], i: number): number {
  let first = i;
  for (let k = i - 1; k >= 0 && k > i - 3; k--) {
    const t = tokens[k]!;
    const partOfName =
      isCapitalized(t) &&
      !MOVE_OR_CANCEL.test(t.low) &&
      (!NOT_A_NAME.has(t.low) || NAME_PARTICLES.has(t.low) || /^(?:jun|jan|may)$/.test(t.low));
    if (!partOfName || t.index + t.raw.length + 1 !== tokens[k + 1]!.index) break;
    first = k;
  }
  return first;
}

/**
 * People named without a trigger word: "move Dana's coffee chat", "cancel Luis tomorrow", "can we move Nick to
 * friday", "tire rep Angela thursday".
 */
function addBareNames(tokens: Token[], found: string[]): void {
  const known = (w: string) => found.some((f) => f.toLowerCase().split(' ').includes(w.toLowerCase()));
  const placeBefore = (i: number) => /^(?:at|@|in|on|from|to)$/.test(tokens[i - 1]?.low ?? '');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const after = tokens[i + 1];
    const word = t.raw.replace(/['’]s$/i, '');
    const name = isCapitalized(t) && !NOT_A_NAME.has(word.toLowerCase()) && !EVENT_WORDS.has(word.toLowerCase());
    // "Dana's coffee chat", "Aroha's catch-up", "Jun Hao's demo": a possessive before an event is whose event it
    // is; right after "move" or "cancel" it is whose meeting it is, whatever the event ("move Marisol's headshots").
    // "Valentine's lunch": a holiday named by a possessive is no one's.
    if (/^valentine['’]?s$/i.test(t.raw)) continue;
    if (name && /['’]s$/i.test(t.raw) && after && !isCapitalized(after)) {
      const first = firstNameBefore(tokens, i);
      if (placeBefore(first)) continue;
      let k = i + 1;
      while (k < tokens.length && k < i + 4 && !EVENT_WORDS.has(tokens[k]!.low) && /^\p{Ll}/u.test(tokens[k]!.raw)) k++;
      const full = [...tokens.slice(first, i).map((x) => x.raw), word].join(' ');
      if (
        EVENT_WORDS.has(tokens[k]?.low ?? '') ||
        EVENT_WORDS.has(tokens[k]?.low.replace(/s$/, '') ?? '') ||
        MOVE_OR_CANCEL.test(tokens[first - 1]?.low ?? '')
      )
        if (!known(word)) addPerson(found, full);
      continue;
    }
    // "cancel Luis tomorrow", "move Nick to friday": a name alone after the verb is the meeting with them.
    const opensName = isCapitalized(t) && /^(?:jun|jan|may)$/.test(t.low) && !!after && isCapitalized(after);
    if ((name || opensName) && MOVE_OR_CANCEL.test(tokens[i - 1]?.low ?? '') && !/['’]s$/i.test(t.raw)) {
      const { name: full, next } = nameAt(tokens, i, false);
      const rest = tokens[next];
      const gap = rest && rest.index > tokens[next - 1]!.index + tokens[next - 1]!.raw.length + 1;
      if (
        full &&
        (!rest || gap || /^(?:to|till|until|[,.!?]|and|&|from|on)$/.test(rest.low) || TIME_WORDS.has(rest.low))
      )
        if (!known(full)) addPerson(found, full);
      continue;
    }
    // "cancel aroha tmrw", "move lucía to tuesday", "can we move dana's check in": in lowercase, one word after
    // the verb that is no event, place, time or common word is the person the meeting is with.
    if (!isCapitalized(t) && MOVE_OR_CANCEL.test(tokens[i - 1]?.low ?? '') && lowercaseName(word.toLowerCase())) {
      const rest = after?.low ?? '';
      const gap = after && after.index > t.index + t.raw.length + 1;
      const possessive = /['’]s$/i.test(t.raw);
      const alone = !after || gap || /^(?:to|till|until|[,.!?]|from|on)$/.test(rest) || TIME_WORDS.has(rest);
      if ((possessive ? eventAhead(tokens, i + 1) : alone) && !known(word)) addPerson(found, word);
      continue;
    }
    // "Elif can't attend the sync today": a name that opens the message before "can't make" is the meeting's person.
    if (
      name &&
      i === 0 &&
      /^(?:can't|cant|cannot|won't|wont|couldn't|can)$/.test(after?.low ?? '') &&
      /^(?:attend|make|come|join|do|not)$/.test(tokens[i + 2]?.low ?? '')
    ) {
      if (!known(word)) addPerson(found, word);
      continue;
    }
    // "tire rep Angela": a role word right before a capitalised name.
    if (PERSON_ROLES.has(t.low) && !isCapitalized(t) && after && isCapitalized(after) && !placeBefore(i)) {
      const { name: full, role } = nameAt(tokens, i, false);
      if (full && role && !EVENT_WORDS.has(after.low) && !PLACE_WORDS.has(after.low) && !known(full.split(' ')[0]!))
        addPerson(found, full);
    }
  }
}

function participantsOf(tokens: Token[]): string[] {
  const found: string[] = [];
  const emails = tokens.filter((t) => EMAIL.test(t.raw)).map((t) => t.raw.toLowerCase());
  for (const e of emails) addPerson(found, e);
  // "@jen" is jen: the @ only points at her.
  for (const t of tokens) if (/^@[\p{L}]/u.test(t.raw)) addPerson(found, t.raw.slice(1).replace(/\.+$/, ''));
  for (let i = 0; i < tokens.length; i++) {
    const trigger = PERSON_TRIGGERS.find(([words]) => words.every((w, k) => tokens[i + k]?.low === w));
    if (trigger) addPeopleAfterTrigger(tokens, i, trigger[0], trigger[1], found);
  }
  // "plus ben", "add jim too", "and kate", "mia as well": a short message that adds someone names them as "with"
  // would, in any case.
  const last = tokens.at(-1)?.low ?? '';
  const adding =
    !found.length && tokens.length <= 6 && (last === 'too' || (last === 'well' && tokens.at(-2)?.low === 'as'));
  const verbAfter =
    /^(?:make|put|change|move|push|set|use|book|do|have|let|can|could|please|pls|it|the|an?|my|our|your|at|on|in|for|to|same|then|invite|bring)$/;
  if (
    !found.length &&
    /^(?:plus|\+|add|also|and)$/.test(tokens[0]?.low ?? '') &&
    !verbAfter.test(tokens[1]?.low ?? '') &&
    (tokens.length <= 4 || adding)
  ) {
    addPeopleAfterTrigger(tokens, 0, ['with'], true, found);
    if (!lowercaseAddsNameTheRest(tokens.slice(1), found)) found.length = 0;
  } else if (adding && !/^(?:invite|add|include|with|w|meet|ask|get|bring|cc|plus|also|and)$/.test(tokens[0]!.low))
    addPeopleAfterTrigger(tokens, -1, ['with'], true, found);
  addJoinedNames(tokens, found);
  addHonorificNames(tokens, found);
  addBareNames(tokens, found);
  // An address already names the person: drop "Jonas" beside jonas.meyer@….
  return found.filter(
    (name) =>
      EMAIL.test(name) || !emails.some((e) => e.split('@')[0]!.split(/[._-]/)[0] === name.toLowerCase().split(' ')[0]),
  );
}

/**
 * "plus ben" is ben, "plus travel time" is nobody: names added in lowercase must be all the message says after the
 * joiner ("too", "as well", "and" and commas aside), or they are ordinary words.
 */
function lowercaseAddsNameTheRest(rest: Token[], added: string[]): boolean {
  if (added.every((name) => /^\p{Lu}/u.test(name) && rest.some((t) => t.raw === name.split(' ')[0]))) return true;
  const named = new Set(added.flatMap((name) => name.toLowerCase().split(' ')));
  return rest.every((t) => named.has(t.low) || /^(?:too|as|well|and|&|,|\+)$/.test(t.low));
}

/** A word that can be part of a place's name: capitalised, a number, or a single capital ("Boardroom A"). */
const placeName = (t: Token) => isCapitalized(t) || /^(\d|\p{Lu}$)/u.test(t.raw) || isPlaceAcronym(t);
/** Capitals that are times, zones or placeholders, never a place: "at EOD", "by COB". */
const NOT_A_PLACE_ACRONYM =
  /^(?:AM|PM|ASAP|COB|EOD|EOW|EOM|OOO|TBD|TBC|UTC|GMT|[ECMP][SD]?T|BST|CES?T|IST|AES?[DT]T?|SGT|HKT|JST|NZ[DS]T)$/;
/** A venue written in capitals: "at KLCC", "at BGC", "ITC Maratha". */
const isPlaceAcronym = (t: Token) => /^\p{Lu}{2,6}$/u.test(t.raw) && !NOT_A_PLACE_ACRONYM.test(t.raw);

/** "meeting room Everest", "conference room Kilimanjaro": a room named after its kind. */
function namedRoom(text: string, cased: string): RegExpExecArray | null {
  const m = /(?:\b(?:conference|meeting|huddle|board) |(?<=\b(?:in|at) ))room (\w+)/.exec(text);
  return m &&
    isCapitalized({
      raw: cased.slice(m.index + m[0].length - m[1]!.length, m.index + m[0].length),
      low: m[1]!,
      index: 0,
    })
    ? m
    : null;
}

/** A unit before a street address: "Unit 4, 55 King St", "Apt 3B, 12 Elm Rd"; or a block's word: "Blk 123 Bishan St 12". */
const UNIT = String.raw`(?:(?:Unit|Apt|Apartment|Suite|Ste|Flat|Shop|Lot)\.? ?\d+[A-Za-z]?,? |(?:Blk|BLK|blk|Block)\.? (?=\d))?`;
const HOUSE = String.raw`\d{1,5}[A-Za-z]?(?:[-/]\d{1,5}[A-Za-z]?)?`;
const STREET_NAME = String.raw`(?:\p{Lu}[\p{L}'-]*|\d+(?:st|nd|rd|th))`;
const SPELLED_TYPE = STREET_TYPES_AFTER.spelled.join('|');
const SHORT_TYPE = STREET_TYPES_AFTER.abbreviated.map((t) => `${capitalize(t)}|${t}|${t.toUpperCase()}`).join('|');
const PARTICLE = String.raw`(?:(?:de|du|des|la|le|del|della|di|da|do|dos|d')\s?)*`;
/**
 * Street addresses, each alternative its own way of writing one: a number and a named street
 * ("17 Maple Ct", "9 Ocean Front Walk", "14 MG Road"), a number and a direction ("1420 W Addison"),
 * a number before a Romance street type ("17 Rue Cler"), a street type or Germanic ending and then
 * the number ("Via Roma 12", "Hauptstraße 5").
 */
const STREET_ADDRESS = new RegExp(
  [
    String.raw`${UNIT}${HOUSE} (?:(?:[NSEW]|NE|NW|SE|SW|North|South|East|West)\.? )?(?:${STREET_NAME} ){1,3}(?:${SPELLED_TYPE}|${SHORT_TYPE})\b\.?`,
    String.raw`${UNIT}${HOUSE} (?:\p{Ll}[\p{L}'-]* ){1,2}(?:${STREET_TYPES_AFTER.abbreviated.join('|')})\b\.?`,
    String.raw`${UNIT}\d{2,5} (?:[NSEW]|NE|NW|SE|SW)\.? \p{Lu}[\p{L}'-]+`,
    String.raw`${HOUSE},? (?:${STREET_TYPES_BEFORE.map(escape).join('|')}) ${PARTICLE}\p{Lu}[\p{L}'-]*(?: \p{Lu}[\p{L}'-]*)?`,
    String.raw`(?:${STREET_TYPES_BEFORE.map(escape).join('|')}) ${PARTICLE}\p{Lu}[\p{L}'-]*(?: \p{Lu}[\p{L}'-]*)? ${HOUSE}\b`,
    String.raw`\p{Lu}[\p{L}-]*(?:${STREET_ENDINGS.map(escape).join('|')}) ${HOUSE}\b`,
  ]
    .map((alternative) => `(?<![\\p{L}\\d:.])(?:${alternative})`)
    .join('|'),
  'gu',
);

/** A street address and where it is written, with the preposition before it: the house number is never a time. */
function streetAddressOf(cased: string): { address: string; from: number; to: number } | undefined {
  for (const m of cased.matchAll(STREET_ADDRESS)) {
    const words = m[0].split(' ');
    // "at 5 pm st": a time word is never part of a street's name.
    if (words.some((w) => TIME_WORDS.has(w.toLowerCase()) || (BOUNDARY_WORDS.has(w) && !/^\p{Lu}/u.test(w)))) continue;
    let address = m[0].replace(/[.,]$/, '');
    // "88 Bloor St W", "8 Beach Rd Bondi": a direction, then a suburb, after the street's type.
    if (
      /^(?:\d|B(?:lk|LK|lock)\b|blk\b)/.test(address) &&
      new RegExp(`(?:${SPELLED_TYPE}|${SHORT_TYPE})\\.?$`, 'u').test(address)
    ) {
      const tail = /^(?: (?:[NSEW]|NE|NW|SE|SW)\b)?(?: (\p{Lu}\p{Ll}+)(?=$|[,.!?]| \p{Ll}| \d))?/u.exec(
        cased.slice(m.index + address.length),
      )!;
      const suburb = tail[1]?.toLowerCase();
      address +=
        suburb && (NOT_A_NAME.has(suburb) || TIME_WORDS.has(suburb)) ? tail[0].slice(0, -tail[1]!.length - 1) : tail[0];
      // "Blk 123 Bishan St 12": a Singapore block's street has its own number, never a time.
      if (/^(?:B(?:lk|LK|lock)|blk)\b/.test(address))
        address +=
          /^ \d{1,2}\b(?![:.]\d| ?(?:am|pm|a\.m|p\.m|h\b))/i.exec(cased.slice(m.index + address.length))?.[0] ?? '';
    }
    const before = /(?:\b(?:at|in|on|to|from|outside)|@) $/.exec(cased.slice(0, m.index));
    return { address, from: before ? before.index : m.index, to: m.index + address.length };
  }
  return numberedStreetOf(cased);
}

/** A house number and one street's name after "at": "at 1250 Broadway", "@ 500 Broadway". */
const NUMBERED_STREET = /(?<=(?:\bat|@) )\d{3,5} (\p{Lu}[\p{L}'-]+)(?=$|[,.!?;]| (\p{Ll}+))/u;
/** Zones said after a clock: "at 1000 Pacific". */
const ZONE_WORDS = /^(?:pacific|eastern|central|mountain|atlantic|hawaii|alaska|time)$/;
/** A clock time, so that a number before a name is no time: "at 2pm at 1250 Broadway". */
const CLOCK =
  /\b\d{1,2}(?:[:.h]\d\d)? ?(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}[:h]\d\d\b|\b(?:noon|midday|midnight)\b|\bat \d{1,2}\b(?! \p{Lu})/iu;

/** "at 1250 Broadway": a number and a name are an address when the message has its time elsewhere. */
function numberedStreetOf(cased: string): { address: string; from: number; to: number } | undefined {
  const m = NUMBERED_STREET.exec(cased);
  if (!m) return undefined;
  const name = m[1]!.toLowerCase();
  const next = m[2]?.toLowerCase();
  if (
    NOT_A_NAME.has(name) ||
    EVENT_WORDS.has(name) ||
    ZONE_WORDS.test(name) ||
    (next && (ZONE_WORDS.test(next) || (!NOT_A_NAME.has(next) && next !== 'w')))
  )
    return undefined;
  const outside = cased.slice(0, m.index) + ' ' + cased.slice(m.index + m[0].length);
  if (!CLOCK.test(outside)) return undefined;
  const at = m.index - (cased[m.index - 2] === '@' ? 2 : 3);
  return { address: m[0], from: at, to: m.index + m[0].length };
}

/** A weekday's or month's abbreviation, which can also be a word of a venue's name: "Lau Pa Sat", "Sun Hung Kai Centre", "Mar Vista". */
const DATE_ABBREVIATION = `(?:${['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun', 'Jan', 'Feb', 'Mar', 'Apr', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((a) => `${a[0]}\u2060?${a.slice(1)}`).join('|')})`;
const VENUE_WORD = String.raw`(?!(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|Today|Tomorrow|Tonight|Morning|Afternoon|Evening|Night|Noon|${DATE_ABBREVIATION})\b)\p{Lu}[\p{L}'’&\u2060-]*`;
/**
 * A capitalised name after at/in/@ with a date's abbreviation inside it: the abbreviation is part of the name when
 * more of the name follows it ("at Sun Hung Kai Centre", "at Wed Cafe") or, last in the name ("at Lau Pa Sat"), when
 * the message has another date; never before a number or a time ("at Blue Bottle Sat 10am").
 */
const DATED_VENUE = new RegExp(
  String.raw`(?<=(?:\b(?:at|in)|@) (?:the )?)(?:(?:${VENUE_WORD} ){0,3}${DATE_ABBREVIATION}(?: ${VENUE_WORD}){1,3}(?![\p{L}\d'’&\u2060-])|(?:${VENUE_WORD} ){1,3}${DATE_ABBREVIATION}(?=$|[,.!?;)]| \p{Ll}| [\p{Extended_Pictographic}]))`,
  'gu',
);

/** "at Nobu Sat Night", "at Acme Friday Sat": a time word besides the abbreviation makes the words a time, not a venue. */
const timeWordInVenue = (venue: string) =>
  venue.split(' ').some((w) => TIME_WORDS.has(w.toLowerCase()) && !new RegExp(`^${DATE_ABBREVIATION}$`, 'u').test(w));

/** A venue whose name holds a date's abbreviation, where it is written, and whether it stands only when another date is said. */
function datedVenueOf(cased: string): { address: string; from: number; to: number; needsDate: boolean } | undefined {
  for (const m of cased.matchAll(DATED_VENUE)) {
    if (timeWordInVenue(m[0])) continue;
    const last = m[0].split(' ').pop()!;
    return {
      address: m[0],
      from: m.index,
      to: m.index + m[0].length,
      needsDate: new RegExp(`^${DATE_ABBREVIATION}$`).test(last),
    };
  }
  return undefined;
}

/** Digits as subscript digits, which no clock reader matches; `rewriteClocks` turns them back. */
const toSubscript = (text: string) => text.replace(/\d/g, (d) => String.fromCharCode(0x2080 + Number(d)));

/** The text with the address's span blanked, so the time layer and the word roles never read it. */
function withoutAddress(cased: string, street: { from: number; to: number } | undefined): string {
  return street ? cased.slice(0, street.from) + ' '.repeat(street.to - street.from) + cased.slice(street.to) : cased;
}

/** Whether a person's name is a part of a longer place's name ("Yeti" in "Hotel Yak & Yeti"; not "Sarah's"). */
function namedIn(place: string, name: string): boolean {
  return (
    place.toLowerCase() !== name.toLowerCase() &&
    new RegExp(`(?<![\\p{L}])${escape(name)}(?![\\p{L}'])`, 'iu').test(place)
  );
}

/** Whether a person's name is the whole of a place named with a place noun ("Paws Studio Newtown"). */
const isVenueName = (place: string, name: string) =>
  place.toLowerCase() === name.toLowerCase() && name.split(' ').some((w) => isPlaceWord(w.toLowerCase()));

/** Small words inside a place's name: "Café de Flore", "Bank of America", "Pizza by the Slice". */
const PLACE_PARTICLES = new Set([
  'de',
  'du',
  'des',
  'la',
  'le',
  'del',
  'della',
  'di',
  'da',
  'do',
  'dos',
  'van',
  'von',
  'der',
  'of',
  'y',
  'e',
]);

/** "the 2nd floor breakout area", "the 3rd floor conference hall": one plain word, then another place noun, goes on with the place. */
function placeNounAhead(tokens: Token[], j: number): boolean {
  const word = tokens[j];
  const noun = tokens[j + 1];
  const plain = (t: Token | undefined) =>
    !!t && /^\p{Ll}+(?:'s)?$/u.test(t.raw) && !BOUNDARY_WORDS.has(t.low) && !TIME_WORDS.has(t.low);
  const adjoining = (a: Token, b: Token) => b.index === a.index + a.raw.length + 1;
  if (!plain(word) || !noun || !adjoining(word!, noun)) return false;
  if (isPlaceWord(noun.low)) return true;
  // "the big conference room": two plain words before the place noun.
  const third = tokens[j + 2];
  return plain(noun) && !!third && adjoining(noun, third) && isPlaceWord(third.low);
}

/** A place noun, singular or plural ("Acme Corp offices"). */
const isPlaceWord = (low: string) => PLACE_WORDS.has(low) || (low.endsWith('s') && PLACE_WORDS.has(low.slice(0, -1)));
/** A town after a place noun: "the office in Warsaw". */
const IN_TOWN = /^ in (\p{Lu}[\p{L}'-]*)(?: \p{Lu}[\p{L}'-]*)?/u;
/** A street after a venue: "Starbucks on Main St", "the Hilton on Park Avenue". */
const ON_STREET =
  /^ on (?:(?:(?:\p{Lu}[\p{L}'-]*|\d+(?:st|nd|rd|th)) ){1,2}(?:St|Street|Road|Rd|Ave|Avenue|Lane|Ln|Blvd|Boulevard|Square|Sq|Way|Drive)\b\.?|(?:Main|Broadway)\b|(?:level|floor) \d+\b|the \d+(?:st|nd|rd|th) floor\b)/u;

/** Verbs that open a request, never a room's name: "Book Meeting Room 3". */
const BOOKING_VERBS = /^(?:book|reserve|grab|need|get|use|borrow|hold|block|schedule|set|put|pls|please)$/i;
/** A month's name or abbreviation: "room 16 Feb" is a room and a date. */
const MONTH_WORD = [...MONTHS, ...MONTHS.map((m) => m.slice(0, 3)), 'sept'].join('|');
/** A room by its kind and number or letter: "Room 4.2", "meeting room 3F-02", "Room B"; not "room 16 Feb". */
const NUMBERED_ROOM = new RegExp(
  String.raw`\b(?:(?:board|break|class|committee|conference|function|group|huddle|interview|lecture|meeting|project|quiet|reading|seminar|study|team|training|tutorial) )?room (?:[a-z]{0,2}[.-]?\d+(?:[.-]\d+)*[a-z]?(?:-(?:[a-z]{1,2}|\d+)\b)?\b(?! (?:${MONTH_WORD})\b)|[a-z]\b)`,
  'i',
);

/** A numbered or named room ("Room 4.2", "in Training Room 1", "meeting room Everest"), as the user wrote it. */
function roomOf(text: string, cased: string): string | undefined {
  const room = NUMBERED_ROOM.exec(text) ?? namedRoom(text, cased);
  if (!room) return undefined;
  const before = cased.slice(0, room.index);
  // "in Training Room 1", "in OPD room 5", "in Ingkarni Wardli room 5.18": capitalised words or an acronym naming the room go with it.
  const named = /(?:^|\b(?:in|at|the|@) )((?:\p{Lu}[\p{L}-]* ){0,2}\p{Lu}[\p{L}-]*) $/u.exec(before);
  // "in Quad room 3F-07": after "in" or "at", one capitalised word names the room's building too.
  const afterPreposition = !!named && /(?:\b(?:in|at)|@) $/.test(before.slice(0, before.length - named[1]!.length - 1));
  // "at Riverside Clinic, room 3": the building, then the room in it.
  const building = /(?:^|\b(?:in|at|@) )((?:\p{Lu}[\p{L}'&-]* ){0,3}\p{Lu}[\p{L}'-]*, )$/u.exec(before);
  // "in library room 2": a plain word right after the preposition names the room's building.
  const plain = /\b(?:in|at|@) (\p{Ll}[\p{Ll}-]*) $/u.exec(before);
  const from = building
    ? room.index - building[1]!.length
    : plain && !NOT_A_NAME.has(plain[1]!) && !(plain[1]! in NUMBER_WORDS)
      ? room.index - plain[1]!.length - 1
      : named &&
          (/^\p{Lu}/u.test(cased.slice(room.index)) ||
            /^\p{Lu}{2,}$|\p{L} \p{Lu}/u.test(named[1]!) ||
            afterPreposition) &&
          !named[1]!.split(' ').some((w) => TIME_WORDS.has(w.toLowerCase())) &&
          !BOOKING_VERBS.test(named[1]!.split(' ')[0]!)
        ? room.index - named[1]!.length - 1
        : room.index;
  return cased.slice(from, room.index + room[0].length);
}

/**
 * Words for a meeting room in other languages, as written after "in" or a booking verb: "salle Monet", "Raum 2.14",
 * "zasedačka 4", "ruang rapat 3", "reserve salle Voltaire".
 */
const FOREIGN_ROOM = new RegExp(
  String.raw`(?<=\b(?:in|at|im|en|dans|di|@|to|[Bb]ook|[Rr]eserve|réserver|reservar|buchen) )(?:${ROOM_WORDS.map((w) => `[${w[0]!.toUpperCase()}${w[0]}]${escape(w.slice(1))}`).join('|')}) (?:\d+(?:[.-]\d+)*[A-Za-z]?\b|\p{Lu}[\p{L}-]*(?: \p{Lu}[\p{L}-]*)?)`,
  'u',
);

/** Words the normaliser spelled out, as they may have been written: "conf rm 2", "Mtg Rm 3". */
const SHORTHANDS: Record<string, string> = {
  conference: 'conf(?:erence)?\\.?',
  meeting: '(?:meeting|meetin|mtg)',
  room: 'r(?:oo)?m\\.?',
};

/** The place as the user wrote it in the message, shorthands and all ("conf room 2", not "conference room 2"). */
function asWritten(place: string, message: string): string {
  if (PLATFORM_NAMES.has(place.toLowerCase())) return place;
  const pattern = place
    .split(' ')
    .map((word) => SHORTHANDS[word.toLowerCase()] ?? escape(word))
    .join('[\\s.]*');
  const written = new RegExp(`(?<![\\p{L}\\d])${pattern}(?![\\p{L}\\d])`, 'iu').exec(message);
  return written ? written[0] : place;
}

/** Whether token `i` is a preposition that can introduce a place: "at", "in", "@", or "on" before one. */
function placePrepositionAt(tokens: Token[], i: number): boolean {
  const prep = tokens[i]!.low;
  // "on the rooftop", "on the 3rd floor": "on" names a place only before one.
  const onPlace =
    prep === 'on' &&
    ((tokens[i + 1]?.low === 'the' && tokens.slice(i + 2, i + 5).some((t) => isPlaceWord(t.low))) ||
      (/^(?:level|floor|deck|ward)$/.test(tokens[i + 1]?.low ?? '') && /^\d/.test(tokens[i + 2]?.raw ?? '')));
  return prep === 'at' || prep === 'in' || prep === '@' || onPlace;
}

/** The words of a place's name from token `j` on, after the preposition at `i` (at most six, trailing plain words dropped). */
function placeWordsFrom(tokens: Token[], cased: string, i: number, j: number, hasThe: boolean): Token[] {
  const words: Token[] = [];
  while (j < tokens.length && words.length < 6) {
    const t = tokens[j]!;
    const prev = tokens[j - 1]!;
    // Joined by "&" or a particle, or after an abbreviation's dot: "Olive & Thyme", "Café de Flore", "St. Mary's School".
    if (
      words.length &&
      (t.low === '&' || PLACE_PARTICLES.has(t.low) || (t.low === 'and' && hasThe)) &&
      tokens[j + 1] &&
      (isCapitalized(tokens[j + 1]!) ||
        (PLACE_PARTICLES.has(t.low) && PLACE_PARTICLES.has(tokens[j + 1]!.low) && isCapitalized(tokens[j + 2] ?? t))) &&
      (isCapitalized(prev) || PLACE_PARTICLES.has(prev.low))
    ) {
      words.push(t);
      j++;
      continue;
    }
    // "Girl & the Goat", "the Grand Ballroom of the Hyatt": "& the" or "of the" and a name go on with the place.
    if (
      words.length &&
      (t.low === '&' || t.low === 'of') &&
      tokens[j + 1]?.low === 'the' &&
      tokens[j + 2] &&
      isCapitalized(tokens[j + 2]!) &&
      isCapitalized(prev)
    ) {
      words.push(t, tokens[j + 1]!);
      j += 2;
      continue;
    }
    const gap = cased.slice(prev.index + prev.raw.length, t.index);
    if (
      !/^[\p{L}\d]/u.test(t.raw) ||
      (gap !== ' ' && !(gap === '. ' && words.length && /^\p{Lu}\p{Ll}?$/u.test(prev.raw)) && j > i + 1)
    )
      break;
    const cap = placeName(t);
    // "in the back office": a boundary word is part of the place only right before its noun.
    const beforeNoun = hasThe && isPlaceWord(tokens[j + 1]?.low ?? '');
    if (
      TIME_WORDS.has(t.low) ||
      (BOUNDARY_WORDS.has(t.low) && !cap && !beforeNoun) ||
      (!cap && !isPlaceWord(t.low) && words.length === 0 && !hasThe && !placeNounAhead(tokens, j))
    )
      break;
    // "in conference hall", "at ananya's place": a plain word before a place noun is part of it.
    if (!cap && !isPlaceWord(t.low) && !hasThe && !placeNounAhead(tokens, j)) break;
    words.push(t);
    j++;
    const next = tokens[j];
    // A place noun ends the place unless a number, a letter, a name, a particle or another place noun goes on: "Room 4", "Café de Flore", "5th floor kitchen".
    const goesOn =
      next &&
      (/^(\d|[A-Z]\b)/.test(next.raw) ||
        (isCapitalized(t) && (isCapitalized(next) || PLACE_PARTICLES.has(next.low) || next.low === '&')) ||
        isPlaceWord(next.low) ||
        placeNounAhead(tokens, j));
    if (isPlaceWord(t.low) && !goesOn) break;
  }
  while (words.length && !placeName(words[words.length - 1]!) && !isPlaceWord(words[words.length - 1]!.low))
    words.pop();
  return words;
}

/** Words that end a place written in lowercase, besides the role words: "at chipotle near work", "at home lol". */
const PLAIN_PLACE_ENDS = new Set([
  ...BOUNDARY_WORDS,
  ...PRONOUNS,
  'w',
  'wid',
  'near',
  'opposite',
  'behind',
  'outside',
  'inside',
  'beside',
  'across',
  'like',
  'because',
  'since',
  'cuz',
  'cos',
  'coz',
  'though',
  'tho',
  'haha',
  'plz',
  'yeah',
  'yep',
  'mate',
  'anyway',
]);
/** Words before "at" or "in" that make it no place's: "to look at the numbers", "good at sales", "pencil in the pta stuff". */
const NOT_A_PLACE_AFTER =
  /^(?:look|looks|looking|looked|glance|stare|aim|aiming|point|pointing|good|great|bad|better|best|pencil|put|slot|fit|squeeze|pop|jot|block|sign|check|log|plug|drop|swing|dial|loop|fill|sit|chip|join)$/;
/** Words that open a topic: "to discuss the changes in the contract" names no place. */
const TOPIC_OPENERS = /^(?:about|regarding|re|discuss|discussing|concerning)$/;

/** A plain word that can be part of a place written in lowercase: "chipotle", "bill's", "single o". */
const plainPlaceWord = (t: Token | undefined) =>
  !!t &&
  /^\p{Ll}[\p{Ll}\p{M}'-]*$/u.test(t.raw) &&
  !PLAIN_PLACE_ENDS.has(t.low) &&
  !TIME_WORDS.has(t.low) &&
  !(t.low in NUMBER_WORDS) &&
  !(t.low in CLOCK_WORDS) &&
  !/ly$/.test(t.low);
/** Whether token `j` ends a place: nothing, punctuation, a gap left by a time, or a role word after it. */
function endsPlace(tokens: Token[], cased: string, j: number): boolean {
  const t = tokens[j];
  if (!t) return true;
  const prev = tokens[j - 1]!;
  return (
    cased.slice(prev.index + prev.raw.length, t.index) !== ' ' ||
    !/^[\p{L}\d]/u.test(t.raw) ||
    PLAIN_PLACE_ENDS.has(t.low) ||
    TIME_WORDS.has(t.low) ||
    NOT_PLACE_WORDS.has(t.low)
  );
}

/** Whether the preposition at token `i` is inside a topic ("to discuss the changes in the contract") or a verb's object ("look at"). */
function inTopic(tokens: Token[], cased: string, i: number): boolean {
  if (NOT_A_PLACE_AFTER.test(tokens[i - 1]?.low ?? '')) return true;
  for (let k = i - 1; k >= 0; k--) {
    const t = tokens[k]!;
    if (TOPIC_OPENERS.test(t.low)) return true;
    if (endsPlace(tokens, cased, k + 1) && k + 1 < i) return false;
    if (!/^\p{L}/u.test(t.raw) || t.low === 'with' || t.low === 'w') return false;
  }
  return false;
}

/**
 * A place written in lowercase after "at", "@" or "in the", up to the next role word, time or punctuation: "at
 * blue bottle", "@ cafe coffee day", "at bar do juarez", "at girl & the goat", "in the vestry", "at the school
 * ground". Idioms ("at least", "at the latest", "in the diary"), numbers, events ("at lunch") and words run on
 * into a sentence are no place.
 */
function plainPlaceFrom(tokens: Token[], cased: string, i: number, j: number): Token[] | undefined {
  const words: Token[] = [];
  let k = j;
  while (k < tokens.length && words.length < 5) {
    const t = tokens[k]!;
    const next = tokens[k + 1];
    const joined = cased.slice(tokens[k - 1]!.index + tokens[k - 1]!.raw.length, t.index) === ' ';
    if (!joined || NOT_PLACE_WORDS.has(t.low)) break;
    // "girl & the goat", "bar do juarez", "grounds of alexandria": joined to a plain word after it.
    if (words.length && (t.low === '&' || PLACE_PARTICLES.has(t.low))) {
      const after = t.low === '&' && next?.low === 'the' ? tokens[k + 2] : next;
      if (!plainPlaceWord(after)) break;
      words.push(...tokens.slice(k, tokens.indexOf(after!)));
      k = tokens.indexOf(after!);
      continue;
    }
    // "single o", "cafe coffee day": a lone letter or "day" after the first word is still the name.
    if (!plainPlaceWord(t) && !(words.length && (/^\p{Ll}$/u.test(t.raw) || t.low === 'day'))) break;
    words.push(t);
    k++;
  }
  if (!words.length || !endsPlace(tokens, cased, k) || inTopic(tokens, cased, i)) return undefined;
  const last = words[words.length - 1]!;
  if (EVENT_WORDS.has(last.low) && !isPlaceWord(last.low)) return undefined;
  // "at happy hour": the words begin an event that goes on after them.
  const from = words[0]!.index;
  const to = last.index + last.raw.length;
  const span = cased.slice(from, tokens[k] ? tokens[k]!.index + tokens[k]!.raw.length : to).toLowerCase();
  for (const m of span.matchAll(EVENT_NOUNS_ANYWHERE))
    if (m.index < to - from && m.index + m[0].length > to - from) return undefined;
  return words;
}

/** "at Tempe oval", "at the Parramatta job": a plain noun after a name, ending the place, is part of it. */
function nounAfterName(tokens: Token[], cased: string, words: Token[]): Token | undefined {
  const last = words[words.length - 1]!;
  const at = tokens.indexOf(last);
  const noun = tokens[at + 1];
  if (!isCapitalized(last) || !plainPlaceWord(noun) || endsPlace(tokens, cased, at + 1)) return undefined;
  if (NOT_PLACE_WORDS.has(noun!.low) || (EVENT_WORDS.has(noun!.low) && !isPlaceWord(noun!.low))) return undefined;
  return endsPlace(tokens, cased, at + 2) ? noun : undefined;
}

/** A capitalised word that is a name of its own, not a time, a platform, a common word or a person. */
const bareName = (raw: string, people: string[]) =>
  /^\p{Lu}[\p{Ll}'-]+$/u.test(raw) &&
  !TIME_WORDS.has(raw.toLowerCase()) &&
  !NOT_A_NAME.has(raw.toLowerCase()) &&
  !PLATFORM_NAMES.has(raw.toLowerCase()) &&
  !EVENT_WORDS.has(raw.toLowerCase()) &&
  !people.some((p) => p.toLowerCase() === raw.toLowerCase());

/**
 * "at Samsung office Seocho", "…, Paws Studio Newtown": a capitalised name after a named place's noun, ending the
 * place, is its suburb or branch.
 */
function suburbAfter(tokens: Token[], cased: string, words: Token[], people: string[]): Token | undefined {
  const last = words[words.length - 1]!;
  const at = tokens.indexOf(last);
  const next = tokens[at + 1];
  if (!isPlaceWord(last.low) || words.length < 2 || !isCapitalized(words[0]!) || !next) return undefined;
  if (cased.slice(last.index + last.raw.length, next.index) !== ' ' || !bareName(next.raw, people)) return undefined;
  return endsPlace(tokens, cased, at + 2) && !/^[\p{L}\d]/u.test(tokens[at + 2]?.raw ?? '') ? next : undefined;
}

/** "at the Tim Hortons on Queen": a chain's branch named by its street alone, after a capitalised venue. */
function streetNameAfter(words: Token[], after: string, people: string[]): RegExpExecArray | null {
  if (!words.every((w) => isCapitalized(w) || PLACE_PARTICLES.has(w.low) || w.low === '&')) return null;
  const m = /^ on (\p{Lu}\p{Ll}+)(?=$|[,.!?;]| (?!\p{Lu}))/u.exec(after);
  return m && bareName(m[1]!, people) ? m : null;
}

/** The place introduced by the preposition at token `i`, with a town or street after it, unless it is a person or an event. */
function placeAfterPreposition(tokens: Token[], cased: string, i: number, people: string[]): string | undefined {
  let j = i + 1;
  // A determiner stays as the user wrote it: "the office", "my office", "our kitchen".
  const hasThe = /^(the|my|our|your|his|her|their)$/.test(tokens[j]?.low ?? '');
  if (hasThe) j++;
  let words = placeWordsFrom(tokens, cased, i, j, hasThe);
  const prep = tokens[i]!.low;
  // A place in lowercase ("at chipotle", "in the vestry", "at the school ground") when no name or longer place was read.
  const plain = prep === 'at' || prep === '@' || (prep === 'in' && tokens[i + 1]?.low === 'the');
  const lowercase = plain ? plainPlaceFrom(tokens, cased, i, j) : undefined;
  if (lowercase && (!words.length || (words[0] === lowercase[0] && lowercase.length > words.length))) words = lowercase;
  else if (words.length) {
    const noun = nounAfterName(tokens, cased, words);
    if (noun) words = [...words, noun];
  }
  if (!words.length) return undefined;
  const suburb = suburbAfter(tokens, cased, words, people);
  if (suburb) words = [...words, suburb];
  const first = words[0]!;
  const last = words[words.length - 1]!;
  const after = cased.slice(last.index + last.raw.length);
  // "our office in Warsaw", "the Hilton on Park Avenue": a town after a place noun, a street after any place.
  const town = isPlaceWord(last.low) ? IN_TOWN.exec(after) : null;
  const street =
    ON_STREET.exec(after) ??
    (town && !TIME_WORDS.has(town[1]!.toLowerCase()) ? town : null) ??
    streetNameAfter(words, after, people);
  // "in Suite 1503.": the sentence's full stop is not the place's.
  const phrase = (
    cased.slice(first.index, last.index + last.raw.length) + (street ? street[0].replace(/\.$/, '') : '')
  ).replace(/(\d)\.$/, '$1');
  if (people.some((p) => p.toLowerCase() === phrase.toLowerCase())) return undefined;
  // "at Monmouth Coffee" is a venue named with an event word; "at lunch" is not a place.
  if (EVENT_WORDS.has(last.low) && !isPlaceWord(last.low) && !(words.length > 1 && words.every((w) => placeName(w))))
    return undefined;
  const anyPlace = words.some((w) => isPlaceWord(w.low));
  const anyCap = words.some((w) => isCapitalized(w) || isPlaceAcronym(w));
  if (!anyPlace && !anyCap && words !== lowercase) return undefined;
  // "in the Oak room" is the Oak room, but "The Ivy" and "my office" are names as written.
  if (hasThe && tokens[i + 1]!.raw !== 'the') return `${tokens[i + 1]!.raw} ${phrase}`;
  if (/^hq$/i.test(phrase)) return 'HQ';
  return phrase;
}

/** "book the big conference room", "Need Lecture Theatre B": a room booked is the place, preposition or not. */
function bookedRoomOf(text: string, cased: string): string | undefined {
  const booked = new RegExp(
    String.raw`\b(book|reserve|grab|need|get|use|borrow) (?:the |a )?((?:[\w-]+ ){0,2}(?:room|boardroom|hall|space|studio|lounge|terrace|rooftop|suite|auditorium|atrium|theatre|theater|lab)(?: (?:[a-z]{0,2}\d+(?:[.-]\d+)*[a-z]?|[a-z])\b(?! (?:${MONTH_WORD})\b))?)\b`,
  ).exec(text);
  if (!booked) return undefined;
  const room = cased.slice(booked.index + booked[0].length - booked[2]!.length, booked.index + booked[0].length);
  // "need some space" is no place; "Need Lecture Theatre B" names one.
  return /^(?:book|reserve|grab)$/.test(booked[1]!) || /^\p{Lu}/u.test(room) ? room : undefined;
}

/** The blanked text with the place's words blanked too: "in the 4F Huddle" names no huddle. */
function withoutPlace(blanked: string, cased: string, place: string | undefined): string {
  if (!place) return blanked;
  // "church council meeting in the church": the place is where a preposition or determiner introduces it.
  const written = [...cased.matchAll(new RegExp(`(?<![\\p{L}\\d])${escape(place)}(?![\\p{L}\\d])`, 'giu'))];
  const introduced = written.find((m) => /(?:\b(?:at|in|on|the|my|our|via|over)|@) $/i.test(cased.slice(0, m.index)));
  const at = (introduced ?? written[0])?.index ?? cased.toLowerCase().indexOf(place.toLowerCase());
  return at < 0 ? blanked : blanked.slice(0, at) + ' '.repeat(place.length) + blanked.slice(at + place.length);
}

/** Any platform's name, longest first, with the preposition before it if there is one. */
const PLATFORM = new RegExp(
  `(?:\\b(on|via|over|by|using|through)(?: the| a| an)? )?\\b(${PLATFORMS.map(([name]) => name.toLowerCase())
    .sort((a, b) => b.length - a.length)
    .map(escape)
    .join('|')})\\b`,
  'g',
);
const PLATFORM_NAMES = new Map(
  PLATFORMS.map(([name, afterPreposition]) => [name.toLowerCase(), { name, afterPreposition }]),
);

/** The video or phone platform named, as the user named it ("over Teams" is Teams); "both teams" is no platform. */
function platformOf(text: string): string | undefined {
  for (const m of text.matchAll(PLATFORM)) {
    const platform = PLATFORM_NAMES.get(m[2]!)!;
    if (platform.afterPreposition && !m[1]) continue;
    if (
      m[2] === 'teams' &&
      !m[1] &&
      /\b(?:both|all|two|three|four|several|multiple|other|our|their|your|sales|product|engineering|design|partner|different|many|the|of|and) $/.test(
        text.slice(0, m.index),
      )
    )
      continue;
    return platform.name;
  }
  return undefined;
}

/** "via Zalo", "via Around": a name after "via" is the platform the meeting is held on, known or not. */
function namedPlatformOf(tokens: Token[], cased: string, people: string[]): string | undefined {
  const at = tokens.findIndex((t) => t.low === 'via');
  const first = tokens[at + 1];
  if (at < 0 || !first || !(isCapitalized(first) || isPlaceAcronym(first)) || NOT_A_NAME.has(first.low))
    return undefined;
  const second = tokens[at + 2];
  const two = second && isCapitalized(second) && cased.slice(first.index + first.raw.length, second.index) === ' ';
  const name = two ? `${first.raw} ${second.raw}` : first.raw;
  return people.some((p) => p.toLowerCase() === name.toLowerCase()) ? undefined : name;
}

/** Numbered things that are no place: "…, Year 10", "…, Sprint 12". */
const NUMBERED_NOT_PLACES =
  /^(?:year|grade|sprint|phase|step|page|version|release|build|milestone|iteration|wave|cycle|module|week|day|batch|cohort|group|team|squad|term|semester|chapter|season|round|episode|part|option|issue|ticket|item|case|q)$/;

function locationOf(text: string, cased: string, tokens: Token[], people: string[]): string | undefined {
  const platform = platformOf(text) ?? namedPlatformOf(tokens, cased, people);
  if (platform) return platform;
  const room = roomOf(text, cased) ?? FOREIGN_ROOM.exec(cased)?.[0];
  if (room !== undefined) return room;
  for (let i = 0; i < tokens.length; i++) {
    if (!placePrepositionAt(tokens, i)) continue;
    const place = placeAfterPreposition(tokens, cased, i, people);
    if (place !== undefined) return place;
  }
  // "…, 1h, Level 3 kitchen", "…, 4th floor lounge": a place set off by a comma, without a preposition.
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.low !== ',') continue;
    const words = placeWordsFrom(tokens, cased, i, i + 1, false);
    // "…, Paws Studio Newtown": the suburb after a named place's noun.
    if (words.length > 2 && !isPlaceWord(words[words.length - 1]!.low) && isPlaceWord(words[words.length - 2]!.low)) {
      const suburb = suburbAfter(tokens, cased, words.slice(0, -1), people);
      if (suburb) words.splice(-1, 1, suburb);
    }
    const last = words[words.length - 1];
    const end = last && tokens[tokens.indexOf(last) + 1];
    // "…, Ward 4", "…, Carslaw 350" at the end: a room or building with its number.
    const numbered =
      words.length > 1 &&
      /^\d/.test(last?.raw ?? '') &&
      (!end || /^[!?]$/.test(end.raw)) &&
      words
        .slice(0, -1)
        .every(
          (w) =>
            isPlaceWord(w.low) ||
            (isCapitalized(w) && !NOT_A_NAME.has(w.low) && !EVENT_WORDS.has(w.low) && !NUMBERED_NOT_PLACES.test(w.low)),
        );
    const suburban = words.length > 2 && isPlaceWord(words[words.length - 2]!.low) && !isPlaceWord(last!.low);
    if (
      last &&
      (isPlaceWord(last.low) || numbered || suburban) &&
      (!end || /^[,.!?;]$/.test(end.raw)) &&
      !EVENT_WORDS.has(words[0]!.low)
    )
      return cased.slice(words[0]!.index, last.index + last.raw.length).replace(/(\d)\.$/, '$1');
  }
  return bookedRoomOf(text, cased);
}

/** A new title for the meeting under discussion: "call it Project kickoff", "rename it to …". */
const RENAME =
  /\b(?:call it|rename(?: it| this| the meeting)?(?: to| as)?|title it|name it|change the (?:title|name) to|make the (?:title|name)|set the (?:title|name) to|the title (?:is|should be))\s+/;
const TOPIC_MARKERS =
  /(?:\b(?:re|subject|subj|topic|agenda)\s?:|\b(?:about|regarding|re|to discuss|discuss|to go over|go over|to go through|to walk through|walk through|to review|to talk about|to talk through|to chat about|chat about|talk about|on the topic of|called|titled|named|to plan|to prep|to prepare|to sort out|to finalize|to finalise|to sign off on|to brainstorm|to cover|concerning|to (?:pair|work|sync|align|decide|agree|follow up|catch up|touch base|check in|debrief|update (?:me|us)) on|to (?:figure out|look at|look into|debug|fix|map out|scope|kick off|wrap up)|on)\b:?) ?/g;
const TOPIC_STOP = new Set([
  'with',
  'at',
  'on',
  'in',
  'for',
  'tomorrow',
  'today',
  'tonight',
  'next',
  'this',
  'via',
  'over',
  'by',
  'from',
  'until',
  'till',
  'please',
  'and',
  'asap',
  'around',
  'before',
  'after',
  'thanks',
  'pls',
  'maybe',
  'sometime',
  'if',
  'so',
  'then',
  'when',
  'i',
  'we',
  'let',
]);

/** The words of a topic phrase starting at `from` in the blanked text: up to a stop word, a taken span or punctuation. */
function phraseAt(blanked: string, cased: string, from: number, people: string[]): string | undefined {
  const rest = blanked.slice(from);
  const m = /^(?:(?:the|our|my|a|an|some|this|that) )?/.exec(rest)!;
  const index = from + m[0].length;
  const words: string[] = [];
  const tail = blanked.slice(index);
  let end = index;
  let begin = index;
  for (const w of tail.matchAll(/( *)([^\s,.!?;()]+)([,.!?;()]?)/g)) {
    if (w[1]!.length > 1 && words.length) break;
    if (!words.length) begin = index + (w.index ?? 0) + w[1]!.length;
    const word = w[2]!.toLowerCase().replace(/'s$/, '');
    if (TOPIC_STOP.has(word) && words.length) break;
    if (TOPIC_STOP.has(word) && !words.length) break;
    if (people.some((p) => p.toLowerCase() === word)) break;
    if (words.length >= 6) break;
    words.push(w[2]!);
    end = index + (w.index ?? 0) + w[0].length - w[3]!.length;
    if (w[3]) break;
  }
  if (!words.length) return undefined;
  // "to go over January rosters": a month right before the topic (read as no date) qualifies it.
  const month = /(\p{L}+) +$/u.exec(cased.slice(index, begin));
  if (month && MONTHS.includes(month[1]!.toLowerCase()) && !blanked.slice(index, begin).trim())
    begin = index + month.index;
  const phrase = cased
    .slice(begin, end)
    .trim()
    .replace(/[:\-]+$/, '')
    .trim();
  if (!phrase || PRONOUNS.has(phrase.toLowerCase()) || /^(it|that|this|them|something|stuff|things)$/i.test(phrase))
    return undefined;
  return phrase;
}

function titleOf(blanked: string, cased: string, people: string[], location: string | undefined): string | undefined {
  const quoted = /["“]([^"”]{2,80})["”]|(?:^|\s)'([^']{2,80})'(?:\s|$|[,.!?])/.exec(cased);
  if (quoted) return (quoted[1] ?? quoted[2])!.trim();
  const rename = RENAME.exec(blanked);
  if (rename) {
    const phrase = phraseAt(blanked, cased, rename.index + rename[0].length, []);
    if (phrase) return capitalize(phrase);
  }
  for (const marker of blanked.matchAll(TOPIC_MARKERS)) {
    const word = marker[0].trim();
    if (
      word === 'on' &&
      !/\b(?:meeting|call|sync|chat|session|catch up|talk|workshop|presentation|review) on $/.test(
        blanked.slice(0, marker.index + marker[0].length),
      )
    )
      continue;
    if (word === 're' && !/^re [a-z]/i.test(blanked.slice(marker.index))) continue;
    // "need to fix one meeting with Vikram": in Indian English a meeting is fixed (booked), not the topic.
    if (
      word === 'to fix' &&
      /^(?:one|a|an) (?:meeting|mtg|call|session|appointment)\b/.test(blanked.slice(marker.index + marker[0].length))
    )
      continue;
    // "put a call on my calendar": where it goes, not what it is about.
    if (
      word === 'on' &&
      /^(?:my|the|our|your) (?:calendar|diary|schedule|agenda)\b/.test(blanked.slice(marker.index + marker[0].length))
    )
      continue;
    const phrase = phraseAt(blanked, cased, marker.index + marker[0].length, people);
    if (phrase && !(location && phrase.toLowerCase() === location.toLowerCase())) return capitalize(phrase);
  }
  const event = eventTitleOf(blanked, cased, people);
  const forTopic = forTopicOf(blanked, cased, people);
  // "onboarding for new starters" is Onboarding; "a call for budget prep" is Budget prep.
  // "drinks for Mere's farewell", "kickoff meeting for project Sakura": an occasion someone's, or a named thing
  // after a plain meeting, is the better title.
  const named =
    !!forTopic && (/^\p{L}+'s /u.test(forTopic) || (/ \p{Lu}/u.test(forTopic) && /\bmeeting$/.test(event?.head ?? '')));
  // "for induction of new joinees": the event is the topic's own first words, the topic says more.
  const widens = !!forTopic && !!event?.title && forTopic.toLowerCase().startsWith(`${event.title.toLowerCase()} of `);
  if (forTopic && (!event || WEAK_EVENT.test(event.noun) || named || widens)) return forTopic;
  return event?.title ?? forTopic ?? leadingTitleOf(blanked, cased, people) ?? namedEventOf(blanked, cased, people);
}

/** A booking verb after the message's opening words: where the request starts after an aside. */
const REQUEST_VERB =
  /(?<=\S.*?)\b(?:book|schedule|put in|pop in|pencil in|set up|arrange|add)\b(?! (?:it|that|this|them)\b)/;

/**
 * The title of the request: "ugh sunday night and still on email. book pipeline review …" is Pipeline review, not
 * Email. A title named from the booking verb on wins over words said before it; else the whole message is read.
 */
function requestTitleOf(blanked: string, cased: string, people: string[], location: string | undefined) {
  const verb = REQUEST_VERB.exec(blanked);
  if (verb) {
    const title = titleOf(' '.repeat(verb.index) + blanked.slice(verb.index), cased, people, location);
    if (title) return title;
  }
  return titleOf(blanked, cased, people, location);
}

/** The object of a verb that books, moves or cancels: "book a QBR", "arrange a viva", "move the QBR". */
const EVENT_OBJECT =
  /\b(?:schedule|book(?: in)?|arrange|organi[sz]e|set up|plan|put(?: in)?|pop(?: in)?|pencil(?: in)?|add|hold|create|run|move|bump|push|reschedule|shift|cancel|drop|ditch|scratch|kill|nuke|scrap|axe)\b( (?:a|an|the|my|our|another)\b)?(?: (?:quick|short|brief|little|new)\b)?/g;
/** What may follow the object of a verb: "book a QBR with Sophie", "scratch the QBR, they postponed". */
const AFTER_OBJECT = /^(?:$| {2}| ?[,.!?;]|(?: (?:with|w|wid|at|in|on|over|via|about|re|between|and|to|for)\b))/;
/** What may follow an event named at the head of the message: "QBR w/ Initech", "viva with Niamh", "drill tomorrow 02:30". */
const AFTER_HEAD = /^(?: {2}|(?: (?:with|w|wid|at|in|on|over|via)\b))/;
/** Verbs that open a message before "with" or a name: no event is named. */
const HEAD_VERBS =
  /^(?:meet|speak|talk|connect|reconnect|hang|link|hook|get|go|come|see|visit|work|pair|sit|confer|consult|discuss|touch|gather|team(?= up)|partner|collaborate|align|coordinate|liaise|ring|phone|dial|catch|join|help|ask|tell|text|email|message|ping|sort|figure|do|have|need|want|let'?s|lets)\b/;
/** Nouns that are also verbs (so boundary words): the last word of a title after a qualifier ("toolbox talk"). */
const VERB_NOUNS = /^(?:talk|walk|round|review|chat|plan|prep|cover)$/;
/** Nouns that are also building parts or groups (so no name): a qualifier in a title ("ward round", "team talk"). */
const QUALIFIER_NOUNS = /^(?:team|ward|office|site|floor|staff|cabin)$/;
/** An acronym names an event: "QBR", "OKR", "PI", "1:1". */
const isAcronym = (word: string) => /^(?:\p{Lu}[\p{Lu}\d&]{1,5}s?|1ː1)$/u.test(word);

/**
 * An event the lexicon does not know, named where events stand: the object of a verb that books, moves
 * or cancels ("arrange a supervision with Dr Sharma"), or the head of the message before with/at/in or a
 * time ("candidate screen with Tyrone", "db failover drill tomorrow 02:30"). One to three plain words or
 * an acronym; a name, a place, a pronoun or a generic word ("meeting", "time") is no event.
 */
function namedEventOf(blanked: string, cased: string, people: string[]): string | undefined {
  for (const m of blanked.matchAll(EVENT_OBJECT)) {
    const title = eventWordsAt(blanked, cased, m.index + m[0].length, people, !!m[1], AFTER_OBJECT);
    if (title) return title;
  }
  for (const clause of blanked.matchAll(CLAUSE_HEAD)) {
    const head = clause.index + clause[0].length;
    // "meet with Ana", "speak with Ana": a verb heads the message, not an event.
    if (HEAD_VERBS.test(blanked.slice(head))) continue;
    const title = eventWordsAt(blanked, cased, head, people, false, AFTER_HEAD);
    if (title) return title;
  }
  return undefined;
}

/**
 * Where an event may head the message: its start or a clause after an aside ("lost an hour last night. anyway,
 * reading group …", "note for later: supervision …"), past fillers ("ok um mehendi trial …").
 */
const CLAUSE_HEAD =
  /(?:^|[.:;!?] |\banyway,? |\bbtw,? )[\s,.;:!?-]*(?:(?:ok|okay|um+|uh+|erm|so|right|hey|hi|well|oh|alright|and)\b[\s,]*)*/g;

/** One to four event words at `from` followed by a break (a preposition, a time, punctuation, the end). */
function eventWordsAt(
  blanked: string,
  cased: string,
  from: number,
  people: string[],
  article: boolean,
  breaks: RegExp,
): string | undefined {
  const m = /^ ?((?:[\p{L}\dː][\p{L}\d'ː-]*)(?: [\p{L}\dː][\p{L}\d'ː-]*){0,3})/u.exec(blanked.slice(from));
  if (!m) return undefined;
  let words = m[1]!.split(' ');
  const start = from + m[0].length - m[1]!.length;
  // Shorten to the words before a break: "supervision with Dr Sharma" → "supervision".
  for (let n = 1; n <= words.length; n++) {
    const phrase = words.slice(0, n).join(' ');
    const after = blanked.slice(start + phrase.length);
    if (breaks.test(after)) {
      words = words.slice(0, n);
      const written = cased.slice(start, start + phrase.length).split(' ');
      const fits = written.every((w, k) => {
        const low = words[k]!.toLowerCase();
        // "Black Friday staffing plan": a holiday's day (hidden from the date reader) is part of the title.
        if (isAcronym(w) || (k > 0 && w.includes('\u0251'))) return true;
        if (/^\d/.test(w) || !/^[\p{Ll}\p{Lu}]/u.test(w)) return false;
        // "team talk", "job walk", "ward round": a noun that is also a verb ends a title after a qualifier, and a
        // noun that is also a building part or a group qualifies one.
        const last = k === written.length - 1;
        if (k > 0 && last && (VERB_NOUNS.test(low) || low === 'do')) return true;
        if (!last && QUALIFIER_NOUNS.test(low)) return true;
        // "Garden club potluck": a place noun qualifies an event it does not end.
        if (!last && isPlaceWord(low) && !isPlaceWord(words.at(-1)!.toLowerCase())) return true;
        if (NOT_A_NAME.has(low) || TITLE_FILLERS.has(low) || GENERIC_EVENTS.has(low) || PRONOUNS.has(low)) return false;
        if (TIME_WORDS.has(low) || BOUNDARY_WORDS.has(low) || isPlaceWord(low)) return false;
        if (/^(?:one|ones|everything|anything|them|reminder|please|sorry|thanks)$/.test(low)) return false;
        if (people.some((p) => p.toLowerCase().split(' ').includes(low))) return false;
        // "Viva with Niamh" opens the message with a capital; "Sarah at 3" is a name.
        // "Boiler service at 17 Kingsley Road": a capital opening the message before lowercase words is no name.
        const opening = k === 0 && start === 0 && /^\p{Lu}\p{Ll}+$/u.test(w);
        return (
          /^\p{Ll}/u.test(w) ||
          (opening && (/ w(?:ith|id)?\b/.test(after) || written.slice(1).some((x) => /^\p{Ll}/u.test(x))))
        );
      });
      // One plain word with no article could be a name written in lowercase ("book ana for 3"): only before "with".
      const sure = article || words.length > 1 || isAcronym(written[0]!) || / w(?:ith|id)?\b/.test(after);
      return fits && sure ? capitalize(cased.slice(start, start + phrase.length).replace(/ː/g, ':')) : undefined;
    }
  }
  return undefined;
}

/** Nouns by their ending: "negotiation", "alignment", "committee", "governance", "partnership". */
const NOUN_ENDING = /(?:tion|sion|ment|ittee|ance|ence|ship|mortem|ium)$/;

/** A message that opens with a noun phrase names its event: "Vendor negotiation tomorrow at 3". */
function leadingTitleOf(blanked: string, cased: string, people: string[]): string | undefined {
  const m =
    /^(?:(?:a|an|the|our) )?((?:[\p{L}\d][\p{L}\d'&-]* ){0,3}[\p{L}][\p{L}'-]*)(?= (?:with|at|in|on|for|about|tomorrow|today|tonight|next|this|from| {2})|[,.!?]|$)/u.exec(
      blanked,
    );
  if (!m) return undefined;
  const words = m[1]!.split(' ');
  const last = words[words.length - 1]!.toLowerCase();
  if (!NOUN_ENDING.test(last) || GENERIC_EVENTS.has(last) || TIME_WORDS.has(last)) return undefined;
  if (
    words.some(
      (w) =>
        TITLE_FILLERS.has(w.toLowerCase()) ||
        BOUNDARY_WORDS.has(w.toLowerCase()) ||
        people.some((p) => p.toLowerCase().split(' ').includes(w.toLowerCase())),
    )
  )
    return undefined;
  const begin = m.index + m[0].length - m[1]!.length;
  return capitalize(cased.slice(begin, m.index + m[0].length));
}

/** Event nouns that say how people meet, not what about: a topic after "for" is the better title. */
const WEAK_EVENT =
  /^(call|calls|sync|chat|meeting|session|catch ?up|catch-up|check-in|check in|huddle|touchpoint|touch base|1ː1|one-on-one|1-on-1|appointment|phone call|video call|zoom call)$/;

/** "for budget prep", "for the launch": a topic after "for" unless it is a person, a length, a number or a time. */
function forTopicOf(blanked: string, cased: string, people: string[]): string | undefined {
  for (const m of blanked.matchAll(/\bfor (?:the |our |a |an |my )?([a-z0-9ː][\w'ː-]*(?: [a-z0-9][\w'-]*){0,4})/g)) {
    const phrase = phraseAt(blanked, cased, m.index + 4, people);
    if (!phrase) continue;
    const first = phrase.split(' ')[0]!.toLowerCase();
    if (
      GENERIC_EVENTS.has(first) ||
      TIME_WORDS.has(first) ||
      PRONOUNS.has(first) ||
      /^(it|that|this|us|me|you|now|later|real|sure|free|coffee|lunch|dinner|breakfast|drinks)$/.test(first)
    )
      continue;
    if (people.some((p) => p.toLowerCase() === phrase.toLowerCase())) continue;
    // "for Sarah" is a person; "it's for CODIR" an event in capitals (not a role: "for HR").
    const acronym = isAcronym(phrase) && !ROLE_ACRONYMS.has(first);
    if (/^\p{Lu}/u.test(phrase) && phrase.split(' ').length === 1 && !EVENT_WORDS.has(first) && !acronym) continue;
    if (/^\d/.test(first)) continue;
    return capitalize(phrase);
  }
  return undefined;
}

/** A known event noun, with up to two qualifiers before it ("design review", "team lunch"). */
function eventTitleOf(
  blanked: string,
  cased: string,
  people: string[],
): { title?: string; noun: string; head: string } | undefined {
  let best: { index: number; noun: string } | undefined;
  for (const pattern of EVENT_PATTERNS) {
    const m = pattern.exec(blanked);
    if (m && (!best || m.index < best.index || (m.index === best.index && m[0].length > best.noun.length)))
      best = { index: m.index, noun: m[0] };
  }
  const generic = /(?<![\w'])([a-z0-9][\w-]*) (meeting|mtg)\b/.exec(blanked);
  // "care plan meeting": a verb's noun after a plain word qualifies the meeting.
  const prior = generic && /(?:^| )([a-z]+) $/.exec(blanked.slice(0, generic.index))?.[1];
  const verbNoun =
    !!prior && VERB_NOUNS.test(generic![1]!) && ![NOT_A_NAME, TITLE_FILLERS, TIME_WORDS].some((set) => set.has(prior));
  if (
    generic &&
    (verbNoun || (!TITLE_FILLERS.has(generic[1]!) && !BOUNDARY_WORDS.has(generic[1]!))) &&
    !/^(zoom|teams|skype|webex|phone|video|online|in-person|person|f2f|irl|quick|one|1ː1)$/.test(generic[1]!) &&
    (!best || generic.index < best.index)
  ) {
    best = { index: generic.index + generic[1]!.length + 1, noun: generic[2]! };
  }
  if (!best) return undefined;
  // "coffee chat", "lunch meeting", "sync call": a second event word right after widens the title.
  // "audit committee meeting": twice at most.
  // "panel upgrade quote", "placement prep talk": a plain word, then an event word or a noun that is also a verb.
  for (let widened = 0; widened < 2; widened++) {
    const ends = (w: string | undefined) =>
      !!w &&
      !/^(in|up|on|at|with|for|to|base|off|through)$/.test(w) &&
      (EVENT_WORDS.has(w) || EVENT_WORDS.has(w.replace(/s$/, '')) || w === 'meeting' || VERB_NOUNS.test(w));
    const after = /^ ([a-z][\w-]*)(?: ([a-z][\w-]*)\b)?/.exec(blanked.slice(best.index + best.noun.length));
    if (!after) break;
    const [, first, second] = after;
    const plain = !(
      NOT_A_NAME.has(first!) ||
      BOUNDARY_WORDS.has(first!) ||
      TITLE_FILLERS.has(first!) ||
      TIME_WORDS.has(first!)
    );
    // "mock exam moderation", "lesson observation": a plain noun after the event word names the event.
    const named = plain && NOUN_ENDING.test(first!) && !EVENT_WORDS.has(second ?? '');
    const widen = ends(first) || named ? first : plain && ends(second) ? `${first} ${second}` : undefined;
    if (!widen) break;
    best = { index: best.index, noun: `${best.noun} ${widen}` };
  }
  const before = blanked.slice(0, best.index).split(/ /).filter(Boolean);
  const qualifiers: string[] = [];
  let start = best.index;
  for (let k = before.length - 1; k >= 0 && qualifiers.length < 4; k--) {
    const word = before[k]!;
    const low = word.toLowerCase();
    // "can't attend sprint planning": a contraction or a verb of going is no part of the title.
    if (/n't$|'(?:m|re|ve|ll|d)$/.test(low) || /^(?:attend|attending|skip|skipping|miss|missing)$/.test(low)) break;
    // "cancel tuesdays rota planning": the day it recurs on is not part of the title.
    if (/^(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)days$/.test(low)) break;
    // "fix one meeting with Vikram": in Indian English "one" is "a", no part of the title.
    if (low === 'one' && !qualifiers.length && /^(?:meeting|mtg|call|session)$/.test(best.noun)) break;
    const prior = (before[k - 1] ?? '').toLowerCase();
    // "board of management meeting": "of" between two nouns of the title.
    if (
      low === 'of' &&
      qualifiers.length &&
      /^\p{L}+$/u.test(prior) &&
      !TITLE_FILLERS.has(prior) &&
      !BOUNDARY_WORDS.has(prior) &&
      blanked.slice(blanked.lastIndexOf(word, start - 1) + word.length, start) === ' '
    ) {
      qualifiers.unshift(word);
      start = blanked.lastIndexOf(word, start - 1);
      continue;
    }
    // "new teacher interview", "sub cover planning", "schedule shift handover", "tech talk dry run", "care plan
    // meeting": nouns that are also other words (a verb's noun after a plain word).
    const plainPrior =
      /^\p{L}+$/u.test(prior) && ![NOT_A_NAME, TITLE_FILLERS, BOUNDARY_WORDS, TIME_WORDS].some((set) => set.has(prior));
    const noun =
      ((low === 'new' || low === 'cover') && qualifiers.length > 0) ||
      (VERB_NOUNS.test(low) && plainPrior && blanked.slice(0, start).endsWith(`${prior} ${word} `)) ||
      (low === 'shift' &&
        (/^(?:schedule|book|arrange|set|plan|organise|organize|add|create|a|the|our|my|pencil)$/.test(prior) ||
          ((k === 0 || (plainPrior && !qualifiers.length)) &&
            !/\b(?:to|till|until|later|earlier|forward|back|by|up|down|out)\b/i.test(cased.slice(start)))));
    // "Annual day rehearsal", "new hire onboarding": a day or "new" that a word of the title names.
    const named =
      (low === 'day' &&
        k > 0 &&
        /^\p{L}+$/u.test(before[k - 1]!) &&
        !BOUNDARY_WORDS.has(before[k - 1]!.toLowerCase())) ||
      (low === 'new' &&
        /^(?:hire|hires|starter|starters|joiner|joiners|joinee|joinees|employee|employees)$/i.test(
          qualifiers[0] ?? '',
        )) ||
      // "morning tea", "afternoon tea": a meal named by its part of the day.
      (/^(?:morning|afternoon)$/.test(low) && best.noun === 'tea' && !qualifiers.length);
    // "SOC 2 readiness review", "Series A pitch rehearsal": a number or a capital letter after a capitalised word
    // (not a verb) names a stage.
    const from = blanked.lastIndexOf(word, start - 1);
    const staged =
      (/^\d{1,2}$/.test(low) || /^\p{Lu}$/u.test(cased.slice(from, from + word.length))) &&
      /\p{Lu}[\p{L}]* $/u.test(cased.slice(0, from)) &&
      !/^(?:book|schedule|arrange|set|add|plan|put|have|need|want|organi[sz]e|create|hold|run)$/.test(prior);
    if (
      !named &&
      !noun &&
      !staged &&
      (/[,.!?;:)]$/.test(word) ||
        !/^[\p{L}\d]/u.test(word) ||
        TITLE_FILLERS.has(low) ||
        BOUNDARY_WORDS.has(low) ||
        PRONOUNS.has(low) ||
        /^(zoom|teams|skype|webex|slack|google|meet|quick|\+|&|with|w)$/.test(low))
    )
      break;
    // "move Dana's budget review": whose meeting it is is no part of its title.
    if (
      people.some((p) =>
        p
          .toLowerCase()
          .split(' ')
          .includes(low.replace(/['’]s$/, '')),
      )
    )
      break;
    const at = blanked.lastIndexOf(word, start - 1);
    // A blanked span (a time, a length) between the words ends the title.
    if (at < 0 || blanked.slice(at + word.length, start) !== ' ') break;
    // "1099 review": a number too long for a clock heading the title names a form or a code.
    const code = /^\d{3,}$/.test(low) && (k === 0 || /^(?:book|schedule|arrange|the|a|our|my)$/.test(prior));
    if (/^\d/.test(low) && !/^(q\d|\d+(st|nd|rd|th))$/.test(low) && !staged && !code) break;
    qualifiers.unshift(word);
    start = at;
  }
  const title = cased.slice(start, best.index + best.noun.length).replace(/ː/g, ':');
  if (!qualifiers.length && GENERIC_EVENTS.has(best.noun)) return { noun: best.noun, head: best.noun };
  return {
    title: capitalize(title.replace(/\bcatchup\b/i, 'catch up')),
    noun: qualifiers.length ? 'qualified' : best.noun.toLowerCase(),
    head: best.noun.toLowerCase(),
  };
}

// Intent cues: whole-message yes/no, then verbs and question shapes.
const YES_WORDS =
  /^(?:oh|well|then|so|and|done|(?:do|make) the booking|sim|si|sí|oui|ja|haan|hai|evet|claro|vale|that'?s (?:all )?(?:good|ok|okay|fine)|y|ya|yes|yeah|yea|yep|yup|yas|yess+|sure|ok|okay|okey|k|kk|confirm|confirmed|book it|book that|do it|go ahead|go for it|sounds good|sounds great|sounds perfect|perfect|great|good|correct|right|that works|that works for (?:me|us)|(?:that'?s |that is )?(?:grand|great|fab|fantastic|spot on|ace)|that'?ll do|works for (?:me|us)|that'?s fine|thats fine|fine|works for me|works|absolutely|definitely|please do|lgtm|lock it in|lock that in|ship it|let's do it|lets do it|do that|yes please|book (?:it|that|this)(?: in)?|that's right|thats right|exactly|agreed|deal|all good|cool|awesome|nice|excellent|brilliant|cheers|please|thanks|thank you|thx|ty|alright|all right|of course|sure thing|yes,? book it|go|proceed|confirm it|save it|make it so|bingo|yep that's it|that's it|super|wonderful|lovely|amazing|ideal|looks good|looks great|that's perfect|sgtm|ok book it|yes do it|sweet|great stuff|indeed|certainly|affirmative|yes it is|it is|yes that's correct|please book it|book|go on then)$/;
const NO_WORDS =
  /^(?:not (?:this|that)(?: one)?|not quite|don'?t book|do not book|nein|não|nao|nahi|non|not (?:required|necessary)|please|actually|oh|hmm|wait|um|uh|sorry|n|no|nope|nah|no thanks|no thank you|never ?mind|nvm|forget it|forget that|don'?t|do not|stop|scrap that|scrap it|drop it|not now|no way|abort|negative|not really|no no|nah thanks|not that|not that one|wrong one|that'?s wrong|wrong|incorrect|that'?s not right|not right|that'?s incorrect|ignore that|(?:leave|skip|drop) it (?:for now|for the moment|for today|for the time being)|leave it|leave it as (?:is|it is)|don'?t bother|hold off|hold off for now|not (?:right )?now|wait no|actually no|no,? leave it|no don'?t|please don'?t|skip it|no need|not needed|dont book it|don'?t book it)$/;

/** Longer ways to say yes, whatever is asked: "Yes, that is correct; please proceed.", "that time works for me". */
const YES_AT_LENGTH = new RegExp(
  `^(?:${[
    "(?:that|this|it|that time|this time|the time|that day|that slot|all|everything)(?: is|'s| looks| sounds| seems| would be| will be| should be)?(?: all)? (?:correct|right|fine|good|great|perfect|ok|okay|in order|lovely|ideal|spot on|brilliant|excellent|wonderful|the one)(?: (?:for|by|to|with) (?:me|us))?",
    '(?:(?:that|this|it|that time|this time|the time|that day|that slot) )?(?:works|suits|will do|should work|would work|is the one)(?: (?:for |by )?(?:me|us))?(?: (?:perfectly|fine|well|great|too))?',
    '(?:sounds|looks|seems) (?:good|great|fine|perfect|right|ok|okay|lovely)(?: (?:to|for) (?:me|us))?',
    '(?:fine|good|ok|okay|great|perfect) (?:by|with|for) (?:me|us)',
    '(?:i|we) (?:confirm|agree|approve|accept)',
    '(?:that )?would be (?:great|perfect|lovely|fine|good|brilliant|wonderful|ideal)',
    "let'?s do (?:that|this|it)",
    '(?:please )?(?:send|shoot|fire off)(?: (?:it|the invites?|invites?|an invite|the invitation))?(?: out)?',
    '(?:please )?(?:proceed|go ahead) with (?:the |my )?(?:booking|reservation|meeting|it|that|this)',
    '(?:please |you may |you can )?(?:proceed|go right ahead|carry on)',
    '(?:sure,? )?why not',
    'aye|ta|mate|sweet as|much appreciated|please do so|if you would|if you could|if you please|kindly',
    '(?:thank you|thanks|many thanks)(?: so much| very much| a lot)?',
  ].join('|')})$`,
);
/** Longer ways to say no: "No, thank you; please disregard that.", "yeah nah". */
const NO_AT_LENGTH =
  /^(?:(?:please )?(?:don'?t|do not) (?:book|confirm|schedule|save)(?: (?:it|that|this|anything))?(?: (?:yet|just yet|for now|now))?|scratch (?:that|it)|(?:please )?(?:disregard|ignore|forget(?: about)?) (?:that|it|this)(?: one| request)?(?: (?:then|now|for now))?|(?:i'?ve |i have |i )?changed my mind|(?:that'?s |that is )?not necessary|not needed|not any ?more|no longer|yeah nah|(?:that'?s|that is) (?:all right|alright|ok|okay|fine)|(?:please )?don'?t bother|(?:please )?don'?t worry(?: about (?:it|that))?|(?:please )?don'?t|(?:please )?do not|i'?ll pass|pass|kindly|please|thank you|thanks)$/;
/**
 * Restating what the question waits for is a yes: "yes, cancel it", "Yes, please cancel them all.", "yes move it",
 * "sweet as, chuck it in", "yes, get rid of the lot", "go ahead and book it". A lead ("and", "just", "go ahead and")
 * and a tail ("then", "now", "for me") may go around it.
 */
const RESTATED: Record<Awaiting, RegExp> = {
  book: restating(
    '(?:book|schedule|add|save|confirm|lock|put|pencil|chuck|pop|stick|whack|bung|slot|throw|set|send|agéndalo|agendalo|agendar|resérvalo|reservalo|réserve|réservez|buchen|buch es|eintragen|trag es ein|prenota|prenotalo|boek het|plan het in|book karo|book kar do|book kar dijiye)(?: (?:it|that|this|them|the (?:booking|meeting|draft|appointment|slot|time|invite|invitation)))?(?: (?:in|down|up|through|out))?(?: (?:the |my |your )?(?:diary|calendar|cal|schedule|books))?|make it happen|get it (?:booked|done|in)|make it official',
  ),
  cancel: restating(
    "(?:(?:cancel|delete|remove|scrap|drop|kill|axe|nix|bin|clear|ditch|trash|wipe|nuke|zap|get rid of|call off|confirm|annule|annuler|annulez|annulla|cancela|cancelar|absagen|stornieren)(?: (?:it|that|this|them|those|these|both|everything|em|'em|the lot|the whole lot|(?:the )?cancellation|the meetings|(?:all|both) of them))?(?: (?:all|both|off))?|call (?:it|that|them) off|(?:all|both|everything)(?: of them)?)",
  ),
  move: restating(
    '(?:move|shift|push|bump|reschedule|change|swap|do|confirm|verschieben|déplace|déplacer|muévela|muevela|mover|sposta|spostala)(?: (?:it|that|this|them))?(?: the (?:move|change))?|make the (?:move|change)',
  ),
};

/** A restatement of the pending action with what may go around it (see `RESTATED`). */
function restating(action: string): RegExp {
  return new RegExp(
    `^(?:(?:and|just|then|so|please|go ahead and|go on and|yes|yeah|ok|okay) )*(?:${action})(?: (?:then|now|please|for me|already|anyway|away|pronto))*$`,
  );
}
/** Keeping a meeting as it is answers a cancel or a move with no: "nah keep it", "leave it where it is", "it can stay put". */
const KEPT =
  /^(?:(?:i|we)(?:'ll| will| want to| would like to|'d like to| still (?:need|want))? keep (?:it|that|this|them)(?: (?:as (?:it is|is)|where it is|there|on|then))?|(?:i|we) still (?:need|want) (?:it|that|this|them)|(?:keep|leave)(?: (?:it|that|this|them|things))?(?: (?:as (?:it is|is)|where it is|be|alone|on|in|there|then))?|(?:it|that|this|they|she|he) (?:can|could|should) stay(?: (?:put|there|as (?:it is|is)|where (?:it|they|she|he) (?:is|are)))?|stay (?:put|as (?:it is|is))|(?:it'?s|its|it is) (?:fine|good|ok|okay|all good) (?:where it is|as (?:it is|is))|don'?t (?:cancel|move|change|touch)(?: (?:it|that|this|them))?|do not (?:cancel|move|change)(?: (?:it|that|this|them))?)$/;

const YES_OR_THANKS = new Set([...YES_ELSEWHERE, ...THANKS_ELSEWHERE]);
const NO_OR_THANKS = new Set([...NO_ELSEWHERE, ...THANKS_ELSEWHERE]);

/**
 * What may follow a yes or a no as its reason ("no, don't book, I will check with him first", "yes, he's
 * expecting it"): a clause of its own that names no time, day or change, so "no, I meant Thursday" stays a
 * correction.
 */
const REASON =
  /^(?:i|i'?ll|i'?m|im|we|we'?ll|he|she|they|will|let me|lemme|need to|have to|gotta|maybe|because|coz|cos|since|as|until|till|still|waiting)\b(?!.*\b(?:meant|mean|said|want|like|prefer|rather|instead|make|change|move|add|invite|bring|join|also|too|use|room|office|zoom|teams|hall|at|for|today|tonight|tomorrow|\w+day|morning|afternoon|evening|noon|week|month)\b)[^\d]*$/;

/** The answer a message gives as a whole: a yes, a no, or neither, read against what is awaited. */
function answerOf(text: string, awaiting: Awaiting | undefined): 'confirm' | 'decline' | undefined {
  const restated = awaiting ? RESTATED[awaiting] : undefined;
  const yes = (p: string) => YES_WORDS.test(p) || YES_AT_LENGTH.test(p) || YES_OR_THANKS.has(p) || !!restated?.test(p);
  if (wholeMessage(text, yes) || answersWithReason(text, yes)) return 'confirm';
  const kept = awaiting === 'cancel' || awaiting === 'move';
  const no = (p: string) => NO_WORDS.test(p) || NO_AT_LENGTH.test(p) || NO_OR_THANKS.has(p) || (kept && KEPT.test(p));
  if (wholeMessage(text, no) || answersWithReason(text, no)) return 'decline';
  return undefined;
}

/** An answer, then why: "no, don't book, I will check with him first". */
function answersWithReason(text: string, accepts: (phrase: string) => boolean): boolean {
  const parts = partsOf(text);
  const reason = parts.findIndex((p) => REASON.test(p));
  return (
    reason > 0 &&
    parts.slice(reason).every((p) => REASON.test(p) || accepts(p)) &&
    parts.slice(0, reason).every((p) => segments(p.split(' '), accepts))
  );
}

/** The message cut at punctuation into phrases, without the words said around a yes or a no ("lah", "pls", "sir"). */
function partsOf(text: string): string[] {
  return text
    .replace(/[!.?…;:]+/g, ',')
    .split(/,| - /)
    .map((p) =>
      p
        .trim()
        .split(/\s+/)
        .filter((w) => w && !ANSWER_FILLERS.has(w))
        .join(' '),
    )
    .filter(Boolean);
}

/** True when every part of the message (split at punctuation, then into runs of words) is an accepted phrase. */
function wholeMessage(text: string, accepts: (phrase: string) => boolean): boolean {
  // "hmm" or "wait" alone says neither yes nor no.
  if (/^(?:(?:actually|oh|well|then|so|and|hmm+|wait|um+|uh+|sorry)[\s,.!?…]*)+$/.test(text)) return false;
  const parts = partsOf(text);
  return parts.length > 0 && parts.every((p) => segments(p.split(' '), accepts));
}

/** "yep that works": can the words be cut into phrases that are accepted? (at most 8 words) */
function segments(words: string[], accepts: (phrase: string) => boolean): boolean {
  if (words.length > 8) return false;
  const ok: boolean[] = [true];
  for (let end = 1; end <= words.length; end++) {
    ok[end] = false;
    for (let start = 0; start < end && !ok[end]; start++)
      ok[end] = !!ok[start] && accepts(words.slice(start, end).join(' '));
  }
  return ok[words.length]!;
}

const LIST_CUE =
  /\b(still on\b.*\?$|am i having|what'?s on|what is on|whats on|what have i got|what'?ve i got|what do i have|what i have|show(?: me)?\b|lists?\b|agenda|my (?:meetings|appointments|events|bookings|calls)\b|my schedule|my calendar|my diary|upcoming|coming up|what'?s next|whats next|what is next|anything on|anything scheduled|anything booked|what meetings|which meetings|do i have any|do i have anything|any meetings?|how many meetings|how busy|how does my|what does my|when is my|when'?s my|what time is my|meetings (today|tomorrow|this|next|on)|what'?s happening|rundown|overview|what'?s planned|what is planned|see my (?:calendar|schedule|meetings|diary|agenda|day|week)|check my (schedule|calendar|diary|day|week)|my day look|my week look|look(?:s|ing)? like|what (?:have|has) (?:i|\w+) (?:got )?on\b|what(?:'s| is) there (?:for me|on)\b|what (?:does|do) (?:\w+ ){1,2}have\b|(?:let me|lemme) (?:see|look at|check)(?: my| the)? (?:today|tomorrow|tonight|(?:this|next) week|(?:mon|tues|wednes|thurs|fri|satur|sun)day|calendar|diary|schedule|agenda)\b|(?:pull|bring|call) up (?:my|the|all|everything|what|today|tomorrow|tonight|(?:this|next) (?:week|month)|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b|tell me (?:about )?(?:my|what|everything|all|(?:today|tomorrow|\w+day)(?:'?s)?)\b|what'?s (?:booked|scheduled|planned|the plan)\b|shaping up|what do i got\b|give me (?:my|a rundown|a list|everything|all)\b|everything (?:i have|i'?ve got|i got)\b|(?:today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|week)(?:'s)? (?:meetings|appointments|events|bookings|calls|agenda)\b|how does .{1,30} look|how'?s .{1,30} look(?:ing)?|how is .{1,30} look(?:ing)?|on my plate|what'?s left|whats left|who am i (?:meeting|seeing)|^when (?:do|am|will|shall) i (?:meet|see|have|talk)|^have i got (?:the|a|an|my|any)\b|(?:anyone|anybody|someone|who)\b.{0,20}\b(?:booked|scheduled|coming)|^(?:where|when|what time)(?:'s| is| was) (?:my|the)\b|^what(?:'s| is| was) (?:my|the) (?:first|next|last|earliest|latest|final)\b|^when(?:'s| is| was| are) (?!(?:a |an |it )?(?:good|free|best|convenient|ok|okay)\b)|in (?:the|my) (?:diary|calendar|schedule|agenda)\b|^how long(?: is|'s)|^(?:\w+ ){0,3}?(?:i|we) have (?:something|anything)\b.*\?$|do i have (?:something|anything|stuff|any\w*|(?:\w+ )?meetings|(?:\w+ )?calls)|^what'?s (?:first|first up|up first|on at \d|at \d)|what am i (?:doing|up to)|what do i have (?:going )?on|summary of my|rundown of my|what (?:have|did) i (?:booked|scheduled|got|planned)|(?:what|which) (?:all )?meetings|who do i (?:have|meet|see)|(?:my )?next meeting|next call|^(?:my )?(?:calendar|schedule|agenda|diary)\b)/;
const AVAILABILITY_CUE =
  /^free\b|^(?:is|are) free\b|\b(?:have|has) (?:i|we|\w+) got (?:a |an |any )?(?:free|spare|open) (?:hour|half[ -]hour|\d+ ?(?:minutes|mins?|hours?|hrs?|h|m))\b|\bgot (?:a |an |any |some )?(?:free |open |spare )?(?:slots?|gaps?|windows?)\b|\bgot (?:any |some )?room for\b|\b(look(?:s|ing)? (?:ok |good )?for an? (?:\S+ ){0,2}(?:meeting|call|workshop|session|chat|sync|slot)|(?:got|have|is there|are there) (?:any|some) (?:free |spare |open )?(?:time|space|room)\b|anything (?:open|available|clear)\b|any chance (?:of|for) (?:an? |some )?(?:\d+ ?(?:minutes|mins?|hours?|hrs?|h|m)|(?:half an |an )?hour|time|slot)\b|am i free|are we free|^is \S+(?: \S+){0,4} (?:ok|okay|fine|good|possible)\b.*\?$|am i (?:around|about|in the office)\b|(?:earliest|latest|soonest) (?:i|we) can\b|(?:what time|when) .{0,40}\bworks?\b|(?:i am|i'm|im) (?:free|available|busy)\b|free or (?:not|busy)\b|(?:first|next|earliest) (?:free|open|available)\b|free (?:\d+|an?|half an) ?(?:minutes|hours?|h|m)\b|is \S+(?: \S+){0,4} (?:free|open|available|clear|taken|booked)|am i available|are you available|available|availability|am i busy|is my (?:\S+ )?(?:free|clear|open|busy|empty)|(?:free|open) slots?|free time|free spots?|openings?|open time|gaps?|do i have (?:any )?time|(?:do|does) (?:i|we) have (?:a |any )?(?:slot|gap|window|space)s?\b|have i got time|when am i free|when are we free|when can i|find (?:me )?(?:a |an |some )?(?:time|slot|spot|gap|window|\d+ ?minutes|half an hour|an hour)|any room in|got time|free (?:on|at|tomorrow|today|this|next|monday|tuesday|wednesday|thursday|friday|saturday|sunday|in the)|what'?s free|anything free|when'?s free|can i fit|could i fit|(?:can|could) i squeeze|is there room|how (?:open|free|busy|clear|packed) (?:is|am)|am i (?:booked|taken|tied up|occupied|double[ -]booked)|^(?:could|can) i do (?:at )?\d.*\?$|any good\??$|is there (?:space|room|time|a slot|an opening|a gap)|(?<!\bup )too (?:early|late|soon)\b|(?<!how )\b(?:does|would|will) .{1,30} work(?: for me)?\?$|^any (?:time|room|space)\b|is there time|(?:ok|okay|good|fine|work) for me\?|good time|best time|(?:free|open|available|an?|any|some|first|next|earliest|good|\d+ ?(?:minutes|hours?|m|h)|hour|minute) (?:slots?|windows?)\b|^(?:slots?|windows?)\b|double[ -]booked|clear (?:on|tomorrow|today|this)|(?:free|open|clear)\??$)/;
const CANCEL_CUE =
  /\b((?:aren'?t|are not|won'?t be|will not be) happening|no need for (?:the|my|our|that|this)\b|forget about (?!it\b|that\b)|(?:isn'?t|is not|not|no longer) (?:happening|needed|required|necessary)|can go$|can be (?:cancelled|canceled|dropped|removed|deleted)|(?:don'?t|do not|no longer) need .{0,40}|free up|clear (?:out )?my (?:morning|afternoon|evening|day)|is off|take .{1,30} off|off my (?:calendar|schedule|diary)|cancel|cancell?ed|delete|deleted|remove|removed|scrap|scratch|strike|kill|drop|axe|nix|nuke|ditch|zap|(?:^|[,.;!] |\b(?:please|can you|could you|would you|just|and) )clear (?:out )?(?:my |the )?(?:(?:(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:'s)? ?)(?:morning|afternoon|evening|day)?|(?:morning|afternoon|evening|day|diary|calendar|schedule))\b(?! (?:for|at|on)\b.{0,12}\?)|unschedule|deschedule|trash|bin (?:it|that|this|the|my|everything|all)|annul(?:ate)?|take .{1,40} out of (?:the|my) (?:diary|calendar|schedule|agenda)|call off|get rid of|clear (?:my|the|out|everything)|wipe|can'?t make|cannot make|won'?t make|unbook|take off)\b/;
/**
 * Saying a meeting will not take place ("can't attend the review", "skip the standup", "friday lunch is
 * a no go"): a cancel, unless the message also gives it a new time (then it is a move).
 */
const SOFT_CANCEL =
  /\b(?:(?:not|no longer) possible(?: anymore| any more)?|(?:can'?t|cannot|won'?t) (?:go|attend|come|join|do|make)\b.{0,40}\b(?:anymore|any more)|(?:can'?t|cannot|won'?t|will not|not) (?:attend|be attending|be at)\b|(?:won'?t|will not|not going to|isn'?t going to|is not going to) happen|(?:is|'s) a no[ -]?go|pull the plug|(?<!\b(?:don'?t|do not|never|not) )forget (?:about )?(?:the|my|our|(?:today|tomorrow|\w+day)'s)\b|skip (?:the|my|our|(?:today|tomorrow|\w+day)'s)\b|^(?:just |please )?can (?:the|my|that|this) (?!.*\b(?:be|we|you|i|start|happen|move|go|get|have|do|run|fit|take)\b))/;
const MOVE_CUE =
  /\b(should (?:now )?(?:be|start|happen) (?:on|at)|(?:needs?|has|have) to (?:be|happen|start) (?:on|at|earlier|later|today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|next)|make (?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)'s|works? better (?:at|on)|(?:is|are|'s) now (?:on|at)|now (?:on |at )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|rearrange|re-arrange|rejig|reshuffle|move|moved|moving|prepone|(?<!\bin )advance(?! notice)|reschedule|rescheduled|postponed|pushed|shifted|bumped|re-schedule|rebook|push|postpone|(?<!\b(?:trial|night|day|late|early|morning|evening|weekend|double|split|long|short|handover|a|the|my|your|our|this|next|first|last|schedule|book|arrange|plan|organi[sz]e) )shift(?! (?:handover|change|changes|swap|swaps|pattern|patterns|rota|cover|chat|briefing|meeting|lead|leads|planning|manager|supervisor|workers?|staff|debrief|huddle|report|start|review|call)\b)|bump|bring (?:\S+ ){0,4}?(?:forward|back|earlier)|(?:needs?|has|have) to (?:go|move|shift) (?:to|on|back|forward)\b|(?:go|goes|be moved) (?:to|on) (?:the )?(?:next |following )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}(?::\d\d)?(?: ?[ap]m)?)|take (?:the|my|our|that|this) [\w' :ː-]{1,30} to (?:the )?(?:next )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}(?::\d\d)?(?: ?[ap]m)?)|^(?:so |ok |okay )?(?:can|could) (?:the|my|our|that|this) [\w' :ː-]{1,30} be (?:on|at) .{1,30}\binstead\b|\b(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday),? same time(?:\?|$)|pull (?!up\b)(?:\S+ ){0,4}(?:forward|in|earlier|up to)|delay|slide|change (?:the )?(?:time|day|date)|^(?:(?:please|pls|can you|could you|kindly) )?change (?:the|my|our) (?!(?:location|place|room|venue|title|name|agenda|topic)\b)[^,;]{1,40} (?:for|on) (?:the )?(?:next )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)[.!?]*$|change .{0,40}\bto\b|make (?:it|the|my|that) .{0,40}\b(?:earlier|later)|switch .{0,40}\bto\b|swap .{0,40}\bto\b|push back|move up|(?:do|have|hold|make) the .{1,40} instead|can we do .{0,30} instead|instead of|pass (?:it |that |this )?to|pass (?:the|my|our) [\w' :ː-]{1,40} to (?:the |at )?(?:next )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}(?::\d\d)?(?: ?[ap]m)?)|(?:make it|can we do|could we do|do it|have it|move it|instead)\b.{0,30}\bsame time|same time\b.{0,30}\binstead)\b/;
const SCHEDULE_CUE =
  /\b(fix (?:a|an|up)|schedule|book|set up|setup|set something|arrange|organi[sz]e|plan|add|create|put|pencil|block|hold|reserve|meet|meeting|invite|grab|find time|find a time|set a|get .{1,40} together|let'?s (?:do|have|get|catch|chat|talk|sync|grab)|can we (?:do|have|get|chat|talk|sync|catch)|i need (?:a|an|some|to)|i want (?:a|an|to)|i'?d like (?:a|an|to)|need (?:a|an|some) (?:\w+ )?(?:with|for|about)|give me|borrow|time with|catch up|catchup|need to (?:see|talk|chat|speak|sync|catch|discuss|go over)|fit in|squeeze|slot in|appointment|sched)\b/;
const HELP_CUE =
  /\b(what (?:all |kind of |sort of )?(?:things |stuff )?(?:can|could) you (?:actually |really |even )?(?:do|help|assist)|(?:what|how) (?:are you|you are|you'?re) able to|what (?:can|do|could) you (?:help|assist) (?:me )?with|what you can (?:do|help)|what can (?:this|the) (?:bot|assistant|app|thing|tool) do|what can you do|what do you do|help|how does (?:this|it|this thing|this bot|the bot|the assistant|this app) work|how do i|how can i|how i can|how to|use (?:this|the) (?:bot|assistant|app)|commands|instructions|what are you|who are you|what can i (?:say|ask)|what else|capabilities|features|usage|tutorial|guide me|examples?)\b/;
const FEED_CUE =
  /\b(ics|ical|icalendar|webcal|calendar (?:feed|link|url|subscription|file)|feed|subscribe|subscription|export|sync (?:to|with) (?:my )?(?:google|outlook|apple|ical)|(?:add|put|get|import|see|show) (?:this|these|them|it|my meetings|the meetings|meetings|events|bookings|everything)(?: \w+)? (?:to|in|into|on) (?:my )?(?:google |outlook |apple |phone'?s? )?(?:calendar|cal|outlook|phone)|(?:google|outlook|apple) calendar)\b/;
/** Greetings, English and the ones people bring from home ("Bonsoir!", "Hej hej!", "Dzień dobry"). */
const GREETING =
  /^(good ?night|night all|hi+|hel+o+|he+y+a?|hiya+|howdy|howya|howzit|how ya|how are (?:you|ya|u)|how'?s it going|hullo|wotcha|watcha|aloha|yo+|good (morning|afternoon|evening|day)|greetings|sup|hola|morning|evening|afternoon|g'?day|hallo|salut|bonjour|namaste|hey there|hi there|what'?s up|wassup|whats up|ahoj|annyeong(?: ?haseyo)?|as-?salaa?mu? ?alaikum|bom dia|boa (?:tarde|noite)|habari|jambo|konnichiwa|kumusta|marhaba|ni ?hao|oi|ohayo(?: gozaimasu)?|privet|sat sri akal|sawa?dee(?: krap| ka)?|selamat (?:pagi|siang|sore|malam)|xin ch[aà]o|zdravstvuyte|bonsoir|buenas(?: tardes| noches)?|buenos d[ií]as|buongiorno|buonasera|ciao|dobr[yý] den|dzie[nń] dobry|god (?:morgon|morgen|dag)|goede(?:morgen|middag|navond)|gr[uü][sß] (?:gott|dich)|guten (?:morgen|tag|abend)|hei|hej(?: hej)?|hoi|kia ora|merhaba|moi|moin|namaskar|ol[aá]|salam|salve|sawubona|servus|shalom|szia|vanakkam|witam)(?=$|[^a-z\u00c0-\u024f])/;

const dayOnlyQuestion =
  /^(?:and |on )?(?:today|tomorrow|tonight|the day after tomorrow|(?:this |next )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|(?:this|next) week(?:end)?)\s*\?+$/;

/** A topic ("regarding office move", "to discuss listing photos") up to the clause's end: its words name no intent. */
const TOPIC_FOR_INTENT =
  /(?<!\b(?:how|what|forget|worry|think|thinking|talk|talking|tell me|tell us) )\b(?:regarding|re:|about|to discuss|to go over|to walk through|to talk about|subject:|topic:|concerning)(?= )[^,.;!?]*/g;

const DAY_WORD = '(?:today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
/**
 * A meeting named by one day or time and sent to another ("the workshop from tuesday on wednesday",
 * "the workshop from tuesday to wednesday please",
 * "lunch thursday with Frau Weber to friday", "today 2pm meeting make it 5pm instead"): a move,
 * unless it is a span ("from monday to friday", "2 till 3").
 */
const TWO_DAYS = new RegExp(
  `\\b${DAY_WORD}\\b.{0,60}\\b(?:on|onto|->|instead)\\s+(?:the\\s+)?(?:next\\s+|following\\s+)?${DAY_WORD}\\b|(?<!\\b(?:from|between) )\\b${DAY_WORD}\\b(?!\\s+(?:to|till|until)\\b).{0,60}\\b(?:to|till|until)\\s+(?:the\\s+)?(?:next\\s+|following\\s+)?${DAY_WORD}\\b|\\b${DAY_WORD}\\b.{0,60}\\b(?:make it|do|have it|happen|be) (?:on |at )?(?:next )?${DAY_WORD}\\b|\\b${DAY_WORD}\\b.{0,60}\\b${DAY_WORD},? (?:instead|same time)\\b|^(?:(?:please|can you|could you) )?(?:the|my|our) [\\w' -]{1,40}? from ${DAY_WORD} to ${DAY_WORD}\\b|^(?:(?:please|can you|could you) )?(?![\\w' -]*\\b(?:offsite|off-site|conference|trip|retreat|holiday|leave|vacation|camp|course|training|workshop|hackathon|visit|festival|summit|expo|fair|bootcamp|away|off)\\b)[\\w' :/&-]{1,40}? from ${DAY_WORD} to ${DAY_WORD}(?![^\\d]*\\d)`,
);
const TWO_TIMES =
  /\b\d{1,2}(?::\d\d)? ?(?:am|pm)\b.{0,40}(?:\b(?:to|->|be) (?:at )?\d{1,2}(?::\d\d)? ?(?:am|pm)?\b.{0,12}\binstead\b|\b(?:make it|can be|could be|change (?:it )?to|move (?:it )?to) (?:at )?\d{1,2}(?::\d\d)? ?(?:am|pm)?\b)/;

/** A question about who or which bookings fill a time. */
const WHO_OR_WHICH =
  /^(?:(?:and|so|ok|okay) )?(?:who(?:'s| is| are)? (?:in|on|coming in|booked|scheduled|seeing me)\b|(?:which|what) (?:\w+ ){1,2}(?:are|is) (?:booked|scheduled|on|in|coming)\b|(?:which|what) (?:\w+ ){1,2}(?:have|do) (?:i|we) (?:got|have)\b|who(?:'ve| have| do)? (?:i|we) (?:got|have|meet|meeting|see|seeing)\b|(?:which|who) (?:\w+ ){0,2}(?:am i|do i|will i be) (?:seeing|meeting)\b)/;

/** A time taken back at once while booking ("meet Otieno 2pm, actually make it 3pm"): no move. */
const SELF_CORRECTION =
  /\d(?: ?[ap]m)?,? (?:actually|sorry|oops|wait|no wait|i mean|or rather|scratch that)\b,? (?:no,? )?(?:make (?:it|that)|change (?:it|that) to|at|\d)/;

/** A verb that books (not "my schedule", the noun). */
const BOOKING_VERB =
  /(?<!\b(?:my|the|your|our|whole|full|entire|a) )\b(schedule|book|set up|put|add|pencil|arrange|block (?:my|the|some|an?|\d)|agenda (?:a|an)|fix (?:up )?(?:a |an )?(?:[\w-]+ )?(?:call|meeting|meet|appointment|session|sync|chat|review|interview)s?)\b/;

/**
 * The message's intent. `names` holds the event's title and whether a street address was said ("job walk at 4417
 * Tejon St tomorrow", "boiler service on Friday"): with a day and no question, that is a booking whose time is still
 * to ask.
 */
function intentOf(
  message: string,
  when: WhenFound,
  hasPeople: boolean,
  names: { title: string | undefined; address: boolean },
  awaiting?: Awaiting,
): Intent {
  if (
    /^(?:thanks|thank you|thx|ty|ta|cheers|many thanks)(?: so much| a lot| very much| mate| all| everyone| again)?[!. ]*$/.test(
      message,
    )
  )
    return 'greeting';
  const answer = answerOf(message, awaiting);
  if (answer) return answer;
  // "nope, cancel that": a no, then dropping what was just proposed.
  if (/^(?:no|nope|nah|no no)[,!.]? (?:just )?(?:cancel|scrap|drop|forget) (?:that|it|this)[.!]*$/.test(message))
    return 'decline';
  const dated = when.hasTime || when.hasDate;
  if (/\bfind (?:some )?time with\b/.test(message)) return 'schedule';
  const text = message.replace(TOPIC_FOR_INTENT, (topic) => ' '.repeat(topic.length));
  if (
    FEED_CUE.test(text) &&
    !when.hasTime &&
    /\b(how|can i|could i|where|link|url|ics|ical|feed|subscribe|export|is there|do you|get)\b/.test(text)
  )
    return 'help';
  if (/^(?:what can you do|help|help me|help\?|\?|how does this work|what do you do)\b/.test(text) && !dated)
    return 'help';
  if (RENAME.test(text) || /\bchange the (?:location|place|room|venue) to\b/.test(text)) return 'schedule';
  // "Lunch with Wei Ling tmr cannot make it, change to Friday can?": not making it, with a new day, is a move.
  if (/\b(?:can'?t|cannot|won'?t) make\b/.test(text) && MOVE_CUE.test(text) && dated && !/\bcancel/.test(text))
    return 'reschedule';
  if (CANCEL_CUE.test(text) && !/\b(cancel(?:l)?ation polic|don'?t cancel|not cancel)/.test(text)) return 'cancel';
  // "lunch w Kenji -> 1pm": an arrow to a new time is a move.
  if (
    MOVE_CUE.test(text) ||
    ((TWO_DAYS.test(text) || (TWO_TIMES.test(text) && !SELF_CORRECTION.test(text))) &&
      !/\b(?:what|when|any|anything|list|show|schedule|book|set up|arrange|put in|pencil|add|organi[sz]e|fix up)\b/.test(
        text,
      )) ||
    (when.shiftMinutes && !/\bnew\b/.test(text)) ||
    (/(?:->|→|=>)/.test(text) && (when.hasTime || when.hasDate))
  )
    return 'reschedule';
  if (SOFT_CANCEL.test(text)) return 'cancel';
  // "Is it too late to book something for tonight? 22:15 call with Declan": the last sentence says what is wanted.
  const lastSentence = text.replace(/^.*\?\s+(?=\S)/, '');
  const asks = /\?\s*$|^(?:am|are|is|do|does|have|has|any|what|when|which|how|can i|could i|find)\b/.test(lastSentence);
  if (/\b(?:anyone|anybody|someone|who)\b.{0,20}\b(?:booked|scheduled|coming)\b/.test(text)) return 'list';
  // "who's in at 3?", "which patients are booked in tomorrow?", "which shoots have I got this week": a list.
  if (
    WHO_OR_WHICH.test(text) &&
    !AVAILABILITY_CUE.test(text) &&
    !/\b(?:free|open|available|clear|spare|slots?|gaps?)\b/.test(text) &&
    !BOOKING_VERB.test(text)
  )
    return 'list';
  // "tomorrow?", "Friday?": a day asked about and nothing else.
  if (asks && when.hasDate && !when.hasTime && dayOnlyQuestion.test(text)) return 'list';
  // "find me 1 hour on friday", "search 90m tomorrow", "need 45m tomorrow, when?": a length to find, with nobody named.
  if (
    (/^(?:\w+ ){0,3}?(?:find|search|look for|locate)\b/.test(text) || /\bwhen\??$/.test(text)) &&
    when.durationMinutes &&
    !when.hasTime &&
    !hasPeople
  )
    return 'availability';
  // "can you find me half an hour on Monday for a chat with Priya": a length to find, with whom it is for.
  if (
    /\bfind (?:me |us )?(?:a |an )?(?:half an hour|quarter of an hour|hour|\d)/.test(text) &&
    !when.hasTime &&
    !BOOKING_VERB.test(text)
  )
    return 'availability';
  // "Need a slot on Saturday 11 to 12:30 for parent teacher meeting": a slot with its time and event is a booking.
  if (
    !asks &&
    when.hasTime &&
    names.title &&
    /\bslots?\b/.test(text) &&
    !/\b(?:free|open|any|available|spare)\b/.test(text)
  )
    return 'schedule';
  if (AVAILABILITY_CUE.test(text) && (asks || (!BOOKING_VERB.test(text) && !hasPeople))) return 'availability';
  // Any question about being free, open or busy that books nothing.
  if (
    asks &&
    /\b(free|available|open|busy|clear|booked|taken|empty)\b/.test(text) &&
    !BOOKING_VERB.test(text) &&
    !LIST_CUE.test(text)
  )
    return 'availability';
  // "Kindly revert with the list of commands you support": what the assistant can do, not the meetings.
  if (/\b(?:commands|capabilities|features)\b/.test(text) && !dated) return 'help';
  if ((LIST_CUE.test(text) || /^anything\b/.test(text)) && !BOOKING_VERB.test(text)) return 'list';
  if (HELP_CUE.test(text) && !dated) return 'help';
  // "what's tomorrow like", "my day tomorrow?", "any calls tomorrow": a question about a day that books nothing.
  if (
    asks &&
    when.hasDate &&
    !when.hasTime &&
    !hasPeople &&
    !BOOKING_VERB.test(text) &&
    /^(?:(?:and|so|ok) )?(?!(?:what|how) about\b)(?:what|whats|how|hows|my|any|the|(?:meetings|appointments|calls|events|bookings)\b)/.test(
      text,
    )
  )
    return 'list';
  if (SCHEDULE_CUE.test(text) || EVENT_NOUN.test(text)) return 'schedule';
  // "hey I need forty five minutes with Jordan tomorrow at two": a greeting that goes on to book.
  if (dated && (when.hasTime || hasPeople)) return 'schedule';
  if (hasPeople && /\bwith\b/.test(text)) return 'schedule';
  // The title must be the event's own words, not a topic's ("tell me about the weather tomorrow").
  const titleAt = names.title ? text.indexOf(names.title.toLowerCase()) : -1;
  const namesEvent = titleAt >= 0 && !/\b(?:about|re|regarding|concerning|discuss)\b/.test(text.slice(0, titleAt));
  if (when.hasDate && (namesEvent || names.address) && !asks && !GREETING.test(text)) return 'schedule';
  if (GREETING.test(text)) return 'greeting';
  return 'unknown';
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
  String.raw`(?<![\w:.@#/$£€+-])(?<!\b(?:${NOT_AN_HOUR_AFTER}|for|of|with|top|q|v|version|g|in) )(?:[01]?\d|2[0-3])\.[0-5]\d(?![\w.%/-])`,
  'g',
);
const HOUR_WORD =
  /(?<![\w-])(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?:[ -](fifteen|thirty|forty[ -]five|o'?clock))?(?![\w-])(?! ?(?:minutes?|mins?|hours?|hrs?|people|ppl|persons|guests|of|more|days?|weeks?|months?|x|or|and|on|at|with|person|thing|sec|moment|last|another)\b)/gi;
const MINUTE_WORDS: Record<string, string> = { fifteen: '15', thirty: '30', 'forty five': '45', 'forty-five': '45' };

/**
 * Where to read "at" before a bare number in a reply to a draft or a move ("wait, make that 3", "not 2, 3",
 * "Sorry, I meant 3.", "12.30", "make it eleven instead"): the last such number, when the message names no time,
 * length or shift of its own; an hour in words comes with its digits.
 */
function awaitedHourAt(when: WhenFound, rest: string): { at: number; length: number; hour?: string } | undefined {
  if (when.hasTime || when.durationMinutes !== undefined || when.shiftMinutes !== undefined) return undefined;
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
      hour: `${CLOCK_WORDS[m[1]!.toLowerCase()]}:${MINUTE_WORDS[m[2]?.toLowerCase() ?? ''] ?? '00'}`,
    };
  return found;
}

/**
 * An aside before the request ("ugh sunday night admin. book standup tomorrow 9:15", "Tuesday's a public holiday
 * but put in an hour on Wednesday", "Republic Day is Tuesday, so put the interview on Wednesday at 3", "Labour
 * weekend coming up - book …"): a clause that states a fact about a day, ended by a stop, an emoji, "but", "so", a
 * dash or "anyway", before a request with a day of its own. Its day words are no date (blanked, same length), and an
 * aside that names nobody, or is about the day itself ("Monday's a write-off with Easter"), is blanked whole.
 */
const ASIDE =
  /^(.{3,100}?)(?:(?:[.!?;:]+|…),? |,? but |,? so | - |,? anyway,? |, (?=(?:please|kindly|can you|could you) )| (?=(?:(?:lol|anyway|so|and|please|can you|could you) )*(?:book|schedule|put in|set up|arrange|pencil in)\b))/;
const ASIDE_DAY = new RegExp(
  `\\b(?:${DAY_WORD}(?:'s)?(?: (?:night|morning|afternoon|evening|scaries))?|(?:this|last) (?:morning|afternoon|evening|night)|late night|yesterday|(?:next |this |last |long |the )?weekend(?:'s)?|(?:next|this|last) week(?:'s)?|(?:${[...HOLIDAY_NAMES].join('|')})(?:'s)?)\\b`,
  'g',
);
/** An aside asks nothing: a verb that books, moves or cancels, or a clock time, makes the clause the request. */
const NOT_AN_ASIDE =
  /\b(?:book|schedule|put|add|set up|arrange|pencil|move|shift|push|cancel|reschedule|change|make it|meet|need|want)\b|\d(?! ?(?:hours?|hrs?|h)\b)/;
/** The request after an aside: a day of its own, and a booking verb or a time. */
const REQUEST_DAY = new RegExp(`\\b${DAY_WORD}\\b|\\b(?:next|this) week\\b|\\d(?:st|nd|rd|th)\\b`);
const REQUEST_ASKS =
  /\b(?:book|schedule|put|add|set up|arrange|pencil|need|meet|organi[sz]e|fix|pop|let'?s do|do)\b|\d/;
function withoutAside(text: string): string {
  const aside = ASIDE.exec(text);
  if (!aside || NOT_AN_ASIDE.test(aside[1]!) || !ASIDE_DAY.test(aside[1]!)) return text;
  ASIDE_DAY.lastIndex = 0;
  const tail = text.slice(aside[0].length);
  if (!REQUEST_DAY.test(tail) || !REQUEST_ASKS.test(tail)) return text;
  const aboutTheDay = new RegExp(`^(?:\\w+ )?${DAY_WORD}(?:'s| is)\\b`).test(aside[1]!);
  // "… 😴 anyway, reading group tomorrow": an aside blanked whole takes its "anyway" or "so" with it, so the request
  // opens the message.
  const blanked =
    aboutTheDay || !/\b(?:with|w)\b/.test(aside[1]!)
      ? ' '.repeat(aside[0].length)
      : aside[1]!.replace(ASIDE_DAY, (day) => ' '.repeat(day.length)) + aside[0].slice(aside[1]!.length);
  // "Anzac Day's Sunday so the long weekend's Monday - book …": asides follow one another.
  const filler = /^(?:(?:anyway|anyhow|so|ok|okay|lol|but|and)[,.!]* )+/.exec(tail)?.[0] ?? '';
  return blanked + ' '.repeat(filler.length) + withoutAside(tail.slice(filler.length));
}

/**
 * Only the start of a long message is read: a request fits in far less, and chrono's cost grows
 * faster than linearly on long runs of repeated words ("with with with …": 0.6 s at 2000 characters).
 */
export const MAX_UNDERSTOOD_CHARS = 400;

/** Understands one message in the user's zone, relative to `now`. Pure and synchronous. */
/** The dates and times read with an address's and a venue's words blanked. */
function readOutside(
  cased: string,
  street: { from: number; to: number } | undefined,
  venue: { from: number; to: number } | undefined,
  ctx: UnderstandContext,
): ReturnType<typeof readWhen> {
  return readWhen(withoutAside(withoutAddress(withoutAddress(cased, street), venue).toLowerCase()), ctx);
}

export function understand(message: string, ctx: UnderstandContext): Understanding {
  let cased = normalize(message.slice(0, MAX_UNDERSTOOD_CHARS));
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
  const title = requestTitleOf(withoutPlace(rest, cased, place), cased, participants, location);

  const understanding: Understanding = {
    intent: intentOf(
      withoutAside(text).trim(),
      when,
      participants.length > 0,
      { title, address: !!street },
      ctx.awaiting,
    ),
    hasDate: when.hasDate,
    hasTime: when.hasTime,
    participants,
    refersToLast:
      /\b(it|that one|that meeting|this meeting|the meeting|that|this one)\b/.test(text) &&
      !/\b(?:is it|it is|it's)\b/.test(text),
    all: /\b(all|everything|every meeting|every single|each|whole|entire)\b/.test(text),
    calendarFeed: false,
  };
  if (understanding.intent === 'help' && FEED_CUE.test(text)) understanding.calendarFeed = true;
  if (when.durationMinutes !== undefined) understanding.durationMinutes = when.durationMinutes;
  if (when.shiftMinutes !== undefined) understanding.shiftMinutes = when.shiftMinutes;
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
  } else if (when.start) {
    understanding.start = toInstant(when.start, ctx.timeZone);
    if (when.end) understanding.end = toInstant(when.end, ctx.timeZone);
  }
  if (understanding.start && when.end && !understanding.end) understanding.end = toInstant(when.end, ctx.timeZone);
  const range = rangeOf(text, when, ctx);
  if (range) understanding.range = range;
  return understanding;
}
