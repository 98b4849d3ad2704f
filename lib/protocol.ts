import * as v from 'valibot';
import { ERRORS, type ErrorCode } from './errors.ts';

export { ERROR_CODES, type ErrorCode } from './errors.ts';

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
  /** A bug in the server's connection handling; logged with its stack. */
  internalError: 1011,
  /** Sent to a client that stopped reading while replies piled up (maxBufferedBytes). */
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
  internalError: 'Internal server error',
  replaced: 'Replaced by a newer connection',
} as const;

/** The zone Intl resolves `timeZone` to, in Intl's spelling, or undefined when Intl does not know it. */
function resolveTimeZone(timeZone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * IANA's current names of zones that the ICU in Node 20 still resolves to a retired spelling
 * (`Asia/Kolkata` → `Asia/Calcutta`). A browser sends the current name, and a user reads it back in
 * every draft, so the canonical name is the current one. Keyed by what this runtime resolves each to;
 * a runtime that already resolves to the current name maps it to itself.
 */
const CURRENT_ZONE_NAMES = new Map(
  [
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Europe/Kyiv',
    'Asia/Ho_Chi_Minh',
    'Asia/Yangon',
    'America/Nuuk',
    'Atlantic/Faroe',
    'Pacific/Pohnpei',
    'Pacific/Chuuk',
    'Pacific/Kanton',
    'America/Argentina/Buenos_Aires',
    'America/Argentina/Catamarca',
    'America/Argentina/Cordoba',
    'America/Argentina/Jujuy',
    'America/Argentina/Mendoza',
    'America/Indiana/Indianapolis',
    'America/Kentucky/Louisville',
    'America/Atikokan',
    'Africa/Asmara',
  ].map((name) => [resolveTimeZone(name) ?? name, name]),
);

/**
 * The canonical spelling of a time zone Intl knows ("europe/PARIS" → "Europe/Paris", "utc" → "UTC",
 * "asia/calcutta" → "Asia/Kolkata"), or undefined. Intl accepts any letter case; keeping only the
 * canonical name means every cache keyed by zone holds one entry per zone, not one per spelling a
 * client can invent.
 */
export function canonicalTimeZone(timeZone: string): string | undefined {
  if (timeZone.length === 0 || timeZone.length > 64) return undefined;
  const resolved = resolveTimeZone(timeZone);
  return resolved === undefined ? undefined : (CURRENT_ZONE_NAMES.get(resolved) ?? resolved);
}

/** True for a time zone name Intl knows (IANA names such as "Europe/Paris", and "UTC"), in any letter case. */
export function isValidTimeZone(timeZone: string): boolean {
  return canonicalTimeZone(timeZone) !== undefined;
}

/** Unicode code points in `text`, counting a surrogate pair (an emoji) once. */
export function codePointLength(text: string): number {
  let pairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return text.length - pairs;
}

const nonBlank = (text: string) => text.trim().length > 0;

const MAX_MESSAGE_ID_CHARS = 100;
const MAX_TIMEZONE_CHARS = 64;

/** The default cap on `content`, in characters (the maxContentChars option). */
export const DEFAULT_MAX_CONTENT_CHARS = 4000;

function userMessageEntries(maxContentChars: number) {
  return {
    type: v.optional(v.literal('user_message', 'Expected "user_message"'), 'user_message'),
    content: v.pipe(
      v.string('Expected a string'),
      v.check(nonBlank, 'Must not be empty'),
      v.check((text) => codePointLength(text) <= maxContentChars, `Must be at most ${maxContentChars} characters`),
    ),
    timestamp: v.optional(v.string('Expected a string')),
    session_id: v.string('Expected a string'),
    /** Echoed as `reply_to`; a repeated id within the session is answered from the store, not processed again. */
    message_id: v.optional(
      v.pipe(
        v.string('Expected a string'),
        v.maxLength(MAX_MESSAGE_ID_CHARS, `Must be at most ${MAX_MESSAGE_ID_CHARS} characters`),
      ),
    ),
    /** The client's IANA time zone; it replaces the one given with ?tz= or in earlier messages. */
    timezone: v.optional(
      v.pipe(
        v.string('Expected a string'),
        v.maxLength(MAX_TIMEZONE_CHARS, `Must be at most ${MAX_TIMEZONE_CHARS} characters`),
      ),
    ),
  };
}

/**
 * Every frame a client may send, told apart by `type` (absent means `user_message`, as Phase-1
 * clients send it). A new frame type is one more object here and one handler in session.ts.
 */
export function inboundSchema(maxContentChars = DEFAULT_MAX_CONTENT_CHARS) {
  const schema = v.variant('type', [v.object(userMessageEntries(maxContentChars))], 'Expected "user_message"');
  // Kept beside the schema for parseUserMessage's fast path, which must apply the same cap.
  return Object.assign(schema, { maxContentChars });
}

export type InboundSchema = ReturnType<typeof inboundSchema>;
export type InboundFrame = v.InferOutput<InboundSchema>;
export type UserMessage = Extract<InboundFrame, { type: 'user_message' }>;

const defaultSchema = inboundSchema();

export interface IssueDetail {
  path: string;
  message: string;
}

export type ParseResult = { ok: true; message: InboundFrame } | { ok: false; details: IssueDetail[] };

/** At most this many issues are reported for one frame, so a hostile frame cannot make the answer large. */
const MAX_DETAILS = 10;

const ROOT = '$';

/**
 * Parses one inbound text frame. The details name the field and what was expected; they never echo
 * the input back (valibot's default messages quote the received value, so every schema above sets
 * its own).
 */
export function parseUserMessage(text: string, schema: InboundSchema = defaultSchema): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, details: [{ path: ROOT, message: 'Not valid JSON' }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, details: [{ path: ROOT, message: 'Expected a JSON object' }] };
  }
  const message = plainUserMessage(value as Record<string, unknown>, schema.maxContentChars);
  if (message) return { ok: true, message };
  const result = v.safeParse(schema, value);
  if (result.success) return { ok: true, message: result.output };
  const details = result.issues.slice(0, MAX_DETAILS).map((issue) => ({
    path: v.getDotPath(issue) ?? ROOT,
    // A missing key is reported by the variant's object schema (valibot's issue types leave it out),
    // with no message of ours attached.
    message: (issue.type as string) === 'object' ? 'Required' : issue.message,
  }));
  return { ok: false, details };
}

