import * as v from 'valibot';
import { parseTrustProxy, type TrustProxy } from './client-address.ts';
import { LOG_LEVELS, type LogLevel } from './logger.ts';
import { isValidTimeZone } from './protocol.ts';

/** "09:00-18:00" → minutes after midnight; undefined unless the start is before the end. */
function parseWorkHours(text: string): { start: number; end: number } | undefined {
  const match = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!match) return undefined;
  const [, h1, m1, h2, m2] = match.map(Number) as [number, number, number, number, number];
  const start = h1 * 60 + m1;
  const end = h2 * 60 + m2;
  return m1 < 60 && m2 < 60 && start < end && end <= 24 * 60 ? { start, end } : undefined;
}

/**
 * The only place environment variables are named, parsed and defaulted. A variable set to the empty
 * string counts as unset.
 */

function integer(fallback: number, min: number, max: number) {
  return v.optional(v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number), v.minValue(min), v.maxValue(max)), String(fallback));
}

/** MEETINGMUSE_DB values that select the Postgres store rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//.test(db);
}

export const ENGINES = ['assistant', 'echo'] as const;
export type EngineName = (typeof ENGINES)[number];

const EnvSchema = v.object({
  HOST: v.optional(v.pipe(v.string(), v.regex(/^\S+$/)), '0.0.0.0'),
  PORT: integer(8000, 0, 65535),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS), 'info'),
  MAX_CONNECTIONS: integer(10_000, 1, 1_000_000),
  MAX_MESSAGE_BYTES: integer(65_536, 64, 16 * 1024 * 1024),
  HEARTBEAT_INTERVAL_MS: integer(30_000, 100, 3_600_000),
  SHUTDOWN_TIMEOUT_MS: integer(5_000, 0, 600_000),
  MEETINGMUSE_ENGINE: v.optional(v.picklist(ENGINES), 'assistant'),
  DEFAULT_TIMEZONE: v.optional(v.pipe(v.string(), v.check(isValidTimeZone)), 'UTC'),
  WORK_HOURS: v.optional(v.pipe(v.string(), v.check((text) => parseWorkHours(text) !== undefined)), '09:00-18:00'),
  LLM_BASE_URL: v.optional(v.pipe(v.string(), v.url())),
  LLM_MODEL: v.optional(v.string()),
  LLM_API_KEY: v.optional(v.string()),
  LLM_TIMEOUT_MS: integer(10_000, 100, 600_000),
  MEETINGMUSE_DB: v.optional(v.pipe(v.string(), v.check((text) => !isPostgresUrl(text) || URL.canParse(text))), './data/meetingmuse.db'),
  DB_POOL_SIZE: integer(10, 1, 1000),
  DB_QUERY_TIMEOUT_MS: integer(5_000, 100, 600_000),
  REDIS_URL: v.optional(v.pipe(v.string(), v.url(), v.regex(/^rediss?:\/\//))),
  INSTANCE_ID: v.optional(v.pipe(v.string(), v.regex(/^[\w.:-]{1,100}$/))),
  MAX_QUEUED_MESSAGES: integer(8, 1, 1000),
  ENGINE_TIMEOUT_MS: integer(30_000, 1, 3_600_000),
  SESSION_TTL_HOURS: integer(168, 1, 87_600),
  MAX_HISTORY_MESSAGES: integer(200, 2, 100_000),
  ADMIN_TOKEN: v.optional(v.string()),
  AUTH_SECRET: v.optional(v.string()),
  ALLOWED_ORIGINS: v.optional(v.pipe(v.string(), v.regex(/^\s*(\*|[^\s,]+)(\s*,\s*(\*|[^\s,]+))*\s*$/))),
  TRUST_PROXY: v.optional(v.pipe(v.string(), v.check((text) => parseTrustProxy(text) !== undefined)), 'false'),
  RATE_LIMIT_PER_SEC: integer(10, 1, 100_000),
  RATE_LIMIT_BURST: integer(20, 1, 100_000),
  RATE_LIMIT_STRIKES: integer(50, 1, 1_000_000),
  CONNECT_RATE_PER_MIN: integer(300, 1, 1_000_000),
  MAX_CONNECTIONS_PER_IP: integer(500, 1, 1_000_000),
  MAX_BUFFERED_BYTES: integer(1_048_576, 1024, 1024 * 1024 * 1024),
  MAX_CONTENT_CHARS: integer(4000, 1, 1_000_000),
});

type Variable = keyof typeof EnvSchema.entries;

const EXPECTS: Record<Variable, string> = {
  HOST: 'a host name or IP address',
  PORT: 'an integer from 0 to 65535',
  LOG_LEVEL: `one of ${LOG_LEVELS.join(', ')}`,
  MAX_CONNECTIONS: 'an integer from 1 to 1000000',
  MAX_MESSAGE_BYTES: 'an integer from 64 to 16777216',
  HEARTBEAT_INTERVAL_MS: 'an integer from 100 to 3600000 (milliseconds)',
  SHUTDOWN_TIMEOUT_MS: 'an integer from 0 to 600000 (milliseconds)',
  MEETINGMUSE_ENGINE: `one of ${ENGINES.join(', ')}`,
  MEETINGMUSE_DB: 'a file path, :memory:, or a postgres:// URL',
  DB_POOL_SIZE: 'an integer from 1 to 1000',
  DB_QUERY_TIMEOUT_MS: 'an integer from 100 to 600000 (milliseconds)',
  REDIS_URL: 'a redis:// or rediss:// URL',
  INSTANCE_ID: '1 to 100 letters, digits, _ . : or -',
  DEFAULT_TIMEZONE: 'an IANA time zone name such as Europe/Paris',
  WORK_HOURS: 'HH:MM-HH:MM with the start before the end, such as 09:00-18:00',
  LLM_BASE_URL: 'an http(s) URL of an OpenAI-compatible API, such as http://localhost:11434/v1',
  LLM_MODEL: 'a model name',
  LLM_API_KEY: 'a string',
  LLM_TIMEOUT_MS: 'an integer from 100 to 600000 (milliseconds)',
  MAX_QUEUED_MESSAGES: 'an integer from 1 to 1000',
  ENGINE_TIMEOUT_MS: 'an integer from 1 to 3600000 (milliseconds)',
  SESSION_TTL_HOURS: 'an integer from 1 to 87600 (hours)',
  MAX_HISTORY_MESSAGES: 'an integer from 2 to 100000',
  ADMIN_TOKEN: 'a string',
  AUTH_SECRET: 'a string',
  ALLOWED_ORIGINS: 'a comma-separated list of origins (https://app.example.com) or *',
  TRUST_PROXY: 'false, a hop count, or a comma-separated list of proxy IP addresses',
  RATE_LIMIT_PER_SEC: 'an integer from 1 to 100000',
  RATE_LIMIT_BURST: 'an integer from 1 to 100000',
  RATE_LIMIT_STRIKES: 'an integer from 1 to 1000000',
  CONNECT_RATE_PER_MIN: 'an integer from 1 to 1000000',
  MAX_CONNECTIONS_PER_IP: 'an integer from 1 to 1000000',
  MAX_BUFFERED_BYTES: 'an integer from 1024 to 1073741824 (bytes)',
  MAX_CONTENT_CHARS: 'an integer from 1 to 1000000',
};

export interface Config {
  host: string;
  port: number;
  logLevel: LogLevel;
  maxConnections: number;
  maxMessageBytes: number;
  heartbeatIntervalMs: number;
  shutdownTimeoutMs: number;
  engine: EngineName;
  defaultTimeZone: string;
  /** Minutes after midnight. */
  workHours: { start: number; end: number };
  /** Set when both LLM_BASE_URL and LLM_MODEL are. */
  llm?: { baseUrl: string; model: string; apiKey?: string; timeoutMs: number };
  /** SQLite file path, ':memory:', or a postgres:// URL (see isPostgresUrl). Secret when it holds a password. */
  db: string;
  /** Postgres pool connections at most. */
  dbPoolSize: number;
  /** A Postgres query (or wait for a connection) taking longer fails with STORAGE_UNAVAILABLE. */
  dbQueryTimeoutMs: number;
  /** Set: multi-instance mode through this Redis. Secret when it holds a password. */
  redisUrl?: string;
  /** Names the instance in logs and admin views; unset: the server picks hostname-pid. */
  instanceId?: string;
  maxQueuedMessages: number;
  engineTimeoutMs: number;
  sessionTtlHours: number;
  maxHistoryMessages: number;
  /** Secret: never logged. */
  adminToken?: string;
  /** Secret: never logged. */
  authSecret?: string;
  /** Undefined: every origin. */
  allowedOrigins?: string[];
  trustProxy: TrustProxy;
  rateLimitPerSec: number;
  rateLimitBurst: number;
  rateLimitStrikes: number;
  connectRatePerMin: number;
  maxConnectionsPerIp: number;
  maxBufferedBytes: number;
  maxContentChars: number;
}

