import * as v from 'valibot';
import type { ConnectionSnapshot } from './connection-manager.ts';
import { ERROR_CODE_VALUES, type Check, type Same } from './frame-schemas.ts';
import type { HistoryEntry, SessionSummary } from './store.ts';

/**
 * valibot schemas for the REST bodies, the source of the OpenAPI document (lib/protocol-docs.ts).
 * routes.ts builds its answers by hand, so what keeps these true is test/frame-conformance.test.ts,
 * which checks every body a real server answers against them; the stored shapes are also checked
 * against their types at compile time below.
 */

const Timestamp = v.pipe(v.string(), v.isoTimestamp());
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

export const ErrorBodySchema = v.pipe(
  v.object({
    detail: v.pipe(v.string(), v.description('A safe, human-readable message.')),
    error_code: v.pipe(
      v.picklist(ERROR_CODE_VALUES),
      v.description('A stable machine-readable code, e.g. NOT_FOUND, UNAUTHORIZED, INVALID_BODY.'),
    ),
  }),
  v.title('ErrorBody'),
);

const HealthStatus = v.picklist(['healthy', 'unhealthy', 'shutting_down']);
const UnhealthyReason = v.optional(
  v.pipe(v.string(), v.description('With "unhealthy": why the store cannot serve, e.g. "database file deleted".')),
);

export const HealthSchema = v.pipe(
  v.object({
    status: HealthStatus,
    reason: UnhealthyReason,
    timestamp: Timestamp,
    active_connections: Count,
  }),
  v.title('Health'),
);

export const HealthClientsSchema = v.pipe(
  v.object({
    status: HealthStatus,
    reason: UnhealthyReason,
    timestamp: Timestamp,
    active_connections: Count,
    active_clients: v.array(v.string()),
    server_info: v.object({ name: v.string(), version: v.string(), uptime_seconds: Count }),
  }),
  v.title('HealthClients'),
);

export const ConnectionSnapshotSchema = v.pipe(
  v.object({
    connected_at: Timestamp,
    message_count: v.pipe(Count, v.description('Frames received, valid or not.')),
    turns: v.pipe(Count, v.description('Messages accepted.')),
  }),
  v.title('ConnectionSnapshot'),
);

export const ConnectionsSchema = v.pipe(
  v.object({
    active_connections: Count,
    clients: v.record(v.string(), ConnectionSnapshotSchema),
    timestamp: Timestamp,
  }),
  v.title('Connections'),
);

export const BroadcastRequestSchema = v.pipe(
  v.object({ content: v.pipe(v.string(), v.minLength(1), v.description('Must not be blank.')) }),
  v.title('BroadcastRequest'),
);

export const BroadcastResultSchema = v.pipe(
  v.object({
    status: v.literal('success'),
    message: v.string(),
    successful_sends: v.pipe(Count, v.description('Clients the frame was handed to.')),
    timestamp: Timestamp,
  }),
  v.title('BroadcastResult'),
);

export const HistoryEntrySchema = v.pipe(
  v.object({
    role: v.picklist(['user', 'assistant']),
    content: v.string(),
    timestamp: Timestamp,
    message_id: v.optional(v.string()),
  }),
  v.title('HistoryEntry'),
);

export const SessionSummarySchema = v.pipe(
  v.object({
    client_id: v.string(),
    created_at: Timestamp,
    last_active_at: Timestamp,
    message_count: Count,
    pending_replies: Count,
    state: v.optional(
      v.pipe(
        v.unknown(),
        v.description("The engine's state after the last turn (JSON); absent while it has stored none."),
      ),
    ),
    history: v.array(HistoryEntrySchema),
  }),
  v.title('SessionSummary'),
);

export const SessionDeletedSchema = v.pipe(
  v.object({ status: v.literal('deleted'), client_id: v.string(), timestamp: Timestamp }),
  v.title('SessionDeleted'),
);

export const FeedIssuedSchema = v.pipe(
  v.object({
    status: v.literal('issued'),
    client_id: v.string(),
    url: v.pipe(
      v.string(),
      v.description("The new feed address, built from this request's scheme and Host; the old one stops working."),
    ),
    timestamp: Timestamp,
  }),
  v.title('FeedIssued'),
);

export const FeedRevokedSchema = v.pipe(
  v.object({ status: v.literal('revoked'), client_id: v.string(), timestamp: Timestamp }),
  v.title('FeedRevoked'),
);

/** Fails to compile when a stored shape and its schema disagree. */
export type HttpSchemaChecks = [
  Check<Same<v.InferOutput<typeof ConnectionSnapshotSchema>, ConnectionSnapshot>>,
  Check<Same<v.InferOutput<typeof HistoryEntrySchema>, HistoryEntry>>,
  // `state: unknown` may hold undefined, which JSON leaves out: optional on the wire, so compared apart.
  Check<Same<Omit<v.InferOutput<typeof SessionSummarySchema>, 'state'>, Omit<SessionSummary, 'state'>>>,
  Check<Same<v.InferOutput<typeof SessionSummarySchema>['state'], SessionSummary['state']>>,
];
