import { HOLIDAY_NAMES } from './lexicon.ts';
import { DAY_WORD, GREETING } from './intents.ts';

/**
 * An aside before the request ("ugh sunday night admin. book standup tomorrow 9:15", "Tuesday's a public holiday
 * but put in an hour on Wednesday", "Republic Day is Tuesday, so put the interview on Wednesday at 3", "the 21st and
 * 22nd are holidays, so book the review on the 16th", "Labour weekend coming up - book …"): a clause that states a
 * fact about a day, ended by a stop, an emoji, "but", "so", a dash or "anyway", before a request with a day of its
 * own. Its day words (a day of the month too) are no date (blanked, same length), and an aside that names nobody, or
 * is about the day itself ("Monday's a write-off with Easter"), is blanked whole.
 */
const ASIDE =
  /^(.{3,100}?)(?:(?:[.!?;:]+|…),? |,? but |,? so | - |,? anyway,? |, (?=(?:please|kindly|can you|could you) )| (?=(?:(?:lol|anyway|so|and|please|can you|could you) )*(?:book|schedule|put in|set up|arrange|pencil in)\b))/;
const ASIDE_DAY = new RegExp(
  `\\b(?:${DAY_WORD}(?:'s)?(?: (?:night|morning|afternoon|evening|scaries))?|\\d{1,2}(?:st|nd|rd|th)|(?:this|last) (?:morning|afternoon|evening|night)|late night|yesterday|(?:next |this |last |long |the )?weekend(?:'s)?|(?:next|this|last) week(?:'s)?|(?:${[...HOLIDAY_NAMES].join('|')})(?:'s)?)\\b`,
  'g',
);
/**
 * An aside asks nothing: a verb that books, moves or cancels, or a clock time (a day of the month is none), makes the
 * clause the request.
 */
const NOT_AN_ASIDE =
  /\b(?:book|schedule|put|add|set up|arrange|pencil|move|shift|push|cancel|reschedule|change|make it|meet|need|want)\b|(?<!#\d*)\d(?!\d*(?:st|nd|rd|th)\b)(?! ?(?:hours?|hrs?|h)\b)/;
/** The request after an aside: a day of its own, and a booking verb or a time. */
const REQUEST_DAY = new RegExp(`\\b${DAY_WORD}\\b|\\b(?:next|this) week\\b|\\d(?:st|nd|rd|th)\\b`);
const REQUEST_ASKS =
  /\b(?:book|schedule|put|add|set up|arrange|pencil|need|meet|organi[sz]e|fix|pop|let'?s do|do)\b|\d/;

/** The message with its leading asides' day words blanked (same length), or blanked whole (see ASIDE). */
export function withoutAside(text: string): string {
  const aside = ASIDE.exec(text);
  // "Dzień dobry. Clock changed this night, … 😴 please make meeting …": a greeting first, then the aside.
  if (aside && GREETING.test(aside[1]!) && aside[1]!.split(' ').length <= 3)
    return aside[0] + withoutAside(text.slice(aside[0].length));
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