/**
 * The message valibot would make of `value` when it is a plain, valid user_message (strings where
 * strings go, within their limits: the frame nearly every client sends every time), else undefined,
 * and the full validator decides, with its details. Valibot costs several times more than these
 * checks, on every frame; the two must agree on every input (test/protocol.test.ts checks they do).
 * Keys are set in the schema's order, absent optional ones left out, unknown ones dropped, as valibot does.
 */
function plainUserMessage(value: Record<string, unknown>, maxContentChars: number): UserMessage | undefined {
  const { type, content, timestamp, session_id, message_id, timezone } = value;
  if (type !== undefined && type !== 'user_message') return undefined;
  if (typeof content !== 'string' || typeof session_id !== 'string' || !nonBlank(content)) return undefined;
  // A UTF-16 length within the cap is a code-point count within it; only longer text needs counting.
  if (content.length > maxContentChars && codePointLength(content) > maxContentChars) return undefined;
  if (timestamp !== undefined && typeof timestamp !== 'string') return undefined;
  if (message_id !== undefined && (typeof message_id !== 'string' || message_id.length > MAX_MESSAGE_ID_CHARS))
    return undefined;
  if (timezone !== undefined && (typeof timezone !== 'string' || timezone.length > MAX_TIMEZONE_CHARS))
    return undefined;
  const message: UserMessage =
    timestamp === undefined
      ? { type: 'user_message', content, session_id }
      : { type: 'user_message', content, timestamp, session_id };
  if (message_id !== undefined) message.message_id = message_id;
  if (timezone !== undefined) message.timezone = timezone;
  return message;
}

/**
 * The `message_id` of a frame that was refused before validation (RATE_LIMITED), so the refusal can
 * name it: only when the frame is a JSON object whose `message_id` is a string the schema would accept.
 */
export function messageIdOf(text: string): string | undefined {
  try {
    const id = (JSON.parse(text) as { message_id?: unknown } | null)?.message_id;
    return typeof id === 'string' && id.length <= MAX_MESSAGE_ID_CHARS ? id : undefined;
  } catch {
    return undefined;
  }
}

export const binaryFrameDetails: IssueDetail[] = [
  { path: ROOT, message: 'Binary frames are not supported; send JSON text' },
];

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

let isoMs = NaN;
let isoText = '';

/**
 * `ms` (default now) as ISO 8601 UTC. Frames made within one millisecond share the string: under load
 * many are, and formatting a Date costs more than the rest of a small frame.
 */
export function isoTimestamp(ms = Date.now()): string {
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
}

const now = () => isoTimestamp();

/** Optional fields are left out rather than sent as null, so Phase-1 clients see the frames they know. */
function withOptional<T extends object>(frame: T, optional: Partial<T>): T {
  for (const key in optional) {
    if (optional[key] !== undefined) frame[key] = optional[key]!;
  }
  return frame;
}

/** `timestamp`: ISO 8601, default now; frames built together can share one. */
export function systemFrame(
  content: SystemFrame['content'],
  optional: Pick<SystemFrame, 'reply_to' | 'metadata'> = {},
  timestamp = now(),
): SystemFrame {
  return withOptional<SystemFrame>({ type: 'system', content, timestamp }, optional);
}

/**
 * The serialized `processing` frame, exactly as JSON.stringify(systemFrame('processing', { reply_to },
 * timestamp)) writes it, from a template: every turn sends one, and it has nothing else to vary.
 */
export function processingFrameText(timestamp: string, replyTo?: string): string {
  const head = `{"type":"system","content":"processing","timestamp":${JSON.stringify(timestamp)}`;
  return replyTo === undefined ? `${head}}` : `${head},"reply_to":${JSON.stringify(replyTo)}}`;
}

export function errorFrame(
  code: ErrorCode,
  optional: Pick<ErrorFrame, 'reply_to' | 'details' | 'retry_after_ms'> = {},
): ErrorFrame {
  return withOptional<ErrorFrame>(
    {
      type: 'error',
      error_code: code,
      message: ERRORS[code].message,
      timestamp: now(),
      retry_suggested: ERRORS[code].retry,
    },
    optional,
  );
}

/** `timestamp`: ISO 8601, default now; frames built together can share one. */
export function botResponseFrame(
  reply: EngineReply,
  optional: Pick<BotResponseFrame, 'session_id' | 'reply_to'> = {},
  timestamp = now(),
): BotResponseFrame {
  const frame = withOptional<BotResponseFrame>({ type: 'bot_response', content: reply.content, timestamp }, optional);
  if (reply.metadata !== undefined) frame.metadata = reply.metadata;
  if (reply.ui_elements !== undefined) frame.ui_elements = reply.ui_elements;
  return frame;
}
