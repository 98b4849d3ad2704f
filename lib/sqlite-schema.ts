import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { HISTORY_LIMIT } from './store.ts';

/*
 * Why turns look like this (the turn is the hot path; see README, Benchmark): a turn is one row, its
 * user entry and its replies (the frames, as a JSON array) together, and each session's history is a
 * ring of as many rows as the history cap has entries. A turn overwrites the row of the turn that many
 * turns before it, in place: one statement writes the turn and drops the oldest, and only the page it
 * lives on changes. A ring that holds as many turns as the cap holds entries always holds the newest
 * `cap` entries (a turn has at least its user entry), and a read shows just those. Which replies are
 * not delivered yet is one list per session, in its newest row, so the marks of a turn's replies ride
 * in the client's next turn row. A row with replies not yet delivered is not overwritten before they
 * are moved to spilled_replies: the cap never loses an answer.
 *
 * A row's id is its session's number × TURN_ID_STRIDE + its turn number modulo the ring's size, so a
 * session's turns are one run of ids in the table itself and need no index of their own.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  number         INTEGER PRIMARY KEY,
  client_id      TEXT NOT NULL UNIQUE,
  created_at     INTEGER NOT NULL,
  last_active_at INTEGER NOT NULL,
  state          TEXT
);
CREATE INDEX IF NOT EXISTS sessions_by_activity ON sessions (last_active_at);
CREATE TABLE IF NOT EXISTS turns (
  id                INTEGER PRIMARY KEY,
  turn_no           INTEGER NOT NULL,
  seq               INTEGER NOT NULL,
  last_seq          INTEGER NOT NULL,
  message_id        TEXT,
  content           TEXT NOT NULL,
  timestamp         TEXT NOT NULL,
  replies           TEXT NOT NULL,
  undelivered       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_message_id ON turns (message_id) WHERE message_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS spilled_replies (
  client_id TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  frame     TEXT NOT NULL,
  PRIMARY KEY (client_id, seq)
) WITHOUT ROWID;
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
CREATE TABLE IF NOT EXISTS store_settings (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * Bumped whenever SCHEMA changes shape; a file from a newer version is refused rather than misread.
 * 2: archive and calendar_feeds. 3: messages keyed by client and a per-client seq. 4: no
 * sessions.message_count. 5: a ring of turn rows per session instead of a row per entry. Files of
 * every older version are migrated when opened.
 */
export const SCHEMA_VERSION = 5;

/** Ids one session's turn rows may take: more than the largest history cap. */
export const TURN_ID_STRIDE = 2 ** 17;
if (HISTORY_LIMIT.max >= TURN_ID_STRIDE) throw new Error('TURN_ID_STRIDE must exceed HISTORY_LIMIT.max');

/** The first and last turn id of a session's run. */
export const turnIdRange = (number: number): [number, number] => [
  number * TURN_ID_STRIDE,
  (number + 1) * TURN_ID_STRIDE - 1,
];

/**
 * WAL pages after which a commit runs a checkpoint itself (SQLite's default is 1000): a backstop
 * for a checkpoint worker (WalCheckpointer) that falls behind, and what keeps the WAL file from
 * growing for ever, since only a checkpoint inside a commit lets the next commit start it over.
 */
const WAL_AUTOCHECKPOINT_PAGES = 16_000;

/** A turn row as stored. */
export interface TurnRow {
  turn_no: number;
  seq: number;
  last_seq: number;
  message_id: string | null;
  content: string;
  timestamp: string;
  replies: string;
  /** The seqs of the session's replies not delivered when the row was written, space-separated; the newest row's count. */
  undelivered: string;
}

/** The seqs a turn row's `undelivered` lists. */
export const seqsOf = (undelivered: string): number[] => (undelivered === '' ? [] : undelivered.split(' ').map(Number));

/**
 * better-sqlite3 is an optional dependency, loaded when the first SQLite store is opened (it is
 * CommonJS, hence require; Node caches it): an embedder with a store of its own installs and loads
 * no native addon.
 */
