import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../lib/config.ts';

describe('loadConfig', () => {
  it('defaults suit a container', () => {
    assert.deepEqual(loadConfig({}), {
      host: '0.0.0.0',
      port: 8000,
      logLevel: 'info',
      maxConnections: 10_000,
      maxMessageBytes: 65_536,
      heartbeatIntervalMs: 30_000,
      shutdownTimeoutMs: 5_000,
      engine: 'assistant',
      defaultTimeZone: 'UTC',
      workHours: { start: 540, end: 1080 },
      db: './data/meetingmuse.db',
      dbPoolSize: 10,
      dbQueryTimeoutMs: 5_000,
      maxQueuedMessages: 8,
      engineTimeoutMs: 30_000,
      sessionTtlHours: 168,
      maxHistoryMessages: 200,
      trustProxy: false,
      rateLimitPerSec: 10,
      rateLimitBurst: 20,
      rateLimitStrikes: 50,
      connectRatePerMin: 300,
      maxConnectionsPerIp: 500,
      maxBufferedBytes: 1_048_576,
      maxContentChars: 4000,
      webUi: true,
    });
  });

  it('turns the chat page off with WEB_UI=false and refuses other values', () => {
    assert.equal(loadConfig({ WEB_UI: 'false' }).webUi, false);
    assert.throws(() => loadConfig({ WEB_UI: 'no' }), /WEB_UI must be true or false/);
  });

  it('parses every variable', () => {
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'debug',
      MAX_CONNECTIONS: '5',
      MAX_MESSAGE_BYTES: '1024',
      HEARTBEAT_INTERVAL_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '0',
      MEETINGMUSE_ENGINE: 'echo',
      MEETINGMUSE_DB: ':memory:',
      MAX_QUEUED_MESSAGES: '2',
      ENGINE_TIMEOUT_MS: '50',
      SESSION_TTL_HOURS: '1',
      MAX_HISTORY_MESSAGES: '10',
    });
    assert.equal(config.port, 0);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.maxConnections, 5);
    assert.equal(config.db, ':memory:');
    assert.equal(config.engineTimeoutMs, 50);
  });

  it('parses the security settings', () => {
    const config = loadConfig({
      ADMIN_TOKEN: 'admin-secret',
      AUTH_SECRET: 'jwt-secret',
      ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173',
      TRUST_PROXY: '10.0.0.1,::1',
    });
    assert.equal(config.adminToken, 'admin-secret');
    assert.equal(config.authSecret, 'jwt-secret');
    assert.deepEqual(config.allowedOrigins, ['https://app.example.com', 'http://localhost:5173']);
    assert.deepEqual(config.trustProxy, ['10.0.0.1', '::1']);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ ALLOWED_ORIGINS: '*' }).allowedOrigins, ['*']);
  });

  it('refuses a TRUST_PROXY that is neither a count nor addresses, without echoing secrets', () => {
    assert.throws(() => loadConfig({ TRUST_PROXY: 'proxy.example.com' }), /TRUST_PROXY must be false, a hop count/);
    assert.throws(() => loadConfig({ ALLOWED_ORIGINS: 'a b' }), /ALLOWED_ORIGINS/);
  });

  it('parses the assistant settings and refuses bad ones', () => {
    const config = loadConfig({
      DEFAULT_TIMEZONE: 'Asia/Kolkata',
      WORK_HOURS: '08:30-17:00',
      LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
      LLM_MODEL: 'llama3',
    });
    assert.equal(config.defaultTimeZone, 'Asia/Kolkata');
    assert.deepEqual(config.workHours, { start: 510, end: 1020 });
    assert.deepEqual(config.llm, { baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3', timeoutMs: 10_000 });
    assert.equal(
      loadConfig({ LLM_BASE_URL: 'http://x.test/v1' }).llm,
      undefined,
      'a URL without a model is not enough',
    );
    assert.throws(
      () => loadConfig({ DEFAULT_TIMEZONE: 'Mars/Olympus', WORK_HOURS: '18:00-09:00' }),
      /DEFAULT_TIMEZONE must be an IANA.*WORK_HOURS must be HH:MM/,
    );
  });

  it('parses the multi-instance settings and refuses bad ones', () => {
    const config = loadConfig({
      MEETINGMUSE_DB: 'postgres://mm:pw@db.internal:5432/meetingmuse',
      DB_POOL_SIZE: '25',
      REDIS_URL: 'redis://cache.internal:6379',
      INSTANCE_ID: 'web-1',
    });
    assert.equal(config.db, 'postgres://mm:pw@db.internal:5432/meetingmuse');
    assert.equal(config.dbPoolSize, 25);
    assert.equal(config.redisUrl, 'redis://cache.internal:6379');
    assert.equal(config.instanceId, 'web-1');
    assert.throws(
      () =>
        loadConfig({
          MEETINGMUSE_DB: 'postgres://[bad',
          DB_POOL_SIZE: '0',
          REDIS_URL: 'http://cache:6379',
          INSTANCE_ID: 'has space',
        }),
      /MEETINGMUSE_DB must be a file path, :memory:, or a postgres:\/\/ URL; DB_POOL_SIZE must be an integer from 1 to 1000; REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL; INSTANCE_ID must be/,
    );
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ PORT: '' }).port, 8000);
  });

  it('ignores variables it does not own', () => {
    assert.equal(loadConfig({ PATH: '/bin', NODE_ENV: 'production' }).port, 8000);
  });

  it('names every bad variable in one error', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', MAX_CONNECTIONS: '0', MEETINGMUSE_ENGINE: 'gpt' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'ERR_CONFIG');
        assert.deepEqual(err.problems, [
          'PORT must be an integer from 0 to 65535',
          'LOG_LEVEL must be one of debug, info, warn, error, silent',
          'MAX_CONNECTIONS must be an integer from 1 to 1000000',
          'MEETINGMUSE_ENGINE must be one of assistant, echo',
        ]);
        return true;
      },
    );
  });

  it('refuses out-of-range and fractional numbers', () => {
    assert.throws(() => loadConfig({ PORT: '65536' }), /PORT/);
    assert.throws(() => loadConfig({ PORT: '80.5' }), /PORT/);
    assert.throws(() => loadConfig({ PORT: '-1' }), /PORT/);
  });

  it('has the defaults the README states, variable by variable', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| `([A-Z_]+)` \| `([^`]*)` \|/gm)];
    assert.ok(rows.length >= 20, `found ${rows.length} rows in the configuration table`);
    for (const [, name, value] of rows)
      assert.deepEqual(loadConfig({ [name!]: value }), loadConfig({}), `${name} defaults to ${value}`);
  });
});
