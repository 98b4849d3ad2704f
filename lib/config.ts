import * as v from 'valibot';
import { parseTrustProxy, type TrustProxy } from './client-address.ts';
import { ASSISTANT_SETTINGS, parseWorkHours } from './engines/meeting/config.ts';
import { LOG_LEVELS, type LogLevel } from './logger.ts';
import { describeLimit, LIMITS, POSTGRES_LIMITS, RATE_LIMITS, type Limit } from './options.ts';
import { HISTORY_LIMIT } from './store.ts';

/**
 * The only place environment variables are named, parsed and defaulted. A variable set to the empty
 * string counts as unset.
 */

/** The range each numeric variable's schema was made from, so its error text is derived, not restated. */
const LIMIT_OF = new WeakMap<object, Limit>();

/** A variable holding a number of the option row `limit`: its default, range and (for fractional rows) decimals. */
function numberOf(limit: Limit) {
  const form = limit.fractional ? /^\d+(\.\d+)?$/ : /^\d+$/;
  const schema = v.optional(
    v.pipe(v.string(), v.regex(form), v.transform(Number), v.minValue(limit.min), v.maxValue(limit.max)),
    String(limit.default),
  );
  LIMIT_OF.set(schema, limit);
  return schema;
}

const HOUR_MS = 3_600_000;
const PORT: Limit = { default: 8000, min: 0, max: 65535 };
/** SESSION_TTL_HOURS: the sessionTtlMs row, counted in hours. */
const SESSION_TTL_HOURS: Limit = {
  default: LIMITS.sessionTtlMs.default / HOUR_MS,
  min: 1,
  max: LIMITS.sessionTtlMs.max / HOUR_MS,
  unit: 'hours',
};

const { defaultTimeZone, workHours } = ASSISTANT_SETTINGS;

