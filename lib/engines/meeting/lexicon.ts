/**
 * The words the understanding knows: spelling repairs, what kind of thing a word names (an event, a
 * place, a role, a platform), and the verbs that say what the user wants. Kept apart from the logic
 * so a new word is one line here, not a new pattern.
 */

/**
 * Casual and shorthand spellings, rewritten case-insensitively before anything else reads the text.
 * Each replacement keeps words apart with spaces; none depends on the message's own casing.
 */
export const SPELLINGS: Array<[RegExp, string]> = [
  [/\bcall(?:ing)? off\b/gi, 'cancel'],
  [/\b(tmrw|tmrow|tmr|tmw|tomorow|tommorow|tommorrow|tomorro|tomrw|2moro|2morrow|2mrw|2mro)\b/gi, 'tomorrow'],
  [/\b(2day|tdy|tday)\b/gi, 'today'],
  [/\b(2nite|tonite|2night)\b/gi, 'tonight'],
  [/\bnxt\b/gi, 'next'],
  [/\bthis coming\b/gi, 'this'],
  [/\bmtgs\b/gi, 'meetings'],
  [/\bmtg\b/gi, 'meeting'],
  [/\bmeetin\b/gi, 'meeting'],
  [/\bconf(?:erence)?\.? rm\.?(?= ?\w)/gi, 'conference room'],
  [/\brm\.? ?(?=\d)/gi, 'Room '],
  [/\bw\/o\b/gi, 'without'],
  [/\bw\/ ?/gi, 'with '],
  [/\bb4\b/gi, 'before'],
  [/\b(wat|wht|whta)\b/gi, 'what'],
  [/\bresched\b/gi, 'reschedule'],
  [/\b(reschdule|reshedule|reschedual|rescedule|rescheudle|reschedul)\b/gi, 'reschedule'],
  [/\bmv\b/gi, 'move'],
  [/\b(cxl|cncl|canx)\b/gi, 'cancel'],
  [/\b(shedule|schedual|schdule|scedule)\b/gi, 'schedule'],
  [/\b(pls|plz|plez)\b/gi, 'please'],
  [/\bu\b/gi, 'you'],
  [/(?<=\d ?|\b(?:few|couple|some|many) )mins?\b\.?/gi, 'minutes'],
  [/(?<=\d ?|\b(?:few|couple|some|many) )hrs?\b\.?/gi, 'hours'],
  [/\b(?:the )?day after tomorrow\b/gi, 'the day after tomorrow'],
  [/\bconf\.? (?=room)/gi, 'conference '],
  [/\bmonday|\bmon\b\.?(?!th)/gi, 'monday'],
  [/\btuesday|\btues?\b\.?/gi, 'tuesday'],
  [/\bwednesday|\bweds?\b\.?|\bwendesday\b|\bwednsday\b/gi, 'wednesday'],
  [/\bthursday|\bthu(?:rs?)?\b\.?/gi, 'thursday'],
  [/\bfriday|\bfri\b\.?/gi, 'friday'],
  [/\bsaturday|\bsat\b\.?(?= (?:at|@|\d|morning|afternoon|evening|night))/gi, 'saturday'],
  [/\bsunday|\bsun\b\.?(?= (?:at|@|\d|morning|afternoon|evening|night))/gi, 'sunday'],
  [/\bp\.m\.?/gi, 'pm'],
  [/\ba\.m\.?/gi, 'am'],
  [/\bmidday\b/gi, 'noon'],
  [/\bfortnight\b/gi, '2 weeks'],
  // "3p" is 3 pm, but "Room 12A" and "Gate 4b" are places.
  [/(?<!\b(?:room|rm|gate|suite|lab|studio|unit|bay|building|floor|level|desk|table|platform|terminal) ?)\b(\d{1,2}(?::\d\d)?)(a|p)\b(?!\.)/gi, '$1$2m'],
  [/@ ?(?=\d)/g, 'at '],
  [/\bo'? ?clock\b/gi, "o'clock"],
];

/** Number words people write for small amounts and clock hours. */
export const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  fifteen: 15, twenty: 20, 'twenty-five': 25, 'twenty five': 25, thirty: 30, 'forty-five': 45, 'forty five': 45, sixty: 60, ninety: 90,
  a: 1, an: 1, couple: 2, 'a couple of': 2, 'a few': 3,
};

