import { readFileSync } from 'node:fs';
import { toJsonSchemaDefs, type JsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import {
  AssistantMetadataSchema,
  BroadcastSchema,
  ConnectionEstablishedSchema,
  ErrorFrameSchema,
  IssueDetailSchema,
  MeetingSchema,
  ProcessingSchema,
  ReplySchema,
  UiElementsSchema,
} from './frame-schemas.ts';
import {
  BroadcastRequestSchema,
  BroadcastResultSchema,
  ConnectionSnapshotSchema,
  ConnectionsSchema,
  ErrorBodySchema,
  FeedIssuedSchema,
  FeedRevokedSchema,
  HealthClientsSchema,
  HealthSchema,
  HistoryEntrySchema,
  SessionDeletedSchema,
  SessionSummarySchema,
} from './http-schemas.ts';
import { ERRORS } from './errors.ts';
import {
  botResponseFrame,
  CLOSE_CODES,
  CLOSE_REASONS,
  DEFAULT_MAX_CONTENT_CHARS,
  errorFrame,
  inboundSchema,
  systemFrame,
} from './protocol.ts';
import type { NamedRoute } from './routes.ts';

/**
 * The machine-readable protocol: an AsyncAPI 3.0 document for `WS /ws/{client_id}` and an OpenAPI
 * 3.1 document for the REST routes, both generated from the valibot schemas that validate frames
 * and bodies (lib/protocol.ts, lib/frame-schemas.ts, lib/http-schemas.ts), so they cannot drift.
 */

export interface ProtocolDocsOptions {
  /** `info.version` of both documents. Default "unknown". */
  version?: string;
  /** Prefix of every path, as the server is mounted (no trailing slash). Default "" (none). */
  basePath?: string;
  /** The longest `content` the server accepts, in characters. Default 4000. */
  maxContentChars?: number;
}

type Json = Record<string, unknown>;
type AnySchema = v.GenericSchema;

/**
 * Every error code with its HTTP status, whether retrying can help, and its fixed text, one line each,
 * read from the one table (errors.ts's ERRORS): a new code is documented in both documents at once.
 */
function errorCodeList(): string {
  return Object.entries(ERRORS)
    .map(
      ([code, { status, retry, message }]) =>
        `- ${code} (HTTP ${status}${retry ? ', retry suggested' : ''}): ${message}`,
    )
    .join('\n');
}

/** The user_message frame of protocol.ts's inbound schema (the variant's member whose type is "user_message"). */
function userMessageFrame(maxContentChars: number) {
  return inboundSchema(maxContentChars).options[0];
}

/** Field descriptions for the inbound schema, which protocol.ts keeps free of documentation text. */
const USER_MESSAGE_FIELDS: Record<string, string> = {
  type: 'Always "user_message" (the default).',
  content: 'What the user wrote: not blank.',
  timestamp: "The client's clock; not interpreted.",
  session_id: 'Kept for Phase-1 compatibility; the session is the client_id.',
  message_id: 'Echoed as reply_to; a repeat is answered from the store, never processed twice.',
  timezone: 'An IANA zone name (Europe/Paris); replaces ?tz= and earlier ones for this session.',
};

const CLOSE_CODE_DOCS: Array<[number, string, string]> = [
  [CLOSE_CODES.goingAway, CLOSE_REASONS.shuttingDown, 'The server is shutting down.'],
  [1007, '(ws)', 'A text frame that is not valid UTF-8.'],
  [CLOSE_CODES.policyViolation, CLOSE_REASONS.invalidClientId, 'The client_id breaks its rule.'],
  [
    CLOSE_CODES.policyViolation,
    CLOSE_REASONS.unauthorized,
    'Client authentication is on and the token is missing, expired, invalid or for another client_id.',
  ],
  [CLOSE_CODES.policyViolation, CLOSE_REASONS.flooding, 'Too many frames in a row were refused with RATE_LIMITED.'],
  [CLOSE_CODES.messageTooBig, '(ws)', 'A frame larger than the server accepts (64 KiB by default).'],
  [
    CLOSE_CODES.tryAgainLater,
    CLOSE_REASONS.notReading,
    'The client stopped reading while frames piled up (1 MiB by default).',
  ],
  [CLOSE_CODES.replaced, CLOSE_REASONS.replaced, 'The same client_id connected again; the newest connection wins.'],
  [1006, '(none)', 'The client missed a heartbeat ping and was terminated.'],
];

/**
 * Converts named schemas to JSON Schema definitions; a schema used inside another becomes a
 * `$ref` to `#/components/schemas/<name>`, where both AsyncAPI and OpenAPI keep them.
 */
function componentSchemas(
  definitions: Record<string, AnySchema>,
  target: 'draft-07' | 'draft-2020-12',
): Record<string, JsonSchema> {
  return toJsonSchemaDefs(definitions, {
    target,
    // v.check() (non-blank content) has no JSON Schema form; the field descriptions say it.
    ignoreActions: ['check'],
    overrideRef: ({ referenceId }) => `#/components/schemas/${referenceId}`,
  });
}

/** Adds descriptions to an object schema's properties; throws when one names a property the schema lacks. */
function describeProperties(schema: JsonSchema, descriptions: Record<string, string>): JsonSchema {
  const properties = (schema as { properties?: Record<string, Json> }).properties ?? {};
  for (const [name, description] of Object.entries(descriptions)) {
    const property = properties[name];
    if (!property) throw new Error(`no property "${name}" to describe`);
    property.description = description;
  }
  return schema;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const EXAMPLE_CLIENT = 'alice-1';

/** Real frames, made by protocol.ts's builders, for each server message's examples. */
function serverExamples(): Record<'connectionEstablished' | 'processing' | 'reply' | 'broadcast' | 'error', object[]> {
  const draft = {
    title: 'Design review',
    start: '2026-11-27T15:00:00+01:00',
    end: '2026-11-27T15:45:00+01:00',
    time_zone: 'Europe/Paris',
    participants: ['Bob'],
    location: null,
    status: 'draft',
  };
  const buttons = [
    { action_type: 'confirm', label: 'Confirm', value: 'yes', variant: 'primary' },
    { action_type: 'change', label: 'Change', value: 'change', variant: 'secondary' },
    { action_type: 'cancel', label: 'Cancel', value: 'no', variant: 'danger' },
  ];
  const turn = (replyTo: string) => ({ session_id: EXAMPLE_CLIENT, reply_to: replyTo });
  return {
    connectionEstablished: [
      systemFrame('connection_established', { metadata: { resumed: true, messages: 12, pending: 1 } }),
    ],
    processing: [systemFrame('processing', { reply_to: 'm-1' })],
    reply: [
      botResponseFrame(
        { content: 'What time on Fri, Nov 27?', metadata: { intent: 'schedule', missing: ['start'] } },
        turn('m-1'),
      ),
      botResponseFrame(
        {
          content: "Here's the draft: Design review, Fri, Nov 27, 3:00 PM–3:45 PM (Europe/Paris). Shall I book it?",
          metadata: { intent: 'schedule', missing: [], meeting: draft },
          ui_elements: { buttons },
        },
        turn('m-2'),
      ),
    ],
    broadcast: [botResponseFrame({ content: 'Maintenance at 22:00 UTC.', metadata: { broadcast: true } })],
    error: [
      errorFrame('INVALID_MESSAGE_FORMAT', {
        reply_to: 'm-3',
        details: [{ path: 'content', message: 'Expected a string' }],
      }),
      errorFrame('RATE_LIMITED', { retry_after_ms: 100 }),
    ],
  };
}

/** The AsyncAPI message objects, client's first, each with its payload schema and examples. */
function asyncApiMessages(): Record<string, Json> {
  const examples = serverExamples();
  const message = (
    name: string,
    title: string,
    summary: string,
    payload: string,
    payloads: object[],
    description?: string,
  ) => ({
    name,
    title,
    summary,
    ...(description ? { description } : {}),
    contentType: 'application/json',
    payload: ref(payload),
    examples: payloads.map((example, i) => ({ name: `${name}-${i + 1}`, payload: example })),
  });
  const errorCodes = errorCodeList();
  const userExample = {
    type: 'user_message',
    content: 'Book a design review with Bob tomorrow at 3pm',
    session_id: EXAMPLE_CLIENT,
    message_id: 'm-1',
    timezone: 'Europe/Paris',
  };
  return {
    userMessage: message(
      'user_message',
      'User message',
      'What the user wrote; answered by processing, then one or more replies.',
      'UserMessage',
      [userExample],
    ),
    connectionEstablished: message(
      'connection_established',
      'Connection established',
      'The first frame on every accepted connection.',
      'ConnectionEstablished',
      examples.connectionEstablished,
    ),
    processing: message('processing', 'Processing', "A message's turn has started.", 'Processing', examples.processing),
    reply: message(
      'bot_response',
      'Reply',
      'An answer to a user_message, in order; pending answers follow connection_established.',
      'Reply',
      examples.reply,
    ),
    broadcast: message(
      'broadcast',
      'Broadcast',
      'An operator message (POST /admin/broadcast) to every connected client.',
      'Broadcast',
      examples.broadcast,
    ),
    error: message(
      'error',
      'Error',
      'A refused or failed message; the socket stays open.',
      'ErrorFrame',
      examples.error,
      `error_code values:\n${errorCodes}`,
    ),
  };
}

/** The one channel, `{basePath}/ws/{client_id}`, with its parameter, query, refusals and close codes. */
function chatChannel(basePath: string, messageNames: string[]): Json {
  const closeCodes = CLOSE_CODE_DOCS.map(([code, reason, when]) => `- ${code} ${reason}: ${when}`).join('\n');
  return {
    address: `${basePath}/ws/{client_id}`,
    title: 'Chat',
    description:
      'One connection per client_id; reconnecting with the same id resumes the conversation. ' +
      'With client authentication on, the upgrade needs a token (HS256 JWT, sub = client_id): ?token=<jwt>, or from a browser the subprotocol pair ["bearer", jwt]. ' +
      'Refused before the handshake with a JSON body {detail, error_code}: 400 INVALID_REQUEST_TARGET, 404 NOT_FOUND, 403 ORIGIN_NOT_ALLOWED, 429 TOO_MANY_REQUESTS (Retry-After), 503 TOO_MANY_CONNECTIONS or SHUTTING_DOWN (Retry-After: 5). ' +
      'A client_id breaking its rule, or a missing or bad token, is accepted and closed with 1008 (a browser sees the close reason, never a refused status).\n' +
      `Close codes:\n${closeCodes}`,
    parameters: {
      client_id: {
        description: '3–100 characters of A-Z a-z 0-9 _ -. It names the session.',
        examples: [EXAMPLE_CLIENT],
      },
    },
    messages: Object.fromEntries(messageNames.map((name) => [name, { $ref: `#/components/messages/${name}` }])),
    bindings: {
      ws: {
        method: 'GET',
        query: {
          type: 'object',
          properties: {
            tz: {
              type: 'string',
              description:
                "The client's IANA time zone (Europe/Paris); an unknown one is answered with an INVALID_TIMEZONE error frame.",
            },
            token: {
              type: 'string',
              description: 'With client authentication on: the client token (HS256 JWT whose sub is the client_id).',
            },
          },
        },
        bindingVersion: '0.1.0',
      },
    },
  };
}

/** The AsyncAPI 3.0 document of `WS {basePath}/ws/{client_id}`: every client and server message. */
export function asyncApiDocument({
  version = 'unknown',
  basePath = '',
  maxContentChars = DEFAULT_MAX_CONTENT_CHARS,
}: ProtocolDocsOptions = {}): Json {
  const schemas = componentSchemas(
    {
      UserMessage: v.pipe(userMessageFrame(maxContentChars), v.title('UserMessage')),
      ConnectionEstablished: ConnectionEstablishedSchema,
      Processing: ProcessingSchema,
      Reply: ReplySchema,
      Broadcast: BroadcastSchema,
      ErrorFrame: ErrorFrameSchema,
      IssueDetail: IssueDetailSchema,
      UiElements: UiElementsSchema,
      AssistantMetadata: AssistantMetadataSchema,
      Meeting: MeetingSchema,
    },
    'draft-07',
  );
  describeProperties(schemas.UserMessage!, USER_MESSAGE_FIELDS);
  // The cap is a v.check() (it counts code points, as JSON Schema's maxLength does), which has no JSON Schema form of its own.
  (schemas.UserMessage as { properties: Record<string, Json> }).properties.content!.maxLength = maxContentChars;
  const messages = asyncApiMessages();
  const channelRef = { $ref: '#/channels/chat' };
  const channelMessage = (name: string) => ({ $ref: `#/channels/chat/messages/${name}` });
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'MeetingMuse chat',
      version,
      description:
        'The real-time chat of the MeetingMuse assistant. Every frame is one JSON object in a text frame; timestamps are ISO 8601 UTC with Z. ' +
        "A client's messages are answered one at a time, in order.",
    },
    defaultContentType: 'application/json',
    channels: { chat: chatChannel(basePath, Object.keys(messages)) },
    operations: {
      receiveUserMessage: {
        action: 'receive',
        channel: channelRef,
        summary: 'The server receives what the user writes.',
        messages: [channelMessage('userMessage')],
      },
      sendServerFrames: {
        action: 'send',
        channel: channelRef,
        summary: 'The server sends these frames.',
        messages: Object.keys(messages)
          .filter((name) => name !== 'userMessage')
          .map(channelMessage),
      },
    },
    components: { schemas, messages },
  };
}

