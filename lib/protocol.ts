import * as v from 'valibot';

/**
 * The wire protocol of `WS /ws/{client_id}`: what clients may send, what the server sends back, and
 * the codes both sides agree on. Every frame is one JSON object in a text frame.
 */

const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{3,100}$/;

export function isValidClientId(id: string): boolean {
  return CLIENT_ID_PATTERN.test(id);
}

/** Close codes the server uses. 1009 (message too big) is sent by ws itself when a frame exceeds maxPayload. */
export const CLOSE_CODES = {
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
  /** Sent to a client that stopped reading while replies piled up (MAX_BUFFERED_BYTES). */
  tryAgainLater: 1013,
  /**
   * Duplicate client ids: the newest connection wins and the older socket is closed with this code.
   * The older socket's late 'close' event must not unregister the newer one (see ConnectionManager.remove).
   */
  replaced: 4000,
} as const;

export const CLOSE_REASONS = {
  invalidClientId: 'Invalid client ID format',
  unauthorized: 'Unauthorized',
  flooding: 'Rate limit exceeded',
  notReading: 'Client is not reading',
  shuttingDown: 'Server shutting down',
  replaced: 'Replaced by a newer connection',
} as const;

export const ERROR_CODES = {
  invalidMessageFormat: 'INVALID_MESSAGE_FORMAT',
  internal: 'INTERNAL_SERVER_ERROR',
  engineFailed: 'LLM_PROCESSING_ERROR',
  busy: 'BUSY',
  rateLimited: 'RATE_LIMITED',
  invalidTimeZone: 'INVALID_TIMEZONE',
  storageUnavailable: 'STORAGE_UNAVAILABLE',
  sessionDeleted: 'SESSION_DELETED',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** The human-readable text each error code carries; never derived from the input or the failure. */
const ERROR_MESSAGES: Record<ErrorCode, string> = {
  INVALID_MESSAGE_FORMAT: 'Message format is invalid. Please check the message structure.',
  INTERNAL_SERVER_ERROR: 'An internal error occurred. Please try reconnecting.',
  LLM_PROCESSING_ERROR: "I'm having trouble processing your request. Please try again.",
  BUSY: 'Too many messages are waiting for an answer. Wait for a reply, then send again.',
  RATE_LIMITED: 'Too many messages. Wait retry_after_ms milliseconds, then send again.',
  INVALID_TIMEZONE: 'Unknown time zone. Use an IANA name such as "Europe/Paris" or "America/New_York".',
  STORAGE_UNAVAILABLE: 'The server cannot store conversations right now. Please try again later.',
  SESSION_DELETED: 'This conversation was erased while your message was being processed; it was not kept.',
};

/** True for a time zone name Intl knows (IANA names such as "Europe/Paris", and "UTC"). */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const nonBlank = (text: string) => text.trim().length > 0;

/** The default cap on `content`, in characters (MAX_CONTENT_CHARS). */
export const DEFAULT_MAX_CONTENT_CHARS = 4000;

export function userMessageSchema(maxContentChars = DEFAULT_MAX_CONTENT_CHARS) {
  return v.object({
    type: v.optional(v.literal('user_message', 'Expected "user_message"'), 'user_message'),
    content: v.pipe(
      v.string('Expected a string'),
      v.check(nonBlank, 'Must not be empty'),
      v.maxLength(maxContentChars, `Must be at most ${maxContentChars} characters`),
    ),
    timestamp: v.optional(v.string('Expected a string')),
    session_id: v.string('Expected a string'),
    /** Echoed as `reply_to`; a repeated id within the session is answered from the store, not processed again. */
    message_id: v.optional(v.pipe(v.string('Expected a string'), v.maxLength(100, 'Must be at most 100 characters'))),
    /** The client's IANA time zone; it replaces the one given with ?tz= or in earlier messages. */
    timezone: v.optional(v.pipe(v.string('Expected a string'), v.maxLength(64, 'Must be at most 64 characters'))),
  });
}

export type UserMessageSchema = ReturnType<typeof userMessageSchema>;
export type UserMessage = v.InferOutput<UserMessageSchema>;

const defaultSchema = userMessageSchema();

export interface IssueDetail {
  path: string;
  message: string;
}

export type ParseResult = { ok: true; message: UserMessage } | { ok: false; details: IssueDetail[] };

/** At most this many issues are reported for one frame, so a hostile frame cannot make the answer large. */
const MAX_DETAILS = 10;

const ROOT = '$';

/**
 * Parses one inbound text frame. The details name the field and what was expected; they never echo
 * the input back (valibot's default messages quote the received value, so every schema above sets
 * its own).
 */
export function parseUserMessage(text: string, schema: UserMessageSchema = defaultSchema): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, details: [{ path: ROOT, message: 'Not valid JSON' }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, details: [{ path: ROOT, message: 'Expected a JSON object' }] };
  }
  const result = v.safeParse(schema, value);
  if (result.success) return { ok: true, message: result.output };
  const details = result.issues.slice(0, MAX_DETAILS).map((issue) => ({
    path: v.getDotPath(issue) ?? ROOT,
    // A missing key is reported by the object schema, with no message of ours attached.
    message: issue.type === 'object' ? 'Required' : issue.message,
  }));
  return { ok: false, details };
}

