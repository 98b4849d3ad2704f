import {
  BOUNDARY_WORDS,
  CLOCK_WORDS,
  MONTHS,
  NOT_PLACE_WORDS,
  NUMBER_WORDS,
  PLATFORMS,
  PRONOUNS,
  ROOM_WORDS,
  STREET_ENDINGS,
  STREET_TYPES_AFTER,
  STREET_TYPES_BEFORE,
} from './lexicon.ts';
import {
  EVENT_NOUNS_ANYWHERE,
  EVENT_WORDS,
  NOT_A_NAME,
  PLACE_WORDS,
  TIME_WORDS,
  type Token,
  adjoining,
  capitalize,
  escape,
  isCapitalized,
} from './tokens.ts';

/**
 * A word that can be part of a place's name: capitalised, a number, a single capital ("Boardroom A") or a room code
 * ("Sal F3").
 */
const placeName = (t: Token) => isCapitalized(t) || /^(\d|\p{Lu}$|\p{Lu}{1,2}\d)/u.test(t.raw) || isPlaceAcronym(t);
/** Capitals that are times, zones, years or placeholders, never a place: "at EOD", "by COB", "…, FY 2027". */
const NOT_A_PLACE_ACRONYM =
  /^(?:AM|PM|ASAP|COB|EOD|EOW|EOM|OOO|TBD|TBC|FY|CY|KPI|OKR|UTC|GMT|[ECMP][SD]?T|BST|CES?T|IST|AES?[DT]T?|SGT|HKT|JST|NZ[DS]T)$/;
/** A venue written in capitals: "at KLCC", "at BGC", "ITC Maratha". */
const isPlaceAcronym = (t: Token) => /^\p{Lu}{2,6}$/u.test(t.raw) && !NOT_A_PLACE_ACRONYM.test(t.raw);