const json = (schema: string) => ({ 'application/json': { schema: ref(schema) } });
const answer = (description: string, schema: string) => ({ description, content: json(schema) });
const errorAnswer = (description: string) => answer(description, 'ErrorBody');

/** The refusals every privileged route can answer. */
const PRIVILEGED_ERRORS = {
  '401': errorAnswer(
    'UNAUTHORIZED: an admin token is configured and the bearer token is missing or wrong (with WWW-Authenticate: Bearer).',
  ),
  '403': errorAnswer('FORBIDDEN: no admin token is configured and the caller is not on loopback.'),
};

const CLIENT_ID_PARAMETER = {
  name: 'client_id',
  in: 'path',
  required: true,
  description: '3–100 characters of A-Z a-z 0-9 _ -.',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{3,100}$' },
};

/** Marks an operation as needing the admin bearer token (or a loopback caller). */
const PRIVILEGED = { security: [{ adminBearer: [] }] };

/** GET and HEAD /health, and GET /health/clients. */
function healthPaths(): Record<string, Json> {
  const health = {
    '200': answer('Serving.', 'Health'),
    '503': answer(
      'Shutting down (status "shutting_down"), or the store cannot serve (status "unhealthy", with its reason).',
      'Health',
    ),
  };
  return {
    '/health': {
      get: { operationId: 'getHealth', summary: 'Liveness for load balancers; never privileged.', responses: health },
      head: {
        operationId: 'headHealth',
        summary: 'As GET, without a body.',
        responses: { '200': { description: 'Serving.' }, '503': { description: 'Shutting down.' } },
      },
    },
    '/health/clients': {
      get: {
        operationId: 'getHealthClients',
        summary: 'Health with the connected client ids and server info.',
        ...PRIVILEGED,
        responses: { '200': answer('Serving.', 'HealthClients'), ...PRIVILEGED_ERRORS },
      },
    },
  };
}

