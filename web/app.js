// The MeetingMuse chat page: one WebSocket to /ws/{client_id}, speaking the protocol in README.md.
// Plain modern JavaScript, no build step. Server text is only ever set as textContent, never as HTML.

const $ = (id) => document.getElementById(id);
const CLIENT_ID = /^[A-Za-z0-9_-]{3,100}$/;
const TRANSCRIPT_LIMIT = 200;
const BACKOFF_MS = { first: 500, max: 30_000 };
const CLOSE = { unauthorized: 'Unauthorized', replaced: 4000 };

/** Where this client's transcript, meetings and calendar link are kept between visits. */
const storage = {
  key: (name) => `meetingmuse:${state.clientId}:${name}`,
  read(name, fallback) {
    try {
      return JSON.parse(localStorage.getItem(storage.key(name))) ?? fallback;
    } catch {
      return fallback;
    }
  },
  write(name, value) {
    try {
      localStorage.setItem(storage.key(name), JSON.stringify(value));
    } catch {
      // Private mode or a full quota: the page still works, it just forgets on reload.
    }
  },
};

function randomId(bytes = 16) {
  // crypto.randomUUID exists only in secure contexts; a page on http://192.168.x.y is not one.
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The `sub` of a JWT, read without checking it (the server checks); lets a pasted token pick its client id. */
function tokenSubject(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.sub === 'string' && CLIENT_ID.test(payload.sub) ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}

const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const state = {
  clientId: '',
  token: '',
  socket: undefined,
  /** Consecutive failed connects; the back-off grows with it. */
  attempts: 0,
  /** Cancels the pending reconnect and its countdown. */
  stopCountdown: undefined,
  /** No automatic reconnect after these closes: the user has to act first. */
  halted: false,
  transcript: [],
  /**
   * Messages sent and not yet answered: all go again after a reconnect with the same message_id, so a
   * turn lost with a crashed server runs again and one already done is answered from the store.
   */
  outbox: new Map(),
  /** Messages whose turn has started (`processing` seen). */
  started: new Set(),
  /** Messages refused with BUSY, sent again after the next reply. */
  busy: new Set(),
  /** message_id of the turn running now, while the typing indicator shows. */
  typingFor: undefined,
  meetings: {},
  calendarUrl: undefined,
};

function chooseIdentity() {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') ?? sessionStorage.getItem('meetingmuse:token') ?? '';
  const fromUrl = params.get('id');
  const stored = localStorage.getItem('meetingmuse:client-id');
  state.token = token;
  state.clientId = [fromUrl, tokenSubject(token), stored].find((id) => id && CLIENT_ID.test(id)) ?? `web-${randomId(8)}`;
  localStorage.setItem('meetingmuse:client-id', state.clientId);
  if (token) sessionStorage.setItem('meetingmuse:token', token);
  if (params.has('token')) {
    // Keep the token out of the address bar, the history and anything copied from it.
    params.delete('token');
    const query = params.toString();
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  }
}

// ---- time ----

const formatters = new Map();
function formatter(timeZone, options) {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  if (!formatters.has(key)) {
    let format;
    try {
      format = new Intl.DateTimeFormat(undefined, { timeZone, ...options });
    } catch {
      // A zone this browser does not know (or a damaged stored meeting): show the browser's own.
      format = new Intl.DateTimeFormat(undefined, options);
    }
    formatters.set(key, format);
  }
  return formatters.get(key);
}

function whenText(meeting) {
  const start = new Date(meeting.start);
  const end = new Date(meeting.end);
  const tz = meeting.time_zone || zone;
  const day = formatter(tz, { weekday: 'short', month: 'short', day: 'numeric' }).format(start);
  const range = formatter(tz, { hour: 'numeric', minute: '2-digit' }).formatRange(start, end);
  const zoneName = formatter(tz, { timeZoneName: 'short' }).formatToParts(start).find((p) => p.type === 'timeZoneName')?.value ?? tz;
  return `${day} · ${range} ${zoneName}`;
}

const clockTime = (iso) => formatter(zone, { hour: 'numeric', minute: '2-digit' }).format(new Date(iso));

// ---- rendering ----

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'text') node.textContent = value;
    else if (name === 'class') node.className = value;
    else if (name.includes('-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  node.append(...children.filter(Boolean));
  return node;
}

const STATUS_LABEL = { draft: 'Draft', proposed: 'Proposed', confirmed: 'Booked', cancelled: 'Cancelled' };

function meetingCard(meeting, proposed) {
  // A change waiting for a yes: a booked meeting (it has an id) with new times, or one about to be cancelled.
  const status = proposed && (meeting.id || meeting.status !== 'draft') ? 'proposed' : meeting.status;
  const who = meeting.participants?.length ? el('p', { class: 'who', text: `With ${meeting.participants.join(', ')}` }) : null;
  const where = meeting.location ? el('p', { class: 'where', text: meeting.location }) : null;
  return el('article', { class: `card status-${status}`, 'aria-label': `${STATUS_LABEL[status] ?? status}: ${meeting.title}` }, [
    el('p', { class: 'badge', text: STATUS_LABEL[status] ?? status }),
    el('h3', { text: meeting.title }),
    el('p', { class: 'when', text: whenText(meeting) }),
    who,
    where,
  ]);
}

function buttonRow(entry) {
  const buttons = entry.ui?.buttons ?? [];
  if (!buttons.length) return null;
  return el(
    'div',
    { class: 'choices', role: 'group', 'aria-label': 'Choices' },
    buttons.map((b) =>
      el('button', {
        type: 'button',
        class: `choice ${b.variant ?? 'secondary'}`,
        text: b.label,
        disabled: entry.answered === true,
        onclick: () => {
          entry.answered = true;
          saveTranscript();
          send(b.value, b.label);
        },
      }),
    ),
  );
}

function renderEntry(entry) {
  const time = entry.timestamp ? el('time', { dateTime: entry.timestamp, text: clockTime(entry.timestamp) }) : null;
  if (entry.role === 'notice') return el('li', { class: `entry notice ${entry.tone ?? ''}`, text: entry.content });
  const bubble = el('div', { class: 'bubble', text: entry.content });
  const meta = el('p', { class: 'meta' }, [
    el('span', { text: entry.role === 'user' ? 'You' : entry.broadcast ? 'Announcement' : 'MeetingMuse' }),
    time,
    entry.role === 'user' && entry.pending ? el('span', { class: 'pending', text: entry.pending }) : null,
  ]);
  const card = entry.meeting ? meetingCard(entry.meeting, Boolean(entry.ui?.buttons?.length)) : null;
  return el('li', { class: `entry ${entry.role}${entry.broadcast ? ' broadcast' : ''}`, 'data-id': entry.message_id ?? '' }, [meta, bubble, card, buttonRow(entry)]);
}

function renderLog() {
  const log = $('log');
  log.replaceChildren(...state.transcript.map(renderEntry));
  log.lastElementChild?.scrollIntoView({ block: 'end' });
}

function append(entry) {
  if (entry.role === 'user' || entry.ui?.buttons?.length) {
    // A new question or answer makes earlier choices stale.
    for (const e of state.transcript) if (e.ui && !e.answered) e.answered = true;
  }
  state.transcript.push(entry);
  if (state.transcript.length > TRANSCRIPT_LIMIT) state.transcript.splice(0, state.transcript.length - TRANSCRIPT_LIMIT);
  saveTranscript();
  renderLog();
}

function saveTranscript() {
  storage.write('transcript', state.transcript);
}

function notice(content, tone = 'info') {
  append({ role: 'notice', content, tone, timestamp: new Date().toISOString() });
}

function setStatus(kind, text) {
  $('status').dataset.state = kind;
  $('status-text').textContent = text;
  $('retry-now').hidden = kind !== 'waiting' && kind !== 'offline';
}

function setTyping(replyTo) {
  state.typingFor = replyTo;
  $('typing').hidden = replyTo === undefined;
  if (replyTo !== undefined) $('typing').scrollIntoView({ block: 'end' });
}

// ---- upcoming meetings and the calendar link ----

function renderUpcoming() {
  const now = Date.now();
  const upcoming = Object.values(state.meetings)
    .filter((m) => m.status === 'confirmed' && new Date(m.end).getTime() > now)
    .sort((a, b) => new Date(a.start) - new Date(b.start));
  $('upcoming').replaceChildren(...upcoming.map((m) => el('li', {}, [meetingCard(m, false)])));
  $('upcoming-empty').hidden = upcoming.length > 0;
  $('upcoming-count').textContent = upcoming.length ? `(${upcoming.length})` : '';
}

/**
 * A meeting in a reply with buttons is a proposal (a draft, or a move or cancel awaiting a yes), shown
 * on its card only; a meeting in a reply without buttons is what the server now holds.
 */
function learnMeeting(meeting, proposed) {
  if (!meeting?.id || proposed) return;
  state.meetings[meeting.id] = meeting;
  storage.write('meetings', state.meetings);
  renderUpcoming();
}

function renderCalendar() {
  const url = state.calendarUrl;
  $('calendar-link').hidden = !url;
  $('calendar-none').hidden = Boolean(url);
  $('ask-calendar').hidden = Boolean(url);
  if (url) $('subscribe').href = url.replace(/^https?:/, (scheme) => (scheme === 'https:' ? 'webcal:' : scheme));
}

// ---- the socket ----

function socketUrl() {
  const url = new URL(`ws/${encodeURIComponent(state.clientId)}`, document.baseURI);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  if (zone) url.searchParams.set('tz', zone);
  return url.href;
}

function connect() {
  state.stopCountdown?.();
  state.halted = false;
  setStatus('connecting', state.attempts ? 'Reconnecting…' : 'Connecting…');
  // Browsers cannot set headers on a WebSocket; the token rides in the subprotocol list instead.
  const socket = state.token ? new WebSocket(socketUrl(), ['bearer', state.token]) : new WebSocket(socketUrl());
  state.socket = socket;
  socket.onmessage = (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    onFrame(frame);
  };
  socket.onclose = (event) => {
    if (state.socket !== socket) return;
    state.socket = undefined;
    setTyping(undefined);
    onClose(event);
  };
}

function onClose({ code, reason }) {
  if (reason === CLOSE.unauthorized) {
    state.halted = true;
    setStatus('offline', 'Not signed in');
    notice(state.token ? 'The server refused the token (expired, or for another client id). Paste a new one in Settings.' : 'This server needs a token. Paste it in Settings.', 'error');
    $('settings').open = true;
    $('token').focus();
    return;
  }
  if (code === CLOSE.replaced) {
    state.halted = true;
    setStatus('offline', 'Open in another tab');
    notice('This conversation was opened in another tab or device. Use "Retry now" to continue here.', 'warn');
    return;
  }
  scheduleReconnect();
}

function scheduleReconnect() {
  const base = Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** state.attempts);
  // Jitter, so that clients dropped together by a restart do not all come back in the same instant.
  const delay = Math.round(base / 2 + Math.random() * (base / 2));
  state.attempts++;
  const until = Date.now() + delay;
  const tick = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    setStatus('waiting', `Offline, reconnecting in ${left} s`);
  };
  tick();
  const countdown = setInterval(tick, 1000);
  const timer = setTimeout(connect, delay);
  state.stopCountdown = () => {
    clearTimeout(timer);
    clearInterval(countdown);
    state.stopCountdown = undefined;
  };
}

