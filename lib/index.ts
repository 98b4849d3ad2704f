export { createChatServer } from './chat-server.ts';
export type { ChatServer, ConnectionsView } from './chat-server.ts';
export type { ConnectionSnapshot } from './connection-manager.ts';
export { LIMITS, POSTGRES_LIMITS, RATE_LIMITS } from './options.ts';
export type { ChatServerOptions, Limit, RateLimit, RouteName, ServerInfo, TurnEvents, TurnInfo } from './options.ts';
export type { TurnFailure } from './pipeline.ts';
export type { TrustProxy } from './client-address.ts';
export { createEchoEngine } from './engine.ts';
export type { ConversationEngine, EngineContext, EngineOutput, EngineReply, EngineRouteContext } from './engine.ts';
export { ERROR_CODES, ERRORS, HttpError } from './errors.ts';
export type { ErrorCode } from './errors.ts';
export type { JsonResponse, Route, RouteHandler } from './routes.ts';
export { createLogger, silentLogger } from './logger.ts';
export { createMetrics, instrumentStore } from './metrics.ts';
export type {
  Metrics,
  MetricsOptions,
  QueueSample,
  RateLimitKind,
  RefusalReason,
  StoreOperation,
  TurnOutcome,
} from './metrics.ts';
export type { LogFields, Logger, LogLevel } from './logger.ts';
export { CLOSE_CODES } from './protocol.ts';
export type {
  BotResponseFrame,
  ErrorFrame,
  InboundFrame,
  InboundSchema,
  IssueDetail,
  ServerFrame,
  SystemFrame,
  UiElements,
  UserMessage,
} from './protocol.ts';
export { createMemoryStore, StoreUnavailableError } from './store.ts';
export type {
  HistoryEntry,
  SessionOpened,
  SessionSummary,
  Store,
  StoredReply,
  StoreHealth,
  StoreOptions,
  TurnRecord,
} from './store.ts';
export { createSqliteStore } from './sqlite-store.ts';
export { createPostgresStore, redactUrl } from './postgres-store.ts';
export type { PostgresStore, PostgresStoreOptions } from './postgres-store.ts';
export type { TurnLease, TurnLocks } from './turn-locks.ts';
export { createLocalCluster } from './cluster/cluster.ts';
export type { Claim, Cluster, ClusterConnections, LocalNode } from './cluster/cluster.ts';
export { createRedisCluster } from './cluster/redis-cluster.ts';
export type { RedisCluster, RedisClusterOptions } from './cluster/redis-cluster.ts';
export type { SqliteStoreOptions } from './sqlite-store.ts';
export { createMeetingAssistantEngine as createMeetingAssistant } from './engines/meeting/routes.ts';
export type { RenderCalendar } from './engines/meeting/routes.ts';
export type { Meeting, WorkHours } from './engines/meeting/calendar.ts';
export type { WallTime } from './engines/meeting/time-zones.ts';
export type { AssistantState, MeetingAssistantOptions, StoredWhen, Understander } from './engines/meeting/assistant.ts';
export { createLlmUnderstanding } from './engines/meeting/llm.ts';
export type { LlmOptions } from './engines/meeting/llm.ts';
export { understand } from './engines/meeting/understand.ts';
export type { Awaiting, Intent, UnderstandContext, Understanding } from './engines/meeting/understand.ts';