export function sqliteDriver(): typeof Database {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  } catch (err) {
    throw new Error(`the SQLite driver could not be loaded (npm install better-sqlite3): ${(err as Error).message}`);
  }
}

/** The first problem `PRAGMA quick_check` finds, on one line, or undefined for a sound file. */
function integrityProblem(db: Database.Database): string | undefined {
  const [first] = db.pragma('quick_check(1)') as Array<{ quick_check: string }>;
  if (first?.quick_check === 'ok') return undefined;
  // SQLite prefixes the first problem with a "*** in database main ***" line.
  return (first?.quick_check ?? 'no result').replace(/^\*\*\* in database \w+ \*\*\*\s*/, '').replace(/\s+/g, ' ');
}

const hasTable = (db: Database.Database, table: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) !== undefined;

const hasColumn = (db: Database.Database, table: string, column: string): boolean =>
  db.prepare('SELECT 1 FROM pragma_table_info(?) WHERE name = ?').get(table, column) !== undefined;

/** Keeps a reply apart in spilled_replies (once: a reply already there stays as it is). */
type Spill = (clientId: string, seq: number, frame: string) => void;

/** Writes one session's turns as its ring, in order, the newest last. */
type TurnLayout = (clientId: string, number: number, turns: TurnRow[]) => void;

/**
 * Writes a session's turns as its ring of `slots` rows: the newest `slots` turns; the replies of older
 * ones not yet delivered go to spilled_replies. Its statements are prepared once, for every session.
 */