/** The admin routes: connections, broadcast, sessions. */
function adminPaths(): Record<string, Json> {
  return {
    '/admin/connections': {
      get: {
        operationId: 'getConnections',
        summary: 'Every connected client with its counters.',
        ...PRIVILEGED,
        responses: { '200': answer('The connections.', 'Connections'), ...PRIVILEGED_ERRORS },
      },
    },
    '/admin/broadcast': {
      post: {
        operationId: 'broadcast',
        summary: 'Sends a bot_response with metadata {"broadcast": true} to every connected client.',
        ...PRIVILEGED,
        requestBody: { required: true, content: json('BroadcastRequest') },
        responses: {
          '200': answer('Handed to every connected client.', 'BroadcastResult'),
          '400': errorAnswer(
            'INVALID_JSON: the body is not JSON; INVALID_BODY: not an object, or content missing, blank or not a string.',
          ),
          '413': errorAnswer('PAYLOAD_TOO_LARGE: the body is over the limit (64 KiB by default).'),
          '415': errorAnswer('UNSUPPORTED_MEDIA_TYPE: the body was sent without Content-Type: application/json.'),
          ...PRIVILEGED_ERRORS,
        },
      },
    },
    '/admin/sessions/{client_id}': {
      parameters: [CLIENT_ID_PARAMETER],
      get: {
        operationId: 'getSession',
        summary: 'The stored session of a client.',
        ...PRIVILEGED,
        responses: {
          '200': answer('The session.', 'SessionSummary'),
          '404': errorAnswer('SESSION_NOT_FOUND: nothing stored for this client_id.'),
          ...PRIVILEGED_ERRORS,
        },
      },
      delete: {
        operationId: 'deleteSession',
        summary: 'Erases everything stored for a client.',
        ...PRIVILEGED,
        responses: {
          '200': answer('Erased.', 'SessionDeleted'),
          '404': errorAnswer('SESSION_NOT_FOUND: nothing stored for this client_id.'),
          ...PRIVILEGED_ERRORS,
        },
      },
    },
  };
}