/** Thrown by loadConfig; `problems` has one entry per bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'ERR_CONFIG';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** Reads the configuration from an environment object; throws one ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present: Record<string, string> = {};
  for (const name of Object.keys(EXPECTS)) {
    const value = env[name];
    if (value !== undefined && value !== '') present[name] = value;
  }
  const result = v.safeParse(EnvSchema, present);
  if (!result.success) {
    const bad = new Set(result.issues.map((issue) => v.getDotPath(issue) as Variable));
    throw new ConfigError([...bad].map((name) => `${name} must be ${EXPECTS[name]}`));
  }
  const e = result.output;
  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    maxConnections: e.MAX_CONNECTIONS,
    maxMessageBytes: e.MAX_MESSAGE_BYTES,
    heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    engine: e.MEETINGMUSE_ENGINE,
    defaultTimeZone: e.DEFAULT_TIMEZONE,
    workHours: parseWorkHours(e.WORK_HOURS)!,
    ...(e.LLM_BASE_URL && e.LLM_MODEL
      ? { llm: { baseUrl: e.LLM_BASE_URL, model: e.LLM_MODEL, timeoutMs: e.LLM_TIMEOUT_MS, ...(e.LLM_API_KEY ? { apiKey: e.LLM_API_KEY } : {}) } }
      : {}),
    db: e.MEETINGMUSE_DB,
    dbPoolSize: e.DB_POOL_SIZE,
    dbQueryTimeoutMs: e.DB_QUERY_TIMEOUT_MS,
    ...(e.REDIS_URL === undefined ? {} : { redisUrl: e.REDIS_URL }),
    ...(e.INSTANCE_ID === undefined ? {} : { instanceId: e.INSTANCE_ID }),
    maxQueuedMessages: e.MAX_QUEUED_MESSAGES,
    engineTimeoutMs: e.ENGINE_TIMEOUT_MS,
    sessionTtlHours: e.SESSION_TTL_HOURS,
    maxHistoryMessages: e.MAX_HISTORY_MESSAGES,
    ...(e.ADMIN_TOKEN === undefined ? {} : { adminToken: e.ADMIN_TOKEN }),
    ...(e.AUTH_SECRET === undefined ? {} : { authSecret: e.AUTH_SECRET }),
    ...(e.ALLOWED_ORIGINS === undefined ? {} : { allowedOrigins: e.ALLOWED_ORIGINS.split(',').map((o) => o.trim()) }),
    trustProxy: parseTrustProxy(e.TRUST_PROXY)!,
    rateLimitPerSec: e.RATE_LIMIT_PER_SEC,
    rateLimitBurst: e.RATE_LIMIT_BURST,
    rateLimitStrikes: e.RATE_LIMIT_STRIKES,
    connectRatePerMin: e.CONNECT_RATE_PER_MIN,
    maxConnectionsPerIp: e.MAX_CONNECTIONS_PER_IP,
    maxBufferedBytes: e.MAX_BUFFERED_BYTES,
    maxContentChars: e.MAX_CONTENT_CHARS,
  };
}
