import { readFileSync } from 'node:fs';
import type { TrustProxy } from './client-address.ts';
import type { Cluster } from './cluster/cluster.ts';
import type { ConversationEngine } from './engine.ts';
import { silentLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { TurnFailure } from './pipeline.ts';
import type { Store } from './store.ts';
import type { TurnLocks } from './turn-locks.ts';

/** Reported by GET /health/clients. */
export interface ServerInfo {
  name: string;
  version: string;
}

/** Per-client frame rate limit. */
export interface RateLimit {
  /** Frames per second a client may send on average. */
  perSecond: number;
  /** Frames a client may send at once before the rate applies. */
  burst: number;
  /** Frames refused in a row after which the socket is closed with 1008. */
  strikes: number;
}

/**
 * The REST routes that can be turned off one by one (`routes: { broadcast: false }`): `metrics` is
 * GET /metrics, `docs` is /asyncapi.json, /openapi.json and the /docs page.
 */
export type RouteName = 'health' | 'clients' | 'connections' | 'broadcast' | 'sessions' | 'engine' | 'metrics' | 'docs';

/** What a turn event reports; `messageId` is the client's `message_id`, when it sent one. */
export interface TurnInfo {
  clientId: string;
  messageId?: string;
}

/** Events about turns, for an embedder's metrics or tests; a callback that throws is logged and ignored. */
export interface TurnEvents {
  /** A turn began: the message left the queue and `processing` was sent. */
  onTurnStarted?: (turn: TurnInfo) => void;
  /** A turn's replies were stored (and sent if the client is connected); `replies` counts them. */
  onTurnReplied?: (turn: TurnInfo & { replies: number }) => void;
  /** A turn ended without replies: `code` is the error frame the client got (none when shutdown aborted it). */
  onTurnFailed?: (turn: TurnInfo & { code?: TurnFailure }) => void;
}

/**
 * The numeric options: default and range, stated once. createChatServer validates against these
 * rows, and lib/config.ts builds its environment parser (defaults, ranges, error text) from them.
 */
export const LIMITS = {
  maxConnections: { default: 10_000, min: 1, max: 1_000_000 },
  maxMessageBytes: { default: 65_536, min: 64, max: 16 * 1024 * 1024, unit: 'bytes' },
  maxBodyBytes: { default: 65_536, min: 64, max: 16 * 1024 * 1024, unit: 'bytes' },
  maxQueuedMessages: { default: 8, min: 1, max: 1000 },
  engineTimeoutMs: { default: 30_000, min: 1, max: 3_600_000, unit: 'milliseconds' },
  heartbeatIntervalMs: { default: 30_000, min: 100, max: 3_600_000, unit: 'milliseconds' },
  closeTimeoutMs: { default: 5_000, min: 0, max: 600_000, unit: 'milliseconds' },
  sessionTtlMs: { default: 168 * 3_600_000, min: 1, max: 87_600 * 3_600_000, unit: 'milliseconds' },
  sweepIntervalMs: { default: 3_600_000, min: 100, max: 86_400_000, unit: 'milliseconds' },
  connectRatePerMin: { default: 300, min: 1, max: 1_000_000 },
  maxConnectionsPerIp: { default: 500, min: 1, max: 1_000_000 },
  maxBufferedBytes: { default: 1_048_576, min: 1, max: 1024 * 1024 * 1024, unit: 'bytes' },
  maxContentChars: { default: 4000, min: 1, max: 1_000_000 },
  headersTimeoutMs: { default: 10_000, min: 1, max: 600_000, unit: 'milliseconds' },
  requestTimeoutMs: { default: 30_000, min: 1, max: 3_600_000, unit: 'milliseconds' },
  keepAliveTimeoutMs: { default: 5_000, min: 1, max: 600_000, unit: 'milliseconds' },
} as const satisfies Record<string, Limit>;

/** The rate-limit rows; `perSecond` may be fractional (0.5: one frame every two seconds). */
export const RATE_LIMITS = {
  perSecond: { default: 10, min: 0.001, max: 1_000_000, fractional: true },
  burst: { default: 20, min: 1, max: 1_000_000 },
  strikes: { default: 50, min: 1, max: 1_000_000 },
} as const satisfies Record<keyof RateLimit, Limit>;

/** The Postgres store's rows (createPostgresStore's poolSize and queryTimeoutMs). */
export const POSTGRES_LIMITS = {
  poolSize: { default: 10, min: 1, max: 1000 },
  queryTimeoutMs: { default: 5_000, min: 100, max: 600_000, unit: 'milliseconds' },
} as const satisfies Record<string, Limit>;

export interface Limit {
  default: number;
  min: number;
  max: number;
  unit?: string;
  /** Accepts non-integers. */
  fractional?: boolean;
}

/** "an integer from 1 to 1000 (milliseconds)": the one wording of a row's rule, for TypeErrors and config errors. */
export function describeLimit({ min, max, unit, fractional }: Limit): string {
  return `${fractional ? 'a number' : 'an integer'} from ${min} to ${max}${unit ? ` (${unit})` : ''}`;
}

function withinLimit(value: unknown, limit: Limit): value is number {
  return (
    typeof value === 'number' &&
    (limit.fractional || Number.isInteger(value)) &&
    value >= limit.min &&
    value <= limit.max
  );
}

/** `value`, or the row's default when it is undefined; a TypeError naming `name` when it is out of the row's range. */
export function limitedValue(name: string, value: number | undefined, limit: Limit): number {
  const checked = value ?? limit.default;
  if (!withinLimit(checked, limit)) throw new TypeError(`${name} must be ${describeLimit(limit)}`);
  return checked;
}

type NumericOption = keyof typeof LIMITS;

/**
 * Everything createChatServer takes; every option is optional. Numeric defaults and ranges are the
 * rows of LIMITS above; the defaults repeated here for the reader are checked against them
 * (test/embedding.test.ts). An option outside its range is a TypeError.
 */
export interface ChatServerOptions extends TurnEvents {
  /** Answers user messages. Default: the echo engine. */
  engine?: ConversationEngine;
  /** Where conversations are kept. Default: a new in-memory store, closed by close(); a store passed in is the caller's to close. */
  store?: Store;
  /** Default: silentLogger. */
  logger?: Logger;
  /** Several instances on one store: one client's turns exclusive across all of them (PostgresStore.locks). Default: none. */
  turnLocks?: TurnLocks;
  /** The instances this one shares clients with (createRedisCluster); the caller's to close. Default: this instance alone. */
  cluster?: Cluster;
  /** Where the server records its Prometheus metrics (served at GET /metrics). Default: a fresh createMetrics(). */
  metrics?: Metrics;
  /** Prefix of every path the server answers (`/chat` serves `/chat/health`, `/chat/ws/{id}`). Default: none. */
  basePath?: string;
  /** REST routes to turn off one by one, e.g. `{ connections: false, broadcast: false }`. Default: all on. */
  routes?: Partial<Record<RouteName, boolean>>;
  /** Serve the chat page (the package's web/ folder) at `{basePath}/`. Default false. */
  webUi?: boolean;
  /** Connected clients at most; further upgrades get HTTP 503. Default 10000. */
  maxConnections?: number;
  /** Largest inbound WebSocket frame, in bytes; larger ones close the socket with 1009. Default 65536. */
  maxMessageBytes?: number;
  /** Largest admin request body, in bytes; larger ones get HTTP 413. Default 65536. */
  maxBodyBytes?: number;
  /** Messages that may wait per client behind the running turn; one more gets BUSY. Default 8. */
  maxQueuedMessages?: number;
  /** Milliseconds a turn may take before it is aborted with LLM_PROCESSING_ERROR. Default 30000. */
  engineTimeoutMs?: number;
  /** Milliseconds between heartbeat pings; a socket that missed the previous pong is terminated. Default 30000. */
  heartbeatIntervalMs?: number;
  /** Milliseconds close() waits for sockets to close and turns to finish before cutting them. Default 5000. */
  closeTimeoutMs?: number;
  /** Milliseconds a stored session may stay idle before the sweep deletes it. Default 604800000 (168 hours). */
  sessionTtlMs?: number;
  /** Milliseconds between retention sweeps. Default 3600000 (one hour). */
  sweepIntervalMs?: number;
  /** Reported by GET /health/clients. Default: this package's name and version. */
  serverInfo?: ServerInfo;
  /** Called once a client is registered and has been sent connection_established. */
  onConnect?: (clientId: string) => void;
  /** Called once a registered client's socket has closed, with the close code. */
  onDisconnect?: (clientId: string, code: number) => void;
  /** Bearer token for the privileged routes (/admin/*, /health/clients, engine routes); unset: loopback callers only. */
  adminToken?: string;
  /** HS256 secret: when set, every upgrade needs a JWT whose `sub` is the client id. Default: unset (no client auth). */
  authSecret?: string;
  /** Origins allowed to upgrade (`*` for any); an upgrade with another Origin gets 403. Default: any. */
  allowedOrigins?: string[];
  /** Which proxies may set X-Forwarded-For: false (default), a hop count, or proxy addresses. */
  trustProxy?: TrustProxy;
  /** Per-client frame rate limit. Default 10/s, burst 20, closed after 50 refusals in a row. */
  rateLimit?: Partial<RateLimit>;
  /** Upgrades per client address per minute; more get 429. Default 300. */
  connectRatePerMin?: number;
  /** Open connections per client address; more get 429. Default 500. */
  maxConnectionsPerIp?: number;
  /** Unsent bytes a socket may hold before it is closed with 1013 and terminated. Default 1048576 (1 MiB). */
  maxBufferedBytes?: number;
  /** Longest `content`, in characters. Default 4000. */
  maxContentChars?: number;
  /** Milliseconds an HTTP request may take to send its headers (slowloris bound). Default 10000. */
  headersTimeoutMs?: number;
  /** Milliseconds an HTTP request may take in all. Default 30000. */
  requestTimeoutMs?: number;
  /** Milliseconds an idle keep-alive connection stays open. Default 5000. */
  keepAliveTimeoutMs?: number;
}

/** The options with every default applied and every value checked. */
export type ResolvedOptions = Omit<
  ChatServerOptions,
  NumericOption | 'rateLimit' | 'routes' | 'basePath' | 'logger' | 'metrics' | 'serverInfo' | 'trustProxy'
> &
  Record<NumericOption, number> & {
    logger: Logger;
    metrics: Metrics;
    basePath: string;
    routes: Record<RouteName, boolean>;
    rateLimit: RateLimit;
    serverInfo: ServerInfo;
    trustProxy: TrustProxy;
  };

const ROUTE_NAMES: RouteName[] = [
  'health',
  'clients',
  'connections',
  'broadcast',
  'sessions',
  'engine',
  'metrics',
  'docs',
];

/** `/chat/` → `/chat`; a prefix must start with `/` and hold no `?` or `#`. */
function normalizeBasePath(basePath: string | undefined): string {
  if (basePath === undefined || basePath === '' || basePath === '/') return '';
  if (!/^\/[^?#\s]*$/.test(basePath))
    throw new TypeError('options.basePath must start with "/" and hold no "?", "#" or spaces');
  return basePath.replace(/\/+$/, '');
}

/** Applies the defaults and throws a TypeError naming the first option that makes no sense. */
export function resolveOptions(options: ChatServerOptions): ResolvedOptions {
  const numbers = {} as Record<NumericOption, number>;
  for (const [key, limit] of Object.entries(LIMITS) as Array<[NumericOption, Limit]>) {
    numbers[key] = limitedValue(`options.${key}`, options[key], limit);
  }
  const rateLimit = {} as RateLimit;
  for (const [key, limit] of Object.entries(RATE_LIMITS) as Array<[keyof RateLimit, Limit]>) {
    rateLimit[key] = limitedValue(`options.rateLimit.${key}`, options.rateLimit?.[key], limit);
  }
  const routes = Object.fromEntries(ROUTE_NAMES.map((name) => [name, options.routes?.[name] ?? true])) as Record<
    RouteName,
    boolean
  >;
  return {
    ...options,
    ...numbers,
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? createMetrics(),
    basePath: normalizeBasePath(options.basePath),
    routes,
    rateLimit,
    serverInfo: options.serverInfo ?? packageInfo(),
    trustProxy: options.trustProxy ?? false,
  };
}

/** This package's name and version, read from its package.json (one level up from lib/, two from dist/lib/). */
function packageInfo(): ServerInfo {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'meetingmuse-server' && pkg.version)
        return { name: 'MeetingMuse WebSocket Server', version: pkg.version };
    } catch {
      // Not this candidate; try the next.
    }
  }
  return { name: 'MeetingMuse WebSocket Server', version: 'unknown' };
}
