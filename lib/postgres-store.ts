import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from './logger.ts';
import { limitedValue, POSTGRES_LIMITS } from './options.ts';
import type { BotResponseFrame } from './protocol.ts';
import {
  HISTORY_LIMIT,
  newFeedToken,
  StoreUnavailableError,
  type HistoryEntry,
  type Store,
  type StoreOptions,
  type StoredReply,
} from './store.ts';
import type { TurnLease, TurnLocks } from './turn-locks.ts';

/**
 * Versioned migrations, applied in order on start, each in the transaction that records it. Never edit
 * one that has shipped: append the next. A database migrated by a newer server is refused.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE sessions (
     client_id      text PRIMARY KEY,
     created_at     timestamptz NOT NULL,
     last_active_at timestamptz NOT NULL,
     state          text,
     message_count  integer NOT NULL DEFAULT 0
   );
   CREATE TABLE messages (
     id         bigserial PRIMARY KEY,
     client_id  text NOT NULL REFERENCES sessions (client_id) ON DELETE CASCADE,
     role       text NOT NULL CHECK (role IN ('user', 'assistant')),
     content    text NOT NULL,
     timestamp  text NOT NULL,
     message_id text,
     frame      text,
     delivered  boolean NOT NULL DEFAULT true
   );
   CREATE INDEX messages_by_client ON messages (client_id, id);
   CREATE INDEX messages_by_message_id ON messages (client_id, message_id) WHERE message_id IS NOT NULL;
   CREATE INDEX messages_pending ON messages (client_id, id) WHERE NOT delivered;
   CREATE INDEX sessions_by_activity ON sessions (last_active_at);`,
  // One row per client whose turn is running somewhere: an instance that dies mid-turn leaves it
  // behind, and whoever takes the client's lock next tells the client that turn was lost.
  `CREATE TABLE turns_in_flight (
     client_id   text PRIMARY KEY,
     message_id  text,
     instance_id text NOT NULL,
     started_at  timestamptz NOT NULL
   );`,
  // Items that left the engine state for good (TurnRecord.archive), and calendar-feed tokens (a feed
  // may exist before its client ever talked, so it has no foreign key; deleteSession and sweep drop it).
  `CREATE TABLE archive (
     id        bigserial PRIMARY KEY,
     client_id text NOT NULL REFERENCES sessions (client_id) ON DELETE CASCADE,
     item      text NOT NULL
   );
   CREATE INDEX archive_by_client ON archive (client_id, id);
   CREATE TABLE calendar_feeds (
     client_id  text PRIMARY KEY,
     token      text NOT NULL UNIQUE,
     created_at timestamptz NOT NULL
   );`,
];

/** /health must answer quickly whatever the database does. */
const PING_TIMEOUT_MS = 1_000;

/**
 * A whole turn in one statement, so one round trip and atomic without a transaction: the fence, the
 * session row, the user entry and the replies in order (ids ascending), and the archived items. The
 * fence: with this instance's turn record ($5, its `turns_in_flight.instance_id`), the turn is written
 * only if that record is still there, and the statement removes it. Whoever takes the client's lock
 * after this instance lost it replaces or removes the record first, and a row lock orders the two
 * statements, so a turn whose lock went with its connection can never land beside its successor's;
 * then nothing is written and message_count comes back null. Without $5 (no locks) the client's
 * record, if any, is removed. Parent and child rows in one statement are fine: foreign keys are
 * checked at its end.
 */
const COMMIT_TURN = `
WITH fence AS (
  DELETE FROM turns_in_flight WHERE client_id = $1 AND ($5::text IS NULL OR instance_id = $5)
  RETURNING 1
), session AS (
  INSERT INTO sessions (client_id, created_at, last_active_at, state, message_count)
  SELECT $1, $2, $2, $3, $4
  WHERE $5::text IS NULL OR EXISTS (SELECT 1 FROM fence)
  ON CONFLICT (client_id) DO UPDATE SET last_active_at = excluded.last_active_at,
    state = coalesce(excluded.state, sessions.state),
    message_count = sessions.message_count + excluded.message_count
  RETURNING message_count
), inserted AS (
  INSERT INTO messages (client_id, role, content, timestamp, message_id, frame, delivered)
  SELECT $1, m.role, m.content, m.timestamp, $6, m.frame, m.frame IS NULL
  FROM session, unnest($7::text[], $8::text[], $9::text[], $10::text[]) WITH ORDINALITY AS m(role, content, timestamp, frame, n)
  ORDER BY m.n
  RETURNING id, role
), archived AS (
  INSERT INTO archive (client_id, item)
  SELECT $1, a.item FROM session, unnest($11::text[]) WITH ORDINALITY AS a(item, n) ORDER BY a.n
)
SELECT (SELECT message_count FROM session) AS message_count,
       coalesce((SELECT array_agg(id ORDER BY id) FROM inserted WHERE role = 'assistant'), '{}') AS reply_ids`;