const FEED_TOKEN_PARAMETER = {
  name: 'token',
  in: 'path',
  required: true,
  description: 'The secret token of a feed address.',
  schema: { type: 'string' },
};

/** The assistant engine's calendar routes (absent, and answering 404 NOT_FOUND, with an engine that serves none). */
function calendarPaths(): Record<string, Json> {
  const calendar = {
    '200': { description: 'The calendar.', content: { 'text/calendar': { schema: { type: 'string' } } } },
  };
  return {
    '/calendar/{client_id}.ics': {
      parameters: [CLIENT_ID_PARAMETER],
      get: {
        operationId: 'getCalendar',
        summary: "The client's meetings as an RFC 5545 calendar, archived ones included (assistant engine).",
        ...PRIVILEGED,
        responses: {
          ...calendar,
          '404': errorAnswer('SESSION_NOT_FOUND: nothing stored for this client_id.'),
          ...PRIVILEGED_ERRORS,
        },
      },
    },
    '/feeds/{token}.ics': {
      parameters: [FEED_TOKEN_PARAMETER],
      get: {
        operationId: 'getCalendarFeed',
        summary: 'The same calendar at a capability URL: the token is the credential (assistant engine).',
        responses: { ...calendar, '404': errorAnswer('FEED_NOT_FOUND: an unknown, rotated or revoked token.') },
      },
    },
    '/admin/feeds/{client_id}': {
      parameters: [CLIENT_ID_PARAMETER],
      post: {
        operationId: 'rotateCalendarFeed',
        summary: 'Issues a new feed address for the client; the old one answers 404 at once.',
        ...PRIVILEGED,
        responses: {
          '200': answer('Issued.', 'FeedIssued'),
          '400': errorAnswer('INVALID_CLIENT_ID: the client_id breaks its rule.'),
          ...PRIVILEGED_ERRORS,
        },
      },
      delete: {
        operationId: 'revokeCalendarFeed',
        summary: 'Revokes the feed address; the assistant issues a new one when next asked.',
        ...PRIVILEGED,
        responses: {
          '200': answer('Revoked.', 'FeedRevoked'),
          '400': errorAnswer('INVALID_CLIENT_ID: the client_id breaks its rule.'),
          '404': errorAnswer('FEED_NOT_FOUND: the client has no feed.'),
          ...PRIVILEGED_ERRORS,
        },
      },
    },
  };
}