/** Nouns that name an event: a title when nothing better is said. Longer phrases first. */
export const EVENT_NOUNS = [
  'interview loop', 'sign-off', 'signoff', 'intro', 'daily scrum', 'scrum', 'townhall', 'barbecue', 'bbq', 'picnic', 'school pickup', 'pickup', 'pick-up', 'school run', 'trivia', 'vaccination', 'hack night', 'quiz night', 'movie night', 'games night', 'pub quiz', 'phone screen', 'follow-up', 'follow up', 'followup', 'crit', 'critique', 'photo', 'photoshoot', 'photo shoot', 'lunch & learn', 'lunch and learn', 'lunch-and-learn', 'deep dive', 'deep-dive', 'post-mortem', 'postmortem', 'discussion', 'committee', 'panel',
  'forum', 'roundtable', 'round table', 'summit', 'alignment', 'steering group', 'working group', 'study group', 'book club', 'supper', 'tea break',
  'compliance training', 'town hall', 'all hands', 'all-hands', 'eye exam', 'dentist appointment', 'doctor appointment', 'doctor\'s appointment',
  'performance review', 'code review', 'design review', 'sprint planning', 'sprint review', 'board meeting', 'team meeting', 'staff meeting',
  'one-on-one', 'one on one', '1-on-1', '1:1', '1ː1', 'stand-up', 'standup', 'stand up', 'sync', 'retro', 'retrospective', 'lunch', 'coffee', 'interview',
  'review', 'demo', 'kickoff', 'kick-off', 'planning', 'call', 'catch up', 'catch-up', 'catchup', 'check-in', 'check in', 'brainstorm', 'onboarding',
  'workshop', 'offsite', 'dinner', 'breakfast', 'brunch', 'drinks', 'rehearsal', 'training', 'appointment', 'exam', 'checkup', 'check-up',
  'session', 'huddle', 'presentation', 'webinar', 'meetup', 'party', 'recital', 'seminar', 'lecture', 'class', 'tutorial', 'consultation',
  'haircut', 'massage', 'conference', 'class', 'lesson', 'dentist', 'doctor', 'physio', 'vet', 'gp', 'standup call', 'sync call', 'therapy', 'practice', 'screening', 'chat', 'touchpoint', 'touch base', 'debrief', 'briefing', 'walkthrough',
  'walk-through', 'handover', 'yoga', 'pilates', 'workout', 'run', 'swim', 'hike', 'tennis', 'football', 'practice session', 'piano lesson',
  'standup', 'sprint planning', 'pair programming', 'pairing', 'mentoring', 'coaching', 'office hours', 'hui', 'smoko', 'recap', 'prep', 'sync-up',
  'gym', 'focus time', 'deep work', 'email', 'emails', 'admin', 'lunch break', 'break', 'study', 'study session', 'errands',
  'readout', 'review meeting', 'q&a', 'ama', 'fireside chat', 'happy hour', 'team building', 'brunch', 'tea', 'meditation', 'appraisal', 'handoff', 'orientation', 'pitch', 'audit', 'jam', 'hackathon', 'standup meeting', 'game night', 'date', 'visit', 'tour',
  'tasting', 'hangout', 'hang out', 'viewing', 'fitting', 'signing', 'ceremony', 'wedding', 'concert', 'gig', 'festival',
  'fundraiser', 'gala', 'reception', 'open house', 'networking', 'mixer', 'stand-down', 'all-staff', 'inspection', 'walkaround', 'clinic',
];