/** Drops the oldest $2 delivered entries (replies not yet delivered are never dropped) and recounts. */
const TRIM_HISTORY = `
WITH trimmed AS (
  DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE client_id = $1 AND delivered ORDER BY id LIMIT $2)
  RETURNING 1
)
UPDATE sessions SET message_count = message_count - (SELECT count(*) FROM trimmed) WHERE client_id = $1`;

/** Advisory-lock namespaces (the first key of the two-key form), so ours never meet another application's. */
const MIGRATION_LOCK = 0x6d6d_0001;
const CLIENT_LOCK = 0x6d6d_0002;

/** Thrown when the database cannot be reached at start or was migrated by a newer server. */
class StoreOpenError extends Error {
  override name = 'StoreOpenError';
  readonly code = 'ERR_STORE_OPEN';
  constructor(where: string, reason: string) {
    super(`cannot open database ${where}: ${reason}`);
  }
}

/** SQLSTATE classes and Node error codes that mean "the database is not there", not "the query is wrong". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/**
 * Turns a connection failure into a StoreUnavailableError; other errors pass as they are. pg reports
 * its own timeouts and dropped connections as plain Errors, recognisable only by their message.
 */
function classify(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  const { code, message = '' } = err as { code?: string; message?: string };
  const unreachable =
    (code !== undefined && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) ||
    /timeout|Connection terminated|connection error|not queryable|Client was closed/i.test(message);
  return unreachable ? new StoreUnavailableError(`database unreachable: ${message}`, { cause: err }) : err;
}

export interface PostgresStoreOptions extends StoreOptions {
  /** Connections in the pool at most. Default 10. */
  poolSize?: number;
  /** Milliseconds a query may take (waiting for a pool connection included) before it fails. Default 5000. */
  queryTimeoutMs?: number;
  /** Names this instance in `turns_in_flight`. Default: "local". */
  instanceId?: string;
  /** Default: silent. */
  log?: Logger;
}

export type PostgresStore = Store & {
  /** One client's turns exclusive across every instance on this database (see TurnLocks). */
  readonly locks: TurnLocks;
};

interface MessageRow {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
  message_id: string | null;
  frame: string | null;
  delivered: boolean;
}

const toReply = (row: Pick<MessageRow, 'id' | 'frame'>): StoredReply => ({
  id: Number(row.id),
  frame: JSON.parse(row.frame!) as BotResponseFrame,
  data: row.frame!,
});
const parseState = (text: string | null | undefined): unknown => (text == null ? undefined : JSON.parse(text));
const historyEntry = ({ role, content, timestamp, message_id }: MessageRow): HistoryEntry =>
  message_id === null ? { role, content, timestamp } : { role, content, timestamp, message_id };

/** Statement names by text: every statement we send is one of a fixed few. */
const statementNames = new Map<string, string>();

/**
 * A query as a named prepared statement: each connection parses and plans it once instead of on every
 * call, which is most of what a short statement costs Postgres.
 */
function prepared(text: string, values?: unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) statementNames.set(text, (name = `meetingmuse_${statementNames.size + 1}`));
  return { name, text, values };
}

/** Applies the missing migrations under an advisory lock, so two instances starting at once take turns. */
async function migrate(client: pg.PoolClient): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, 0)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = rows[0]!.v ?? 0;
    if (current > MIGRATIONS.length)
      throw new Error(`schema version ${current} is newer than this server (${MIGRATIONS.length})`);
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version - 1]!);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** A database or Redis URL without its password, for messages and logs; anything else as it is. */
export function redactUrl(url: string): string {
  if (!/^\w+:\/\//.test(url)) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return `${url.slice(0, url.indexOf(':'))}://…`;
  }
}

