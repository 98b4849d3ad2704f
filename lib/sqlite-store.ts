import type Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { silentLogger, type Logger } from './logger.ts';
import { WalCheckpointer, type CheckpointFailure } from './wal-checkpointer.ts';
import type { BotResponseFrame } from './protocol.ts';
import {
  HISTORY_LIMIT,
  newFeedToken,
  StoreUnavailableError,
  type Store,
  type StoreOptions,
  type StoredReply,
  type TurnRecord,
} from './store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  client_id      TEXT PRIMARY KEY,
  created_at     INTEGER NOT NULL,
  last_active_at INTEGER NOT NULL,
  state          TEXT
);
CREATE TABLE IF NOT EXISTS messages (
  client_id  TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  role       TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  content    TEXT NOT NULL,
  timestamp  TEXT NOT NULL,
  message_id TEXT,
  frame      TEXT,
  delivered  INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (client_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS user_messages_by_message_id ON messages (client_id, message_id)
  WHERE message_id IS NOT NULL AND role = 'user';
CREATE INDEX IF NOT EXISTS sessions_by_activity ON sessions (last_active_at);
CREATE TABLE IF NOT EXISTS archive (
  id        INTEGER PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES sessions(client_id) ON DELETE CASCADE,
  item      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS archive_by_client ON archive (client_id, id);
CREATE TABLE IF NOT EXISTS calendar_feeds (
  client_id  TEXT PRIMARY KEY,
  token      TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
`;

/*
 * Why messages look like this (the turn is the hot path; see README, Benchmark): a client's entries
 * are one run of rows in the table itself (WITHOUT ROWID, keyed by client and a per-client `seq`), so
 * a turn adds its entries with one INSERT at the end of that run, the history cap deletes from its
 * start by `seq` alone, and no second index is written for them. Only user entries that carry a
 * message_id are indexed, for the retry check. Rows are deleted with their session by the store, not
 * by a foreign key, which would look the session up on every insert.
 */

/** Thrown when the database file cannot be opened or is not a MeetingMuse database. */
class StoreOpenError extends Error {
  override name = 'StoreOpenError';
  readonly code = 'ERR_STORE_OPEN';
  constructor(path: string, reason: string) {
    super(`cannot open database ${path}: ${reason}`);
  }
}

interface MessageRow {
  seq: number;
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
  message_id: string | null;
  frame: string | null;
}

/**
 * Bumped whenever SCHEMA changes shape; a file from a newer version is refused rather than misread.
 * 2: archive and calendar_feeds. 3: messages keyed by client and a per-client seq (migrated on open).
 * 4: no sessions.message_count (counted once per process instead of written every turn).
 */
const SCHEMA_VERSION = 4;

/**
 * How far sessions.last_active_at may fall behind a session's last turn. A turn that changes neither
 * the engine state nor moves the activity this far writes no session row; the exact time is kept in
 * memory and written before a sweep, a read of the session and a close, so only a crash leaves the file
 * up to this much behind.
 */
const ACTIVITY_RESOLUTION_MS = 60_000;

/** How often the file's identity is checked when no write checks it. */
const DEFAULT_IDENTITY_CHECK_INTERVAL_MS = 5_000;

/** The longest a commit waits for the WAL to be synced, and a delivery mark no later turn carries for being written. */
const DEFAULT_WAL_SYNC_INTERVAL_MS = 250;

/**
 * WAL pages after which a commit runs a checkpoint itself (SQLite's default is 1000): a backstop
 * for a checkpoint worker (WalCheckpointer) that falls behind, and what keeps the WAL file from
 * growing for ever, since only a checkpoint inside a commit lets the next commit start it over.
 */
const WAL_AUTOCHECKPOINT_PAGES = 16_000;

/** SQLITE_CORRUPT (and its extended codes) and SQLITE_NOTADB: the file's content cannot be trusted any more. */
const isCorruption = (code: string) => code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';

export interface SqliteStoreOptions extends StoreOptions {
  /** Where the store reports, once, that it has gone unhealthy. Default: silentLogger. */
  logger?: Logger;
  /** Milliseconds between checks that the file is still the one opened (every write checks too). Default 5000. */
  identityCheckIntervalMs?: number;
  /**
   * Milliseconds between checkpoints, which sync the WAL (a commit waits at most this long, plus one checkpoint, to
   * be synced), and that a delivery mark no later turn of its client carries waits to be written (see README,
   * durability). Default 250.
   */
  walSyncIntervalMs?: number;
}

/** Sessions whose turn bookkeeping (SessionMeta) is kept in memory, most recently written first out last. */
const SESSION_CACHE_SIZE = 10_000;

/** Replies a turn may have for its entries to go in as one INSERT; a turn with more adds the rest one by one. */
const REPLIES_PER_INSERT = 8;

const toReply = (row: Pick<MessageRow, 'seq' | 'frame'>): StoredReply => ({
  id: row.seq,
  frame: JSON.parse(row.frame!) as BotResponseFrame,
  data: row.frame!,
});
const parseState = (text: string | null | undefined): unknown => (text == null ? undefined : JSON.parse(text));

/**
 * better-sqlite3 is an optional dependency, loaded when the first SQLite store is opened (it is
 * CommonJS, hence require; Node caches it): an embedder with a store of its own installs and loads
 * no native addon.
 */
function sqliteDriver(): typeof Database {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  } catch (err) {
    throw new Error(`the SQLite driver could not be loaded (npm install better-sqlite3): ${(err as Error).message}`);
  }
}

type Statements = ReturnType<typeof prepareStatements>;

const ENTRY_COLUMNS = 'client_id, seq, role, content, timestamp, message_id, frame, delivered';
const USER_ROW = "(?, ?, 'user', ?, ?, ?, NULL, 1)";
const REPLY_ROW = "(?, ?, 'assistant', ?, ?, ?, ?, 0)";

function prepareStatements(db: Database.Database) {
  const entryInserts = new Map<number, Database.Statement<unknown[]>>();
  return {
    touch: db.prepare<[number, string]>('UPDATE sessions SET last_active_at = ? WHERE client_id = ?'),
    pending: db.prepare<[string], Pick<MessageRow, 'seq' | 'frame'>>(
      'SELECT seq, frame FROM messages WHERE client_id = ? AND delivered = 0 ORDER BY seq',
    ),
    meta: db.prepare<
      [string, string, string],
      { state: string | null; activeAt: number; messages: number; lastSeq: number | null }
    >(
      `SELECT state, last_active_at AS activeAt, (SELECT count(*) FROM messages WHERE client_id = ?) AS messages,
              (SELECT max(seq) FROM messages WHERE client_id = ?) AS lastSeq
       FROM sessions WHERE client_id = ?`,
    ),
    processed: db.prepare<[string, string], { seq: number }>(
      "SELECT seq FROM messages WHERE client_id = ? AND message_id = ? AND role = 'user' LIMIT 1",
    ),
    // A turn's replies follow its user entry.
    replies: db.prepare<[string, number, string], Pick<MessageRow, 'seq' | 'frame'>>(
      "SELECT seq, frame FROM messages WHERE client_id = ? AND seq > ? AND message_id = ? AND role = 'assistant' ORDER BY seq",
    ),
    createSession: db.prepare<[string, number, number, string | null]>(
      'INSERT INTO sessions (client_id, created_at, last_active_at, state) VALUES (?, ?, ?, ?)',
    ),
    updateSessionState: db.prepare<[number, string, string]>(
      'UPDATE sessions SET last_active_at = ?, state = ? WHERE client_id = ?',
    ),
    /** The user entry and `replies` reply rows in one statement; prepared on first use for each count. */
    entries(replies: number): Database.Statement<unknown[]> {
      let statement = entryInserts.get(replies);
      if (!statement) {
        const rows = [USER_ROW, ...Array<string>(replies).fill(REPLY_ROW)].join(', ');
        statement = db.prepare(`INSERT INTO messages (${ENTRY_COLUMNS}) VALUES ${rows}`);
        entryInserts.set(replies, statement);
      }
      return statement;
    },
    reply: db.prepare(`INSERT INTO messages (${ENTRY_COLUMNS}) VALUES ${REPLY_ROW}`),
    // Entries older than the newest `cap` go, except replies not yet delivered (the cap never loses an answer).
    trim: db.prepare<[string, number]>('DELETE FROM messages WHERE client_id = ? AND seq < ? AND delivered = 1'),
    delivered: db.prepare<[string, number]>('UPDATE messages SET delivered = 1 WHERE client_id = ? AND seq = ?'),
    session: db.prepare<[string], { created_at: number; last_active_at: number; state: string | null }>(
      'SELECT created_at, last_active_at, state FROM sessions WHERE client_id = ?',
    ),
    history: db.prepare<[string], MessageRow & { delivered: number }>(
      'SELECT seq, role, content, timestamp, message_id, frame, delivered FROM messages WHERE client_id = ? ORDER BY seq',
    ),
    removeMessages: db.prepare<[string]>('DELETE FROM messages WHERE client_id = ?'),
    remove: db.prepare<[string]>('DELETE FROM sessions WHERE client_id = ?'),
    sweepMessages: db.prepare<[number]>(
      'DELETE FROM messages WHERE client_id IN (SELECT client_id FROM sessions WHERE last_active_at < ?)',
    ),
    sweep: db.prepare<[number]>('DELETE FROM sessions WHERE last_active_at < ?'),
    archive: db.prepare<[string, string]>('INSERT INTO archive (client_id, item) VALUES (?, ?)'),
    archived: db.prepare<[string], { item: string }>('SELECT item FROM archive WHERE client_id = ? ORDER BY id'),
    feed: db.prepare<[string], { token: string }>('SELECT token FROM calendar_feeds WHERE client_id = ?'),
    feedOwner: db.prepare<[string], { client_id: string }>('SELECT client_id FROM calendar_feeds WHERE token = ?'),
    issueFeed: db.prepare<[string, string, number]>(
      `INSERT INTO calendar_feeds (client_id, token, created_at) VALUES (?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET token = excluded.token, created_at = excluded.created_at`,
    ),
    revokeFeed: db.prepare<[string]>('DELETE FROM calendar_feeds WHERE client_id = ?'),
    sweepFeeds: db.prepare<[number]>(
      'DELETE FROM calendar_feeds WHERE created_at < ? AND client_id NOT IN (SELECT client_id FROM sessions)',
    ),
  };
}

/**
 * Takes an exclusive lock that lasts as long as this process holds the returned handle: a second
 * server on the same file would cache state the first one overwrites. The lock is SQLite's own (POSIX
 * advisory locks on `<path>.lock`, a small database of its own), so the kernel releases it when the
 * process dies, even by kill -9, and the main file stays readable by other tools.
 */
function lockFile(path: string): Database.Database {
  const lock = new (sqliteDriver())(`${path}.lock`, { timeout: 0 });
  try {
    // In EXCLUSIVE locking mode the lock taken by the first write is never released until close.
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
    lock.prepare('DELETE FROM holder').run();
    lock.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
    return lock;
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY')
      throw new Error(`in use by another process (it holds ${path}.lock)`);
    throw err;
  }
}

/** The first problem `PRAGMA quick_check` finds, on one line, or undefined for a sound file. */
function integrityProblem(db: Database.Database): string | undefined {
  const [first] = db.pragma('quick_check(1)') as Array<{ quick_check: string }>;
  if (first?.quick_check === 'ok') return undefined;
  // SQLite prefixes the first problem with a "*** in database main ***" line.
  return (first?.quick_check ?? 'no result').replace(/^\*\*\* in database \w+ \*\*\*\s*/, '').replace(/\s+/g, ' ');
}

const hasColumn = (db: Database.Database, table: string, column: string): boolean =>
  db.prepare('SELECT 1 FROM pragma_table_info(?) WHERE name = ?').get(table, column) !== undefined;

/** Whether the file keeps messages as schema versions 1 and 2 did: one global id per entry. */
const hasRowidMessages = (db: Database.Database): boolean => hasColumn(db, 'messages', 'id');

/**
 * Moves messages from the version 1 and 2 table (one global id per entry) to the current one, numbering
 * each client's entries 1, 2, 3… in their old order; run inside the transaction that opens the file.
 */
function migrateMessages(db: Database.Database): void {
  db.exec(`
    DROP INDEX IF EXISTS messages_by_client;
    DROP INDEX IF EXISTS messages_by_message_id;
    ALTER TABLE messages RENAME TO messages_v2;
    ${SCHEMA}
    INSERT INTO messages (${ENTRY_COLUMNS})
      SELECT client_id, row_number() OVER (PARTITION BY client_id ORDER BY id), role, content, timestamp,
             message_id, frame, delivered
      FROM messages_v2;
    DROP TABLE messages_v2;
  `);
}

/** Opens, checks and migrates the database; closes it again if any step fails. */
function openDatabase(file: string): Database.Database {
  const db = new (sqliteDriver())(file);
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION)
      throw new Error(`schema version ${version} is newer than this server (${SCHEMA_VERSION})`);
    // Reads every page once: a corrupt file is refused at start rather than failing some users' turns later.
    const problem = integrityProblem(db);
    if (problem !== undefined) throw new Error(`the file is corrupt (quick_check: ${problem})`);
    db.transaction(() => {
      if (hasRowidMessages(db)) migrateMessages(db);
      else db.exec(SCHEMA);
      if (hasColumn(db, 'sessions', 'message_count')) db.exec('ALTER TABLE sessions DROP COLUMN message_count');
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

interface FileIdentity {
  dev: number;
  ino: number;
}

/** Locks, opens and checks the file; StoreOpenError (with nothing left open) when any step fails. */
function openStore(path: string): {
  db: Database.Database;
  lock?: Database.Database;
  identity?: FileIdentity;
  file: string;
} {
  if (path === ':memory:') return { db: openDatabase(path), file: path };
  const file = resolve(path);
  let lock: Database.Database | undefined;
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true });
    lock = lockFile(file);
    db = openDatabase(file);
    const { dev, ino } = statSync(file);
    return { db, lock, identity: { dev, ino }, file };
  } catch (err) {
    db?.close();
    lock?.close();
    throw new StoreOpenError(path, (err as Error).message);
  }
}

/**
 * Whether the database file can still be trusted. Once it cannot (deleted, replaced, moved, found
 * corrupt) the store is unavailable for good, logged once: a restart is the way back.
 */
class FileHealth {
  readonly #file: string;
  readonly #identity: FileIdentity | undefined;
  readonly #logger: Logger;
  readonly #watch: NodeJS.Timeout | undefined;
  /** Why the store stopped; set once, never cleared. */
  #failure: string | undefined;

  constructor(file: string, identity: FileIdentity | undefined, logger: Logger, intervalMs: number) {
    this.#file = file;
    this.#identity = identity;
    this.#logger = logger;
    this.#watch = identity ? setInterval(() => this.check(), intervalMs).unref() : undefined;
  }

  get failure(): string | undefined {
    return this.#failure;
  }

  /** Compares the file's device and inode with the ones opened. */
  check(): void {
    if (!this.#identity || this.#failure !== undefined) return;
    try {
      const { dev, ino } = statSync(this.#file);
      if (dev !== this.#identity.dev || ino !== this.#identity.ino) this.#fail('database file replaced');
    } catch (err) {
      const code = (err as { code?: string }).code;
      this.#fail(code === 'ENOENT' ? 'database file deleted' : `database file cannot be checked (${code})`);
    }
  }

  /** Classifies a failed statement: corruption and a moved file end the store; any write error checks the file. */
  noteError(err: unknown): void {
    const code = String((err as { code?: unknown }).code ?? '');
    if (isCorruption(code)) this.#fail('database file is corrupt');
    else if (code === 'SQLITE_READONLY_DBMOVED') this.#fail('database file moved');
    else this.check();
  }

  /** The error a call gets: StoreUnavailableError once the store has failed, else `err` as it was. */
  rejection(err?: unknown): unknown {
    if (this.#failure === undefined) return err;
    return new StoreUnavailableError(this.#failure, err === undefined ? undefined : { cause: err });
  }

  /** Runs one read or write, turning failures that end the store into StoreUnavailableError. */
  use<T>(op: () => T): Promise<T> {
    if (this.#failure !== undefined) return Promise.reject(this.rejection());
    try {
      return Promise.resolve(op());
    } catch (err) {
      this.noteError(err);
      return Promise.reject(this.rejection(err));
    }
  }

  stop(): void {
    clearInterval(this.#watch);
  }

  #fail(reason: string): void {
    if (this.#failure !== undefined) return;
    this.#failure = reason;
    this.#logger.error('database unavailable', { path: this.#file, reason });
  }
}

/** Flushes delivery marks that no later turn of their client carried, at most `intervalMs` after they were made. */
class MarkFlush {
  readonly #intervalMs: number;
  readonly #flush: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number, flush: () => void) {
    this.#intervalMs = intervalMs;
    this.#flush = flush;
  }

  /** A mark is waiting: arms the flush unless one is already due. */
  due(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      // GroupCommit.flush answers for its own failures (the store's health); a timer must not throw.
      this.#flush();
    }, this.#intervalMs).unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

interface PendingTurn {
  clientId: string;
  turn: TurnRecord;
  state: string | null;
  now: number;
  resolve(stored: StoredReply[]): void;
  reject(err: unknown): void;
}

/** What a turn needs to know of its client's stored session, kept in memory so that a turn reads nothing back. */
interface SessionMeta {
  /** Whether the sessions row exists. */
  stored: boolean;
  /** The engine state as stored JSON; null for none. */
  state: string | null;
  /** History entries stored. */
  messages: number;
  /** The seq of the client's newest entry; 0 before the first. */
  lastSeq: number;
  /** Epoch milliseconds of the session's last turn or connection. */
  activeAt: number;
  /** sessions.last_active_at as the file holds it: up to ACTIVITY_RESOLUTION_MS behind activeAt. */
  storedActiveAt: number;
}

/** Each session's SessionMeta as the group being written leaves it, by client; cached only once the group commits. */
type MetaChanges = Map<string, SessionMeta>;

/** Writes one turn inside the group's transaction, recording its client's new SessionMeta in `changes`. */
type TurnWriter = (p: PendingTurn, changes: MetaChanges) => StoredReply[];

type TurnOutcome = { ok: true; stored: StoredReply[] } | { ok: false; err: unknown };

/**
 * Group commit: the turns of one event-loop tick go to disk in one transaction instead of one each (a
 * WAL commit costs far more than the rows in it). A delivery mark waits for its client's next turn,
 * whose entries go into the same page as the reply it marks, so that page is written once instead of
 * twice; marks whose client sends nothing more go with the next read that needs them or by a timer
 * (MarkFlush), within `walSyncIntervalMs`. The group is written first
 * without a savepoint per turn; if a turn fails, the whole transaction rolls back and the group is
 * written again with each turn in a savepoint of its own, so the failing turn rolls back alone.
 * Every read flushes first (a per-client read only when that client has turns waiting, so one turn's
 * reads do not cut the group short), so reads always see what was handed in. A crash before a flush
 * loses only turns whose replies were not sent yet, and delivery marks, whose replies are then sent
 * again on the next connection: at least once.
 */
class GroupCommit {
  readonly #db: Database.Database;
  readonly #health: FileHealth;
  readonly #writeTogether: (group: PendingTurn[], delivered: Array<[string, number]>) => TurnOutcome[];
  readonly #writeApart: (group: PendingTurn[], delivered: Array<[string, number]>) => TurnOutcome[];
  readonly #onCommitted: (changes: MetaChanges) => void;
  readonly #onMarksWaiting: () => void;
  #turns: PendingTurn[] = [];
  /** Clients with a turn in #turns. */
  #waiting = new Set<string>();
  #marks: Array<[string, number]> = [];
  #scheduled = false;
  /** The MetaChanges of the transaction being written; handed to onCommitted once it commits. */
  #changes: MetaChanges = new Map();

  /**
   * `writeTurn` writes one turn; `onCommitted` hears of the sessions a committed group changed;
   * `onMarksWaiting` of delivery marks left waiting, which someone must flush in time.
   */
  constructor(
    db: Database.Database,
    q: Statements,
    health: FileHealth,
    writeTurn: TurnWriter,
    { onCommitted, onMarksWaiting }: { onCommitted: (changes: MetaChanges) => void; onMarksWaiting: () => void },
  ) {
    this.#db = db;
    this.#health = health;
    this.#onCommitted = onCommitted;
    this.#onMarksWaiting = onMarksWaiting;
    const markAll = (delivered: Array<[string, number]>) => {
      for (const [clientId, seq] of delivered) q.delivered.run(clientId, seq);
    };
    this.#writeTogether = db.transaction((group: PendingTurn[], delivered: Array<[string, number]>) => {
      markAll(delivered);
      return group.map((p): TurnOutcome => ({ ok: true, stored: writeTurn(p, this.#changes) }));
    });
    // Inside the group transaction better-sqlite3 makes each turn's own transaction a savepoint.
    const turnTransaction = db.transaction((p: PendingTurn) => writeTurn(p, this.#changes));
    this.#writeApart = db.transaction((group: PendingTurn[], delivered: Array<[string, number]>) => {
      markAll(delivered);
      return group.map((p): TurnOutcome => {
        // A turn changes only its own client's entry; one rolled back to its savepoint must not keep it.
        const before = this.#changes.get(p.clientId);
        try {
          return { ok: true, stored: turnTransaction(p) };
        } catch (err) {
          if (before) this.#changes.set(p.clientId, before);
          else this.#changes.delete(p.clientId);
          return { ok: false, err };
        }
      });
    });
  }

  commit(clientId: string, turn: TurnRecord, now: Date): Promise<StoredReply[]> {
    if (this.#health.failure !== undefined) return Promise.reject(this.#health.rejection());
    return new Promise((resolve, reject) => {
      const state = turn.state === undefined ? null : JSON.stringify(turn.state);
      this.#turns.push({ clientId, turn, state, now: now.getTime(), resolve, reject });
      this.#waiting.add(clientId);
      this.#schedule();
    });
  }

  mark(clientId: string, ids: number[]): void {
    for (const id of ids) this.#marks.push([clientId, id]);
    this.#onMarksWaiting();
  }

  /**
   * Before a read of what the client's turns wrote (state, replies, archive): flushes when one of its
   * turns is waiting. Delivery marks change none of it, so they keep waiting for the group: a client
   * with messages queued starts its next turn while the last reply's mark waits, and flushing for
   * that mark would commit every turn on its own.
   */
  flushFor(clientId: string): void {
    if (this.#waiting.has(clientId)) this.flush();
  }

  /** Writes every turn and delivery mark handed in. */
  flush(): void {
    if ((this.#turns.length === 0 && this.#marks.length === 0) || !this.#db.open) return;
    const delivered = this.#marks;
    this.#marks = [];
    this.#writeOut(this.#takeTurns(), delivered);
  }

  /** Writes the turns handed in with the delivery marks of their clients; other marks keep waiting. */
  #flushTurns(): void {
    if (this.#turns.length === 0 || !this.#db.open) return;
    const waiting = this.#waiting;
    const delivered = this.#marks.filter(([clientId]) => waiting.has(clientId));
    if (delivered.length > 0) this.#marks = this.#marks.filter(([clientId]) => !waiting.has(clientId));
    this.#writeOut(this.#takeTurns(), delivered);
  }

  #takeTurns(): PendingTurn[] {
    const group = this.#turns;
    this.#turns = [];
    this.#waiting = new Set();
    return group;
  }

  #writeOut(group: PendingTurn[], delivered: Array<[string, number]>): void {
    // A deleted or replaced file would take these writes where no restart finds them.
    this.#health.check();
    if (this.#health.failure !== undefined) {
      for (const p of group) p.reject(this.#health.rejection());
      return;
    }
    let outcomes;
    try {
      outcomes = this.#write(group, delivered);
    } catch (err) {
      this.#health.noteError(err);
      for (const p of group) p.reject(this.#health.rejection(err));
      return;
    }
    outcomes.forEach((outcome, i) => {
      const p = group[i]!;
      if (outcome.ok) return p.resolve(outcome.stored);
      this.#health.noteError(outcome.err);
      p.reject(this.#health.rejection(outcome.err));
    });
  }

  /** Writes the group, together or (after a failure that rolled it all back) each turn apart. */
  #write(group: PendingTurn[], delivered: Array<[string, number]>): TurnOutcome[] {
    try {
      return this.#committed(() => this.#writeTogether(group, delivered));
    } catch (err) {
      // Only a failing turn is worth writing apart; a failing mark or commit fails the group again.
      this.#health.noteError(err);
      if (this.#health.failure !== undefined || group.length === 0) throw err;
      return this.#committed(() => this.#writeApart(group, delivered));
    }
  }

  /** Runs one group transaction; the sessions it changed reach the cache only if it commits. */
  #committed(write: () => TurnOutcome[]): TurnOutcome[] {
    this.#changes = new Map();
    try {
      const outcomes = write();
      this.#onCommitted(this.#changes);
      return outcomes;
    } finally {
      this.#changes = new Map();
    }
  }

  /**
   * The end-of-tick flush. After one that wrote turns the next is armed at once, so under load it is
   * queued ahead of the connections' end-of-tick write (ConnectionManager.sendTo): the replies it
   * releases then leave in the same write as their `processing` frames, one syscall instead of two.
   * An idle store arms it once more, for nothing.
   */
  #flushAtTickEnd(): void {
    this.#scheduled = false;
    const wroteTurns = this.#turns.length > 0;
    this.#flushTurns();
    if (wroteTurns) this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flushAtTickEnd());
  }
}

/** SessionMeta of the sessions most recently written or read, so a turn neither reads its state nor counts its history. */
class SessionCache {
  readonly #sessions = new Map<string, SessionMeta>();
  readonly #q: Statements;
  /**
   * The highest seq this process has handed out or read, of any client. A new session numbers its
   * entries from above it: a delivery mark still on its way for a deleted session's reply (its socket
   * write completes late) then matches no entry of the client's next session.
   */
  #highestSeq = 0;

  constructor(q: Statements) {
    this.#q = q;
  }

  /** The client's SessionMeta, read from the database when it is not cached. */
  get(clientId: string): SessionMeta {
    const cached = this.#sessions.get(clientId);
    if (cached) return cached;
    const row = this.#q.meta.get(clientId, clientId, clientId);
    const meta = row
      ? {
          stored: true,
          state: row.state,
          messages: row.messages,
          lastSeq: row.lastSeq ?? 0,
          activeAt: row.activeAt,
          storedActiveAt: row.activeAt,
        }
      : { stored: false, state: null, messages: 0, lastSeq: this.#highestSeq, activeAt: 0, storedActiveAt: 0 };
    this.#remember(clientId, meta);
    return meta;
  }

  /** Takes in what a committed group left. */
  update(changes: MetaChanges): void {
    for (const [clientId, meta] of changes) this.#remember(clientId, meta);
  }

  /** The client's session row was just given `activeAt` (a connection). */
  touched(clientId: string, activeAt: number): void {
    const meta = this.#sessions.get(clientId);
    if (!meta) return;
    meta.activeAt = meta.storedActiveAt = activeAt;
    this.#remember(clientId, meta);
  }

  /**
   * Writes the exact time of last activity of the cached sessions (one, or all) whose row is behind it,
   * in the caller's transaction.
   */
  saveActivity(clientId?: string): void {
    const metas = clientId === undefined ? this.#sessions : [[clientId, this.#sessions.get(clientId)] as const];
    const saved: SessionMeta[] = [];
    for (const [id, meta] of metas) {
      if (!meta?.stored || meta.activeAt <= meta.storedActiveAt) continue;
      this.#q.touch.run(meta.activeAt, id);
      saved.push(meta);
    }
    // Only once every row is written: a write that throws leaves the cache as the file is.
    for (const meta of saved) meta.storedActiveAt = meta.activeAt;
  }

  /** Notes replies read from the database (pending, or answering a repeated message_id). */
  handedOut(replies: StoredReply[]): StoredReply[] {
    for (const { id } of replies) this.#highestSeq = Math.max(this.#highestSeq, id);
    return replies;
  }

  forget(clientId?: string): void {
    if (clientId === undefined) this.#sessions.clear();
    else this.#sessions.delete(clientId);
  }

  #remember(clientId: string, meta: SessionMeta): void {
    this.#highestSeq = Math.max(this.#highestSeq, meta.lastSeq);
    this.#sessions.delete(clientId);
    this.#sessions.set(clientId, meta);
    if (this.#sessions.size > SESSION_CACHE_SIZE) this.#sessions.delete(this.#sessions.keys().next().value!);
  }
}

/**
 * The user entry and the replies (undelivered, `data` their frames as JSON) at `first`, `first + 1`…:
 * one INSERT for up to REPLIES_PER_INSERT replies.
 */
function insertEntries(q: Statements, clientId: string, first: number, turn: TurnRecord, data: string[]): void {
  const { user, replies } = turn;
  const messageId = user.message_id ?? null;
  const together = Math.min(replies.length, REPLIES_PER_INSERT);
  const values: unknown[] = [clientId, first, user.content, user.timestamp, messageId];
  for (let i = 0; i < together; i++) {
    const frame = replies[i]!;
    values.push(clientId, first + 1 + i, frame.content, frame.timestamp, messageId, data[i]);
  }
  q.entries(together).run(values);
  for (let i = together; i < replies.length; i++) {
    const frame = replies[i]!;
    q.reply.run(clientId, first + 1 + i, frame.content, frame.timestamp, messageId, data[i]);
  }
}

/**
 * One turn's writes: its entries, the history cap, the session row when the state changed or its
 * time of activity is ACTIVITY_RESOLUTION_MS behind, the archive. Two statements in the common case,
 * and the delivery mark of the client's last reply; what it needs to know of the session comes from
 * `sessions`, not from a read.
 */
function turnWriter(q: Statements, sessions: SessionCache, maxHistoryMessages: number): TurnWriter {
  return ({ clientId, turn, state, now }, changes) => {
    const before = changes.get(clientId) ?? sessions.get(clientId);
    const first = before.lastSeq + 1;
    const data = turn.replies.map((frame) => JSON.stringify(frame));
    insertEntries(q, clientId, first, turn, data);
    const lastSeq = first + turn.replies.length;
    let messages = before.messages + 1 + turn.replies.length;
    if (messages > maxHistoryMessages) messages -= q.trim.run(clientId, lastSeq - maxHistoryMessages + 1).changes;
    const stateChanged = state !== null && state !== before.state;
    let storedActiveAt = now;
    if (!before.stored) q.createSession.run(clientId, now, now, state);
    else if (stateChanged) q.updateSessionState.run(now, state, clientId);
    else if (now - before.storedActiveAt >= ACTIVITY_RESOLUTION_MS) q.touch.run(now, clientId);
    else storedActiveAt = before.storedActiveAt;
    for (const item of turn.archive ?? []) q.archive.run(clientId, JSON.stringify(item));
    changes.set(clientId, {
      stored: true,
      state: state ?? before.state,
      messages,
      lastSeq,
      activeAt: now,
      storedActiveAt,
    });
    return turn.replies.map((frame, i) => ({ id: first + 1 + i, frame, data: data[i]! }));
  };
}

/** The stored session as GET /admin/sessions shows it. */
function sessionSummary(q: Statements, clientId: string) {
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
}

/** The calendar-feed part of the Store: tokens per client, made on first use. */
function feedMethods(
  q: Statements,
  use: <T>(op: () => T) => Promise<T>,
): Pick<Store, 'calendarFeed' | 'rotateCalendarFeed' | 'revokeCalendarFeed' | 'findCalendarFeed'> {
  const issueFeed = (clientId: string) => {
    const token = newFeedToken();
    q.issueFeed.run(clientId, token, Date.now());
    return token;
  };
  return {
    calendarFeed: (clientId) => use(() => q.feed.get(clientId)?.token ?? issueFeed(clientId)),
    rotateCalendarFeed: (clientId) => use(() => issueFeed(clientId)),
    revokeCalendarFeed: (clientId) => use(() => q.revokeFeed.run(clientId).changes > 0),
    findCalendarFeed: (token) => use(() => q.feedOwner.get(token)?.client_id),
  };
}

/**
 * A store in one SQLite file (WAL, foreign keys on). Every turn is one transaction, so a crash, even
 * kill -9, leaves either the whole turn or none of it. `:memory:` gives a private in-memory database.
 *
 * Opening refuses (StoreOpenError) a file that is not a database, is from a newer schema, fails
 * `PRAGMA quick_check`, or is locked by another process. While open, the store goes unhealthy for good,
 * logging it once, when the file is deleted or replaced (its device and inode change; checked before
 * every write and every `identityCheckIntervalMs`) or SQLite reports it corrupt; every call then
 * rejects with StoreUnavailableError.
 */
export function createSqliteStore(
  path: string,
  {
    maxHistoryMessages = HISTORY_LIMIT.default,
    logger = silentLogger,
    identityCheckIntervalMs = DEFAULT_IDENTITY_CHECK_INTERVAL_MS,
    walSyncIntervalMs = DEFAULT_WAL_SYNC_INTERVAL_MS,
  }: SqliteStoreOptions = {},
): Store {
  const { db, lock, identity, file } = openStore(path);
  const q = prepareStatements(db);
  const health = new FileHealth(file, identity, logger, identityCheckIntervalMs);
  const use = <T>(op: () => T) => health.use(op);
  const deleteSession = db.transaction((clientId: string) => {
    q.revokeFeed.run(clientId);
    q.removeMessages.run(clientId);
    return q.remove.run(clientId).changes > 0;
  });
  const sweep = db.transaction((cutoff: number) => {
    q.sweepMessages.run(cutoff);
    const removed = q.sweep.run(cutoff).changes;
    q.sweepFeeds.run(cutoff);
    return removed;
  });
  let checkpointFailures = 0;
  // Logged once: the worker tries again after every commit, and a disk that fails stays failing.
  const checkpointFailed = (failure: CheckpointFailure) => {
    if (checkpointFailures++ === 0) logger.error('WAL checkpoint failed', { path: file, ...failure });
    health.noteError(failure);
  };
  const sessions = new SessionCache(q);
  const saveAllActivity = db.transaction(() => sessions.saveActivity());
  const marks = new MarkFlush(walSyncIntervalMs, () => writes.flush());
  // An in-memory database has no WAL to checkpoint.
  const checkpointer = file === ':memory:' ? undefined : new WalCheckpointer(file, walSyncIntervalMs, checkpointFailed);
  const writes = new GroupCommit(db, q, health, turnWriter(q, sessions, maxHistoryMessages), {
    onCommitted(changes) {
      sessions.update(changes);
      checkpointer?.committed();
    },
    onMarksWaiting: () => marks.due(),
  });

  return {
    openSession: (clientId, now) =>
      use(() => {
        writes.flush();
        const { changes } = q.touch.run(now.getTime(), clientId);
        if (changes === 0) return { resumed: false, messages: 0, pending: [] };
        sessions.touched(clientId, now.getTime());
        return {
          resumed: true,
          messages: sessions.get(clientId).messages,
          pending: sessions.handedOut(q.pending.all(clientId).map(toReply)),
        };
      }),
    loadState: (clientId) =>
      use(() => {
        writes.flushFor(clientId);
        return parseState(sessions.get(clientId).state);
      }),
    findReplies: (clientId, messageId) =>
      use(() => {
        writes.flushFor(clientId);
        const user = q.processed.get(clientId, messageId);
        if (!user) return undefined;
        return sessions.handedOut(q.replies.all(clientId, user.seq, messageId).map(toReply));
      }),
    commitTurn: (clientId, turn, now) => writes.commit(clientId, turn, now),
    markDelivered: (clientId, ids) => use(() => writes.mark(clientId, ids)),
    getSession: (clientId) =>
      use(() => {
        writes.flush();
        sessions.saveActivity(clientId);
        return sessionSummary(q, clientId);
      }),
    loadArchive: (clientId) =>
      use(() => {
        writes.flushFor(clientId);
        return q.archived.all(clientId).map((row) => JSON.parse(row.item) as unknown);
      }),
    ...feedMethods(q, use),
    deleteSession: (clientId) =>
      use(() => {
        writes.flush();
        sessions.forget(clientId);
        return deleteSession(clientId);
      }),
    sweep: (cutoff) =>
      use(() => {
        writes.flush();
        saveAllActivity();
        sessions.forget();
        return sweep(cutoff.getTime());
      }),
    health: async () => {
      health.check();
      return health.failure === undefined ? { ok: true } : { ok: false, reason: health.failure };
    },
    async close() {
      health.stop();
      writes.flush();
      try {
        if (db.open && health.failure === undefined) saveAllActivity();
      } catch (err) {
        // Only the time of last activity is lost (a file at most ACTIVITY_RESOLUTION_MS behind); close anyway.
        health.noteError(err);
      }
      marks.stop();
      // Closing the last connection checkpoints what is left.
      await checkpointer?.stop();
      if (db.open) db.close();
      if (lock?.open) lock.close();
    },
  };
}