/** Words that only name "a meeting" in general: the title defaults instead. */
export const GENERIC_EVENTS = new Set(['meeting', 'meetings', 'mtg', 'event', 'appointment', 'something', 'time', 'slot', 'block', 'thing']);

/** Words that may qualify an event noun as part of its title ("design review", "team lunch"). */
export const TITLE_FILLERS = new Set([
  'a', 'an', 'the', 'my', 'our', 'your', 'their', 'some', 'quick', 'short', 'brief', 'little', 'new', 'another', 'this', 'that', 'next',
  'move', 'cancel', 'reschedule', 'push', 'shift', 'postpone', 'delete', 'remove', 'change', 'book', 'schedule', 'set', 'plan', 'can', 'lets',
  "let's", 'up', 'have', 'add', 'put', 'i', 'need', 'want', 'please', 'bump', 'drop', 'kill', 'scrap', 'arrange', 'organise', 'organize', 'create',
  'hold', 'block', 'of', 'for', 'to', 'and', 'with', 'on', 'at', 'in', 'by', 'is', 'was', 'be', 'do', 'does', 'it', 'make', 'get', 'grab', 'pencil',
  'we', 'you', 'me', 'us', 'hi', 'hey', 'hello', 'ok', 'okay', 'so', 'yes', 'also', 'then', 'just', 'go', 'ahead', 'could', 'would', 'should', 'will',
  "when's", 'whens', "where's", "what's", 'whats', 'virtual', 'usual', "i'm", 'im', "we're", 'am', 'are', "they're", "you're", 'was', 'were', 'regular', 'today', 'tomorrow', 'tonight', 'am', 'pm', 'from', 'or', 'there', 'all', 'any',
]);

/** Nouns that make "at/in the X" a place. */
export const PLACE_NOUNS = [
  'room', 'office', 'boardroom', 'lobby', 'cafeteria', 'canteen', 'kitchen', 'library', 'cafe', 'café', 'coffee shop', 'restaurant', 'bar', 'pub',
  'park', 'hotel', 'airport', 'station', 'clinic', 'hospital', 'lab', 'campus', 'building', 'floor', 'studio', 'gym', 'hq', 'headquarters',
  'atrium', 'lounge', 'garden', 'terrace', 'rooftop', 'auditorium', 'hall', 'warehouse', 'store', 'shop', 'site', 'diner', 'bistro', 'bakery',
  'school', 'university', 'museum', 'centre', 'center', 'space', 'suite', 'wing', 'desk', 'pod', 'booth', 'court', 'field', 'club', 'house',
  'apartment', 'flat', 'place', 'terminal', 'gate', 'arrivals', 'departures', 'platform', 'roof', 'deck', 'patio', 'balcony', 'salon',
  'plant', 'factory', 'mall', 'beach', 'pharmacy', 'ballroom', 'servo', 'market', 'depot', 'level', 'reception', 'front desk', 'gates', 'area', 'breakout area', 'corner', 'barbers', 'barber', 'spa', 'cinema', 'theatre', 'theater', 'stadium', 'arena', 'venue', 'pavilion', 'conference room', 'meeting room', 'huddle room', 'break room', 'war room',
];

/** Video and phone platforms; "phone" counts only after on/via/over/by. */
export const PLATFORMS: Array<[RegExp, string]> = [
  [/\b(google meet|gmeet|g meet|google hangouts?|(?:on|via|over) hangouts?)\b/, 'Google Meet'],
  [/\b(microsoft teams|ms teams|teams)\b/, 'Microsoft Teams'],
  [/\b(?:on|via|over) meet\b/, 'Google Meet'],
  [/\bzoom\b/, 'Zoom'],
  [/\bwebex\b/, 'Webex'],
  [/\bskype\b/, 'Skype'],
  [/\bslack huddle\b/, 'Slack huddle'],
  [/\bslack\b/, 'Slack'],
  [/\bfacetime\b/, 'FaceTime'],
  [/\bwhatsapp\b/, 'WhatsApp'],
  [/\bdiscord\b/, 'Discord'],
  [/\bwechat\b/, 'WeChat'],
  [/\btelegram\b/, 'Telegram'],
  [/\b(?:on|via|over) signal\b/, 'Signal'],
  [/\bjitsi\b/, 'Jitsi'],
  [/\b(?:on|via|over|by) (?:the )?phone\b/, 'Phone'],
];