/**
 * The store of record for several instances: every session, message and engine state in Postgres,
 * nothing cached in the process (another instance may have written since). Each turn is one
 * statement (COMMIT_TURN). Opens the pool, migrates, and resolves once the database answered.
 */
export async function createPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const { maxHistoryMessages = HISTORY_LIMIT.default, instanceId = 'local', log } = options;
  const poolSize = limitedValue('options.poolSize', options.poolSize, POSTGRES_LIMITS.poolSize);
  const queryTimeoutMs = limitedValue('options.queryTimeoutMs', options.queryTimeoutMs, POSTGRES_LIMITS.queryTimeoutMs);
  const settings = { connectionString: url, connectionTimeoutMillis: queryTimeoutMs, query_timeout: queryTimeoutMs };
  const pool = new pg.Pool({ ...settings, max: poolSize });
  // An idle connection that the server drops (restart, network) emits here; the pool replaces it on next use.
  pool.on('error', (err) => log?.warn('database connection lost', { err }));
  const query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
    pool.query<R>(prepared(text, values)).catch((err: unknown) => Promise.reject(classify(err)));
  try {
    const client = await pool.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw new StoreOpenError(redactUrl(url), (err as Error).message);
  }

  const locks = createTurnLocks(settings, query, instanceId, log);
  return {
    locks,
    ...turnMethods(query, locks, maxHistoryMessages, log),
    ...adminMethods(query),
    ...feedMethods(query),
    // Postgres being unreachable is transient and never half-writes, so the store stays trustworthy;
    // whether the database answers right now is ping()'s question (/health's dependencies).
    health: async () => ({ ok: true }),
    async ping() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new StoreUnavailableError('database ping timed out')), PING_TIMEOUT_MS)),
      );
      try {
        await Promise.race([query('SELECT 1'), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await locks.close();
      await pool.end();
    },
  };
}

type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;
type Locks = ReturnType<typeof createTurnLocks>;

/** A turn's path: open the session, load the state, answer a repeated message_id, commit the turn, mark replies delivered. */
function turnMethods(
  query: Query,
  locks: Locks,
  maxHistoryMessages: number,
  log: Logger | undefined,
): Pick<Store, 'openSession' | 'loadState' | 'findReplies' | 'commitTurn' | 'markDelivered'> {
  // Reply ids are unique across clients: the marks that come in while one UPDATE runs go in the next.
  const markDelivered = batched(async (batches: number[][]) => {
    await query('UPDATE messages SET delivered = true WHERE id = ANY($1::bigint[]) AND NOT delivered', [
      batches.flat(),
    ]);
    return batches.map(() => undefined);
  });
  return {
    async openSession(clientId, now) {
      const { rows } = await query<{ message_count: number }>(
        'UPDATE sessions SET last_active_at = $2 WHERE client_id = $1 RETURNING message_count',
        [clientId, now],
      );
      if (rows.length === 0) return { resumed: false, messages: 0, pending: [] };
      const pending = await query<MessageRow>(
        "SELECT id, frame FROM messages WHERE client_id = $1 AND role = 'assistant' AND NOT delivered ORDER BY id",
        [clientId],
      );
      return { resumed: true, messages: rows[0]!.message_count, pending: pending.rows.map(toReply) };
    },
    async loadState(clientId) {
      const prefetched = locks.takePrefetched(clientId, 'state');
      if (prefetched) return parseState(prefetched.text);
      const { rows } = await query<{ state: string | null }>('SELECT state FROM sessions WHERE client_id = $1', [
        clientId,
      ]);
      return parseState(rows[0]?.state);
    },
    async findReplies(clientId, messageId) {
      const prefetched = locks.takePrefetched(clientId, 'entries');
      const rows =
        prefetched?.messageId === messageId
          ? prefetched.rows
          : (
              await query<PrefetchedEntry>(
                'SELECT id, role, frame FROM messages WHERE client_id = $1 AND message_id = $2 ORDER BY id',
                [clientId, messageId],
              )
            ).rows;
      if (!rows.some((r) => r.role === 'user')) return undefined;
      return rows.filter((r) => r.role === 'assistant').map(toReply);
    },
    async commitTurn(clientId, turn, now) {
      const state = turn.state === undefined ? null : JSON.stringify(turn.state);
      const rows = [turn.user, ...turn.replies];
      const data = turn.replies.map((frame) => JSON.stringify(frame));
      const { rows: result } = await query<{ message_count: number | null; reply_ids: string[] }>(COMMIT_TURN, [
        clientId,
        now,
        state,
        rows.length,
        locks.turnRecordOf(clientId) ?? null,
        turn.user.message_id ?? null,
        rows.map((_, i) => (i === 0 ? 'user' : 'assistant')),
        rows.map((r) => r.content),
        rows.map((r) => r.timestamp),
        rows.map((_, i) => (i === 0 ? null : data[i - 1])),
        (turn.archive ?? []).map((item) => JSON.stringify(item)),
      ]);
      const { message_count: count, reply_ids: ids } = result[0]!;
      if (count === null)
        throw new StoreUnavailableError(
          `lost the lock of client ${clientId}: its connection to the database dropped and another turn took over`,
        );
      locks.committed(clientId);
      if (count > maxHistoryMessages) {
        // Its own statement, after the turn: a trim that fails leaves the history a little long
        // until the next turn's, and never costs the turn.
        await query(TRIM_HISTORY, [clientId, count - maxHistoryMessages]).catch((err: unknown) =>
          log?.warn('history trim failed', { clientId, err }),
        );
      }
      return turn.replies.map((frame, i) => ({ id: Number(ids[i]), frame, data: data[i]! }));
    },
    async markDelivered(_clientId, replyIds) {
      if (replyIds.length > 0) await markDelivered(replyIds);
    },
  };
}

