import { ANSWER_ENDINGS, ANSWER_FILLERS, NO_ELSEWHERE, THANKS_ELSEWHERE, YES_ELSEWHERE } from './lexicon.ts';
import type { Awaiting } from './understand.ts';

// Intent cues: whole-message yes/no, then verbs and question shapes.
const YES_WORDS =
  /^(?:oh|well|then|so|and|done|(?:do|make) the booking|sim|si|sí|oui|ja|haan|hai|evet|claro|vale|that'?s (?:all )?(?:good|ok|okay|fine)|y|ya|ye|yes|yeah|yea|yep|yup|yas|yess+|sure|ok|okay|okey|k|kk|confirm|confirmed|book it|book that|do it|go ahead|go for it|sounds good|sounds great|sounds perfect|perfect|perfekt|great|good|correct|right|that works|that works for (?:me|us)|(?:that'?s |that is )?(?:grand|great|fab|fantastic|spot on|ace)|that'?ll do|works for (?:me|us)|that'?s fine|thats fine|fine|works for me|works|absolutely|definitely|please do|lgtm|lock it in|lock that in|ship it|let's do it|lets do it|do that|yes please|book (?:it|that|this)(?: in)?|that's right|thats right|exactly|agreed|deal|all good|cool|awesome|nice|excellent|brilliant|cheers|please|thanks|thank you|thx|ty|alright|all right|of course|sure thing|yes,? book it|go|proceed|confirm it|save it|make it so|bingo|yep that's it|that's it|super|wonderful|lovely|amazing|ideal|looks good|looks great|that's perfect|sgtm|ok book it|yes do it|sweet|great stuff|indeed|certainly|affirmative|yes it is|it is|yes that's correct|please book it|book|go on then|no problem|no problem at all|no worries)$/;
const NO_WORDS =
  /^(?:not (?:this|that)(?: one)?|not quite|don'?t book|do not book|nein|iie|não|nao|nahi|non|not (?:required|necessary|needed)|(?:no|not) need(?:ed)?|please|actually|oh|hmm|wait|um|uh|sorry|n|no+|nope|na+h+|no thanks|no thank you|never ?mind|nvm|forget it|forget that|don'?t|do not|stop|scrap that|scrap it|drop it|not now|no way|abort|negative|not really|no no|nah thanks|not that|not that one|wrong one|that'?s wrong|wrong|incorrect|that'?s not right|not right|that'?s incorrect|ignore that|(?:leave|skip|drop) (?:it|that|that one|this|this one) (?:for now|for the moment|for today|for the time being|first)|leave it|leave it as (?:is|it is)|don'?t bother|hold off|hold off for now|not (?:right )?now|wait no|actually no|no,? leave it|no don'?t|please don'?t|skip it|no need|not needed|dont book it|don'?t book it|not book(?: it)?(?: yet)?|give up|better not|(?:maybe )?better not to|leave it like (?:that|this)|(?:finally |actually )?(?:i|we) (?:don'?t|do not) need (?:it|that|this)(?: (?:anymore|any more|after all))?)$/;

