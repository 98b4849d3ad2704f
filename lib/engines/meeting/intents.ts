import type { WhenFound } from './when.ts';
import { answerOf } from './answers.ts';
import { RENAME } from './titles.ts';
import { HOLIDAY_NAMES } from './lexicon.ts';
import { EVENT_NOUN } from './tokens.ts';
import type { Awaiting, Intent } from './understand.ts';

const LIST_CUE =
  /\b(still on\b.*\?$|am i having|what have (?:i|we)(?= (?:on|this|next|today|tomorrow|tonight|\w+day)\b)|have what (?:meetings?|appointments?|events?|calls?)\b|what'?s on|what is on|whats on|what have i got|what'?ve i got|what do i have|what (?:all )?i have|what all (?:do )?(?:i|we) (?:have|got)\b|(?<!\b(?:a|good|tv|new|that|this) )show(?: me)?\b(?![ -]round)|lists?\b|agenda|my (?:meetings|appointments|events|bookings|calls)\b|my schedule|my calendar|my diary|upcoming|(?<!\bwith (?:[\w']+ ){1,4})coming up|what'?s next|whats next|what is next|anything on|anything scheduled|anything booked|got anything(?: or not)?\??$|\bgot (?:any )?(?:meetings?|mtgs?|appointments?|appts?)(?: or not)?(?: (?:ah|ah\?|lah|leh|not))?\??$|\bgot (?:any )?(?:meetings?|mtgs?|appointments?|appts?) or not\b|\b(?:today|tomorrow|tmr|tmrw|tonight|\w+day) got what\b|\bwhat else (?:i|we) got\b|^(?:can|could|may) i (?:see|view|look at) (?:my |the )?(?:today|tomorrow|tonight|(?:this|next) week(?:end)?|(?:mon|tues|wednes|thurs|fri|satur|sun)day|calendar|schedule|diary|agenda|week)\b|\b(?:schedule|sched|meetings?|calendar|agenda) (?:dikhao|dikha do|dikhaiye|batao|bata do|bataiye)\b|\bano(?:ng)? (?:sched|schedule|meetings?|lakad|appointments?)(?: ko| natin)?\b|\bqu[eé] tengo\b|\bo que (?:eu )?tenho\b|\bnina nini\b|\bratiba yangu\b|\bwhat'?s there (?:on )?(?:today|tomorrow|tmr|tonight|\w+day)\b|\b(?:at )?what (?:time|hour) is my\b|\bwho(?:'?s| is| are)? (?:in|on|coming in|working|rostered on)\b(?= .{0,30}\b(?:today|tomorrow|tonight|tmrw|tmr|\w+day|tues|weds|thurs|at \d))|\bwhich (?:staff|people|nurses|of the team)(?: (?:are|is))? (?:coming(?: in)?|in|on|working)\b|what (?:i|we) (?:got|get)\b|what else (?:do|have|did) (?:i|we)\b|what am i looking at|(?:want|like) to know (?:my|the|all) (?:meetings|schedule|agenda|appointments|bookings)|what meetings|which meetings|do i have any|do i have anything|any meetings?|how many meetings|how busy|how does my|what does my|when is my|when'?s my|what time is my|meetings (today|tomorrow|this|next|on)|what'?s happening|rundown|overview|what'?s planned|what is planned|see my (?:calendar|schedule|meetings|diary|agenda|day|week)|(?:pa-?)?check (?:naman )?(?:my|ng) (?:schedule|sched|calendar|diary|day|week)|my day look|my week look|look(?:s|ing)? like|what (?:have|has) (?:i|\w+) (?:got )?on\b|what(?:'s| is) there (?:for me|on)\b|what (?:does|do) (?:\w+ ){1,2}have\b|(?:let me|lemme) (?:see|look at|check)(?: my| the)? (?:today|tomorrow|tonight|(?:this|next) week|(?:mon|tues|wednes|thurs|fri|satur|sun)day|calendar|diary|schedule|agenda)\b|(?:pull|bring|call) up (?:my|the|all|everything|what|today|tomorrow|tonight|(?:this|next) (?:week|month)|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b|tell me (?:about )?(?:my|what|everything|all|(?:today|tomorrow|\w+day)(?!(?:'?s)? (?:\w+ )?(?:match|game|weather|forecast|scores?|news|headlines|rates?|prices?|temperature)\b)(?:'?s)?)\b|what'?s (?:booked|scheduled|planned|the plan)\b|shaping up|what do i got\b|give me (?:my|a rundown|a list|everything|all)\b|everything (?:i have|i'?ve got|i got)\b|(?:today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|week)(?:'s)? (?:meetings|appointments|events|bookings|calls|agenda|schedule|diary|calendar)\b|how does .{1,30} look|how'?s .{1,30} look(?:ing)?|how is .{1,30} look(?:ing)?|on my plate|what'?s left|whats left|who am i (?:meeting|seeing)|^when (?:do|am|will|shall) i (?:meet|see|have|talk)|^have i got (?:the|a|an|my|any)\b|(?:anyone|anybody|someone|who|whos)\b.{0,20}\b(?:booked|scheduled|coming)|^who(?:'s| is| are) (?:attending|joining|coming to|invited to|in) (?:the|my|our)\b|^(?:where|when|what time)(?:'s| is| was) (?:my|the)\b|^what(?:'s| is| was) (?:my|the) (?:first|next|last|earliest|latest|final)\b|^when(?:'s| is| was| are) (?!(?:a |an |it )?(?:good|free|best|convenient|ok|okay)\b)|in (?:the|my) (?:diary|calendar|schedule|agenda)\b|^how long(?: is|'s)|^(?:\w+ ){0,3}?(?:i|we) have (?:something|anything)\b.*\?$|do i have (?:something|anything|stuff|any\w*|(?:\w+ )?meetings|(?:\w+ )?calls)|^what'?s (?:first|first up|up first|on at \d|at \d)|what am i (?:doing|up to)|what do i have (?:going )?on|summary of my|rundown of my|what (?:have|did) i (?:booked|scheduled|got|planned)|(?:what|which) (?:all )?meetings|who do i (?:have|meet|see)|(?:my )?next meeting|next call|^(?:my )?(?:calendar|schedule|agenda|diary)\b)/;
const AVAILABILITY_CUE =
  /^free\b|\b(?:i|we) (?:have|got) (?:any )?time or not\b|^(?:is|are) free\b|\b(?:(?:have|has) (?:i|we|\w+) )?got (?:a |an |any )?(?:free|spare|open) (?:hour|half[ -]hour|\d+ ?(?:minutes|mins?|hours?|hrs?|h|m))\b|\bgot (?:a |an |any |some )?(?:free |open |spare )?(?:slots?|gaps?|windows?)\b|\bgot (?:any |some )?room for\b|\b(look(?:s|ing)? (?:ok |good )?for an? (?:\S+ ){0,2}(?:meeting|call|workshop|session|chat|sync|slot)|(?:got|have|is there|are there) (?:any|some) (?:free |spare |open )?(?:time|space|room)\b|anything (?:open|available|clear)\b|any chance (?:of|for) (?:an? |some )?(?:\d+ ?(?:minutes|mins?|hours?|hrs?|h|m)|(?:half an |an )?hour|time|slot)\b|am i free|are we free|^is \S+(?: \S+){0,4} (?:ok|okay|fine|good|possible)\b.*\?$|am i (?:around|about|in the office)\b|(?:earliest|latest|soonest) (?:i|we) can\b|(?:what time|when) .{0,40}\bworks?\b|(?:i am|i'm|im) (?:free|available|busy)\b|free or (?:not|busy)\b|(?:first|next|earliest) (?:free|open|available)\b|free (?:\d+|an?|half an) ?(?:minutes|hours?|h|m)\b|is (?!(?:anything|something|there)\b)\S+(?: \S+){0,4} (?:free|open|available|clear|taken|booked)|am i available|have i (?:got |any )?time\b|(?:hole|space|room|gap|empty (?:place|spot|slot)|free (?:place|spot)) in my (?:agenda|calendar|schedule|diary)|(?:is|are) (?:free|open|available)\b(?! (?:for|to)\b)|are you available|available|availability|am i busy|is my (?:\S+ )?(?:free|clear|open|busy|empty)|(?:free|open) (?:slots?|hours)\b|free time|free spots?|openings?(?! (?:team|shift|staff|crew|hours|ceremony|night|checks?|briefing|meeting|duties)\b)|open time|gaps?|do i have (?:any )?time|(?:do|does) (?:i|we) have (?:a |any )?(?:slot|gap|window|space)s?\b|have i got time|when am i free|when are we free|when can i|find (?:me |us )?(?:a |an |some )?(?:free |spare |open )?(?:time|slot|spot|gap|window|\d+ ?minutes|half an hour|an hour|hour)|got (?:a |an |any )?(?:hour|half[ -]hour|\d+ ?(?:minutes|mins?|hours?|hrs?|h|m)) (?:anywhere|somewhere|free|spare|open)\b|any room in|got time|free (?:on|at|tomorrow|today|this|next|monday|tuesday|wednesday|thursday|friday|saturday|sunday|in the)|what'?s (?:free|open)\b|anything free|when'?s free|can i fit|could i fit|(?:can|could) i squeeze|is there room|how (?:open|free|busy|clear|packed) (?:is|am)|am i (?:booked|taken|tied up|occupied|double[ -]booked)|^(?:could|can) i do (?:at )?\d.*\?$|any good\??$|is there (?:space|room|time|a slot|an opening|a gap)|(?<!\bup )too (?:early|late|soon)\b|(?<!how )\b(?:does|would|will) .{1,30} work(?: for me)?\?$|^any ?(?:time|room|space)\b|is there time|(?:ok|okay|good|fine|work) for me\?|good time|best time|(?:free|open|available|an?|any|some|first|next|earliest|good|\d+ ?(?:minutes|hours?|m|h)|hour|minute) (?:slots?|windows?)\b|^(?:slots?|windows?)\b(?! (?:cleaning|cleaner|washing|repair|fitting|install|installation|replacement|blinds?)\b)|double[ -]booked|clear (?:on|tomorrow|today|this)|(?:free|open|clear)\??$)/;
const CANCEL_CUE =
  /\b((?:aren'?t|are not|won'?t be|will not be) happening|no need for (?:the|my|our|that|this)\b|forget about (?!it\b|that\b)|(?:isn'?t|is not|not|no longer) (?:happening|needed|required|necessary)|can go$|can be (?:cancelled|canceled|dropped|removed|deleted)|(?:don'?t|do not|no longer) need .{0,40}|free up|clear (?:out )?my (?:morning|afternoon|evening|day)|(?<!\b(?:light|lights|power|electricity|current|gas|water|wifi|internet|heating|aircon) )is off|take .{1,30} off|off my (?:calendar|schedule|diary)|knock (?:\S+ ){1,5}?on the head|cancel|cancell?ed|delete|deleted|remove|removed|scrap|scratch|strike|kill|drop(?![ -]?(?:off|in|by|round|over)\b)|axe|nix|nuke|ditch|zap|(?:^|[,.;!] | - |\b(?:please|can you|could you|would you|just|and) )clear (?:out )?(?:my |the )?(?:(?:(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:'s)? ?)(?:morning|afternoon|evening|day)?|(?:morning|afternoon|evening|day|diary|calendar|schedule))\b(?! (?:for|at|on)\b.{0,12}\?)|unschedule|deschedule|trash|bin (?:it|that|this|the|my|everything|all|(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)'?s)|annul(?:ate)?|annule|paki-?cancel|annulla|anula|cancela|take .{1,40} out of (?:the|my) (?:diary|calendar|schedule|agenda)|call off|get rid of|clear (?:my|the|out|everything|it|them)\b|wipe|can'?t make|cannot make|won'?t make|(?:won'?t|will not|wouldn'?t|am not|i'?m not|are not|aren'?t|no longer) (?:be )?able to make|unable to make|unbook|take off)\b/;
/**
 * Saying a meeting will not take place ("can't attend the review", "skip the standup", "friday lunch is
 * a no go"): a cancel, unless the message also gives it a new time (then it is a move).
 */
const SOFT_CANCEL =
  /\b(?:(?:not|no longer) possible(?: anymore| any more)?|(?:can'?t|cannot|won'?t) (?:go|attend|come|join|do|make)\b.{0,40}\b(?:anymore|any more)|(?:can'?t|cannot|won'?t|will not|not) (?:attend|be attending|be at)\b|(?:won'?t|will not|not going to|isn'?t going to|is not going to) happen|(?:is|'s) a no[ -]?go|pull the plug|(?<!\b(?:don'?t|do not|never|not) )forget (?:about )?(?:the|my|our|(?:today|tomorrow|\w+day)'s)\b|skip (?:the|my|our|(?:today|tomorrow|\w+day)'s)\b|^(?:just |please )?can (?:the|my|that|this) (?!.*\b(?:be|we|you|i|start|happen|move|go|get|have|do|run|fit|take)\b))/;
const MOVE_CUE =
  /\b(change (?:the|my|our) [\w\u00C0-\u024F'. -]{1,50}? from (?:\d{1,2}(?::\d\d)? ?(?:am|pm)?|(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)) to (?:\d{1,2}(?::\d\d)?|(?:the )?(?:next )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday))|(?:can|could) we make it(?<!\b(?:book|schedule|set up|add|arrange|put)\b.*) .{1,20}\binstead\b|pass (?:it|that|this) for (?:the )?(?:next )?(?:(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|\d)|should (?:now )?(?:be|start|happen) (?:on|at)|(?:needs?|has|have) to (?:be|happen|start) (?:on|at|earlier|later|today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|next)|(?<!\b(?:to|can'?t|cannot|won'?t) )make (?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)'s|works? better (?:at|on)|(?:is|are|'s) now (?:on|at)|now (?:on |at )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|rearrange|re-arrange|rejig|(?:anticipate|posticipate)(?= (?:it|the|my|our|that|this)\b)|report (?:it|the|my|our|that|this)\b.{0,40}\bto (?:the )?(?:next )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|take it to (?:the )?(?:next )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|reshuffle|scoot|move|moved|moving|prepone|(?<!\bin )advance(?! notice)|reschedule|rescheduled|postponed|pushed|shifted|bumped|re-schedule|rebook|push|postpone|(?<!\b(?:trial|locum|bank|agency|night|day|late|early|morning|evening|weekend|double|split|long|short|handover|graveyard|overnight|swing|volunteer|work|extra|cover|relief|opening|closing|weekday|saturday|sunday|a|the|my|your|our|this|next|first|last|off|on|after|before|during|per|each|every|schedule|book|arrange|plan|organi[sz]e) )(?<!-)shift(?!-)(?! (?:handover|change|changes|swap|swaps|pattern|patterns|rota|cover|chat|briefing|meeting|lead|leads|planning|manager|supervisor|workers?|staff|debrief|huddle|report|start|review|call)\b)|bump|bring (?:\S+ ){0,4}?(?:forward|back|earlier)|shove (?:\S+ ){0,4}?(?:to|back|forward)\b|(?:needs?|has|have) to (?:go|move|shift) (?:to|on|back|forward)\b|(?:go|goes|be moved) (?:to|on) (?:the )?(?:next |following )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}(?::\d\d)?(?: ?[ap]m)?)|take (?:the|my|our|that|this) [\w' :ː-]{1,30} to (?:the )?(?:next )?(?:week )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}(?::\d\d)?(?: ?[ap]m)?)|^(?:so |ok |okay )?(?:can|could) (?:the|my|our|that|this) [\w' :ː-]{1,30} be (?:on|at) .{1,30}\binstead\b|\b(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday),? same time(?:\?|$)|pull (?!up\b)(?:\S+ ){0,4}(?:forward|in|earlier|up to)|(?<!\b(?:the|a|any|no|of|for) )delay|slide|change (?:the )?(?:time|day|date)|^(?:(?:please|pls|can you|could you|kindly) )?change (?:the|my|our) (?!(?:location|place|room|venue|title|name|agenda|topic)\b)[^,;]{1,40} (?:for|on) (?:the )?(?:next )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)[.!?]*$|change .{0,40}(?<!\d )(?<!(?<!\b(?:the|my|our|your|this|that) )\b\d{1,2}(?:[:.]\d\d)? ?[ap]\.?m\.? )\bto\b|make (?:it|the|my|that) .{0,40}\b(?:earlier|later)|(?:can|could) we make it (?:an? |one |half an |\d+ ?)(?:hour|hr|minutes?|mins?)(?: long(?:er)?)?$|switch .{0,40}(?<!\d )(?<!(?<!\b(?:the|my|our|your|this|that) )\b\d{1,2}(?:[:.]\d\d)? ?[ap]\.?m\.? )\bto\b|swap .{0,40}(?<!\d )(?<!(?<!\b(?:the|my|our|your|this|that) )\b\d{1,2}(?:[:.]\d\d)? ?[ap]\.?m\.? )\bto\b|push back|put (?:\S+ ){0,5}?back (?:an?|one|\d|by|half)\b|put (?:\S+ ){0,6}?back to (?:\d{1,2}(?:[:.]\d\d)?(?: ?[ap]m)?|noon|today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|move up|(?:do|have|hold|make) the .{1,40} instead|can we do .{0,30} instead|instead of|pass (?:it |that |this )?to|pass (?:the|my|our) [\w\u00C0-\u024F' :ː-]{1,40} (?:to|for) (?:the |at )?(?:next )?(?:today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}(?::\d\d)?(?: ?[ap]m)?)|(?:make it|can we do|could we do|do it|have it|move it|instead)\b.{0,30}\bsame time|same time\b.{0,30}\binstead)\b/;
const SCHEDULE_CUE =
  /\b(fix (?:a|an|up)|schedule|book|set up|setup|set something|arrange|organi[sz]e|plan|add|create|put|pencil|block|hold(?! (?:on|off|up|tight)\b)|reserve|meet|meeting|invite|grab|find time|find a time|set a|get .{1,40} together|let'?s (?:do|have|get|catch|chat|talk|sync|grab)|can we (?:do|have|get|chat|talk|sync|catch)|i need (?:a|an|some|to)|i want (?:a|an|to)|i'?d like (?:a|an|to)|need (?:a|an|some) (?:\w+ )?(?:with|for|about)|give me|borrow|time with|catch up|catchup|need to (?:see|talk|chat|speak|sync|catch|discuss|go over)|fit in|squeeze|slot in|appointment|sched)\b/;
const HELP_CUE =
  /\b(what (?:all |kind of |sort of |kinda |sorta )?(?:things |stuff )?(?:exactly |actually |really )?(?:can|could) (?:you|u) (?:actually |really |even )?(?:do|help|assist)|(?:what|how) (?:are you|you are|you'?re) able to|what (?:can|do|could) you (?:help|assist) (?:me )?with|what (?:things |stuff )?you can (?:do|help)|what (?:can|does) (?:this|the) (?:bot|assistant|app|thing|tool|service|chatbot) (?:actually |really |even )?do|what (?:this|the) (?:bot|assistant|app|thing|tool) (?:can|could) do|what(?:'s| is|s) (?:this|the) (?:bot|assistant|app|thing|tool) (?:good )?for|what can (?:you|ya) do|what do you do|help|how does (?:it|(?:this|the)(?: (?:thing|bot|assistant|app|service|tool|chat|chatbot))?) work|what (?:kinds?|sorts?|types?) of (?:requests|things|tasks|questions|commands) (?:are you able to|can you|could you|do you)|(?:how (?:do|can|should) (?:i|we)|how i can|how to)(?= (?:\w+ ){0,3}?(?:use|book|schedule|cancel|move|reschedule|change|edit|delete|remove|add|see|view|check|list|find|set|start|begin|do (?:this|that|it)|talk|ask|type|say|write|work|invite|sync|subscribe|export|connect|meetings?|calendar|appointments?|bookings?|this|you|it)\b)|how (?:this|it|you) works?|what (?:am i|do i|should i) (?:supposed|meant) to (?:type|say|do|write|ask)|use (?:this|the) (?:bot|assistant|app)|commands|instructions|what are you|who are you|what (?:all |kind of |sort of |type of )?(?:things |stuff |questions )?(?:can|could|should) i (?:say|ask|type)|what else|capabilities|features|usage|tutorial|guide me|examples?)\b/;
export const FEED_CUE =
  /\b(ics|ical|icalendar|webcal|calendar (?:feed|link|url|subscription|file)|feed|subscribe|subscription|export|sync (?:(?:this|it|them|these|my meetings|everything) )?(?:to|with|into) (?:my )?(?:google |outlook |apple |iphone |ios |android |samsung |work |phone'?s? )?(?:calendar|cal|ical|google|outlook|apple)|(?:add|put|get|import|see|show) (?:this|these|them|it|my meetings|the meetings|meetings|events|bookings|everything)(?: \w+)? (?:to|in|into|on) (?:my )?(?:google |outlook |apple |iphone |ios |android |samsung |work |phone'?s? )?(?:calendar|cal|outlook|phone)|(?:add|put|get|import) (?:this|these|them|it|my meetings|the meetings|meetings|events|bookings|everything)(?: \w+)? onto (?:my )?(?:google |outlook |apple |iphone |ios |android |samsung |work |phone'?s? )?(?:calendar|cal|outlook|phone)|(?:link|url) (?:for|to) (?:my )?(?:google |outlook |apple )?calendar|(?:google|outlook|apple) calendar|(?:shows?|showing|come|comes|pop|pops) up (?:in|on) (?:my )?(?:google |outlook |apple |phone'?s? |work )?(?:calendar|cal|outlook|phone)|appears? (?:in|on) (?:my )?(?:google |outlook |apple |phone'?s? |work )?(?:calendar|cal|outlook|phone))\b/;
/** A question about the world, not the calendar: the weather, prices, the news, the best of something. */
const OFF_TOPIC_QUESTION =
  /^(?:(?:and|so|hey|hi|ok|abeg|oya|pls|please|bhai|yaar|bro|eh|oi|hmm|um) )?(?:what|whats|where|how|hows|who|which|is|will|does|(?:can|could) you tell me)\b.{0,30}\b(?:weather|forecast|temperature|exchange rate|stock price|share price|bitcoin|the news|headlines|traffic|the score|recipe|capital of|population of|per (?:litre|liter|gallon|kilo|kg)|price of|cost of|exchange rate|(?<=^(?:\w+ )?how )much (?:is|are|does|do|will)\b(?! (?:i|we|it)? ?(?:have|got)? ?(?:time|free))|the best (?!(?:time|slot|day|window|way to (?:reach|contact)))\w+|(?<=^(?:what|whats|what's|is there|are there) (?:is )?)(?:a|some|any) good (?!(?:time|slot|day|window)\b)\w+|footy|football|soccer|cricket|rugby|(?<=\btime )(?:is it )?(?:now )?in [a-z]+|(?:\w+ )?prayers?(?: times?)?|sun ?(?:set|rise)|tides?|(?:match|game) score|(?:rand|dollar|euro|pound|rupee|peso|yen|naira|shilling)s? (?:doing )?against\b|(?<=^who )won(?!')|(?:haze|pollen|uv|air quality|aqi) (?:index|level|count|reading)|stage of load ?shedding|(?:bus|train|rail|tube|metro|transit|transport|teachers?'?|nurses?'?|doctors?'?|postal|general|taxi) strikes?)\b|^(?:(?:can|could) you |please |pls )?(?:write|draft|compose|translate|summari[sz]e|spell) (?:me )?(?:a|an|the|this|that)\b(?!.*\b(?:invite|invitation|agenda|meeting|calendar)\b)|\b(?:can|could) you (?:recommend|suggest) (?:a|an|some|me|any)\b(?!.*\b(?:time|slot|day)\b)|^(?:do|did) you know (?:a|an|any|some) (?:good|nice|decent|cheap) (?!(?:time|slot|day|window)\b)|^(?:do|can|could) you (?:know|tell me) how to\b(?!.*\b(?:book|schedule|cancel|move|reschedule|use (?:this|you|it)|meetings?|calendar|appointments?|bookings?)\b)/;
/** Greetings, English and the ones people bring from home ("Bonsoir!", "Hej hej!", "Dzień dobry"). */
export const GREETING =
  /^(good ?night|night all|how far|coucou|gd (?:morning|mrng|evening|eve|afternoon|day)|t[eē]n[aā] koe(?:utou)?|sabah (?:el|al)[ -]?khe?ir|halo(?: kak| pak| bu| semua)?|hi+|hel+o+|hlo+|he+y+a?|ayy+|hiya+|ey up|eyup|dia dh?uit|shwmae|sut mae|whadda ya at|cze[sś][cć]|chào(?: bạn| anh| chị| em)?|你好|您好|안녕(?:하세요)?|こんにちは|привет|مرحبا|नमस्ते|howdy|gud (?:morning|mrng|mornin|eve(?:ning)?|evng|afternoon|day|nite|night)|good eve|what'?s good|howya|howzit|how ya|how are (?:you|ya|u)|how'?s it going|hullo|wotcha|watcha|aloha|yo+|good (morning|afternoon|evening|day)|greetings|sup|hola|morning|evening|afternoon|g'?day|hallo|salut|bonjour|namaste|hey there|hi there|what'?s up|wassup|whats up|ahoj|annyeong(?: ?haseyo)?|as-?salaa?mu? ?ala[iy]kum|as+alaa?m(?: o|-o-| u)? ?ala[iy]kum|bom dia|boa (?:tarde|noite)|tudo bem|magandang (?:umaga|hapon|gabi|tanghali)|konbanwa|konnichiwa|dobry wiecz[oó]r|(?:what|wha|wah|wat) gwaa?n|wagwa?n|whappen|bless up|habari|jambo|konnichiwa|kumusta|marhaba|ni ?hao|oi+|ohayo(?: gozaimasu)?|privet|sat sri akal|sawa?dee(?: krap| ka)?|selamat (?:pagi|siang|sore|malam|petang|tengah hari|datang)|xin ch[aà]o|zdravstvuyte|bonsoir|buenas(?: tardes| noches)?|buenos d[ií]as|buongiorno|buonasera|ciao|dobr[yý] den|dzie[nń] dobry|god (?:morgon|morgen|dag|aften|eftermiddag|middag|kv[aä]ll)|goede(?:morgen|middag|navond)|gr[uü][sß] (?:gott|dich)|guten (?:morgen|tag|abend)|hei|hej(?: hej)?|hoi|kia ora|m[oō]rena|e ?kaa?ro|e ?kaa?san|e ?kaa?le|shikamoo|niaje|qu[eé] (?:m[aá]s|tal|onda)|adaab|apa kh?abar|kamusta|ndewo|sannu|dumela|merhaba|moi|moin|namaskar|ol[aá]|salam|salve|selam|sawubona|servus|shalom|szia|vanakkam|witam)(?=$|[^a-z\u00c0-\u024f])/;

const dayOnlyQuestion =
  /^(?:and |on )?(?:today|tomorrow|tonight|the day after tomorrow|(?:this |next )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|(?:this|next) week(?:end)?)\s*\?+$/;

/** A topic ("regarding office move", "to discuss listing photos") up to the clause's end: its words name no intent. */
const TOPIC_FOR_INTENT =
  /(?<!\b(?:how|what|forget|worry|think|thinking|talk|talking|tell me|tell us) )\b(?:regarding|re:|about|to discuss|to go over|to walk through|to talk about|subject:|topic:|concerning)(?= )[^,.;!?]*/g;

export const DAY_WORD = '(?:today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
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
  /^(?:(?:and|so|ok|okay|bhai|yaar|bro|hey|hi|eh) )?(?:who(?:'?s| is| are)? (?:in|on|coming in|booked|scheduled|seeing me)\b|(?:which|what) (?:\w+ ){1,2}(?:are|is) (?:booked|scheduled|on|in|coming|\w+ing)\b|who (?:have|has) (?:i|we)\b|(?:which|what) (?:\w+ ){1,2}(?:have|do) (?:i|we) (?:got|have)\b|who(?:'ve| have| do)? (?:i|we) (?:got|have|meet|meeting|see|seeing)\b|(?:which|who) (?:\w+ ){0,2}(?:am i|do i|will i be|i am|i'?m|im|i will be) (?:seeing|meeting)\b|(?:which|what) (?:\w+ ){1,2}i (?:have|got)\b)/;

/**
 * A question about someone else's day, which the one calendar answers: "What does Dr. Feldman have on Wednesday?",
 * "who's Sharon seeing at 2 tomorrow?", "Sir's schedule for tomorrow please".
 */
const SOMEONE_ELSES_DAY =
  /^(?:(?:and|so|ok|okay|hey|hi),? )?(?:(?:what|whats|what'?s)(?: does| do| has| have| is| will)? (?!(?:i|we|you)\b)(?:[\w.']+ ){1,3}(?:have|got|doing|booked)\b(?! (?:free|open|spare|time)\b)|who(?:'s| is| does| will| has)? (?!(?:i|we|you)\b)(?:[\w.']+ ){1,3}(?:seeing|meeting|meet|see)\b|(?:[\w.]+ ){0,2}[\w.]+'s (?:schedule|calendar|diary|agenda|meetings|appointments)\b)/;

/**
 * Said to someone at home rather than to the assistant: "babe can you grab milk on the way home", "mum can u record
 * the footy for me pls", "did you remember to feed the cat??", "grab paper towels on your way back pls".
 */
const SAID_TO_SOMEONE_AT_HOME =
  /^(?:babe|baby|bae|hun|hon|honey|love|luv|darling|darl|sweetie|sweetheart|mum|mom|mam|mummy|mommy|dad|daddy|bro|sis|hubby|wifey)\b[,!]? (?:can|could|would|will|did|have|pls|please|plz|don'?t|dont|remember|u|you|are|r)\b|\b(?:on (?:the|your|ur|yr) way (?:home|back|in|over|out)|before (?:you|u) (?:leave|go|head (?:out|off)|get home)|when (?:you|u) get (?:home|back|in)|did (?:you|u) remember to|(?:don'?t|dont) forget to (?:feed|walk|grab|buy|get|pick up|take|put|bring|record|water|collect))\b/;
/** A word for what the assistant books: an errand beside one is still for the assistant. */
const MEETING_WORD = /\b(?:meeting|mtg|appointment|appt|call|booking|calendar|diary|schedule|reminder)s?\b/;

/** A time taken back at once while booking ("meet Otieno 2pm, actually make it 3pm"): no move. */
const SELF_CORRECTION =
  /\d(?: ?[ap]m)?,? (?:actually|sorry|oops|wait|no wait|i mean|or rather|scratch that)\b,? (?:no,? )?(?:make (?:it|that)|change (?:it|that) to|at|\d)|\b(?:today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday) (?:at )?\d{1,2}(?::\d\d)? ?(?:am|pm)?, make (?:it|that) (?:at )?\d/;

/** A message headed as an entry for the diary ("Diary request:", "calendar entry", "Diary:", "please diarise"). */
const DIARY_ENTRY =
  /^(?:(?:new|add|please add) )?(?:diary|calendar|calender) (?:request|entry|item|hold)s?\b|^(?:diary|calendar)\s*:|\bdiari[sz]e\b/;

/** A verb that books (not "my schedule" or "this week's schedule", the noun; "let's schedule" is the verb). */
const BOOKING_VERB =
  /(?<!\b(?:my|ng|ka|ano|the|your|our|whole|full|entire|a|what|any|have|today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|week) )(?<!(?<!\blet)['’]s )\b(schedule|book|set up|put|add|pencil|arrange|stick (?:in|it|a|an|me|us|the|this|that|(?:\S+ ){1,4}?in (?:the|my) (?:diary|calendar))|slot (?:in|me|us|it|him|her|them)|pop (?:in|a|an|it)|block (?:my|the|some|an?|\d)|agenda (?:a|an|una|un)|fix (?:up )?(?:a |an )?(?:[\w-]+ )?(?:call|meeting|meet|appointment|session|sync|chat|review|interview)s?|get (?:something|it|this|that|one|(?:a|an) [\w-]+(?: [\w-]+)?) in(?! (?:touch|time|trouble|the car|the door)\b)|block (?:out )?(?:[\w.]+ ){0,2}[\w.]+['’]s (?:calendar|diary|schedule|time))\b/;

/**
 * Timetables, opening hours, rides and rates of the world, with or without a time in them: "is the 07:10 from Euston
 * running on time", "load shedding schedule for Sandton today?", "Is the chemist at Westfield open on Sunday?", "can
 * you order me a grab to makati", "what's the SGD to USD rate now", "wat time the F1 start tonight".
 */
const WORLD_TIMETABLE =
  /\b(?:running on time|(?:is|are) (?:the |my |our )?(?:\S+ ){0,3}?(?:train|flight|bus|tube|ferry)s? (?:delayed|on time)|flight status|(?:order|call|get) (?:me |us )?(?:a|an) (?:grab|uber|lyft|taxi|cab|ola|bolt|gojek)\b|(?:order|buy|get) (?:me|us) (?:a |an |some )?(?:coffee|tea|pizza|food|takeaway|flowers|cake)\b|^(?:is|are|will) (?:the )?(?:[\w']+ ){0,3}?(?:chemist|pharmacy|bank|shop|store|supermarket|post office|library|mall|restaurant|diner|cafe|bakery|pub|museum|embassy|salon|barber|gym|cinema|garage|petrol station|gas station|servo|(?:stock )?(?:market|exchange)|jse|nyse|asx|sgx|nasdaq|hkex|lse)s?\b.{0,30}\bopen\b|^(?:is|are|will) (?:the )?(?:[\w']+ ){1,3}?open (?:24\/7|24 ?hours|24 ?hrs|all night|round the clock)|load ?shedding (?:schedule|timetable)|(?:when|what time)(?: is|'s) (?:the )?load ?shedding|(?:bus|train|tube|ferry|flight|tv) (?:schedule|timetable)|[a-z]{3} (?:to|vs) [a-z]{3} rate|(?:cash|interest|exchange|mortgage|base|repo|policy) rates?\b(?! (?:review|meeting|call|briefing|discussion|decision meeting)\b)|(?:fx|forex|conversion) rates?|(?:what|wat|wht|when)(?: time)?(?:'s| is| does| do| will)? (?:the )?(?:f1|formula (?:1|one)|grand prix|motogp|nascar|race|match|fight))\b/;

/** Public days whose names end in "day", for asking when they fall ("when is Labour Day this year?"). */
const PUBLIC_DAYS =
  "(?:labou?r|memorial|independence|boxing|australia|anzac|canada|victoria|waitangi|republic|remembrance|veterans'?|presidents'?|columbus|martin luther king(?: jr\\.?)?|mlk|juneteenth|mother'?s|father'?s|valentine'?s|st\\.? patrick'?s|new year'?s|family|heritage|freedom|youth|armistice|bastille|king'?s birthday|queen'?s birthday) day";

/** When a holiday falls: "when is Labour Day this year?", "what date is Diwali", "when's the next bank holiday". */
const HOLIDAY_DATE = new RegExp(
  `^(?:(?:and|so|hey|ok|oh),? )?(?:when(?:'s| is| does)|what (?:day|date)(?:'s| is| does)|which day(?:'s| is))(?: the)? (?:${[...HOLIDAY_NAMES].join('|')}|${PUBLIC_DAYS}|good friday|easter (?:sunday|monday)|(?:chinese |lunar )?new year|half[- ]term|(?:next )?(?:public|bank) holiday)\\b(?!.*\\b(?:meeting|call|appointment|booked|with|party|lunch|dinner|drinks)\\b)`,
);

/**
 * Errands the assistant does not run, and news it cannot know: "can you text my sub the lesson plans for tuesday",
 * "Kindly send the question paper to exam cell by evening", "Did the district call back about the snow day?".
 */
const ERRAND =
  /^(?:(?:(?:can|could|would|will) (?:you|u)|please|pls|kindly)[, ]+)*(?:text|sms|whatsapp|e-?mail|mail|send|forward|fax|print|photocopy|upload|submit)\b(?!.*\b(?:invites?|invitations?|meetings?|calendar|booking|appointments?|link|feed|ics|ical|reminders?|zoom|teams|call)\b)|^did (?!(?:i|we|you)\b)(?!(?:[\w'.]+ ){0,4}?(?:meeting|appointment|booking|session|event)s?\b)(?:[\w'.]+ ){1,4}(?:call|ring|phone|e-?mail|text|reply|respond|get back|write|answer)\b|^(?:has|have) (?!(?:i|we|you)\b)(?!(?:[\w'.]+ ){0,4}?(?:meeting|appointment|booking|session|event)s?\b)(?:[\w'.]+ ){1,4}(?:called|rung|rang|phoned|e-?mailed|texted|replied|responded|got(?:ten)? back|written|wrote|answered)\b/;

/** News from home: "lol my cat just knocked my coffee all over the keyboard", "I just spilt tea on my laptop". */
const JUST_HAPPENED =
  /\b(?:my|the|our) (?:cat|dog|puppy|kitten|kid|kids|son|daughter|baby|toddler|parrot) (?:just|has just|literally just|just went and) [a-z]+\b|\b(?:i|i'?ve) (?:just|literally just) (?:spilled|spilt|dropped|broke|knocked|burnt|burned|smashed|cracked)\b/;

/** Advice the assistant does not give: "karate or swimming for my son, which is better?". */
const ADVICE =
  /\bwhich (?:is|one'?s|one is|would be|do you think is) (?:better|best|nicer|cheaper|healthier|safer)\b|\b(?:should i|do you think i should) (?:buy|get|choose|pick|go with|sign \w+ up for)\b/;

/** Where to find something good: "wah where got good chicken rice near bugis", "where can I get a decent coffee". */
const WHERE_TO_FIND =
  /\bwhere (?:got|can (?:i|we|u|you) (?:get|find|buy|eat)|to (?:get|find|buy|eat)|(?:is|are)(?: there)?) (?:a |an |some |any |the )?(?:good|nice|best|cheap|decent|nearest|closest)\b(?!.*\b(?:time|slot|day|meeting|room)\b)/;

/**
 * "What will the weather be like at the weekend?", "what's the best milk tea in makati", "what is the time in Dubai
 * now": a question about the world ("now" in it is no start).
 */
export function asksAboutTheWorld(text: string, when: WhenFound): boolean {
  if (WORLD_TIMETABLE.test(text)) return !BOOKING_VERB.test(text.replace(WORLD_TIMETABLE, ''));
  if (HOLIDAY_DATE.test(text) || (WHERE_TO_FIND.test(text) && !when.hasTime)) return true;
  // "… he's a dinosaur now": "now" alone, said in passing, is no time.
  const untimed =
    (!when.hasTime && !when.hasDate) ||
    (/\bnow\b/.test(text) && !/\d|\b(?:today|tonight|tomorrow|\w+day)\b/.test(text));
  if ((JUST_HAPPENED.test(text) || ADVICE.test(text)) && untimed && !BOOKING_VERB.test(text)) return true;
  if (ERRAND.test(text) && !BOOKING_VERB.test(text)) return true;
  return (
    OFF_TOPIC_QUESTION.test(text) &&
    (!when.hasTime || (/\bnow\b/.test(text) && !/\b\d/.test(text))) &&
    !BOOKING_VERB.test(text) &&
    !LIST_CUE.test(text)
  );
}

/**
 * The message's intent. `names` holds the event's title and whether a street address was said ("job walk at 4417
 * Tejon St tomorrow", "boiler service on Friday"): with a day and no question, that is a booking whose time is still
 * to ask.
 */
export function intentOf(
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
  // "sorry wrong chat 😂": meant for someone else.
  if (
    /^(?:(?:sorry|oops|my bad|lol),? )*(?:wrong (?:chat|person|number|window|thread|group|convo)|not (?:meant )?for you)\b/.test(
      text,
    ) ||
    (SAID_TO_SOMEONE_AT_HOME.test(text) && !MEETING_WORD.test(text) && !(BOOKING_VERB.test(text) && dated))
  )
    return 'unknown';
  // "Remind me how to cancel a meeting on here": how to do it, not a meeting to do it to.
  if (
    /\b(?:how (?:do|can|would) (?:i|we|you)|how to) (?:cancel|move|reschedule|book|schedule|delete|change) (?:a|an|any) (?:meeting|appointment|call|booking|event)s?\b/.test(
      text,
    ) &&
    !dated
  )
    return 'help';
  if (asksAboutTheWorld(text, when)) return 'unknown';
  // "Diary request: Monday 26th, 11:00-12:00, Q4 forecast review": an entry for the diary, with its time.
  if (when.hasTime && DIARY_ENTRY.test(text)) return 'schedule';
  if (
    FEED_CUE.test(text) &&
    !when.hasTime &&
    /\b(how|can i|could i|where|link|url|ics|ical|feed|subscribe|export|is there|do you|get)\b/.test(text)
  )
    return 'help';
  // "help me cancel the meeting with Wang Lei" asks for the cancel, not for help.
  if (
    /^(?:what can you do|help|help me|help\?|\?|how does this work|what do you do)\b(?! (?:me )?(?:to )?(?:cancel|book|schedule|move|reschedule|set up|arrange|delete|remove|add|put|find|list|check)\b)/.test(
      text,
    ) &&
    !dated
  )
    return 'help';
  if (RENAME.test(text) || /\bchange the (?:location|place|room|venue) to\b/.test(text)) return 'schedule';
  // "Lunch with Wei Ling tmr cannot make it, change to Friday can?": not making it, with a new day, is a move.
  if (
    /\b(?:can'?t|cannot|won'?t|(?:(?:won'?t|will not|am not|i'?m not|no longer) (?:be )?able|unable) to) make\b/.test(
      text,
    ) &&
    MOVE_CUE.test(text) &&
    dated &&
    !/\bcancel/.test(text)
  )
    return 'reschedule';
  if (CANCEL_CUE.test(text) && !/\b(cancel(?:l)?ation polic|don'?t cancel|not cancel)/.test(text)) return 'cancel';
  // "lunch w Kenji -> 1pm": an arrow to a new time is a move.
  if (
    MOVE_CUE.test(text) ||
    ((TWO_DAYS.test(text) || (TWO_TIMES.test(text) && !SELF_CORRECTION.test(text))) &&
      !/\b(?:what|when|any|anything|list|show|schedule|book|set up|arrange|put in|pencil|add|organi[sz]e|fix up|free|available|put (?:\S+ ){1,4}in)\b/.test(
        text,
      )) ||
    ((when.shiftMinutes || when.shiftDays) && !/\bnew\b/.test(text)) ||
    (/(?:->|→|=>)/.test(text) && (when.hasTime || when.hasDate))
  )
    return 'reschedule';
  if (SOFT_CANCEL.test(text)) return 'cancel';
  // "Is it too late to book something for tonight? 22:15 call with Declan": the last sentence says what is wanted.
  const lastSentence = text.replace(/^.*\?\s+(?=\S)/, '');
  // "got 45 mins anywhere Wednesday? need to call Priyanka": a question, then the need it is for (no time of its own).
  const needBehindQuestion =
    lastSentence !== text && !when.hasTime && /^(?:i )?(?:need|want|gotta|have to|got to)\b/.test(lastSentence);
  const asks =
    needBehindQuestion ||
    /\?\s*$|^(?:am|are|is|do|does|have|has|any|what|whats|when|which|how|hows|can i|could i|find)\b/.test(lastSentence);
  // "they've got a 9:45 opening", "She's in Vancouver so not too early — let's say 1": a time said, not asked, while
  // a draft waits is the draft's.
  if (awaiting === 'book' && when.hasTime && !asks && !LIST_CUE.test(text)) return 'schedule';
  if (/\b(?:anyone|anybody|someone|who|whos)\b.{0,20}\b(?:booked|scheduled|coming)\b/.test(text)) return 'list';
  // "today I have meetings?", "Friday I have meeting?", "Tomorrow, what schedule I have?": the question in another order.
  if (
    asks &&
    /\bi have (?:any )?(?:meetings?|appointments?|calls?|schedule|plans?)\b(?!.*\b(?:free|open|available|clear|spare)\b)|\bwhat (?:\w+ )?(?:schedule|meetings|appointments) (?:do )?i have\b/.test(
      text,
    ) &&
    !BOOKING_VERB.test(text)
  )
    return 'list';
  // "who's in at 3?", "which patients are booked in tomorrow?", "which shoots have I got this week", "what has Mr.
  // Brandt got this week?": a list.
  if (
    (WHO_OR_WHICH.test(text) || SOMEONE_ELSES_DAY.test(text)) &&
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
  // "Could you book a 20-minute slot with Dr Okafor tomorrow at 10.40?", "is it possible to book 1 hour call with Suresh
  // on 25th at 4 pm?": a request put as a question, with its time.
  const politeBooking =
    when.hasTime &&
    /^(?:\w+ ){0,3}?(?:(?:could|can|would|will) you (?:please |kindly |just )?|(?:is it|would it be|will it be) possible (?:for you )?to )(?:book|schedule|set up|put|pencil|arrange|fix)\b/.test(
      text,
    );
  if (AVAILABILITY_CUE.test(text) && !politeBooking && (asks || (!BOOKING_VERB.test(text) && !hasPeople)))
    return 'availability';
  // Any question about being free, open or busy that books nothing.
  if (
    asks &&
    /\b(free|available|open|busy|clear|booked|taken|empty)\b/.test(text) &&
    !BOOKING_VERB.test(text) &&
    !LIST_CUE.test(text)
  )
    return 'availability';
  // "Kindly revert with the list of commands you support": what the assistant can do, not the meetings.
  // "what do I type to see my meetings": how to ask, whatever it is for.
  if (/\b(?:commands|capabilities|features)\b|\bwhat (?:do|should|can) i (?:type|say|write)\b/.test(text) && !dated)
    return 'help';
  if ((LIST_CUE.test(text) || /^anything\b/.test(text)) && !BOOKING_VERB.test(text)) return 'list';
  if (HELP_CUE.test(text) && !dated) return 'help';
  // "what's tomorrow like", "my day tomorrow?", "any calls tomorrow": a question about a day that books nothing.
  if (
    asks &&
    when.hasDate &&
    !when.hasTime &&
    !hasPeople &&
    !BOOKING_VERB.test(text) &&
    // "how's your saturday going?" and "my laptop is slow today, what should I do?" ask about no calendar.
    /^(?:(?:and|so|ok) )?(?!(?:what|how) about\b)(?!how(?:'s|s| is) your\b)(?:what|whats|how|hows|my(?= (?:day|days|schedule|calendar|diary|agenda|week|weekend|morning|afternoon|evening|night|plans|meetings|appointments|calls|bookings|events)\b)|any|the|(?:meetings|appointments|calls|events|bookings)\b)/.test(
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
