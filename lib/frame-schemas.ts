import * as v from 'valibot';
import { ERRORS, type ErrorCode } from './errors.ts';
import type { BotResponseFrame, ErrorFrame, IssueDetail, ServerFrame, SystemFrame, UiElements } from './protocol.ts';

/**
 * valibot schemas for every frame the server sends, the source of the protocol documents
 * (lib/protocol-docs.ts) and of the conformance tests. Two layers:
 *
 * - the frame schemas (`SystemFrameSchema`, `ErrorFrameSchema`, `BotResponseFrameSchema`,
 *   `ServerFrameSchema`) say exactly what the TypeScript frame types in protocol.ts say; the checks
 *   at the end of this file fail to compile when either side changes without the other;
 * - the message schemas (`ConnectionEstablishedSchema`, `ProcessingSchema`, `ReplySchema`,
 *   `BroadcastSchema`) are the narrower shapes the server actually sends in each situation, as the
 *   README documents them. Each is checked to be a frame (it never promises what the types forbid);
 *   that the server sends nothing else is checked by test/frame-conformance.test.ts.
 */

const Timestamp = v.pipe(
  v.string(),
  v.isoTimestamp(),
  v.description('When the frame was made: ISO 8601, UTC, with Z.'),
);

const ReplyTo = v.pipe(v.string(), v.description('The message_id of the user_message this answers, when it had one.'));

const OpenObject = v.record(v.string(), v.unknown());

/** Every error_code, in the order of the one table (errors.ts's ERRORS): a new row is documented at once. */
export const ERROR_CODE_VALUES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];

export const IssueDetailSchema = v.pipe(
  v.object({
    path: v.pipe(v.string(), v.description('The field, as a dot path; "$" is the whole frame.')),
    message: v.pipe(v.string(), v.description('What was expected; never echoes the input.')),
  }),
  v.title('IssueDetail'),
);

export const UiElementsSchema = v.pipe(
  v.object({
    buttons: v.array(
      v.pipe(
        v.object({
          action_type: v.pipe(v.string(), v.description('What the button does, e.g. "confirm", "change", "cancel".')),
          label: v.pipe(v.string(), v.description('The text to show.')),
          value: v.pipe(v.string(), v.description('Sent back as the content of a user_message when pressed.')),
          variant: v.optional(v.pipe(v.string(), v.description('A styling hint: "primary", "secondary", "danger".'))),
        }),
        v.title('Button'),
      ),
    ),
  }),
  v.title('UiElements'),
  v.description('Buttons to render under the reply.'),
);

export const SystemFrameSchema = v.pipe(
  v.object({
    type: v.literal('system'),
    content: v.picklist(['connection_established', 'processing']),
    timestamp: Timestamp,
    reply_to: v.optional(ReplyTo),
    metadata: v.optional(OpenObject),
  }),
  v.title('SystemFrame'),
);

export const ErrorFrameSchema = v.pipe(
  v.object({
    type: v.literal('error'),
    error_code: v.picklist(ERROR_CODE_VALUES),
    message: v.pipe(v.string(), v.description('A fixed, human-readable text for the code.')),
    timestamp: Timestamp,
    retry_suggested: v.boolean(),
    reply_to: v.optional(ReplyTo),
    details: v.optional(
      v.pipe(
        v.array(IssueDetailSchema),
        v.maxLength(10),
        v.description('With INVALID_MESSAGE_FORMAT: what was wrong, at most 10.'),
      ),
    ),
    retry_after_ms: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(0),
        v.description('With RATE_LIMITED: milliseconds until a frame would be accepted.'),
      ),
    ),
  }),
  v.title('ErrorFrame'),
  v.description('A refused or failed message; the socket stays open.'),
);

export const BotResponseFrameSchema = v.pipe(
  v.object({
    type: v.literal('bot_response'),
    content: v.string(),
    timestamp: Timestamp,
    session_id: v.optional(v.pipe(v.string(), v.description('The client_id; absent on broadcasts.'))),
    reply_to: v.optional(ReplyTo),
    metadata: v.optional(OpenObject),
    ui_elements: v.optional(UiElementsSchema),
  }),
  v.title('BotResponseFrame'),
);

export const ServerFrameSchema = v.variant('type', [SystemFrameSchema, ErrorFrameSchema, BotResponseFrameSchema]);

/** The meeting in `metadata.meeting` of the assistant's replies. */
export const MeetingSchema = v.pipe(
  v.object({
    id: v.optional(v.pipe(v.string(), v.description('Absent on a draft.'))),
    title: v.string(),
    start: v.pipe(
      v.string(),
      v.isoTimestamp(),
      v.description("ISO 8601 with the zone's offset, e.g. 2026-11-27T15:00:00-05:00."),
    ),
    end: v.pipe(v.string(), v.isoTimestamp()),
    time_zone: v.pipe(v.string(), v.description('IANA zone name.')),
    participants: v.array(v.string()),
    location: v.nullable(v.string()),
    status: v.picklist(['draft', 'confirmed', 'cancelled']),
  }),
  v.title('Meeting'),
);

