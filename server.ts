import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { ConfigError, isPostgresUrl, loadConfig, type Config } from './lib/config.ts';
import {
  createChatServer,
  createEchoEngine,
  createLlmUnderstanding,
  createLogger,
  createMeetingAssistant,
  createLocalCluster,
  createMemoryStore,
  createRedisCluster,
  createPostgresStore,
  createSqliteStore,
  redactUrl,
  type ConversationEngine,
  type PostgresStore,
  type Store,
} from './lib/index.ts';

/** Prints one line and exits 1: for failures an operator fixes (config, port, database), never a stack trace. */
function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

function readConfig(): Config {
  try {
    const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } } });
    return loadConfig({ ...process.env, PORT: values.port ?? process.env.PORT, HOST: values.host ?? process.env.HOST });
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      fail((err as Error).message);
    throw err;
  }
}

const config = readConfig();
const logger = createLogger(config.logLevel);

const ENGINES: Record<Config['engine'], () => ConversationEngine> = {
  echo: createEchoEngine,
  assistant: () =>
    createMeetingAssistant({
      defaultTimeZone: config.defaultTimeZone,
      workHours: config.workHours,
      ...(config.llm ? { understand: createLlmUnderstanding({ ...config.llm, log: logger }) } : {}),
    }),
};
const instanceId = config.instanceId ?? `${hostname()}-${process.pid}`;

/** `:memory:` picks the in-memory store (nothing kept across restarts), a postgres:// URL Postgres, anything else a SQLite file. */
async function openStore(): Promise<Store | PostgresStore> {
  const options = { maxHistoryMessages: config.maxHistoryMessages };
  if (config.db === ':memory:') return createMemoryStore(options);
  try {
    if (isPostgresUrl(config.db))
      return await createPostgresStore(config.db, {
        ...options,
        poolSize: config.dbPoolSize,
        queryTimeoutMs: config.dbQueryTimeoutMs,
        instanceId,
        log: logger,
      });
    return createSqliteStore(config.db, { ...options, logger });
  } catch (err) {
    return fail((err as Error).message);
  }
}

const store = await openStore();
const redisCluster = config.redisUrl
  ? await createRedisCluster({ url: config.redisUrl, instanceId, log: logger })
  : undefined;
const server = createChatServer({
  engine: ENGINES[config.engine](),
  store,
  ...('locks' in store ? { turnLocks: store.locks } : {}),
  cluster: redisCluster ?? createLocalCluster(instanceId),
  logger,
  maxConnections: config.maxConnections,
  maxMessageBytes: config.maxMessageBytes,
  maxQueuedMessages: config.maxQueuedMessages,
  engineTimeoutMs: config.engineTimeoutMs,
  heartbeatIntervalMs: config.heartbeatIntervalMs,
  closeTimeoutMs: config.shutdownTimeoutMs,
  sessionTtlMs: config.sessionTtlHours * 3_600_000,
  adminToken: config.adminToken,
  authSecret: config.authSecret,
  allowedOrigins: config.allowedOrigins,
  trustProxy: config.trustProxy,
  rateLimit: { perSecond: config.rateLimitPerSec, burst: config.rateLimitBurst, strikes: config.rateLimitStrikes },
  connectRatePerMin: config.connectRatePerMin,
  maxConnectionsPerIp: config.maxConnectionsPerIp,
  maxBufferedBytes: config.maxBufferedBytes,
  maxContentChars: config.maxContentChars,
  webUi: config.webUi,
});

try {
  const { address, port } = await server.listen(config.port, config.host);
  logger.info('listening', {
    host: address,
    port,
    engine: config.engine,
    db: redactUrl(config.db),
    redis: config.redisUrl === undefined ? undefined : redactUrl(config.redisUrl),
    instanceId,
  });
} catch (err) {
  if ((err as { code?: string }).code === 'EADDRINUSE') fail(`port ${config.port} is already in use`);
  if ((err as { code?: string }).code === 'EADDRNOTAVAIL')
    fail(`host ${config.host} is not an address of this machine`);
  throw err;
}

async function stop(signal: string): Promise<void> {
  logger.info('signal received', { signal });
  await server.close();
  await redisCluster?.close();
  await store.close();
  process.exit(0);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    // A second signal while shutting down means "now": exit without waiting for the graceful close.
    process.once(signal, () => process.exit(1));
    void stop(signal);
  });
}
