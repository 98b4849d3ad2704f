import {
  BOUNDARY_WORDS,
  DOTTED_HONORIFICS,
  GENERIC_EVENTS,
  HONORIFICS,
  PRONOUNS,
  ROLE_ACRONYMS,
  ROLE_WORDS,
  TITLE_FILLERS,
} from './lexicon.ts';
import {
  EMAIL,
  EVENT_WORDS,
  NOT_A_NAME,
  PLACE_WORDS,
  TIME_WORDS,
  type Token,
  adjoining,
  capitalize,
  isCapitalized,
  unhidden,
} from './tokens.ts';

/** A household or a gang said as a group, not someone invited by name: "with Heather and the boys". */
const HOUSEHOLDS = new Set([
  'kids',
  'boys',
  'girls',
  'lads',
  'family',
  'grandkids',
  'grandchildren',
  'children',
  'in-laws',
]);

/** Spoken fillers: "with maya and um josh" is maya and josh. */
const SPOKEN_FILLER = /^(?:u+m+|u+h+|e+r+m+|h+m+)$/;

/** Small words inside a person's name. */
const NAME_PARTICLES = new Set([
  'bin',
  'binti',
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
  // capitalised name say who the person is (a role), unless one title word alone opens it ("doctor Müller"); an
  // acronym may lead them ("the HR lead Priya", "the P&C president Sharon").
  const roleWord = (k: number) =>
    /^\p{Ll}/u.test(tokens[k]!.raw) ||
    (/^\p{Lu}[\p{Lu}&]{1,5}$/u.test(tokens[k]!.raw) && /^\p{Ll}/u.test(tokens[k + 1]?.raw ?? ''));
  for (let k = j; k < j + 4 && k < tokens.length && !isCapitalized(tokens[k]!) && roleWord(k); k++) {
    const word = tokens[k]!.low;
    const next = tokens[k + 1];
    // "w/ night nurse Lerato", "day manager Sipho": a part of the day before a lowercase word names a shift.
    const shift =
      /^(?:night|day|evening|weekend)$/.test(word) &&
      !!next &&
      /^\p{Ll}/u.test(next.raw) &&
      !NOT_A_NAME.has(next.low) &&
      // "night shift supervisor Zanele": the shift is the role's.
      (!EVENT_WORDS.has(next.low) || (next.low === 'shift' && ROLE_WORDS.has(tokens[k + 2]?.low ?? '')));
    if ((NOT_A_NAME.has(word) || SPOKEN_FILLER.test(word)) && !ROLE_WORDS.has(word) && !shift) break;
    if (!next || !isCapitalized(next) || !adjoining(tokens[k]!, next)) continue;
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
  // Three or four capitals before a full name are a role too: "with SDO Rajesh Verma" (two may be initials: "AJ Smith").
  const fullName = !!named && isCapitalized(named) && !!tokens[j + 2] && isCapitalized(tokens[j + 2]!);
  if (
    acronym &&
    named &&
    (ROLE_ACRONYMS.has(acronym.low) || (/^\p{Lu}{3,4}$/u.test(acronym.raw) && fullName)) &&
    /^\p{Lu}+$/u.test(acronym.raw) &&
    (isCapitalized(named) || isHonorific(named)) &&
    !NOT_A_NAME.has(named.low) &&
    adjoining(acronym, named)
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
    // "breakfast w/ jan" in any case (a month's short form with no date after it), and "call w/ will" (no modal
    // follows "with").
    const modalName =
      words.length === 0 &&
      ((cap && /^(?:can|will)$/.test(t.low)) ||
        (/^(?:ty|jan|jun|may)$/.test(t.low) && !/^\d/.test(next?.raw ?? '')) ||
        (t.low === 'will' && /^(?:with|w)$/.test(tokens[j - 1]?.low ?? ''))) &&
      /^(?:with|w|and|\+|&|,)$/.test(tokens[j - 1]?.low ?? '');
    // "with Ah Seng", "w Jun Hao", "mv Jun Hao", "meet Jun Hao", "add Jun Hao": a capitalised word that is also a word
    // or a month opens a two-word name.
    const firstName =
      cap &&
      words.length === 0 &&
      (/^(?:with|w|and|\+|&|,|meet|add|invite)$/.test(tokens[j - 1]?.low ?? '') ||
        MOVE_OR_CANCEL.test(tokens[j - 1]?.low ?? '')) &&
      !!next &&
      isCapitalized(next) &&
      !NOT_A_NAME.has(next.low) &&
      adjoining(t, next);
    if (NOT_A_NAME.has(t.low) && !modalName && !firstName && !(cap && words.length > 0 && !BOUNDARY_WORDS.has(t.low)))
      break;
    if (words.length === 0 && !cap && HOUSEHOLDS.has(t.low)) break;
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
  [['who', ':'], true],
];

/** Adds a person's name to `found`, cleaned of trailing punctuation, unless it is a pronoun or already there (any case). */
function addPerson(found: string[], name: string): void {
  let clean = unhidden(name)
    .trim()
    .replace(/[.,!?;:]+$/, '')
    .replace(/\s+/g, ' ');
  // "our CA Mr. Gupta": what stands before an honorific says who the person is; the name starts at the honorific
  // (or at the first of several: "Prof. Dr. Weber").
  const words = clean.split(' ');
  const titled = words.findIndex((w, k) => k > 0 && honorificWord(w) && !honorificWord(words[k - 1]!));
  if (titled > 0) clean = words.slice(titled).join(' ');
  if (!clean || PRONOUNS.has(clean.toLowerCase())) return;
  if (!found.some((f) => f.toLowerCase() === clean.toLowerCase())) found.push(clean);
}

/** Words for a person that a company or trade may qualify: "the John Deere guy Travis", "the Telstra rep Ben". */
const PERSON_NOUN = /^(?:guy|lady|bloke|fella|chap|man|woman|girl|rep|person)$/;

/**
 * Where a capitalised name starts after lowercase role words from token `k` ("ward councillor Zanele"): one or two, or
 * up to four ending in a role word ("night shift supervisor Zanele"), in which an event word says whose role it is; or a
 * company's name before a word for a person ("John Deere guy Travis").
 */
function roleThenName(tokens: Token[], k: number): number | undefined {
  for (const at of [k + 1, k + 2, k + 3, k + 4]) {
    if (!tokens[at]) break;
    const role = tokens.slice(k, at);
    const last = role.at(-1)!.low;
    const endsInRole = ROLE_WORDS.has(last) || TITLE_WORDS.test(last) || PERSON_NOUN.test(last);
    const roleWord = (t: Token, n: number) =>
      (/^\p{Ll}+$/u.test(t.raw) || (PERSON_NOUN.test(last) && n < role.length - 1 && isCapitalized(t))) &&
      !/^(?:and|or|with|at|in|on|for|from|to|of|by|a|an|the)$/.test(t.low) &&
      (!EVENT_WORDS.has(t.low) || (endsInRole && n < role.length - 1));
    if (
      (at <= k + 2 || endsInRole) &&
      isCapitalized(tokens[at]!) &&
      !NOT_A_NAME.has(tokens[at]!.low) &&
      role.every(roleWord)
    )
      return at;
  }
  return undefined;
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
  if (tokens[j]?.low === 'the') {
    // "with the ward councillor Zanele": lowercase words between "the" and a capitalised name say who she is.
    const named = roleThenName(tokens, j + 1);
    if (named !== undefined) j = named;
    else if (!loose) return;
  }
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
      // "and Ben", "plus Ben": capitalised after a joiner ("plus ben" alone is read by participantsOf's adding rule).
      const joined = ['and', '+', '&', 'plus'].includes(words[0]!);
      const strict = (!loose && !joined) || (joined && found.length === before && !isCapitalized(t));
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
        adjoining(tokens[next - 1]!, tokens[next]!)
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

/** Verbs whose object can be the people booked: "put Hamish and Priya down", "book Gráinne and me in". */
const BOOKING_VERBS = new Set(['put', 'book', 'pencil', 'slot', 'pop', 'squeeze', 'fit', 'schedule', 'stick']);

/**
 * "book Martin, Priya and Jean-Luc", "put Colleen and me down", "pencil Ngozi in": capitalised names right after
 * a booking verb are the people booked when they are a list (two or more, "me" counting) or are put down, in or
 * together, or when a name has a particle ("book Ahmed bin Saeed"). One capitalised word alone there is as likely the
 * event or a place ("book Zoom for 3").
 */
function addBookedPeople(tokens: Token[], found: string[]): void {
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (!BOOKING_VERBS.has(tokens[i]!.low)) continue;
    let j = i + 1;
    let names = 0;
    let members = 0;
    let particled = false;
    for (let guard = 0; guard < 8 && j < tokens.length; guard++) {
      if (PRONOUNS.has(tokens[j]!.low)) j++;
      else {
        const { name, next } = isCapitalized(tokens[j]!) ? nameAt(tokens, j, false) : { next: j };
        if (!name) break;
        names++;
        particled ||= name.split(' ').some((word) => NAME_PARTICLES.has(word.toLowerCase()));
        j = next;
      }
      members++;
      if (!/^(?:,|and|&|\+)$/.test(tokens[j]?.low ?? '')) break;
      j++;
    }
    const placed = /^(?:down|in|together)$/.test(tokens[j]?.low ?? '');
    // "book Ahmed bin Saeed for an hour": a name with a particle is a person's, alone too.
    if (names > 0 && (members > 1 || placed || particled))
      addPeopleAfterTrigger(tokens, i, [tokens[i]!.low], false, found);
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
    if (!partOfName || !adjoining(t, tokens[k + 1]!)) break;
    first = k;
  }
  return first;
}

/** Asking to meet, after whoever asks: "wants to meet", "would like to see", "needs a call". */
const ASKS_TO_MEET =
  /^(?:wants?|would like|'d like|needs?|asked|has asked|is asking|wanna) (?:to (?:meet|see|catch up|talk|speak|chat)|a (?:meeting|call|chat|word))\b/;

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
    // "move Ama's fitting": a capitalised possessive is someone's even where the word also names an event ("AMA").
    const possessed = /^\p{Lu}\p{Ll}+['’]s$/u.test(t.raw);
    const name =
      isCapitalized(t) && !NOT_A_NAME.has(word.toLowerCase()) && (possessed || !EVENT_WORDS.has(word.toLowerCase()));
    // "Dana's coffee chat", "Aroha's catch-up", "Jun Hao's demo": a possessive before an event is whose event it
    // is; right after "move" or "cancel" it is whose meeting it is, whatever the event ("move Marisol's headshots").
    // "Valentine's lunch": a holiday named by a possessive is no one's.
    if (/^valentine['’]?s$/i.test(t.raw)) continue;
    if (name && /['’]s$/i.test(t.raw) && after && !isCapitalized(after)) {
      const first = firstNameBefore(tokens, i);
      if (placeBefore(first)) continue;
      // The event must follow in the same run of words: in "Lorraine's retirement Friday 10am in the staffroom" none does.
      const adjacent = (k: number) => adjoining(tokens[k - 1]!, tokens[k]!);
      let k = i + 1;
      while (
        k < tokens.length &&
        k < i + 4 &&
        adjacent(k) &&
        !EVENT_WORDS.has(tokens[k]!.low) &&
        /^\p{Ll}/u.test(tokens[k]!.raw)
      )
        k++;
      const event = k < tokens.length && adjacent(k) ? tokens[k]!.low : '';
      const full = [...tokens.slice(first, i).map((x) => x.raw), word].join(' ');
      if (
        EVENT_WORDS.has(event) ||
        EVENT_WORDS.has(event.replace(/s$/, '')) ||
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
    // "Sarah wants to meet wednesday", "Pastor James would like to see me": a name that opens the message before
    // asking to meet is the person the meeting is with.
    if (i === 0 && (name || TITLE_WORDS.test(t.low))) {
      const { name: full, next } = nameAt(tokens, 0, false);
      const asks = tokens
        .slice(next, next + 4)
        .map((x) => x.low)
        .join(' ');
      if (full && ASKS_TO_MEET.test(asks)) {
        if (!known(full)) addPerson(found, full);
        continue;
      }
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

export function participantsOf(tokens: Token[]): string[] {
  const found: string[] = [];
  const emails = tokens.filter((t) => EMAIL.test(t.raw)).map((t) => t.raw.toLowerCase());
  for (const e of emails) addPerson(found, e);
  // "@jen" is jen: the @ only points at her.
  for (const t of tokens) if (/^@[\p{L}]/u.test(t.raw)) addPerson(found, t.raw.slice(1).replace(/\.+$/, ''));
  addBookedPeople(tokens, found);
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