function retryNow() {
  state.attempts = 0;
  connect();
}

function onFrame(frame) {
  switch (frame.type) {
    case 'system':
      return onSystem(frame);
    case 'bot_response':
      return onReply(frame);
    case 'error':
      return onError(frame);
  }
}

function onSystem(frame) {
  if (frame.content === 'connection_established') {
    state.attempts = 0;
    setStatus('online', 'Online');
    const { resumed = false, messages = 0, pending = 0 } = frame.metadata ?? {};
    const hadTranscript = state.transcript.some((e) => e.role !== 'notice');
    if (!resumed && hadTranscript) {
      state.transcript = [];
      state.meetings = {};
      storage.write('meetings', state.meetings);
      renderUpcoming();
      notice('The server keeps no earlier conversation for this id, so this is a fresh start.', 'warn');
    } else if (resumed && !hadTranscript && messages > 0) {
      notice(`Continuing a conversation of ${messages} messages from another device; ask "show my meetings" to see where things stand.`);
    }
    if (pending > 0) notice(`${pending} ${pending === 1 ? 'reply' : 'replies'} arrived while you were away.`);
    state.started.clear();
    flushOutbox();
    return;
  }
  if (frame.content === 'processing') {
    if (frame.reply_to) {
      state.started.add(frame.reply_to);
      markSent(frame.reply_to, undefined);
    }
    setTyping(frame.reply_to ?? '');
  }
}