/** Longer ways to say yes, whatever is asked: "Yes, that is correct; please proceed.", "that time works for me". */
const YES_AT_LENGTH = new RegExp(
  `^(?:${[
    "(?:that|this|it|that time|this time|the time|that day|that slot|all|everything)(?: is|'s| looks| sounds| seems| would be| will be| should be)?(?: (?:all|quite|absolutely|exactly|perfectly|just|totally|completely))? (?:correct|right|fine|good|great|perfect|ok|okay|in order|lovely|ideal|spot on|brilliant|excellent|wonderful|the one|braw|champion|grand|deadly|mint|class|lush|sound|tidy|beaut|ace|boss|magic|sorted|cracking|sweet)(?: (?:for|by|to|with) (?:me|us))?",
    '(?:(?:that|this|it|that time|this time|the time|that day|that slot) )?(?:works|suits|will do|should work|would work|is the one)(?: (?:for |by )?(?:me|us))?(?: (?:perfectly|fine|well|great|too))?',
    '(?:sounds|looks|seems) (?:good|great|fine|perfect|right|ok|okay|lovely)(?: (?:to|for) (?:me|us))?',
    '(?:fine|good|ok|okay|great|perfect) (?:by|with|for) (?:me|us)',
    '(?:i|we) (?:confirm|agree|approve|accept)',
    '(?:pode|podes|podem) (?:marcar|confirmar|agendar)',
    '(?:that )?would be (?:great|perfect|lovely|fine|good|brilliant|wonderful|ideal)',
    "let'?s do (?:that|this|it)",
    '(?:please )?(?:send|shoot|fire off)(?: (?:it|the invites?|invites?|an invite|the invitation))?(?: out)?',
    '(?:please )?(?:proceed|go ahead) with (?:the |my )?(?:booking|reservation|meeting|it|that|this)',
    '(?:please |you may |you can )?(?:proceed|go right ahead|carry on)',
    '(?:sure,? )?why not',
    // Tagalog "na" (now) said last: "sige, book it na".
    '(?:book|do|confirm) (?:it|mo) na',
    "(?:i'?d|i would|we'?d|we would) (?:love|like) (?:that|it)|lov(?:e|ing) (?:it|that)",
    'aye|ta|mate|sweet as|much appreciated|please do so|if you would|if you could|if you please|kindly',
    '(?:pop|chuck|stick|whack|bung|slot|pencil|lock) (?:it|that|this) in(?: (?:the|my|your) (?:diary|calendar|cal))?',
    '(?:thank you|thanks|many thanks)(?: so much| very much| a lot| heaps| a million| a mil| a bunch| loads| again| for (?:that|this|everything|your (?:help|patience)|being so (?:patient|helpful|quick)(?: with me)?))?',
  ].join('|')})$`,
);
/** Longer ways to say no: "No, thank you; please disregard that.", "yeah nah". */
const NO_AT_LENGTH =
  /^(?:(?:it'?s|it is|that'?s|that is) not (?:necessary|needed|required)|make we no (?:book|do|fix|put) (?:it|am)(?: again)?|(?:it |that )?(?:is|'s) not (?:correct|right)|(?:please )?(?:don'?t|dont|do not) worry(?: (?:about|bout|abt) (?:it|that))?|(?:please )?(?:don'?t|do not) (?:book|confirm|schedule|save)(?: (?:it|that|this|anything))?(?: (?:yet|just yet|for now|now|first))?|scratch (?:that|it)|(?:please )?(?:disregard|ignore|forget(?: about)?) (?:that|it|this)(?: one| request)?(?: (?:then|now|for now))?|(?:i'?ve |i have |i )?changed my mind|(?:that'?s |that is )?not necessary|(?:that )?(?:won'?t|will not) be necessary(?: after all)?|not needed|not any ?more|no longer|yeah nah|(?:that'?s|that is) (?:all right|alright|ok|okay|fine)|(?:please )?don'?t bother|(?:please )?don'?t worry(?: about (?:it|that))?|(?:please )?don'?t|(?:please )?do not|i'?ll pass|pass|(?:i'?m |im |i am )?not (?:so |too |that )?sure(?: yet| about (?:it|that|this)| now| (?:if |whether )?(?:i|we) (?:can|could|will|'ll) make it)?|unsure|hindi pa (?:sure|sigurado)(?: (?:si|kay|ni|kung) [\w']+)?|kindly|please|thank you|thanks|not (?:this|that|today|tonight|tomorrow|now|then|this week|this weekend|this time|yet|at (?:present|the moment|this (?:time|stage|point))|for (?:now|the moment|the time being)|just now))$/;
/**
 * Restating what the question waits for is a yes: "yes, cancel it", "Yes, please cancel them all.", "yes move it",
 * "sweet as, chuck it in", "yes, get rid of the lot", "go ahead and book it". A lead ("and", "just", "go ahead and")
 * and a tail ("then", "now", "for me") may go around it.
 */
