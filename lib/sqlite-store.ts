import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { BotResponseFrame } from './protocol.ts';
import { HISTORY_LIMIT, type HistoryEntry, type Store, type StoreOptions, type StoredReply, type TurnRecord } from './store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  client_id      TEXT PRIMARY KEY,
  created_at     INTEGER NOT NULL,
  last_active_at INTEGER NOT NULL,
  state          TEXT,
  message_count  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  client_id  TEXT NOT NULL REFERENCES sessions(client_id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  content    TEXT NOT NULL,
  timestamp  TEXT NOT NULL,
  message_id TEXT,
  frame      TEXT,
  delivered  INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS messages_by_client ON messages (client_id, id);
CREATE INDEX IF NOT EXISTS messages_by_message_id ON messages (client_id, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS sessions_by_activity ON sessions (last_active_at);
`;

/** Thrown when the database file cannot be opened or is not a MeetingMuse database. */
class StoreOpenError extends Error {
  override name = 'StoreOpenError';
  readonly code = 'ERR_STORE_OPEN';
  constructor(path: string, reason: string) {
    super(`cannot open database ${path}: ${reason}`);
  }
}

/**
 * better-sqlite3 is an optional dependency, loaded when the first SQLite store is created (it is
 * CommonJS, hence require): an embedder with a store of its own installs and loads no native addon.
 */
function loadDriver(path: string): typeof Database {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  } catch (err) {
    throw new StoreOpenError(path, `the SQLite driver could not be loaded (npm install better-sqlite3): ${(err as Error).message}`);
  }
}

interface MessageRow {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
  message_id: string | null;
  frame: string | null;
}

/** Bumped whenever SCHEMA changes shape; a file from another version is refused rather than misread. */
const SCHEMA_VERSION = 1;

/** Engine states (as stored JSON) kept in memory per client, so a turn does not read back what the last one wrote. */
const STATE_CACHE_SIZE = 10_000;

const toReply = (row: Pick<MessageRow, 'id' | 'frame'>): StoredReply => ({ id: row.id, frame: JSON.parse(row.frame!) as BotResponseFrame });
const parseState = (text: string | null | undefined): unknown => (text == null ? undefined : JSON.parse(text));

function prepareStatements(db: Database.Database) {
  return {
    touch: db.prepare<[number, string]>('UPDATE sessions SET last_active_at = ? WHERE client_id = ?'),
    count: db.prepare<[string], { n: number }>('SELECT message_count AS n FROM sessions WHERE client_id = ?'),
    pending: db.prepare<[string], Pick<MessageRow, 'id' | 'frame'>>(
      "SELECT id, frame FROM messages WHERE client_id = ? AND role = 'assistant' AND delivered = 0 ORDER BY id",
    ),
    state: db.prepare<[string], { state: string | null }>('SELECT state FROM sessions WHERE client_id = ?'),
    processed: db.prepare<[string, string], { id: number }>(
      "SELECT id FROM messages WHERE client_id = ? AND message_id = ? AND role = 'user' LIMIT 1",
    ),
    replies: db.prepare<[string, string], Pick<MessageRow, 'id' | 'frame'>>(
      "SELECT id, frame FROM messages WHERE client_id = ? AND message_id = ? AND role = 'assistant' ORDER BY id",
    ),
    upsert: db.prepare<[string, number, number, string | null, number], { message_count: number }>(
      `INSERT INTO sessions (client_id, created_at, last_active_at, state, message_count) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET last_active_at = excluded.last_active_at,
         state = coalesce(excluded.state, sessions.state),
         message_count = sessions.message_count + excluded.message_count
       RETURNING message_count`,
    ),
    insert: db.prepare<[string, string, string, string, string | null, string | null, number]>(
      'INSERT INTO messages (client_id, role, content, timestamp, message_id, frame, delivered) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // Drops the oldest `n` entries, skipping replies not yet delivered (the cap never loses an answer).
    trim: db.prepare<[string, number]>(
      `DELETE FROM messages WHERE id IN (
         SELECT id FROM messages WHERE client_id = ? AND delivered = 1 ORDER BY id LIMIT ?)`,
    ),
    recount: db.prepare<[number, string]>('UPDATE sessions SET message_count = message_count - ? WHERE client_id = ?'),
    delivered: db.prepare<[string, number]>('UPDATE messages SET delivered = 1 WHERE client_id = ? AND id = ?'),
    session: db.prepare<[string], { created_at: number; last_active_at: number; state: string | null }>(
      'SELECT created_at, last_active_at, state FROM sessions WHERE client_id = ?',
    ),
    history: db.prepare<[string], MessageRow & { delivered: number }>(
      'SELECT id, role, content, timestamp, message_id, frame, delivered FROM messages WHERE client_id = ? ORDER BY id',
    ),
    remove: db.prepare<[string]>('DELETE FROM sessions WHERE client_id = ?'),
    sweep: db.prepare<[number]>('DELETE FROM sessions WHERE last_active_at < ?'),
  };
}

/**
 * A store in one SQLite file (WAL, foreign keys on). Every turn is one transaction, so a crash, even
 * kill -9, leaves either the whole turn or none of it. `:memory:` gives a private in-memory database.
 */
export function createSqliteStore(path: string, { maxHistoryMessages = HISTORY_LIMIT.default }: StoreOptions = {}): Store {
  let db: Database.Database;
  let q: ReturnType<typeof prepareStatements>;
  const Driver = loadDriver(path);
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Driver(path);
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new Error(`schema version ${version} is newer than this server (${SCHEMA_VERSION})`);
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    q = prepareStatements(db);
  } catch (err) {
    throw new StoreOpenError(path, (err as Error).message);
  }

  const states = new Map<string, string | null>();
  const remember = (clientId: string, state: string | null) => {
    states.delete(clientId);
    states.set(clientId, state);
    if (states.size > STATE_CACHE_SIZE) states.delete(states.keys().next().value!);
  };

  /** One turn's writes; run inside the group transaction, so better-sqlite3 makes it a savepoint. */
  const writeTurn = db.transaction((clientId: string, user: HistoryEntry, replies: BotResponseFrame[], state: string | null, now: number) => {
    const { message_count } = q.upsert.get(clientId, now, now, state, 1 + replies.length)!;
    const messageId = user.message_id ?? null;
    q.insert.run(clientId, 'user', user.content, user.timestamp, messageId, null, 1);
    const stored = replies.map((frame) => {
      const { lastInsertRowid } = q.insert.run(clientId, 'assistant', frame.content, frame.timestamp, messageId, JSON.stringify(frame), 0);
      return { id: Number(lastInsertRowid), frame };
    });
    if (message_count > maxHistoryMessages) {
      q.recount.run(q.trim.run(clientId, message_count - maxHistoryMessages).changes, clientId);
    }
    return stored;
  });

  /**
   * Group commit: the turns and delivery marks of one event-loop tick go to disk in one transaction
   * instead of one each (a WAL commit costs far more than the rows in it). Each turn is a savepoint
   * of its own, so one failing turn rolls back alone. Every read flushes first (a per-client read
   * only when that client has writes waiting, so one turn's reads do not cut the group short), so
   * reads always see what was handed in. A crash before a flush loses only turns whose replies were
   * not sent yet, and delivery marks, whose replies are then sent again on the next connection: at
   * least once.
   */
  interface PendingTurn {
    clientId: string;
    turn: TurnRecord;
    state: string | null;
    now: number;
    resolve(stored: StoredReply[]): void;
    reject(err: unknown): void;
  }
  let turns: PendingTurn[] = [];
  let marks: Array<[string, number]> = [];
  let scheduled = false;
  const writeGroup = db.transaction((group: PendingTurn[], delivered: Array<[string, number]>) => {
    for (const [clientId, id] of delivered) q.delivered.run(clientId, id);
    return group.map((p) => {
      try {
        return { ok: true as const, stored: writeTurn(p.clientId, p.turn.user, p.turn.replies, p.state, p.now) };
      } catch (err) {
        return { ok: false as const, err };
      }
    });
  });
  const flush = () => {
    scheduled = false;
    if ((turns.length === 0 && marks.length === 0) || !db.open) return;
    const group = turns;
    const delivered = marks;
    turns = [];
    marks = [];
    let outcomes;
    try {
      outcomes = writeGroup(group, delivered);
    } catch (err) {
      for (const p of group) p.reject(err);
      return;
    }
    outcomes.forEach((outcome, i) => {
      const p = group[i]!;
      if (!outcome.ok) return p.reject(outcome.err);
      if (p.state !== null) remember(p.clientId, p.state);
      p.resolve(outcome.stored);
    });
  };
  const flushFor = (clientId: string) => {
    if (turns.some((p) => p.clientId === clientId) || marks.some(([id]) => id === clientId)) flush();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  return {
    async openSession(clientId, now) {
      flush();
      const { changes } = q.touch.run(now.getTime(), clientId);
      if (changes === 0) return { resumed: false, messages: 0, pending: [] };
      return { resumed: true, messages: q.count.get(clientId)!.n, pending: q.pending.all(clientId).map(toReply) };
    },
    async loadState(clientId) {
      flushFor(clientId);
      if (!states.has(clientId)) remember(clientId, q.state.get(clientId)?.state ?? null);
      return parseState(states.get(clientId));
    },
    async findReplies(clientId, messageId) {
      flushFor(clientId);
      if (!q.processed.get(clientId, messageId)) return undefined;
      return q.replies.all(clientId, messageId).map(toReply);
    },
    commitTurn(clientId, turn, now) {
      return new Promise((resolve, reject) => {
        const state = turn.state === undefined ? null : JSON.stringify(turn.state);
        turns.push({ clientId, turn, state, now: now.getTime(), resolve, reject });
        schedule();
      });
    },
    async markDelivered(clientId, ids) {
      for (const id of ids) marks.push([clientId, id]);
      schedule();
    },
    async getSession(clientId) {
      flush();
      const row = q.session.get(clientId);
      if (!row) return undefined;
      const messages = q.history.all(clientId);
      return {
        client_id: clientId,
        created_at: new Date(row.created_at).toISOString(),
        last_active_at: new Date(row.last_active_at).toISOString(),
        message_count: messages.length,
        pending_replies: messages.filter((m) => m.role === 'assistant' && m.delivered === 0).length,
        state: parseState(row.state),
        history: messages.map(({ role, content, timestamp, message_id }) =>
          message_id === null ? { role, content, timestamp } : { role, content, timestamp, message_id },
        ),
      };
    },
    async deleteSession(clientId) {
      flush();
      states.delete(clientId);
      return q.remove.run(clientId).changes > 0;
    },
    async sweep(cutoff) {
      flush();
      states.clear();
      return q.sweep.run(cutoff.getTime()).changes;
    },
    async close() {
      flush();
      if (db.open) db.close();
    },
  };
}