/** The operator's view of a session, its archive, erasing it and the retention sweep. */
function adminMethods(query: Query): Pick<Store, 'getSession' | 'loadArchive' | 'deleteSession' | 'sweep'> {
  return {
    async getSession(clientId) {
      const session = await query<{ created_at: Date; last_active_at: Date; state: string | null }>(
        'SELECT created_at, last_active_at, state FROM sessions WHERE client_id = $1',
        [clientId],
      );
      const row = session.rows[0];
      if (!row) return undefined;
      const { rows: messages } = await query<MessageRow>(
        'SELECT id, role, content, timestamp, message_id, delivered FROM messages WHERE client_id = $1 ORDER BY id',
        [clientId],
      );
      return {
        client_id: clientId,
        created_at: row.created_at.toISOString(),
        last_active_at: row.last_active_at.toISOString(),
        message_count: messages.length,
        pending_replies: messages.filter((m) => m.role === 'assistant' && !m.delivered).length,
        state: parseState(row.state),
        history: messages.map(historyEntry),
      };
    },
    async loadArchive(clientId) {
      const { rows } = await query<{ item: string }>('SELECT item FROM archive WHERE client_id = $1 ORDER BY id', [
        clientId,
      ]);
      return rows.map((row) => JSON.parse(row.item) as unknown);
    },
    async deleteSession(clientId) {
      const { rowCount } = await query(
        'WITH feed AS (DELETE FROM calendar_feeds WHERE client_id = $1) DELETE FROM sessions WHERE client_id = $1',
        [clientId],
      );
      return (rowCount ?? 0) > 0;
    },
    async sweep(cutoff) {
      const { rowCount } = await query('DELETE FROM sessions WHERE last_active_at < $1', [cutoff]);
      await query(
        'DELETE FROM calendar_feeds f WHERE created_at < $1 AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.client_id = f.client_id)',
        [cutoff],
      );
      return rowCount ?? 0;
    },
  };
}

