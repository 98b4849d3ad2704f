import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Every error the server reports, by code: its HTTP status and its text. One table for the three
 * ways an error reaches a client: an HTTP refusal (`{"detail", "error_code"}`), a refused handshake
 * (the same body, written on the raw socket), and an error frame on an open socket. A new error is a
 * row here. The text is fixed: never derived from the input or the failure.
 */
export const ERRORS = {
  // Mostly error frames, on an open socket. `retry`: whether sending the same frame again can succeed.
  INVALID_MESSAGE_FORMAT: {
    status: 400,
    retry: false,
    message: 'Message format is invalid. Please check the message structure.',
  },
  INVALID_TIMEZONE: {
    status: 400,
    retry: false,
    message: 'Unknown time zone. Use an IANA name such as "Europe/Paris" or "America/New_York".',
  },
  RATE_LIMITED: {
    status: 429,
    retry: true,
    message: 'Too many messages. Wait retry_after_ms milliseconds, then send again.',
  },
  BUSY: {
    status: 503,
    retry: true,
    message: 'Too many messages are waiting for an answer. Wait for a reply, then send again.',
  },
  LLM_PROCESSING_ERROR: {
    status: 504,
    retry: true,
    message: "I'm having trouble processing your request. Please try again.",
  },
  INTERNAL_SERVER_ERROR: { status: 500, retry: true, message: 'An internal error occurred. Please try reconnecting.' },
  SHUTTING_DOWN: {
    status: 503,
    retry: true,
    message: 'The server is restarting and did not take this message. Reconnect, then send it again.',
  },
  STORAGE_UNAVAILABLE: {
    status: 503,
    retry: true,
    message: 'The server cannot store conversations right now. Please try again later.',
  },
  SESSION_DELETED: {
    status: 410,
    retry: true,
    message: 'This conversation was erased while your message was being processed; it was not kept.',
  },
  TURN_INTERRUPTED: {
    status: 503,
    retry: true,
    message: 'The server answering this message stopped before it finished; nothing of it was stored. Send it again.',
  },
  // HTTP refusals, of the REST routes and of the handshake.
  INVALID_REQUEST_TARGET: { status: 400, retry: false, message: 'The request target is not a valid URL' },
  INVALID_CLIENT_ID: { status: 400, retry: false, message: 'A client id is 3-100 characters of A-Z a-z 0-9 _ -' },
  INVALID_JSON: { status: 400, retry: false, message: 'Request body must be valid JSON' },
  INVALID_BODY: { status: 400, retry: false, message: 'Request body must be a JSON object' },
  UNAUTHORIZED: { status: 401, retry: false, message: 'A valid admin bearer token is required' },
  FORBIDDEN: {
    status: 403,
    retry: false,
    message: 'Admin routes answer only loopback callers unless an admin token is configured',
  },
  ORIGIN_NOT_ALLOWED: { status: 403, retry: false, message: 'Origin not allowed' },
  NOT_FOUND: { status: 404, retry: false, message: 'Not Found' },
  SESSION_NOT_FOUND: { status: 404, retry: false, message: 'No stored session for this client id' },
  FEED_NOT_FOUND: { status: 404, retry: false, message: 'No calendar feed at this address' },
  METHOD_NOT_ALLOWED: { status: 405, retry: false, message: 'Method Not Allowed' },
  PAYLOAD_TOO_LARGE: { status: 413, retry: false, message: 'Request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retry: false, message: 'Content-Type must be application/json' },
  UPGRADE_REQUIRED: {
    status: 426,
    retry: false,
    message: 'This path speaks WebSocket only; connect with a WebSocket client',
  },
  TOO_MANY_REQUESTS: { status: 429, retry: true, message: 'Too many connections from this address' },
  TOO_MANY_CONNECTIONS: { status: 503, retry: true, message: 'Too many connections' },
} as const satisfies Record<string, { status: number; retry: boolean; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** Every code, keyed by itself (`ERROR_CODES.BUSY === 'BUSY'`), for clients and tests that list them. */
export const ERROR_CODES = Object.freeze(Object.fromEntries(Object.keys(ERRORS).map((code) => [code, code]))) as {
  readonly [K in ErrorCode]: K;
};

/** An HTTP failure whose message is safe to show a client. Routes and admission throw it; one place renders it. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;

  /** `detail` refines the table's text for this one answer (it must not echo the input either). */
  constructor(code: ErrorCode, detail: string = ERRORS[code].message, headers: Record<string, string> = {}) {
    super(detail);
    this.code = code;
    this.status = ERRORS[code].status;
    this.headers = headers;
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The status, headers and body of an HTTP error answer. */
function errorResponse(err: HttpError): { headers: Record<string, string | number>; body: string } {
  const body = JSON.stringify({ detail: err.message, error_code: err.code });
  return { headers: { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body), ...err.headers }, body };
}

/** Answers a request with an HttpError; a response already started is cut, since its status line is gone. */
export function sendHttpError(res: ServerResponse, err: HttpError): void {
  if (res.headersSent) return void res.destroy();
  const { headers, body } = errorResponse(err);
  res.writeHead(err.status, { 'Cache-Control': 'no-store', ...headers }).end(body);
}

/**
 * Refuses an upgrade before the handshake, then destroys the socket once the answer has been written,
 * as ws's abortHandshake() does. The socket is still a plain HTTP socket here, so it can be written
 * to; 'finish' means the response left, and nothing else will be read from it.
 */
export function refuseHandshake(socket: Duplex, err: HttpError): void {
  const { headers, body } = errorResponse(err);
  const lines = [
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  if (!socket.writable) return void socket.destroy();
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