/** "meeting room Everest", "conference room Kilimanjaro": a room named after its kind. */
function namedRoom(text: string, cased: string): RegExpExecArray | null {
  const m = /(?:\b(?:conference|meeting|huddle|board) |(?<=\b(?:in|at) ))room ([\p{L}\d]+)/u.exec(text);
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
export function streetAddressOf(cased: string): { address: string; from: number; to: number } | undefined {
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
export const DATE_ABBREVIATION = `(?:${['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun', 'Jan', 'Feb', 'Mar', 'Apr', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((a) => `${a[0]}\u2060?${a.slice(1)}`).join('|')})`;
const VENUE_WORD = String.raw`(?!(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|Today|Tomorrow|Tonight|Morning|Afternoon|Evening|Night|Noon|${DATE_ABBREVIATION})\b)\p{Lu}[\p{L}'’&\u2060-]*`;
/**
 * A capitalised name after at/in/@ with a date's abbreviation inside it: the abbreviation is part of the name when
 * more of the name follows it ("at Sun Hung Kai Centre", "at Wed Cafe") or, last in the name ("at Lau Pa Sat"), when
 * the message has another date; never before a number or a time ("at Blue Bottle Sat 10am").
 */
export const DATED_VENUE = new RegExp(
  String.raw`(?<=(?:\b(?:at|in)|@) (?:the )?)(?:(?:${VENUE_WORD} ){0,3}${DATE_ABBREVIATION}(?: ${VENUE_WORD}){1,3}(?![\p{L}\d'’&\u2060-])|(?:${VENUE_WORD} ){1,3}${DATE_ABBREVIATION}(?=$|[,.!?;)]| \p{Ll}| [\p{Extended_Pictographic}]))`,
  'gu',
);

/** "at Nobu Sat Night", "at Acme Friday Sat": a time word besides the abbreviation makes the words a time, not a venue. */
export const timeWordInVenue = (venue: string) =>
  venue.split(' ').some((w) => TIME_WORDS.has(w.toLowerCase()) && !new RegExp(`^${DATE_ABBREVIATION}$`, 'u').test(w));

/** A venue whose name holds a date's abbreviation, where it is written, and whether it stands only when another date is said. */
export function datedVenueOf(
  cased: string,
): { address: string; from: number; to: number; needsDate: boolean } | undefined {
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
export const toSubscript = (text: string) => text.replace(/\d/g, (d) => String.fromCharCode(0x2080 + Number(d)));

/** The text with the address's span blanked, so the time layer and the word roles never read it. */
export function withoutAddress(cased: string, street: { from: number; to: number } | undefined): string {
  return street ? cased.slice(0, street.from) + ' '.repeat(street.to - street.from) + cased.slice(street.to) : cased;
}

/** Whether a person's name is a part of a longer place's name ("Yeti" in "Hotel Yak & Yeti"; not "Sarah's"). */
export function namedIn(place: string, name: string): boolean {
  return (
    place.toLowerCase() !== name.toLowerCase() &&
    new RegExp(`(?<![\\p{L}])${escape(name)}(?![\\p{L}'])`, 'iu').test(place)
  );
}

/** Whether a person's name is the whole of a place named with a place noun ("Paws Studio Newtown"). */
export const isVenueName = (place: string, name: string) =>
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
  if (!plain(word) || !noun || !adjoining(word!, noun)) return false;
  if (isPlaceWord(noun.low)) return true;
  // "the big conference room": two plain words before the place noun.
  const third = tokens[j + 2];
  return plain(noun) && !!third && adjoining(noun, third) && isPlaceWord(third.low);
}

/** A place noun, singular or plural ("Acme Corp offices"). */
export const isPlaceWord = (low: string) =>
  PLACE_WORDS.has(low) || (low.endsWith('s') && PLACE_WORDS.has(low.slice(0, -1)));
/** A town after a place noun: "the office in Warsaw". */
const IN_TOWN = /^ in (\p{Lu}[\p{L}'-]*)(?: \p{Lu}[\p{L}'-]*)?/u;
/** A street after a venue: "Starbucks on Main St", "the Hilton on Park Avenue", "Firestone on Airline Hwy". */
const ON_STREET = new RegExp(
  String.raw`^ on (?:(?:${STREET_NAME} ){1,2}(?:${SPELLED_TYPE}|${SHORT_TYPE})\b\.?|(?:Main|Broadway)\b|(?:level|floor) \d+\b|the \d+(?:st|nd|rd|th) floor\b)`,
  'u',
);

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
  // An abbreviation's dot goes with it; a full stop after the whole word ends the sentence ("in the staff room.").
  conference: '(?:conference|conf\\.?)',
  meeting: '(?:meeting|meetin|mtg)',
  room: '(?:room|rm\\.?)',
};

/** The place as the user wrote it in the message, shorthands and all ("conf room 2", not "conference room 2"). */
export function asWritten(place: string, message: string): string {
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
    // A place noun ends the place unless a number, a letter, a room code, a name, a particle or another place noun goes
    // on: "Room 4", "Hall G01", "Café de Flore", "5th floor kitchen".
    const goesOn =
      next &&
      (/^(\d|[A-Z]\b|[A-Z]{1,2}\d)/.test(next.raw) ||
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
  // "put in Black Friday staffing", "pencil in Quarterly Review": the verb's "in", not a place's.
  if (tokens[i]!.low === 'in' && NOT_A_PLACE_AFTER.test(tokens[i - 1]?.low ?? '')) return undefined;
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
export function withoutPlace(blanked: string, cased: string, place: string | undefined): string {
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

export function locationOf(text: string, cased: string, tokens: Token[], people: string[]): string | undefined {
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
    // "…, Ward 4", "…, Carslaw 350", "…, AVR 2" at the end: a room or building with its number.
    const numbered =
      words.length > 1 &&
      /^\d/.test(last?.raw ?? '') &&
      (!end || /^[!?]$/.test(end.raw)) &&
      words
        .slice(0, -1)
        .every(
          (w) =>
            isPlaceWord(w.low) ||
            isPlaceAcronym(w) ||
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