/** Calendar-feed tokens: one per client, made on first use, rotated or revoked on request. */
function feedMethods(
  query: Query,
): Pick<Store, 'calendarFeed' | 'rotateCalendarFeed' | 'revokeCalendarFeed' | 'findCalendarFeed'> {
  return {
    async calendarFeed(clientId) {
      // An existing token wins: the no-op update makes RETURNING hand it back.
      const { rows } = await query<{ token: string }>(
        `INSERT INTO calendar_feeds (client_id, token, created_at) VALUES ($1, $2, now())
         ON CONFLICT (client_id) DO UPDATE SET token = calendar_feeds.token RETURNING token`,
        [clientId, newFeedToken()],
      );
      return rows[0]!.token;
    },
    async rotateCalendarFeed(clientId) {
      const { rows } = await query<{ token: string }>(
        `INSERT INTO calendar_feeds (client_id, token, created_at) VALUES ($1, $2, now())
         ON CONFLICT (client_id) DO UPDATE SET token = excluded.token, created_at = excluded.created_at RETURNING token`,
        [clientId, newFeedToken()],
      );
      return rows[0]!.token;
    },
    async revokeCalendarFeed(clientId) {
      const { rowCount } = await query('DELETE FROM calendar_feeds WHERE client_id = $1', [clientId]);
      return (rowCount ?? 0) > 0;
    },
    async findCalendarFeed(token) {
      const { rows } = await query<{ client_id: string }>('SELECT client_id FROM calendar_feeds WHERE token = $1', [
        token,
      ]);
      return rows[0]?.client_id;
    },
  };
}

/**
 * Calls `run` with every key asked for while its previous call was running, and hands each caller
 * its own entry of the result (same order as the keys).
 */
function batched<K, T>(run: (keys: K[]) => Promise<T[]>): (key: K) => Promise<T> {
  let waiting: Array<{ key: K; resolve(value: T): void; reject(err: unknown): void }> = [];
  let running = false;
  const drain = async () => {
    running = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        const results = await run(batch.map((w) => w.key));
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    running = false;
  };
  return (key) =>
    new Promise<T>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      if (!running) void drain();
    });
}

/** Runs each piece of work after the one before it has settled, whatever its outcome. */
function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const result = tail.then(work, work);
    tail = result.catch(() => {});
    return result;
  };
}

/** First and longest waits between tries for a lock another instance holds. */
const LOCK_RETRY_MS = { first: 10, max: 250 };

/**
 * Session-level advisory locks, one per client, all held on one dedicated connection: a lock costs
 * no pool connection for the length of a turn (an engine may take seconds), and Postgres releases
 * every lock of an instance that dies, the moment its connection closes. One connection means a
 * blocking pg_advisory_lock would stall every client behind one, so a taken lock is retried with
 * pg_try_advisory_lock and a growing wait; contention only happens while a client moves between
 * instances. Two client ids with the same hashtext() share a lock: harmless, they only take turns.
 */
function createTurnLocks(
  settings: pg.ClientConfig,
  query: Query,
  instanceId: string,
  log: Logger | undefined,
): TurnLocks & {
  /**
   * While this instance holds the client's lock: the instance_id its turns_in_flight record carries,
   * which fences the turn's commit (COMMIT_TURN).
   */
  turnRecordOf(clientId: string): string | undefined;
  /** The client's turn was stored, its in-flight record removed with it. */
  committed(clientId: string): void;
  /** What the statement recording the client's running turn read for `part`, once; undefined after (or without) it. */
  takePrefetched<P extends keyof TurnPrefetch>(clientId: string, part: P): TurnPrefetch[P];
  close(): Promise<void>;
} {
  /**
   * Clients whose lock this instance holds: the lock connection's pid, whether a turns_in_flight row
   * is ours to remove, and what recording the turn read for it.
   */
  const held = new Map<string, { pid: number; recorded: boolean; prefetch: TurnPrefetch }>();
  // This process, not just its instanceId: a restarted instance keeps its name but must still
  // report the turns its previous process left unfinished.
  const incarnation = `${instanceId}#${randomUUID().slice(0, 8)}`;
  const lockConnection = createLockConnection(settings, log, () => held.size);
  const unlock = async (clientId: string, pid: number) => {
    held.delete(clientId);
    await lockConnection.unlock(clientId, pid);
  };

  return {
    turnRecordOf: (clientId) => (held.has(clientId) ? incarnation : undefined),
    committed(clientId) {
      const entry = held.get(clientId);
      if (entry) entry.recorded = false;
    },
    takePrefetched(clientId, part) {
      const prefetch = held.get(clientId)?.prefetch;
      const value = prefetch?.[part];
      if (prefetch) delete prefetch[part];
      return value;
    },
    async acquire(clientId, turn, signal): Promise<TurnLease> {
      const pid = await lockConnection.lock(clientId, signal);
      const entry = { pid, recorded: turn !== undefined, prefetch: {} };
      held.set(clientId, entry);
      try {
        const { interrupted, prefetch } = await recordTurn(query, clientId, turn, incarnation);
        entry.prefetch = prefetch;
        return {
          interrupted,
          release: async () => {
            try {
              if (entry.recorded)
                await query('DELETE FROM turns_in_flight WHERE client_id = $1 AND instance_id = $2', [
                  clientId,
                  incarnation,
                ]);
            } finally {
              await unlock(clientId, pid);
            }
          },
        };
      } catch (err) {
        await unlock(clientId, pid).catch(() => {});
        throw err;
      }
    },
    close: () => lockConnection.close(),
  };
}