function turnLayout(db: Database.Database, slots: number, spill: Spill): TurnLayout {
  const insert = db.prepare(
    `INSERT INTO turns (id, turn_no, seq, last_seq, message_id, content, timestamp, replies, undelivered)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (clientId, number, turns) => {
    const undelivered = turns.at(-1)?.undelivered ?? '';
    const pending = new Set(seqsOf(undelivered));
    const dropped = Math.max(0, turns.length - slots);
    for (const turn of turns.slice(0, dropped)) {
      (JSON.parse(turn.replies) as unknown[]).forEach((frame, i) => {
        const seq = turn.seq + 1 + i;
        if (pending.has(seq)) spill(clientId, seq, JSON.stringify(frame));
      });
    }
    const [first] = turnIdRange(number);
    for (const t of turns.slice(dropped)) {
      insert.run(
        first + (t.turn_no % slots),
        t.turn_no,
        t.seq,
        t.last_seq,
        t.message_id,
        t.content,
        t.timestamp,
        t.replies,
        undelivered,
      );
    }
  };
}

/** A Spill for the migrations (a turn's own write spills a row's replies in one statement: sqlite-store.ts). */
function spillOf(db: Database.Database): Spill {
  const insert = db.prepare('INSERT OR IGNORE INTO spilled_replies (client_id, seq, frame) VALUES (?, ?, ?)');
  return (clientId, seq, frame) => insert.run(clientId, seq, frame);
}

/** Every session's number and client id. */
const sessionsOf = (db: Database.Database) =>
  db.prepare('SELECT number, client_id AS clientId FROM sessions').all() as Array<{ number: number; clientId: string }>;

interface EntryRow {
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
  message_id: string | null;
  frame: string | null;
  delivered: number;
}

/**
 * A session's entries as schemas 1–4 kept them (a row each, in order) as turn rows: each user entry
 * with the replies after it. Replies whose user entry the cap had dropped go to spilled_replies if not
 * delivered.
 */
function turnsOfEntries(spill: Spill, clientId: string, entries: EntryRow[]): TurnRow[] {
  const undelivered = entries.flatMap((e, i) => (e.role === 'assistant' && e.delivered === 0 ? [i + 1] : [])).join(' ');
  const turns: TurnRow[] = [];
  let frames: string[] = [];
  const close = () => {
    const turn = turns.at(-1);
    if (turn) turn.replies = `[${frames.join(',')}]`;
    frames = [];
  };
  entries.forEach((entry, i) => {
    const seq = i + 1;
    if (entry.role === 'user') {
      close();
      const { content, timestamp, message_id } = entry;
      turns.push({
        turn_no: turns.length + 1,
        seq,
        last_seq: seq,
        message_id,
        content,
        timestamp,
        replies: '[]',
        undelivered,
      });
    } else if (turns.length > 0) {
      frames.push(entry.frame!);
      turns.at(-1)!.last_seq = seq;
    } else if (entry.delivered === 0) {
      spill(clientId, seq, entry.frame!);
    }
  });
  close();
  return turns;
}

/**
 * Moves a file of schema 1–4 to turn rows, inside the transaction that opens it: sessions get their
 * number, each session's entries become its ring. Entries are renumbered 1, 2, 3… per client in their
 * old order (schemas 1 and 2 numbered them across clients).
 */
function migrateToTurns(db: Database.Database, slots: number): void {
  // The steps SQLite documents for changing a table's shape, foreign keys being off until the file is open.
  db.exec(`
    CREATE TABLE sessions_v5 (number INTEGER PRIMARY KEY, client_id TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
      last_active_at INTEGER NOT NULL, state TEXT);
    INSERT INTO sessions_v5 (client_id, created_at, last_active_at, state)
      SELECT client_id, created_at, last_active_at, state FROM sessions ORDER BY rowid;
    DROP TABLE sessions;
    ALTER TABLE sessions_v5 RENAME TO sessions;
    ${SCHEMA}
  `);
  const order = hasColumn(db, 'messages', 'id') ? 'id' : 'seq';
  const entries = db.prepare<[string], EntryRow>(
    `SELECT role, content, timestamp, message_id, frame, delivered FROM messages WHERE client_id = ? ORDER BY ${order}`,
  );
  const spill = spillOf(db);
  const layOut = turnLayout(db, slots, spill);
  for (const { number, clientId } of sessionsOf(db)) {
    layOut(clientId, number, turnsOfEntries(spill, clientId, entries.all(clientId)));
  }
  db.exec('DROP TABLE messages');
}

/** Lays every session's turns out again for a ring of a new size (the history cap changed since the file was written). */
function resizeRings(db: Database.Database, slots: number): void {
  const turns = db.prepare<[number, number], TurnRow>(
    `SELECT turn_no, seq, last_seq, message_id, content, timestamp, replies, undelivered
     FROM turns WHERE id BETWEEN ? AND ? ORDER BY turn_no`,
  );
  const remove = db.prepare<[number, number]>('DELETE FROM turns WHERE id BETWEEN ? AND ?');
  const layOut = turnLayout(db, slots, spillOf(db));
  for (const { number, clientId } of sessionsOf(db)) {
    const range = turnIdRange(number);
    const rows = turns.all(...range);
    remove.run(...range);
    layOut(clientId, number, rows);
  }
}

/** Brings the schema to SCHEMA_VERSION and the rings to `slots` rows, in one transaction. */
function migrate(db: Database.Database, slots: number): void {
  db.transaction(() => {
    if (hasTable(db, 'messages')) migrateToTurns(db, slots);
    else db.exec(SCHEMA);
    const setting = db.prepare("SELECT value FROM store_settings WHERE name = 'history_slots'").get() as
      { value: number } | undefined;
    if (setting !== undefined && setting.value !== slots) resizeRings(db, slots);
    db.prepare("INSERT OR REPLACE INTO store_settings (name, value) VALUES ('history_slots', ?)").run(slots);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/**
 * Opens, checks and migrates the database, its rings sized for `slots` turns; closes it again if any
 * step fails.
 */
export function openDatabase(file: string, slots: number): Database.Database {
  const db = new (sqliteDriver())(file);
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma('busy_timeout = 5000');
    // Off while the schema is migrated (better-sqlite3 turns them on): dropping the old sessions table must not cascade.
    db.pragma('foreign_keys = OFF');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION)
      throw new Error(`schema version ${version} is newer than this server (${SCHEMA_VERSION})`);
    // Reads every page once: a corrupt file is refused at start rather than failing some users' turns later.
    const problem = integrityProblem(db);
    if (problem !== undefined) throw new Error(`the file is corrupt (quick_check: ${problem})`);
    migrate(db, slots);
    db.pragma('foreign_keys = ON');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