/** What the MeetingMuse assistant puts in `metadata`; another engine may send any object. */
export const AssistantMetadataSchema = v.pipe(
  v.object({
    intent: v.pipe(
      v.string(),
      v.description(
        'What the assistant understood: schedule, list, cancel, reschedule, availability, greeting, help, confirm, decline, unknown, …',
      ),
    ),
    missing: v.pipe(v.array(v.string()), v.description('What it still needs to book, e.g. ["start"].')),
    meeting: v.optional(MeetingSchema),
  }),
  v.title('AssistantMetadata'),
);

export const ConnectionEstablishedSchema = v.pipe(
  v.object({
    type: v.literal('system'),
    content: v.literal('connection_established'),
    timestamp: Timestamp,
    metadata: v.optional(
      v.pipe(
        v.object({
          resumed: v.pipe(
            v.boolean(),
            v.description('True when the server already held a conversation for this client_id.'),
          ),
          messages: v.pipe(v.number(), v.integer(), v.minValue(0), v.description('Stored history length.')),
          pending: v.pipe(
            v.number(),
            v.integer(),
            v.minValue(0),
            v.description('Replies that finished while away; they follow at once.'),
          ),
        }),
        v.description('Absent when the store could not be read; an INTERNAL_SERVER_ERROR frame follows then.'),
      ),
    ),
  }),
  v.title('ConnectionEstablished'),
  v.description('The first frame on every accepted connection.'),
);

export const ProcessingSchema = v.pipe(
  v.object({
    type: v.literal('system'),
    content: v.literal('processing'),
    timestamp: Timestamp,
    reply_to: v.optional(ReplyTo),
  }),
  v.title('Processing'),
  v.description("A user_message's turn has started; show a typing indicator."),
);

export const ReplySchema = v.pipe(
  v.object({
    type: v.literal('bot_response'),
    content: v.string(),
    timestamp: Timestamp,
    session_id: v.pipe(v.string(), v.description('The client_id.')),
    reply_to: v.optional(ReplyTo),
    metadata: v.optional(
      v.pipe(
        v.union([AssistantMetadataSchema, OpenObject]),
        v.description("Set by the engine: the assistant's is AssistantMetadata; the echo engine sets none."),
      ),
    ),
    ui_elements: v.optional(UiElementsSchema),
  }),
  v.title('Reply'),
  v.description('One answer to a user_message, or a pending answer delivered on reconnect.'),
);

export const BroadcastSchema = v.pipe(
  v.strictObject({
    type: v.literal('bot_response'),
    content: v.string(),
    timestamp: Timestamp,
    metadata: v.strictObject({ broadcast: v.literal(true) }),
  }),
  v.title('Broadcast'),
  v.description('A POST /admin/broadcast, sent to every connected client.'),
);

/** The documented messages, by the name the AsyncAPI document gives them. */
export const SERVER_MESSAGE_SCHEMAS = {
  connectionEstablished: ConnectionEstablishedSchema,
  processing: ProcessingSchema,
  reply: ReplySchema,
  broadcast: BroadcastSchema,
  error: ErrorFrameSchema,
} as const;

/** Every key of every member of a union. */
type KeysOf<T> = T extends unknown ? keyof T : never;
type Assignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/**
 * True when A and B are each assignable to the other and have the same keys. Assignability alone
 * would let an optional field exist on one side only.
 */
export type Same<A, B> = Assignable<A, B> extends true ? Assignable<KeysOf<A>, KeysOf<B>> : false;
/** Fails to compile unless T is `true`. */
export type Check<T extends true> = T;

/**
 * The drift checks: each line fails to compile when a schema and its protocol.ts type disagree
 * (a field added, removed, renamed, made optional or retyped on one side only).
 */
export type FrameSchemaChecks = [
  Check<Same<v.InferOutput<typeof SystemFrameSchema>, SystemFrame>>,
  Check<Same<v.InferOutput<typeof ErrorFrameSchema>, ErrorFrame>>,
  Check<Same<v.InferOutput<typeof BotResponseFrameSchema>, BotResponseFrame>>,
  Check<Same<v.InferOutput<typeof ServerFrameSchema>, ServerFrame>>,
  Check<Same<v.InferOutput<typeof UiElementsSchema>, UiElements>>,
  Check<Same<v.InferOutput<typeof UiElementsSchema>['buttons'][number], UiElements['buttons'][number]>>,
  Check<Same<v.InferOutput<typeof IssueDetailSchema>, IssueDetail>>,
  Check<Same<(typeof ERROR_CODE_VALUES)[number], ErrorCode>>,
  // The message schemas are narrower views: each must be a frame.
  Check<v.InferOutput<typeof ConnectionEstablishedSchema> extends SystemFrame ? true : false>,
  Check<v.InferOutput<typeof ProcessingSchema> extends SystemFrame ? true : false>,
  Check<v.InferOutput<typeof ReplySchema> extends BotResponseFrame ? true : false>,
  Check<v.InferOutput<typeof BroadcastSchema> extends BotResponseFrame ? true : false>,
];