/** MEETINGMUSE_DB values that select the Postgres store rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//.test(db);
}

export const ENGINES = ['assistant', 'echo'] as const;
export type EngineName = (typeof ENGINES)[number];

const EnvSchema = v.object({
  HOST: v.optional(v.pipe(v.string(), v.regex(/^\S+$/)), '0.0.0.0'),
  PORT: numberOf(PORT),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS), 'info'),
  MAX_CONNECTIONS: numberOf(LIMITS.maxConnections),
  MAX_MESSAGE_BYTES: numberOf(LIMITS.maxMessageBytes),
  HEARTBEAT_INTERVAL_MS: numberOf(LIMITS.heartbeatIntervalMs),
  SHUTDOWN_TIMEOUT_MS: numberOf(LIMITS.closeTimeoutMs),
  MEETINGMUSE_ENGINE: v.optional(v.picklist(ENGINES), 'assistant'),
  DEFAULT_TIMEZONE: v.optional(v.pipe(v.string(), v.check(defaultTimeZone.valid)), defaultTimeZone.default),
  WORK_HOURS: v.optional(v.pipe(v.string(), v.check(workHours.valid)), workHours.default),
  LLM_BASE_URL: v.optional(v.pipe(v.string(), v.url())),
  LLM_MODEL: v.optional(v.string()),
  LLM_API_KEY: v.optional(v.string()),
  LLM_TIMEOUT_MS: numberOf(ASSISTANT_SETTINGS.llmTimeoutMs),
  MEETINGMUSE_DB: v.optional(
    v.pipe(
      v.string(),
      v.check((text) => !isPostgresUrl(text) || URL.canParse(text)),
    ),
    './data/meetingmuse.db',
  ),
  DB_POOL_SIZE: numberOf(POSTGRES_LIMITS.poolSize),
  DB_QUERY_TIMEOUT_MS: numberOf(POSTGRES_LIMITS.queryTimeoutMs),
  REDIS_URL: v.optional(v.pipe(v.string(), v.url(), v.regex(/^rediss?:\/\//))),
  INSTANCE_ID: v.optional(v.pipe(v.string(), v.regex(/^[\w.:-]{1,100}$/))),
  MAX_QUEUED_MESSAGES: numberOf(LIMITS.maxQueuedMessages),
  ENGINE_TIMEOUT_MS: numberOf(LIMITS.engineTimeoutMs),
  SESSION_TTL_HOURS: numberOf(SESSION_TTL_HOURS),
  MAX_HISTORY_MESSAGES: numberOf(HISTORY_LIMIT),
  ADMIN_TOKEN: v.optional(v.string()),
  AUTH_SECRET: v.optional(v.string()),
  ALLOWED_ORIGINS: v.optional(v.pipe(v.string(), v.regex(/^\s*(\*|[^\s,]+)(\s*,\s*(\*|[^\s,]+))*\s*$/))),
  TRUST_PROXY: v.optional(
    v.pipe(
      v.string(),
      v.check((text) => parseTrustProxy(text) !== undefined),
    ),
    'false',
  ),
  RATE_LIMIT_PER_SEC: numberOf(RATE_LIMITS.perSecond),
  RATE_LIMIT_BURST: numberOf(RATE_LIMITS.burst),
  RATE_LIMIT_STRIKES: numberOf(RATE_LIMITS.strikes),
  CONNECT_RATE_PER_MIN: numberOf(LIMITS.connectRatePerMin),
  MAX_CONNECTIONS_PER_IP: numberOf(LIMITS.maxConnectionsPerIp),
  MAX_BUFFERED_BYTES: numberOf(LIMITS.maxBufferedBytes),
  MAX_CONTENT_CHARS: numberOf(LIMITS.maxContentChars),
  WEB_UI: v.optional(v.picklist(['true', 'false']), 'true'),
});

type Variable = keyof typeof EnvSchema.entries;

/** What each non-numeric variable must be; a numeric one's rule comes from its LIMITS row. */
const EXPECTS: Partial<Record<Variable, string>> = {
  HOST: 'a host name or IP address',
  LOG_LEVEL: `one of ${LOG_LEVELS.join(', ')}`,
  MEETINGMUSE_ENGINE: `one of ${ENGINES.join(', ')}`,
  MEETINGMUSE_DB: 'a file path, :memory:, or a postgres:// URL',
  REDIS_URL: 'a redis:// or rediss:// URL',
  INSTANCE_ID: '1 to 100 letters, digits, _ . : or -',
  DEFAULT_TIMEZONE: defaultTimeZone.expects,
  WORK_HOURS: workHours.expects,
  LLM_BASE_URL: 'an http(s) URL of an OpenAI-compatible API, such as http://localhost:11434/v1',
  LLM_MODEL: 'a model name',
  LLM_API_KEY: 'a string',
  ADMIN_TOKEN: 'a string',
  AUTH_SECRET: 'a string',
  ALLOWED_ORIGINS: 'a comma-separated list of origins (https://app.example.com) or *',
  TRUST_PROXY: 'false, a hop count, or a comma-separated list of proxy IP addresses',
  WEB_UI: 'true or false',
};

function expects(name: Variable): string {
  const limit = LIMIT_OF.get(EnvSchema.entries[name]);
  return limit ? describeLimit(limit) : EXPECTS[name]!;
}

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
  /** Serve the chat page at `/`. */
  webUi: boolean;
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
  for (const name of Object.keys(EnvSchema.entries)) {
    const value = env[name];
    if (value !== undefined && value !== '') present[name] = value;
  }
  const result = v.safeParse(EnvSchema, present);
  if (!result.success) {
    const bad = new Set(result.issues.map((issue) => v.getDotPath(issue) as Variable));
    throw new ConfigError([...bad].map((name) => `${name} must be ${expects(name)}`));
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
      ? {
          llm: {
            baseUrl: e.LLM_BASE_URL,
            model: e.LLM_MODEL,
            timeoutMs: e.LLM_TIMEOUT_MS,
            ...(e.LLM_API_KEY ? { apiKey: e.LLM_API_KEY } : {}),
          },
        }
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
    webUi: e.WEB_UI === 'true',
  };
}
