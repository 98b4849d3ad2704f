import {
  BOUNDARY_WORDS,
  GENERIC_EVENTS,
  HOLIDAY_NAMES,
  MONTHS,
  PRONOUNS,
  ROLE_ACRONYMS,
  TITLE_FILLERS,
  WEEKDAYS,
} from './lexicon.ts';
import { isPlaceWord } from './places.ts';
import { EVENT_PATTERNS, EVENT_WORDS, NOT_A_NAME, TIME_WORDS, capitalize, unhidden } from './tokens.ts';

/** A new title for the meeting under discussion: "call it Project kickoff", "rename it to …". */
export const RENAME =
  /\b(?:call it|rename(?: it| this| the meeting)?(?: to| as)?|title it|name it|change the (?:title|name) to|make the (?:title|name)|set the (?:title|name) to|the title (?:is|should be))\s+/;
const TOPIC_MARKERS =
  /(?:\b(?:re|subject|subj|topic|agenda)\s?:|(?<!['’])\b(?:about|regarding|re|to discuss|discuss|to go over|go over|to go through|to walk through|walk through|to review|to talk about|to talk through|to chat about|chat about|talk about|on the topic of|called|titled|named|to plan|to prep|to prepare|to sort out|to finalize|to finalise|to sign off on|to brainstorm|to cover|concerning|to (?:pair|work|sync|align|decide|agree|follow up|catch up|touch base|check in|debrief|update (?:me|us)) on|to (?:figure out|look at|look into|debug|fix|map out|scope|kick off|wrap up)|on)\b:?) ?/g;
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
  // "to go over January rosters", "re: Monday deck": a month or a weekday right before the topic (read as a date)
  // qualifies it.
  const month = /(\p{L}+) +$/u.exec(cased.slice(index, begin));
  const dayWord = month?.[1]!.toLowerCase() ?? '';
  if (month && (MONTHS.includes(dayWord) || WEEKDAYS.includes(dayWord)) && !blanked.slice(index, begin).trim())
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

/** A holiday by its name: "Easter Monday", "Christmas Eve", "the Diwali weekend". */
const HOLIDAY_PHRASE = new RegExp(
  `^(?:the )?(?:${[...HOLIDAY_NAMES].join('|')})(?: (?:day|eve|weekend|break|holidays?|monday|tuesday|wednesday|thursday|friday|saturday|sunday))?$`,
  'i',
);

/** A title in quotes ("Book "Budget 2026 kickoff" …"), as written. */
export function quotedTitleOf(text: string): string | undefined {
  const quoted = /["“]([^"”]{2,80})["”]|(?:^|\s)'([^']{2,80})'(?:\s|$|[,.!?])/.exec(text);
  return quoted ? (quoted[1] ?? quoted[2])!.trim() : undefined;
}

function titleOf(blanked: string, cased: string, people: string[], location: string | undefined): string | undefined {
  const quoted = quotedTitleOf(cased);
  if (quoted) return quoted;
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
    // "ugh they called, cancel …": someone phoned; nothing is named.
    if (
      word === 'called' &&
      (/^[,.;!?]/.test(blanked.slice(marker.index + marker[0].length)) ||
        /\b(?:they|she|he|i|we|you|someone|somebody)\s+$/.test(blanked.slice(0, marker.index)))
    )
      continue;
    // "need to fix one meeting with Vikram": in Indian English a meeting is fixed (booked), not the topic.
    if (
      word === 'to fix' &&
      /^(?:(?:one|a|an) )?(?:meeting|mtg|call|session|appointment)\b/.test(
        blanked.slice(marker.index + marker[0].length),
      )
    )
      continue;
    // "put a call on my calendar": where it goes, not what it is about.
    if (
      word === 'on' &&
      /^(?:my|the|our|your) (?:calendar|diary|schedule|agenda|books)\b/.test(
        blanked.slice(marker.index + marker[0].length),
      )
    )
      continue;
    const phrase = phraseAt(blanked, cased, marker.index + marker[0].length, people);
    // "meeting on dec 1 at 10 regarding stock order": the day after "on" is blanked, and the topic has its own marker.
    if (word === 'on' && /^(?:regarding|about|re|concerning)\b/i.test(phrase ?? '')) continue;
    // "the board meeting on the 27th is not possible anymore": what is said of the meeting, not its topic.
    if (
      /^(?:is|isn't|are|aren't|was|were|has|have|had|will|won't|would|can|can't|could|should|must|not)\b/i.test(
        phrase ?? '',
      )
    )
      continue;
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
  /(?<=\S.*?)\b(?:book|schedule|put(?: in)?|pop in|pencil in|set up|arrange|add)\b(?! (?:it|that|this|them)\b)/;

/**
 * The title of the request: "ugh sunday night and still on email. book pipeline review …" is Pipeline review, not
 * Email. A title named from the booking verb on wins over words said before it; else the whole message is read.
 */
export function requestTitleOf(blanked: string, cased: string, people: string[], location: string | undefined) {
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
/** What may follow an event named at the head of a clause: "QBR w/ Initech", "viva with Niamh", "drill tomorrow 02:30". */
const AFTER_HEAD = /^(?: {2}|(?: (?:with|w|wid|at|in|on|over|via)\b))/;
/** After the message's time, the end of the message ends the event too: "thurs at eleven bakkie service". */
const AFTER_HEAD_TIMED = new RegExp(`${AFTER_HEAD.source}|^ ?[.!]*$`);
/** Verbs that open a message before "with" or a name: no event is named. */
const HEAD_VERBS =
  /^(?:meet|speak|talk|connect|reconnect|hang|link|hook|get|go|come|see|visit|work|pair|sit|confer|consult|discuss|touch|gather|team(?= up)|partner|collaborate|align|coordinate|liaise|ring|phone|dial|catch|join|help|ask|tell|text|email|message|ping|sort|figure|do|have|need|want|let'?s|lets|clear|empty|wipe|lock|stick|pop|chuck|whack|bung|slot|squeeze)\b/;
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
    // A clause that opens with its time (blanked) may end with its event.
    const timed = / {2}/.test(blanked.slice(clause.index, head));
    const title = eventWordsAt(blanked, cased, head, people, false, timed ? AFTER_HEAD_TIMED : AFTER_HEAD);
    if (title) return title;
  }
  return undefined;
}

/**
 * Where an event may head the message: its start or a clause after an aside ("lost an hour last night. anyway,
 * reading group …", "note for later: supervision …"), past fillers ("ok um mehendi trial …", "😴 anyway revision
 * sesh …") and a preposition whose time was read ("on the 25th 2-3pm fleet check w/ Zanele").
 */
const CLAUSE_HEAD =
  /(?:^|[.:;!?] |\banyway,? |\bbtw,? )[\s,.;:!?-]*(?:(?:ok|okay|um+|uh+|erm|so|right|hey|hi|well|oh|alright|and|anyway|anyhow|btw|lol|haha|bhai|yaar|bro|dude)\b[\s,]*)*(?:(?:on|at|from|by|until|till) (?= ) *)?/g;

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
      const plain = (x: string) => /^\p{Ll}+$/u.test(x) && !NOT_A_NAME.has(x) && !TITLE_FILLERS.has(x);
      const opensLonger = written.length >= 3 && written.slice(1).every(plain);
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
        // "first aid refresher", "after work drinks": a time or boundary word opens a title of three words or more
        // before plain ones.
        const opensTitle =
          (TIME_WORDS.has(low) || BOUNDARY_WORDS.has(low)) && !PRONOUNS.has(low) && !TITLE_FILLERS.has(low);
        if (k === 0 && opensLonger && opensTitle) return true;
        if (NOT_A_NAME.has(low) || TITLE_FILLERS.has(low) || GENERIC_EVENTS.has(low) || PRONOUNS.has(low)) return false;
        if (TIME_WORDS.has(low) || BOUNDARY_WORDS.has(low) || isPlaceWord(low)) return false;
        if (/^(?:one|ones|everything|anything|them|reminder|please|sorry|thanks)$/.test(low)) return false;
        if (namesPerson(people, low)) return false;
        // "Viva with Niamh" opens the message with a capital; "Sarah at 3" is a name.
        // "Boiler service at 17 Kingsley Road", "put in Black Friday staffing": a capital opening the message, or the
        // object of a verb that books, before lowercase words is no name.
        const opening = k === 0 && (start === 0 || breaks === AFTER_OBJECT) && /^\p{Lu}\p{Ll}+$/u.test(w);
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

/** Whether `word` ("dana", "dana's") is a word of one of the people's names. */
const namesPerson = (people: string[], word: string): boolean =>
  people.some((p) =>
    p
      .toLowerCase()
      .split(' ')
      .includes(word.replace(/['’]s$/, '')),
  );

/** A part of the day that names a shift: "night shift", "late shift". */
const SHIFT_PART = /^(?:night|day|late|early|morning|evening|afternoon|graveyard|swing|weekend)$/;

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
  // "tested positive for covid": what a test found, not a topic.
  for (const m of blanked.matchAll(
    /(?<!\b(?:positive|negative|tested|screened) )\bfor (?:the |our |a |an |my )?([a-z0-9ː][\w'ː-]*(?: [a-z0-9][\w'-]*){0,4})/g,
  )) {
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
    // "salon's shut for easter monday": the holiday, no topic.
    if (HOLIDAY_PHRASE.test(unhidden(phrase))) continue;
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
          SHIFT_PART.test(prior) ||
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
      (/^(?:morning|afternoon)$/.test(low) && best.noun === 'tea' && !qualifiers.length) ||
      // "first aid training": the aid given first; "night shift handover": the shift named by its part of the day.
      (low === 'first' && /^aid$/i.test(qualifiers[0] ?? '')) ||
      (SHIFT_PART.test(low) && /^shift$/i.test(qualifiers[0] ?? ''));
    // "SOC 2 readiness review", "Series A pitch rehearsal": a number or a capital letter after a capitalised word
    // (not a verb) names a stage.
    const from = blanked.lastIndexOf(word, start - 1);
    const staged =
      (/^\d{1,2}$/.test(low) || /^\p{Lu}$/u.test(cased.slice(from, from + word.length))) &&
      /\p{Lu}[\p{L}]* $/u.test(cased.slice(0, from)) &&
      !/^(?:book|schedule|arrange|set|add|plan|put|have|need|want|organi[sz]e|create|hold|run)$/.test(prior);
    // "IT helpdesk handover": an acronym in capitals qualifies the event, though it is also a word.
    const acronym = /^\p{Lu}{2,5}$/u.test(cased.slice(from, from + word.length));
    if (
      !named &&
      !noun &&
      !staged &&
      !acronym &&
      (/[,.!?;:)]$/.test(word) ||
        !/^[\p{L}\d]/u.test(word) ||
        TITLE_FILLERS.has(low) ||
        BOUNDARY_WORDS.has(low) ||
        PRONOUNS.has(low) ||
        /^(zoom|teams|skype|webex|slack|google|meet|quick|pop|stick|chuck|bung|whack|slot|pencil|\+|&|with|w)$/.test(
          low,
        ))
    )
      break;
    // "move Dana's budget review": whose meeting it is is no part of its title.
    if (namesPerson(people, low)) break;
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