const RESTATED: Record<Awaiting, RegExp> = {
  book: restating(
    '(?:book|schedule|add|save|confirm|lock|put|pencil|chuck|pop|stick|whack|bung|slot|throw|set|send|agéndalo|agendalo|agendar|resérvalo|reservalo|réserve|réservez|buchen|buch es|eintragen|trag es ein|prenota|prenotalo|boek het|plan het in|book karo|book kar do|book kar dijiye)(?: (?:it|that|this|them|the (?:booking|meeting|draft|appointment|slot|time|invite|invitation)))?(?: (?:in|down|up|through|out))?(?: (?:the |my |your )?(?:diary|calendar|cal|schedule|books))?|(?:book )?(?:just |only )?the first(?: one| of them| meeting| session| call)?(?: only)?|make it happen|get it (?:booked|done|in)|make it official|(?:pode )?(?:marcar|agendar)|marca|agenda',
  ),
  cancel: restating(
    "(?:(?:cancel|delete|remove|scrap|drop|kill|axe|nix|bin|clear|ditch|trash|wipe|nuke|zap|get rid of|call off|confirm|cancélalo|cancelalo|cancélala|cancelala|annule|annuler|annulez|annulla|cancela|cancelar|absagen|stornieren)(?: (?:it|that|this|them|those|these|both|everything|em|'em|the lot|the whole lot|(?:the )?cancellation|the meetings|(?:all|both) of them|(?:that|this) one))?(?: (?:all|both|off|zote|semua|lahat|todos|todas|sab))?|call (?:it|that|them) off|(?:all|both|everything|the lot|the whole lot)(?: of (?:them|it))?)",
  ),
  move: restating(
    '(?:move|shift|push|bump|reschedule|change|swap|do|confirm|(?:pode )?mudar|muda|verschieben|déplace|déplacer|muévela|muevela|mover|sposta|spostala)(?: (?:it|that|this|them|(?:that|this) one))?(?: the (?:move|change))?|make the (?:move|change)',
  ),
};