function onReply(frame) {
  const broadcast = frame.metadata?.broadcast === true;
  // Delivery is at least once: a reply re-sent after a crash has the same reply_to and timestamp.
  const duplicate = state.transcript.some((e) => e.role === 'bot' && e.reply_to === frame.reply_to && e.timestamp === frame.timestamp && e.content === frame.content);
  if (duplicate) return;
  if (frame.reply_to && frame.reply_to === state.typingFor) setTyping(undefined);
  if (frame.reply_to) settle(frame.reply_to, undefined);
  const meeting = frame.metadata?.meeting;
  const ui = frame.ui_elements;
  if (typeof frame.metadata?.calendar_url === 'string') {
    state.calendarUrl = frame.metadata.calendar_url;
    storage.write('calendar', state.calendarUrl);
    renderCalendar();
  }
  append({
    role: 'bot',
    content: frame.content,
    timestamp: frame.timestamp,
    reply_to: frame.reply_to,
    ...(broadcast ? { broadcast } : {}),
    ...(meeting ? { meeting } : {}),
    ...(ui?.buttons?.length ? { ui } : {}),
  });
  learnMeeting(meeting, Boolean(ui?.buttons?.length));
  for (const id of state.busy) resend(id);
  state.busy.clear();
}

const ERROR_TEXT = {
  RATE_LIMITED: (f) => `You're sending faster than the server accepts; retrying in ${Math.ceil((f.retry_after_ms ?? 1000) / 1000)} s.`,
  BUSY: () => 'The assistant is still working through your earlier messages; this one will be sent again after its next reply.',
  INVALID_TIMEZONE: () => `The server does not know your time zone (${zone}), so times are in its default zone.`,
  INVALID_MESSAGE_FORMAT: (f) => `The server could not read that message: ${f.details?.[0]?.message ?? f.message}.`,
  LLM_PROCESSING_ERROR: () => 'The assistant took too long to answer. Try sending it again.',
  INTERNAL_SERVER_ERROR: () => 'Something went wrong on the server. Try sending it again.',
};