/** The metrics, the documents themselves and the chat page. */
function servicePaths(): Record<string, Json> {
  const page = { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } };
  return {
    '/metrics': {
      get: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics in the text exposition format (meetingmuse_* and the process metrics).',
        ...PRIVILEGED,
        responses: {
          '200': {
            description: 'The exposition.',
            content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } },
          },
          ...PRIVILEGED_ERRORS,
        },
      },
    },
    '/asyncapi.json': {
      get: {
        operationId: 'getAsyncApi',
        summary: 'The AsyncAPI 3.0 document of the WebSocket protocol.',
        responses: {
          '200': { description: 'The document.', content: { 'application/json': { schema: { type: 'object' } } } },
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        summary: 'This document.',
        responses: {
          '200': { description: 'The document.', content: { 'application/json': { schema: { type: 'object' } } } },
        },
      },
    },
    '/docs': {
      get: { operationId: 'getDocs', summary: 'A page showing both documents.', responses: { '200': page } },
    },
    '/': {
      get: {
        operationId: 'getChatPage',
        summary: 'The chat page, when the server serves it (webUi); 404 NOT_FOUND otherwise.',
        responses: { '200': page },
      },
      head: {
        operationId: 'headChatPage',
        summary: 'As GET, without a body.',
        responses: { '200': { description: 'The page is served.' } },
      },
    },
  };
}