/** A leftover turns_in_flight record: the turn and the process that started it. */
interface TurnRecordRow {
  message_id: string | null;
  instance_id: string;
}

/**
 * What the statement that records a running turn reads for it as well, so that the turn does not
 * ask again: the session's state and, when the message has a message_id, that id's stored entries.
 * Each part is handed out once (takePrefetched); the lock's release drops what was not.
 */
interface TurnPrefetch {
  state?: { text: string | null };
  entries?: { messageId: string; rows: PrefetchedEntry[] };
}

type PrefetchedEntry = Pick<MessageRow, 'id' | 'role' | 'frame'>;

/**
 * Holding the client's lock, a leftover turns_in_flight record is from a process that died mid-turn
 * or lost its lock connection, or one of ours whose turn was answered (with an error) but whose record
 * could not be removed then. With a turn, ours replaces it in the same statement, which also reads the
 * turn's prefetch; without, the record is only collected. Returns the turns another process left
 * unfinished: those whose record this statement replaced or removed, so that their commit is fenced.
 *
 * A process that lost its lock may be committing its turn right then: its commit removes its record,
 * and the statement here waits for that row and then finds it gone, so the turn counts as landed, not
 * unfinished. The reads in the statement kept the snapshot from before that commit, so when the
 * statement saw another process's record, the prefetch is dropped and the turn reads afresh.
 */
async function recordTurn(
  query: Query,
  clientId: string,
  turn: { messageId?: string } | undefined,
  incarnation: string,
): Promise<{ interrupted: TurnLease['interrupted']; prefetch: TurnPrefetch }> {
  const unfinished = (records: TurnRecordRow[]) =>
    records
      .filter((r) => r.instance_id !== incarnation)
      .map((r) => (r.message_id === null ? {} : { message_id: r.message_id }));
  if (!turn) {
    const { rows } = await query<TurnRecordRow>(
      'DELETE FROM turns_in_flight WHERE client_id = $1 RETURNING message_id, instance_id',
      [clientId],
    );
    return { interrupted: unfinished(rows), prefetch: {} };
  }
  const { rows } = await query<{
    replaced: TurnRecordRow[];
    takenOver: boolean;
    state: string | null;
    entries: PrefetchedEntry[];
  }>(
    `WITH seen AS (SELECT message_id, instance_id FROM turns_in_flight WHERE client_id = $1),
     replaced AS (
       UPDATE turns_in_flight AS t SET message_id = $2, instance_id = $3, started_at = now()
       FROM seen AS old
       WHERE t.client_id = $1
       RETURNING old.message_id, old.instance_id),
     recorded AS (
       INSERT INTO turns_in_flight (client_id, message_id, instance_id, started_at)
       SELECT $1, $2, $3, now() WHERE NOT EXISTS (SELECT 1 FROM replaced)
       ON CONFLICT (client_id) DO UPDATE SET message_id = excluded.message_id, instance_id = excluded.instance_id, started_at = excluded.started_at)
     SELECT (SELECT coalesce(json_agg(replaced), '[]') FROM replaced) AS replaced,
            EXISTS (SELECT 1 FROM seen WHERE instance_id <> $3) AS "takenOver",
            (SELECT state FROM sessions WHERE client_id = $1) AS state,
            (SELECT coalesce(json_agg(json_build_object('id', id::text, 'role', role, 'frame', frame) ORDER BY id), '[]')
             FROM messages WHERE client_id = $1 AND message_id = $2) AS entries`,
    [clientId, turn.messageId ?? null, incarnation],
  );
  const { replaced, takenOver, state, entries } = rows[0]!;
  if (takenOver) return { interrupted: unfinished(replaced), prefetch: {} };
  const prefetch: TurnPrefetch = { state: { text: state } };
  if (turn.messageId !== undefined) prefetch.entries = { messageId: turn.messageId, rows: entries };
  return { interrupted: unfinished(replaced), prefetch };
}