/**
 * The messages a RATE_LIMITED or BUSY may be about. They name it in reply_to when the server can;
 * otherwise it is one of those not yet started, and all of them are sent again: a repeat of one that
 * was in fact queued is answered from the store, and its duplicate reply dropped.
 */
function refusedMessages(frame) {
  if (frame.reply_to) return [frame.reply_to];
  return [...state.outbox.keys()].filter((id) => !state.started.has(id));
}

function onError(frame) {
  const text = (ERROR_TEXT[frame.error_code] ?? ((f) => f.message))(frame);
  notice(text, frame.error_code === 'INVALID_TIMEZONE' ? 'warn' : 'error');
  if (frame.reply_to && frame.reply_to === state.typingFor) setTyping(undefined);
  if (frame.error_code === 'RATE_LIMITED') {
    for (const id of refusedMessages(frame)) {
      markSent(id, 'waiting to resend');
      setTimeout(() => resend(id), frame.retry_after_ms ?? 1000);
    }
  } else if (frame.error_code === 'BUSY') {
    for (const id of refusedMessages(frame)) {
      markSent(id, 'queued');
      state.busy.add(id);
    }
  } else if (frame.reply_to) {
    settle(frame.reply_to, 'not sent');
  }
}

// ---- sending ----

function frameFor(content, messageId) {
  return JSON.stringify({ type: 'user_message', content, timestamp: new Date().toISOString(), session_id: state.clientId, message_id: messageId });
}