export const binaryFrameDetails: IssueDetail[] = [{ path: ROOT, message: 'Binary frames are not supported; send JSON text' }];

/** Buttons the front end renders under a reply; a click sends `value` back as a user_message. */
export interface UiElements {
  buttons: Array<{ action_type: string; label: string; value: string; variant?: string }>;
}

/** One reply of the engine; each becomes a `bot_response` frame. */
export interface EngineReply {
  content: string;
  metadata?: Record<string, unknown>;
  ui_elements?: UiElements;
}

export interface SystemFrame {
  type: 'system';
  content: 'connection_established' | 'processing';
  timestamp: string;
  reply_to?: string;
  metadata?: Record<string, unknown>;
}

export interface ErrorFrame {
  type: 'error';
  error_code: ErrorCode;
  message: string;
  timestamp: string;
  retry_suggested: boolean;
  reply_to?: string;
  details?: IssueDetail[];
  /** With RATE_LIMITED: how long until a message would be accepted. */
  retry_after_ms?: number;
}

export interface BotResponseFrame extends EngineReply {
  type: 'bot_response';
  timestamp: string;
  session_id?: string;
  reply_to?: string;
}

export type ServerFrame = SystemFrame | ErrorFrame | BotResponseFrame;

const now = () => new Date().toISOString();

/** Optional fields are left out rather than sent as null, so Phase-1 clients see the frames they know. */
function withOptional<T extends object>(frame: T, optional: Partial<T>): T {
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (frame as Record<string, unknown>)[key] = value;
  }
  return frame;
}

export function systemFrame(content: SystemFrame['content'], optional: Pick<SystemFrame, 'reply_to' | 'metadata'> = {}): SystemFrame {
  return withOptional<SystemFrame>({ type: 'system', content, timestamp: now() }, optional);
}

export function errorFrame(code: ErrorCode, optional: Pick<ErrorFrame, 'reply_to' | 'details' | 'retry_after_ms'> = {}): ErrorFrame {
  return withOptional<ErrorFrame>(
    { type: 'error', error_code: code, message: ERROR_MESSAGES[code], timestamp: now(), retry_suggested: true },
    optional,
  );
}

export function botResponseFrame(reply: EngineReply, optional: Pick<BotResponseFrame, 'session_id' | 'reply_to'> = {}): BotResponseFrame {
  return withOptional<BotResponseFrame>(
    { type: 'bot_response', content: reply.content, timestamp: now() },
    { ...optional, metadata: reply.metadata, ui_elements: reply.ui_elements },
  );
}