/** Words before a name that say who the person is, not what they are called. */
export const ROLE_WORDS = new Set([
  'my', 'our', 'the', 'his', 'her', 'their', 'manager', 'boss', 'intern', 'colleague', 'coworker', 'co-worker', 'teammate', 'cofounder', 'co-founder',
  'founder', 'client', 'customer', 'friend', 'mentor', 'mentee', 'recruiter', 'candidate', 'contractor', 'lead', 'director', 'ceo', 'cto', 'cfo', 'coo',
  'vp', 'designer', 'engineer', 'developer', 'dev', 'pm', 'partner', 'landlord', 'tutor', 'coach', 'advisor', 'adviser', 'investor', 'new', 'hire',
  'supervisor', 'assistant', 'team', 'buddy', 'pal', 'mate', 'sister', 'brother', 'mom', 'mum', 'dad', 'wife', 'husband', 'accountant', 'lawyer',
  'line', 'account', 'project', 'programme', 'program', 'senior', 'junior', 'head', 'chief', 'managing', 'executive', 'report', 'direct', 'skip', 'level', 'skip-level', 'product', 'sales', 'rep', 'vendor', 'agent', 'consultant', 'professor', 'teacher', 'student',
]);

/** Honorifics kept with the name ("Prof. Lindqvist", "Dr. Okafor"). */
export const HONORIFICS = /^(dr|prof|mr|mrs|ms|mx|sir|dame)\.?$/i;

/** Words that end a name or a phrase: never part of one. */
export const BOUNDARY_WORDS = new Set([
  'at', 'on', 'in', 'for', 'about', 'to', 'from', 'next', 'this', 'via', 'by', 'over', 'until', 'till', 'til', 'regarding', 're', 'around', 'after',
  'before', 'please', 'and', 'or', 'noon', 'morning', 'afternoon', 'evening', 'night', 'called', 'titled', 'named', 'every', 'asap', 'tomorrow',
  'today', 'tonight', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'is', 'are', 'if', 'so', 'but', 'then',
  'when', 'where', 'that', 'which', 'who', 'would', 'could', 'can', 'will', 'should', 'thanks', 'thank', 'thx', 'ty', 'cheers', 'sometime', 'soon',
  'later', 'earlier', 'instead', 'again', 'too', 'as', 'well', 'right', 'now', 'maybe', 'perhaps', 'ok', 'okay', 'a', 'an', 'the', 'some', 'our', 'my',
  'week', 'weekend', 'month', 'day', 'hour', 'hours', 'minutes', 'minute', 'quick', 'together', 'sometime', 'early', 'late', 'lunchtime', 'eod',
  'first', 'thing', 'up', 'out', 'off', 'back', 'forward', 'ahead', 'it', 'them', 'him', 'her', 'me', 'us', 'you', 'we', 'i', 'to', 'into', 'onto',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'january', 'february', 'march', 'april', 'may', 'june', 'july',
  'august', 'september', 'october', 'november', 'december', 'discuss', 'go', 'talk', 'review', 'cover', 'chat', 'plan', 'sort', 'walk', 'finalize',
  'finalise', 'sign', 'do', 'prep', 'pls', 'asap', 'lol', 'btw', 'just', 'also', 'only', 'not', 'no', 'yes', 'ah', 'ish', 'through', 'over', 'with',
]);

export const PRONOUNS = new Set(['he', 'she', 'they', 'me', 'us', 'them', 'him', 'her', 'you', 'myself', 'everyone', 'everybody', 'someone', 'somebody', 'anyone', 'people', 'folks', 'all', 'yourself', 'y\'all', 'ya']);

export const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