/** Sends `content`; the conversation shows `shown` (a button's label rather than its value). */
function send(content, shown = content) {
  const text = content.trim();
  if (!text) return;
  const messageId = randomId();
  state.outbox.set(messageId, text);
  const label = shown === content ? text : shown;
  append({ role: 'user', content: label, ...(label === text ? {} : { value: text }), timestamp: new Date().toISOString(), message_id: messageId, pending: 'sending', awaiting: true });
  transmit(messageId);
}

function transmit(messageId) {
  const entry = state.transcript.find((e) => e.message_id === messageId);
  const content = state.outbox.get(messageId) ?? entry?.value ?? entry?.content;
  if (content === undefined) return;
  state.outbox.set(messageId, content);
  if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(frameFor(content, messageId));
  else markSent(messageId, 'will send when back online');
}

function resend(messageId) {
  markSent(messageId, 'sending');
  transmit(messageId);
}

/** After a reconnect: everything still unanswered is sent again; the same message_id makes that safe. */
function flushOutbox() {
  for (const id of state.outbox.keys()) resend(id);
}

/** The message has its answer (or a refusal for good): it leaves the outbox, here and in storage. */
function settle(messageId, pending) {
  state.outbox.delete(messageId);
  state.started.delete(messageId);
  const entry = state.transcript.find((e) => e.message_id === messageId);
  if (entry) delete entry.awaiting;
  markSent(messageId, pending);
  saveTranscript();
}

function markSent(messageId, pending) {
  const entry = state.transcript.find((e) => e.message_id === messageId);
  if (!entry || entry.pending === pending) return;
  if (pending === undefined) delete entry.pending;
  else entry.pending = pending;
  saveTranscript();
  renderLog();
}

// ---- wiring ----

function loadClientState() {
  state.transcript = storage.read('transcript', []);
  state.meetings = storage.read('meetings', {});
  state.calendarUrl = storage.read('calendar', undefined);
  // Messages that never got an answer before the page closed go out again on connect.
  state.outbox = new Map(state.transcript.filter((e) => e.role === 'user' && e.awaiting).map((e) => [e.message_id, e.value ?? e.content]));
  renderLog();
  renderUpcoming();
  renderCalendar();
}

function start() {
  chooseIdentity();
  $('client-id').value = state.clientId;
  $('token').value = state.token;
  $('zone').textContent = zone || 'unknown (the server default applies)';
  if (matchMedia('(max-width: 720px)').matches) $('upcoming-panel').open = false;
  loadClientState();

  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    send($('message').value);
    $('message').value = '';
    $('message').focus();
  });
  $('settings-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    const id = $('client-id').value.trim();
    state.token = token;
    if (token) sessionStorage.setItem('meetingmuse:token', token);
    else sessionStorage.removeItem('meetingmuse:token');
    const nextId = tokenSubject(token) ?? id;
    if (CLIENT_ID.test(nextId) && nextId !== state.clientId) {
      state.clientId = nextId;
      $('client-id').value = nextId;
      localStorage.setItem('meetingmuse:client-id', nextId);
      loadClientState();
    }
    $('settings').open = false;
    state.socket?.close(1000);
    state.socket = undefined;
    retryNow();
    $('message').focus();
  });
  $('retry-now').addEventListener('click', retryNow);
  $('show-meetings').addEventListener('click', () => send('show my meetings'));
  $('ask-calendar').addEventListener('click', () => send('how do I add this to my calendar?'));
  $('copy-calendar').addEventListener('click', async () => {
    await navigator.clipboard?.writeText(state.calendarUrl);
    $('copy-calendar').textContent = 'Copied';
  });
  // Come back at once when the network or the tab does, instead of waiting out the back-off.
  addEventListener('online', () => !state.socket && !state.halted && retryNow());
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && !state.socket && !state.halted && retryNow());
  setInterval(renderUpcoming, 60_000);
  connect();
  $('message').focus();
}

start();