/** The OpenAPI 3.1 document of the REST routes, with the error shape {detail, error_code}. */
export function openApiDocument({ version = 'unknown', basePath = '' }: ProtocolDocsOptions = {}): Json {
  const schemas = componentSchemas(
    {
      ErrorBody: ErrorBodySchema,
      Health: HealthSchema,
      HealthClients: HealthClientsSchema,
      ConnectionSnapshot: ConnectionSnapshotSchema,
      Connections: ConnectionsSchema,
      BroadcastRequest: BroadcastRequestSchema,
      BroadcastResult: BroadcastResultSchema,
      HistoryEntry: HistoryEntrySchema,
      SessionSummary: SessionSummarySchema,
      SessionDeleted: SessionDeletedSchema,
      FeedIssued: FeedIssuedSchema,
      FeedRevoked: FeedRevokedSchema,
    },
    'draft-2020-12',
  );
  (schemas.ErrorBody as { properties: Record<string, Json> }).properties.error_code!.description =
    `A stable machine-readable code:\n${errorCodeList()}`;
  const paths = { ...healthPaths(), ...adminPaths(), ...calendarPaths(), ...servicePaths() };
  return {
    openapi: '3.1.0',
    info: {
      title: 'MeetingMuse server REST API',
      version,
      description:
        'Every body is JSON unless stated; every error is {"detail", "error_code"} and never carries a stack trace. ' +
        'A known path with the wrong method answers 405 METHOD_NOT_ALLOWED with Allow; an unknown path 404 NOT_FOUND; a bug 500 INTERNAL_SERVER_ERROR. ' +
        'Privileged routes: with an admin token configured they need Authorization: Bearer <token>; without one they answer loopback callers only.',
    },
    paths: Object.fromEntries(Object.entries(paths).map(([path, item]) => [`${basePath}${path}`, item])),
    components: {
      schemas,
      securitySchemes: {
        adminBearer: { type: 'http', scheme: 'bearer', description: 'The admin token the server is configured with.' },
      },
    },
  };
}

/** The static files of the /docs page, in web/ at the package root (one level up from lib/, two from dist/lib/). */
function readWebFile(name: string): string {
  for (const dir of ['../web/', '../../web/']) {
    try {
      return readFileSync(new URL(dir + name, import.meta.url), 'utf8');
    } catch {
      // Not this candidate; try the next.
    }
  }
  throw new Error(`web/${name} is missing from the package`);
}

/** The page and its scripts load nothing from elsewhere; the policy makes that a promise to the browser. */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'",
  'X-Content-Type-Options': 'nosniff',
};

/** Computes `make()` on first use only: a server whose documents are never asked for never builds them. */
function once<T>(make: () => T): () => T {
  let value: { made: T } | undefined;
  return () => (value ??= { made: make() }).made;
}

/**
 * The public routes GET /asyncapi.json, /openapi.json, /docs and the page's /docs.js and /docs.css,
 * all turned off with `routes: { docs: false }`. Each answer is built on its first request, then kept.
 */
export function protocolDocsRoutes(options: ProtocolDocsOptions = {}): NamedRoute[] {
  const JSON_TYPE = 'application/json; charset=utf-8';
  const served = (contentType: string, make: () => string): NamedRoute['methods'] => {
    const body = once(make);
    return { GET: () => ({ body: body(), contentType, headers: PAGE_HEADERS }) };
  };
  return [
    {
      name: 'docs',
      path: /^\/asyncapi\.json$/,
      methods: served(JSON_TYPE, () => JSON.stringify(asyncApiDocument(options))),
    },
    {
      name: 'docs',
      path: /^\/openapi\.json$/,
      methods: served(JSON_TYPE, () => JSON.stringify(openApiDocument(options))),
    },
    { name: 'docs', path: /^\/docs$/, methods: served('text/html; charset=utf-8', () => readWebFile('docs.html')) },
    {
      name: 'docs',
      path: /^\/docs\.js$/,
      methods: served('text/javascript; charset=utf-8', () => readWebFile('docs.js')),
    },
    { name: 'docs', path: /^\/docs\.css$/, methods: served('text/css; charset=utf-8', () => readWebFile('docs.css')) },
  ];
}
