import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BotResponseFrame } from './protocol.ts';
import { DEFAULT_MAX_HISTORY, type HistoryEntry, type Store, type StoreOptions, type StoredReply } from './store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  client_id      TEXT PRIMARY KEY,
  created_at     INTEGER NOT NULL,
  last_active_at INTEGER NOT NULL,
  state          TEXT
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
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
  readonly code = 'ERR_STORE_OPEN';
  constructor(path: string, reason: string) {
    super(`cannot open database ${path}: ${reason}`);
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

const toReply = (row: Pick<MessageRow, 'id' | 'frame'>): StoredReply => ({ id: row.id, frame: JSON.parse(row.frame!) as BotResponseFrame });
const parseState = (text: string | null | undefined): unknown => (text == null ? undefined : JSON.parse(text));

function prepareStatements(db: Database.Database) {
  return {
    touch: db.prepare<[number, string]>('UPDATE sessions SET last_active_at = ? WHERE client_id = ?'),
    count: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM messages WHERE client_id = ?'),
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
    upsert: db.prepare<[string, number, number, string | null]>(
      `INSERT INTO sessions (client_id, created_at, last_active_at, state) VALUES (?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET last_active_at = excluded.last_active_at,
         state = coalesce(excluded.state, sessions.state)`,
    ),
    insert: db.prepare<[string, string, string, string, string | null, string | null, number]>(
      'INSERT INTO messages (client_id, role, content, timestamp, message_id, frame, delivered) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // Keeps the newest `max` entries plus any reply not yet delivered (the cap never loses an answer).
    trim: db.prepare<[string, string, number]>(
      `DELETE FROM messages WHERE client_id = ? AND delivered = 1 AND id < coalesce(
         (SELECT id FROM messages WHERE client_id = ? ORDER BY id DESC LIMIT 1 OFFSET ? - 1), 0)`,
    ),
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
export function createSqliteStore(path: string, { maxHistoryMessages = DEFAULT_MAX_HISTORY }: StoreOptions = {}): Store {
  let db: Database.Database;
  let q: ReturnType<typeof prepareStatements>;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    q = prepareStatements(db);
  } catch (err) {
    throw new StoreOpenError(path, (err as Error).message);
  }

  const commit = db.transaction((clientId: string, user: HistoryEntry, replies: BotResponseFrame[], state: unknown, now: number) => {
    q.upsert.run(clientId, now, now, state === undefined ? null : JSON.stringify(state));
    const messageId = user.message_id ?? null;
    q.insert.run(clientId, 'user', user.content, user.timestamp, messageId, null, 1);
    const stored = replies.map((frame) => {
      const { lastInsertRowid } = q.insert.run(clientId, 'assistant', frame.content, frame.timestamp, messageId, JSON.stringify(frame), 0);
      return { id: Number(lastInsertRowid), frame };
    });
    q.trim.run(clientId, clientId, maxHistoryMessages);
    return stored;
  });

  const markDelivered = db.transaction((clientId: string, ids: number[]) => {
    for (const id of ids) q.delivered.run(clientId, id);
  });

  return {
    openSession(clientId, now) {
      const { changes } = q.touch.run(now.getTime(), clientId);
      if (changes === 0) return { resumed: false, messages: 0, pending: [] };
      return { resumed: true, messages: q.count.get(clientId)!.n, pending: q.pending.all(clientId).map(toReply) };
    },
    loadState: (clientId) => parseState(q.state.get(clientId)?.state),
    findReplies(clientId, messageId) {
      if (!q.processed.get(clientId, messageId)) return undefined;
      return q.replies.all(clientId, messageId).map(toReply);
    },
    commitTurn: (clientId, turn, now) => commit(clientId, turn.user, turn.replies, turn.state, now.getTime()),
    markDelivered: (clientId, ids) => markDelivered(clientId, ids),
    getSession(clientId) {
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
    deleteSession: (clientId) => q.remove.run(clientId).changes > 0,
    sweep: (cutoff) => q.sweep.run(cutoff.getTime()).changes,
    close() {
      if (db.open) db.close();
    },
  };
}
