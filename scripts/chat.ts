// A terminal chat with the assistant. Usage: npm run chat -- --help
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

const USAGE = `Chat with a MeetingMuse server from the terminal.

Usage: npm run chat -- [options]

  --url <ws://host:port>  the server (default ws://localhost:8000); a full ws://…/ws/<id> URL also names the id
  --id <client id>        your client id, 3-100 of A-Z a-z 0-9 _ - (default cli-<your user name>);
                          the same id resumes the same conversation
  --tz <IANA zone>        your time zone (default this machine's: ${Intl.DateTimeFormat().resolvedOptions().timeZone})
  --token <jwt>           a client token, when the server has AUTH_SECRET (npm run token -- <id>)
  --no-history            neither show nor keep the local transcript (~/.meetingmuse/history/<id>.jsonl)
  -h, --help              this text

When the assistant offers choices, they are numbered: type the number to pick one.
/quit or Ctrl-D ends the chat.`;

const CLIENT_ID = /^[A-Za-z0-9_-]{3,100}$/;
const BACKOFF_MS = { first: 500, max: 15_000 };
/** How many lines of the local transcript are shown on resume. */
const HISTORY_SHOWN = 10;
/** After Ctrl-D, how long to wait for the answers still due. */
const DRAIN_MS = 10_000;

interface Button {
  label: string;
  value: string;
}
interface Meeting {
  title: string;
  start: string;
  end: string;
  time_zone: string;
  participants?: string[];
  location?: string | null;
  status: string;
}
type Frame = Record<string, any> & { type: string };