/**
 * Opens a lock connection and reads its backend pid. `onLost` runs when the connection fails to open
 * or is lost later, so the caller opens a fresh one on next use.
 */
async function openLockClient(
  settings: pg.ClientConfig,
  log: Logger | undefined,
  heldLocks: () => number,
  onLost: () => void,
): Promise<{ client: pg.Client; pid: number }> {
  const client = new pg.Client(settings);
  client.on('error', (err) => {
    log?.warn('lock connection lost', { err, heldLocks: heldLocks() });
    // Every lock it held is gone server-side; a turn of those clients that another takes over is fenced.
    onLost();
  });
  try {
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return { client, pid: rows[0]!.pid };
  } catch (err) {
    onLost();
    await client.end().catch(() => {});
    throw err;
  }
}

/** Tries the client's lock until it is taken, backing off from `LOCK_RETRY_MS.first` to `.max`; resolves with the pid. Rejects when `signal` fires first. */
async function retryLock(
  tryLock: (clientId: string) => Promise<number | undefined>,
  clientId: string,
  signal: AbortSignal,
): Promise<number> {
  for (let wait = LOCK_RETRY_MS.first; ; wait = Math.min(wait * 2, LOCK_RETRY_MS.max)) {
    signal.throwIfAborted();
    const pid = await tryLock(clientId);
    if (pid !== undefined) return pid;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}

/**
 * The one connection that holds every client lock of this instance, opened on first use and again
 * after it is lost (its locks then went with it; a turn whose lock another takes over is fenced).
 */
function createLockConnection(settings: pg.ClientConfig, log: Logger | undefined, heldLocks: () => number) {
  let connection: Promise<{ client: pg.Client; pid: number }> | undefined;
  // One query at a time on the lock connection (pg's own queueing of concurrent queries is deprecated).
  const serially = oneAtATime();
  const connect = () => {
    connection ??= openLockClient(settings, log, heldLocks, () => {
      connection = undefined;
    });
    return connection;
  };
  // Lock requests that arrive while the connection is busy go together in the next query: one round
  // trip on the lock connection then serves every turn that started meanwhile.
  const tryLock = batched(async (clientIds: string[]) => {
    const current = await connect().catch((err: unknown) => Promise.reject(classify(err)));
    try {
      const { rows } = await serially(() =>
        current.client.query<{ ok: boolean }>(
          prepared(
            'SELECT pg_try_advisory_lock($1, hashtext(id)) AS ok FROM unnest($2::text[]) WITH ORDINALITY AS t(id, n) ORDER BY n',
            [CLIENT_LOCK, clientIds],
          ),
        ),
      );
      return rows.map((row) => (row.ok ? current.pid : undefined));
    } catch (err) {
      const classified = classify(err);
      if (classified instanceof StoreUnavailableError && connection) {
        // A timed-out query may still run on that connection: start afresh (its locks go with it).
        connection = undefined;
        void current.client.end().catch(() => {});
      }
      throw classified;
    }
  });
  const unlocks = batched(async (clientIds: string[]) => {
    const current = await connection?.catch(() => undefined);
    if (current)
      await serially(() =>
        current.client.query(
          prepared('SELECT pg_advisory_unlock($1, hashtext(id)) FROM unnest($2::text[]) AS t(id)', [
            CLIENT_LOCK,
            clientIds,
          ]),
        ),
      );
    return clientIds.map(() => current?.pid);
  });

  return {
    /** Waits until the client's lock is this connection's; resolves with its backend pid. Rejects when `signal` fires first. */
    lock(clientId: string, signal: AbortSignal): Promise<number> {
      return retryLock(tryLock, clientId, signal);
    },
    /** Releases the client's lock if the connection that took it (`pid`) is still this one. */
    async unlock(clientId: string, pid: number): Promise<void> {
      const current = await connection?.catch(() => undefined);
      // Locks of a connection that is gone were released with it.
      if (current?.pid === pid) await unlocks(clientId);
    },
    async close(): Promise<void> {
      const current = await connection?.catch(() => undefined);
      connection = undefined;
      await current?.client.end();
    },
  };
}