/** A restatement of the pending action with what may go around it (see `RESTATED`). */
function restating(action: string): RegExp {
  return new RegExp(
    `^(?:(?:and|just|then|so|please|go ahead and|go on and|yes|yeah|yah|ya|yep|yup|sure|ok|okay) )*(?:${action})(?: (?:then|now|please|for me|already|anyway|away|pronto|pannunga|pannu|pannidunga))*$`,
  );
}
/** Keeping a meeting as it is answers a cancel or a move with no: "nah keep it", "leave it where it is", "it can stay put". */
const KEPT =
  /^(?:just |please )?(?:(?:(?:i|we)(?:'ll| will| want to| would like to|'d like to| still (?:need|want))?|let'?s|let us|make we) keep (?:it|that|this|them)(?: (?:as (?:it is|is)|where it is|there|on|then))?|(?:i|we) still (?:need|want) (?:it|that|this|them)|(?:keep|leave)(?: (?:it|that|this|them|things))?(?: (?:as (?:it is|is|it was|before)|like (?:it is|it was|that|this|before)|the way it (?:is|was)|where it (?:is|was)|be|alone|on|in|there|then))?(?: (?:after all|for now|actually|please|then))?|(?:it|that|this|they|she|he) (?:can|could|should) stay(?: (?:put|there|as (?:it is|is)|where (?:it|they|she|he) (?:is|are)))?|stay (?:put|as (?:it is|is))|let (?:it|that|this|them) (?:remain|stay|be)(?: (?:as (?:it is|is)|where it is|like that|there))?|let (?:it|that|this|them) like (?:it is|it was|that|this)|(?:keep|leave) (?:it|that|this|them) (?:on|for) (?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|(?:it'?s|its|it is) (?:fine|good|ok|okay|all good) (?:where it is|as (?:it is|is))|don'?t (?:cancel|move|change|touch)(?: (?:it|that|this|them))?|do not (?:cancel|move|change)(?: (?:it|that|this|them))?)$/;

const YES_OR_THANKS = new Set([...YES_ELSEWHERE, ...THANKS_ELSEWHERE]);
const NO_OR_THANKS = new Set([...NO_ELSEWHERE, ...THANKS_ELSEWHERE]);

/**
 * What may follow a yes or a no as its reason ("no, don't book, I will check with him first", "yes, he's
 * expecting it", "no, leave it, Lerato will run it"): a clause of its own that names no time, day or change, so
 * "no, I meant Thursday" stays a correction, and says no need of its own ("thanks, I don't need it anymore" is a
 * no); putting it off is a reason whenever it is ("nah, leave it, I'll sort it in the morning").
 */
const REASON =
  /^(?:vou|voy a|vamos) (?:falar|hablar|ver|checar|confirmar|perguntar|preguntar)\b[^\d]*$|^(?:i'?ll|i will|we'?ll|we will|let me) (?:sort|deal with|handle|look at|check|confirm|ask|talk to|speak to|run it by|clear it with|double[- ]check|figure|think about|let \w+ know|tell \w+|(?:ring|call|phone|text|email|message|whatsapp) (?:her|him|them|\w+)(?: (?:instead|myself|directly|back|later))?)\b[^\d]*$|^(?:the (?!(?:time|day|date|hour|place|room|location|venue|title|name|length|duration)\b)[a-z]+(?:'s| is| has| was)(?!.*\b(?:wrong|incorrect|not right)\b)|not sure (?:if |whether )?(?:i|we)|[a-z]+'s (?=(?:pulled|backed|dropped) out\b|called (?:it )?off\b|cancel(?:l)?ed\b)|[a-z]+ (?=(?:will|can|'ll|is going to|is gonna) (?:run|take|cover|chair|lead|host|handle|do) (?:it|that|them)\b)|i|i'?ll|i'?m|im|we|we'?ll|he|she|they|(?:my|our) (?:wife|husband|partner|mum|mom|dad|boss|manager|assistant|secretary|pa)|will|let me|lemme|need to|have to|gotta|maybe|because|coz|cos|since|as|until|till|still|waiting)\b(?!.*\b(?:don'?t|do not|no longer) need\b)(?!.*\b(?:meant|mean|said|want|like|prefer|rather|instead|make|change|move|cancel|delete|remove|drop|book|add|invite|bring|join|also|too|use|room|office|zoom|teams|hall|at|for|today|tonight|tomorrow|\w+day|morning|afternoon|evening|noon|week|month)\b)[^\d]*$/;

/**
 * Someone still to check or approve, a reason for a no: "Greg wants to check with Dana first", "Sir hasn't approved
 * yet", "I want to confirm with Funke first", "pehle Omar se confirm karna hai".
 */
const CHECKS_FIRST =
  /^pehle (?:[\w']+ ){0,3}(?:confirm|check|pooch\w*|puch\w*|baat)\b[^\d]*$|^first (?:i|we)(?: will|'ll| need to| have to| must| want to| should)? (?:ask|check|talk|speak|confirm)\b[^\d]*$|^(?:[\w.']+ ){0,3}(?:(?:wants?|needs?|has|have|would like|'d like|is going|are going) to (?:check|confirm|ask|talk|speak|run it by|clear it with|double[- ]check|think|discuss|get back)|(?:hasn'?t|has not|haven'?t|have not|didn'?t|did not|not) (?:yet )?(?:approved|confirmed|signed off|agreed|okayed|ok'?d|said yes|decided|replied|responded|got back))\b[^\d]*$/;

/** Someone away, a reason for a no: "Ravi might be on leave that day", "she's off sick". */
const AWAY =
  /^(?:[\w.']+ ){1,3}(?:might|may|could|will|would) be (?:on leave|on holiday|on vacation|away|off|out|busy|travell?ing|sick|unwell|unavailable)(?: sick)?(?: (?:that|this) (?:day|week|morning|afternoon)| then)?$|^(?:he|she|they|\w+)(?:'s| is|'re| are) (?:on leave|on holiday|on vacation|away|off sick|out sick|travell?ing|unwell)(?: (?:that|this) (?:day|week)| then)?$/;

/** The answer a message gives as a whole: a yes, a no, or neither, read against what is awaited. */
export function answerOf(text: string, awaiting: Awaiting | undefined): 'confirm' | 'decline' | undefined {
  const restated = awaiting ? RESTATED[awaiting] : undefined;
  const yes = (p: string) => YES_WORDS.test(p) || YES_AT_LENGTH.test(p) || YES_OR_THANKS.has(p) || !!restated?.test(p);
  if (wholeMessage(text, yes) || answersWithReason(text, yes)) return 'confirm';
  // After a plain no, keeping it or waiting is part of the no ("nope, keep it where it is", "No, please hold on, let
  // me confirm with Emeka first"); keeping a meeting answers a cancel or a move with no on its own.
  const plainNo = /^(?:no+|nope|na+h+|yeah nah|nahi|non|nein|não|nao)\b/.test(text);
  const kept = awaiting === 'cancel' || awaiting === 'move' || plainNo;
  const no = (p: string) =>
    NO_WORDS.test(p) ||
    NO_AT_LENGTH.test(p) ||
    NO_OR_THANKS.has(p) ||
    (kept && KEPT.test(p)) ||
    (plainNo &&
      /^(?:please )?(?:hold on|hang on)(?: a (?:sec|second|minute|moment|bit))?$|^(?:it'?s |that'?s )?all good$/.test(
        p,
      ));
  if (wholeMessage(text, no) || answersWithReason(text, no)) return 'decline';
  return undefined;
}

/** An answer, then why: "no, don't book, I will check with him first". */
function answersWithReason(text: string, accepts: (phrase: string) => boolean): boolean {
  const parts = partsOf(text).flatMap((p) => reasonSplit(p, accepts));
  const isReason = (p: string) => REASON.test(p) || CHECKS_FIRST.test(p) || AWAY.test(p);
  const reason = parts.findIndex(isReason);
  return (
    reason > 0 &&
    parts.slice(reason).every((p) => isReason(p) || accepts(p)) &&
    parts.slice(0, reason).every((p) => segments(p.split(' '), accepts))
  );
}

/** A phrase that runs from an answer into someone's check without a comma ("no don't book it yet I want to confirm with Funke first"), cut in two. */
function reasonSplit(phrase: string, accepts: (phrase: string) => boolean): string[] {
  const words = phrase.split(' ');
  for (let cut = 1; cut < words.length; cut++) {
    const [answer, reason] = [words.slice(0, cut).join(' '), words.slice(cut).join(' ')];
    if (CHECKS_FIRST.test(reason) && segments(words.slice(0, cut), accepts)) return [answer, reason];
  }
  return [phrase];
}

/** An apology said beside an answer ("…, sorry for the trouble"), which is no part of it. */
const APOLOGY =
  /^(?:(?:sorry|apologies|my apologies) (?:for|about) (?:the|that|this|my|all the) [a-z ]{2,30}|sorry about that|sorry again|apologies|(?:sorry,? )?my bad)$/;

/** Second thoughts said beside an answer ("No, on reflection, leave it as it is."), which are no part of it. */
const SECOND_THOUGHTS =
  /^(?:on (?:reflection|second thoughts?|further thought|balance)|having (?:thought|slept on) it(?: over)?|thinking about it(?: more)?|come to think of it|all things considered|after some thought)$/;

/**
 * The message cut at punctuation into phrases, without the words said around a yes or a no ("lah", "pls", "sir"),
 * to whom it is said, last ("mate"), or an apology or second thoughts beside it.
 */
function partsOf(text: string): string[] {
  return text
    .replace(/[!.?…;:]+/g, ',')
    .split(/,| - /)
    .map((p) => {
      const words = p
        .trim()
        .split(/\s+/)
        .filter((w) => w && !ANSWER_FILLERS.has(w));
      if (words.length > 1 && ANSWER_ENDINGS.has(words.at(-1)!)) words.pop();
      return words.join(' ');
    })
    .filter((p) => p && !APOLOGY.test(p) && !SECOND_THOUGHTS.test(p));
}

/** True when every part of the message (split at punctuation, then into runs of words) is an accepted phrase. */
function wholeMessage(text: string, accepts: (phrase: string) => boolean): boolean {
  // "hmm" or "wait" alone says neither yes nor no.
  if (
    /^(?:(?:actually|oh|well|then|so|and|hmm+|wait|espera|espere|hold on|hang on|um+|uh+|sorry)[\s,.!?…]*)+$/.test(text)
  )
    return false;
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