function readOptions() {
  try {
    const { values } = parseArgs({
      options: {
        url: { type: 'string', default: 'ws://localhost:8000' },
        id: { type: 'string' },
        tz: { type: 'string', default: Intl.DateTimeFormat().resolvedOptions().timeZone },
        token: { type: 'string' },
        'no-history': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    const url = new URL(values.url!);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error('--url must start with ws:// or wss://');
    const idInUrl = /\/ws\/([^/]+)$/.exec(url.pathname)?.[1];
    const id = values.id ?? idInUrl ?? `cli-${userInfo().username.replace(/[^A-Za-z0-9_-]/g, '') || 'user'}`;
    if (!CLIENT_ID.test(id)) throw new Error('--id must be 3-100 of A-Z a-z 0-9 _ -');
    url.pathname = `${idInUrl ? url.pathname.slice(0, -idInUrl.length) : url.pathname.replace(/\/?$/, '/ws/')}${id}`;
    url.search = '';
    url.searchParams.set('tz', values.tz!);
    return { url, id, token: values.token, history: !values['no-history'] };
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const options = readOptions();
const interactive = process.stdin.isTTY === true;
const historyFile = join(homedir(), '.meetingmuse', 'history', `${options.id}.jsonl`);

// ---- output ----

const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: interactive });
rl.setPrompt('you> ');

/** Prints above the prompt without eating what the user is typing. */
function print(text: string): void {
  if (interactive) {
    process.stdout.clearLine(0);
    process.stdout.cursorTo(0);
  }
  process.stdout.write(`${text}\n`);
  if (interactive) rl.prompt(true);
}

const indent = (text: string, prefix: string) =>
  text
    .split('\n')
    .map((line, i) => (i === 0 ? `${prefix}${line}` : `${' '.repeat(prefix.length)}${line}`))
    .join('\n');

function describeMeeting(m: Meeting): string {
  const day = new Intl.DateTimeFormat('en-US', {
    timeZone: m.time_zone,
    weekday: 'short',
    month: 'short',
    day: 'numeric',
  }).format(new Date(m.start));
  const range = new Intl.DateTimeFormat('en-US', {
    timeZone: m.time_zone,
    hour: 'numeric',
    minute: '2-digit',
  }).formatRange(new Date(m.start), new Date(m.end));
  const who = m.participants?.length ? ` · with ${m.participants.join(', ')}` : '';
  const where = m.location ? ` · ${m.location}` : '';
  return `${m.title} · ${day}, ${range} (${m.time_zone})${who}${where}`;
}

interface HistoryLine {
  role: 'you' | 'bot';
  content: string;
  /** The choices offered with a reply, so that a number typed after a restart still picks one. */
  buttons?: Button[];
}

function remember(line: HistoryLine): void {
  if (!options.history) return;
  try {
    mkdirSync(join(homedir(), '.meetingmuse', 'history'), { recursive: true });
    appendFileSync(historyFile, `${JSON.stringify({ ...line, at: new Date().toISOString() })}\n`);
  } catch {
    // A read-only home only costs the transcript on the next start.
  }
}

function showHistory(messages: number): void {
  let lines: HistoryLine[] = [];
  if (options.history) {
    try {
      lines = readFileSync(historyFile, 'utf8')
        .trim()
        .split('\n')
        .slice(-HISTORY_SHOWN)
        .map((line) => JSON.parse(line));
    } catch {
      lines = [];
    }
  }
  print(
    `-- resuming your conversation (${messages} messages on the server)${lines.length ? `; the last ${lines.length} here:` : ''}`,
  );
  for (const line of lines) print(indent(line.content, `${line.role}> `));
  const last = lines.at(-1);
  if (last?.buttons?.length) showChoices(last.buttons);
  if (lines.length) print('--');
}

function showChoices(buttons: Button[]): void {
  state.choices = buttons;
  print(`     ${buttons.map((b, i) => `${i + 1}) ${b.label}`).join('   ')}`);
}

// ---- the conversation ----

const state = {
  socket: undefined as WebSocket | undefined,
  attempts: 0,
  everConnected: false,
  /**
   * Sent and not yet answered: all of them go again after a reconnect, with the same message_id, so a
   * turn lost with a crashed server runs again and one already done is answered from the store.
   */
  outbox: new Map<string, string>(),
  busy: new Set<string>(),
  choices: [] as Button[],
  /**
   * Lines typed or piped, taken one at a time once the previous message has its answer, so that a
   * number always picks from the choices of the reply before it (and nothing runs before the history
   * is on screen).
   */
  lines: [] as string[],
  /** stdin has ended: leave once the answers due have arrived. */
  inputEnded: false,
  ending: false,
  seen: new Set<string>(),
};

function transmit(id: string): void {
  const content = state.outbox.get(id);
  if (content === undefined || state.socket?.readyState !== WebSocket.OPEN) return;
  state.socket.send(
    JSON.stringify({
      type: 'user_message',
      content,
      timestamp: new Date().toISOString(),
      session_id: options.id,
      message_id: id,
    }),
  );
}

function send(content: string): void {
  const id = randomUUID();
  state.outbox.set(id, content);
  state.choices = [];
  remember({ role: 'you', content });
  if (state.everConnected && state.socket?.readyState !== WebSocket.OPEN)
    print('(offline: it will be sent when the server is back)');
  transmit(id);
}

function onReply(frame: Frame): void {
  // Delivery is at least once: a reply sent again after a crash has the same reply_to and timestamp.
  const key = `${frame.reply_to}|${frame.timestamp}|${frame.content}`;
  if (state.seen.has(key)) return;
  state.seen.add(key);
  if (frame.reply_to) state.outbox.delete(frame.reply_to);
  const prefix = frame.metadata?.broadcast ? 'announcement> ' : 'bot> ';
  print(indent(String(frame.content), prefix));
  const meeting = frame.metadata?.meeting as Meeting | undefined;
  const buttons = (frame.ui_elements?.buttons ?? []) as Button[];
  remember({ role: 'bot', content: String(frame.content), ...(buttons.length ? { buttons } : {}) });
  if (meeting)
    print(
      `     [${buttons.length && meeting.status !== 'draft' ? 'proposed' : meeting.status}] ${describeMeeting(meeting)}`,
    );
  if (typeof frame.metadata?.calendar_url === 'string') print(`     calendar: ${frame.metadata.calendar_url}`);
  if (buttons.length) showChoices(buttons);
  for (const id of state.busy) transmit(id);
  state.busy.clear();
  maybeFinish();
}

const ERRORS: Record<string, (f: Frame) => string> = {
  RATE_LIMITED: (f) => `sending too fast; trying again in ${Math.ceil((f.retry_after_ms ?? 1000) / 1000)} s`,
  BUSY: () => 'the assistant is still busy with your earlier messages; this one goes again after its next reply',
  INVALID_TIMEZONE: () =>
    `the server does not know the zone ${options.url.searchParams.get('tz')}; it uses its default`,
};

function onError(frame: Frame): void {
  print(`! ${(ERRORS[frame.error_code] ?? ((f: Frame) => String(f.message)))(frame)}`);
  // RATE_LIMITED and BUSY name the refused message when they can; otherwise it is the newest unacknowledged one.
  const refused = frame.reply_to ?? [...state.outbox.keys()].pop();
  if (frame.error_code === 'RATE_LIMITED' && refused) setTimeout(() => transmit(refused), frame.retry_after_ms ?? 1000);
  else if (frame.error_code === 'BUSY' && refused) state.busy.add(refused);
  else if (frame.reply_to) {
    state.outbox.delete(frame.reply_to);
    maybeFinish();
  }
}

function onFrame(frame: Frame): void {
  if (frame.type === 'bot_response') return onReply(frame);
  if (frame.type === 'error') return onError(frame);
  if (frame.content === 'connection_established') {
    state.attempts = 0;
    const { resumed = false, messages = 0, pending = 0 } = frame.metadata ?? {};
    if (!state.everConnected) {
      if (resumed) showHistory(messages);
      else print(`Connected as ${options.id}. Say hi, or "book a call with Ana tomorrow at 10". /quit ends.`);
    } else print('-- reconnected');
    if (pending > 0) print(`-- ${pending} ${pending === 1 ? 'reply' : 'replies'} arrived while you were away:`);
    const first = !state.everConnected;
    state.everConnected = true;
    for (const id of state.outbox.keys()) transmit(id);
    if (first) takeLines();
    maybeFinish();
    if (interactive) rl.prompt(true);
  }
}

function connect(): void {
  const socket = options.token ? new WebSocket(options.url, ['bearer', options.token]) : new WebSocket(options.url);
  state.socket = socket;
  socket.on('message', (data) => {
    try {
      onFrame(JSON.parse(data.toString()) as Frame);
    } catch {
      print('! the server sent something that is not JSON');
    }
  });
  socket.on('error', () => {});
  socket.on('close', (code, reason) => {
    state.socket = undefined;
    if (state.ending) return;
    const why = reason.toString();
    if (why === 'Unauthorized')
      finish(1, '! the server refused the token (missing, expired or for another id): use --token');
    else if (why === 'Invalid client ID format') finish(1, '! the server refused the client id');
    else if (code === 4000) finish(1, '! this conversation was opened somewhere else');
    else reconnectLater(code);
  });
}

function reconnectLater(code: number): void {
  const delay = Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** state.attempts);
  state.attempts++;
  print(
    `-- ${state.everConnected ? `disconnected (${code})` : `cannot reach ${options.url.origin}`}; retrying in ${(delay / 1000).toFixed(1)} s`,
  );
  setTimeout(connect, delay);
}

function finish(code: number, message?: string): never {
  if (message) print(message);
  state.ending = true;
  state.socket?.close(1000);
  rl.close();
  process.exit(code);
}

/** After stdin ends, leave once every message has its answer (or after DRAIN_MS). */
function maybeFinish(): void {
  takeLines();
  if (state.inputEnded && state.everConnected && state.outbox.size === 0 && state.lines.length === 0) finish(0);
}

function takeLines(): void {
  while (state.everConnected && state.outbox.size === 0 && state.lines.length > 0) handleLine(state.lines.shift()!);
}

function handleLine(line: string): void {
  const text = line.trim();
  if (!text) return interactive ? rl.prompt() : undefined;
  if (text === '/help') return print(USAGE);
  const choice = /^\d+$/.test(text) ? state.choices[Number(text) - 1] : undefined;
  if (choice && interactive) print(`you> ${choice.label}`);
  send(choice ? choice.value : text);
}

rl.on('line', (line) => {
  if (/^\/(quit|exit)$/.test(line.trim())) finish(0);
  state.lines.push(line);
  takeLines();
});
rl.on('close', () => {
  if (state.ending) return;
  state.inputEnded = true;
  maybeFinish();
  setTimeout(
    () => finish(state.outbox.size ? 1 : 0, state.outbox.size ? '! left with answers still due' : undefined),
    DRAIN_MS,
  ).unref();
});
process.on('SIGINT', () => finish(0));

connect();
