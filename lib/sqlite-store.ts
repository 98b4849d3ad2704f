import type Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { silentLogger, type Logger } from './logger.ts';
import { releaseAtTickEnd } from './tick-end.ts';
import { openDatabase, seqsOf, sqliteDriver, turnIdRange, type TurnRow } from './sqlite-schema.ts';
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

/** Thrown when the database file cannot be opened or is not a MeetingMuse database. */
class StoreOpenError extends Error {
  override name = 'StoreOpenError';
  readonly code = 'ERR_STORE_OPEN';
  constructor(path: string, reason: string) {
    super(`cannot open database ${path}: ${reason}`);
  }
}

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

const parseState = (text: string | null | undefined): unknown => (text == null ? undefined : JSON.parse(text));

/** The stored replies of a turn row (`replies`, a JSON array of frames, its first reply at `seq + 1`). */
const repliesOf = (seq: number, replies: string): StoredReply[] =>
  (JSON.parse(replies) as BotResponseFrame[]).map((frame, i) => ({
    id: seq + 1 + i,
    frame,
    data: JSON.stringify(frame),
  }));

type Statements = ReturnType<typeof prepareStatements>;

const TURN_COLUMNS = 'id, turn_no, seq, last_seq, message_id, content, timestamp, replies, undelivered';
const TURN_VALUES = '?, ?, ?, ?, ?, ?, ?, ?, ?';

function prepareStatements(db: Database.Database) {
  return {
    touch: db.prepare<[number, string]>('UPDATE sessions SET last_active_at = ? WHERE client_id = ?'),
    newestTurn: db.prepare<[number, number], Pick<TurnRow, 'turn_no' | 'last_seq' | 'undelivered'>>(
      'SELECT turn_no, last_seq, undelivered FROM turns WHERE id BETWEEN ? AND ? ORDER BY turn_no DESC LIMIT 1',
    ),
    entries: db.prepare<[number, number], { entries: number }>(
      'SELECT coalesce(sum(last_seq - seq + 1), 0) AS entries FROM turns WHERE id BETWEEN ? AND ?',
    ),
    /** Turn rows with replies after `seq`. */
    repliesAfter: db.prepare<[number, number, number], Pick<TurnRow, 'seq' | 'replies'>>(
      'SELECT seq, replies FROM turns WHERE id BETWEEN ? AND ? AND last_seq > ? ORDER BY turn_no',
    ),
    spilled: db.prepare<[string], { seq: number; frame: string }>(
      'SELECT seq, frame FROM spilled_replies WHERE client_id = ? ORDER BY seq',
    ),
    processed: db.prepare<[string, number, number], Pick<TurnRow, 'seq' | 'replies'>>(
      'SELECT seq, replies FROM turns WHERE message_id = ? AND id BETWEEN ? AND ? ORDER BY turn_no DESC LIMIT 1',
    ),
    createSession: db.prepare<[string, number, number, string | null]>(
      'INSERT INTO sessions (client_id, created_at, last_active_at, state) VALUES (?, ?, ?, ?)',
    ),
    updateSessionState: db.prepare<[number, string, string]>(
      'UPDATE sessions SET last_active_at = ?, state = ? WHERE client_id = ?',
    ),
    /**
     * The turn in its ring slot, over the turn `slots` turns older, unless that one has replies after the
     * last parameter, the seq every reply up to is delivered (then it changes nothing, and the caller
     * spills them first).
     */
    writeTurn: db.prepare(
      `INSERT INTO turns (${TURN_COLUMNS}) VALUES (${TURN_VALUES}) ON CONFLICT (id) DO UPDATE SET
         turn_no = excluded.turn_no, seq = excluded.seq, last_seq = excluded.last_seq, message_id = excluded.message_id,
         content = excluded.content, timestamp = excluded.timestamp, replies = excluded.replies,
         undelivered = excluded.undelivered
       WHERE turns.last_seq <= ?`,
    ),
    overwriteTurn: db.prepare(`REPLACE INTO turns (${TURN_COLUMNS}) VALUES (${TURN_VALUES})`),
    /** The replies after `seq` of the turn row `id`, kept apart before the row is overwritten. */
    spill: db.prepare<[string, number, number]>(
      `INSERT OR IGNORE INTO spilled_replies (client_id, seq, frame)
       SELECT ?, turns.seq + 1 + reply.key, reply.value FROM turns, json_each(turns.replies) AS reply
       WHERE turns.id = ? AND turns.seq + 1 + reply.key > ?`,
    ),
    lastSpilled: db.prepare<[string], { seq: number | null }>(
      'SELECT max(seq) AS seq FROM spilled_replies WHERE client_id = ?',
    ),
    dropSpilled: db.prepare<[string, number]>('DELETE FROM spilled_replies WHERE client_id = ? AND seq <= ?'),
    undelivered: db.prepare<[string, number]>('UPDATE turns SET undelivered = ? WHERE id = ?'),
    session: db.prepare<[string], { number: number; created_at: number; last_active_at: number; state: string | null }>(
      'SELECT number, created_at, last_active_at, state FROM sessions WHERE client_id = ?',
    ),
    history: db.prepare<[number, number], Pick<TurnRow, 'message_id' | 'content' | 'timestamp' | 'replies'>>(
      'SELECT message_id, content, timestamp, replies FROM turns WHERE id BETWEEN ? AND ? ORDER BY turn_no',
    ),
    removeTurns: db.prepare<[number, number]>('DELETE FROM turns WHERE id BETWEEN ? AND ?'),
    removeSpilled: db.prepare<[string]>('DELETE FROM spilled_replies WHERE client_id = ?'),
    remove: db.prepare<[string]>('DELETE FROM sessions WHERE client_id = ?'),
    idle: db.prepare<[number], { clientId: string }>(
      'SELECT client_id AS clientId FROM sessions WHERE last_active_at < ?',
    ),
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

interface FileIdentity {
  dev: number;
  ino: number;
}

/** Locks, opens and checks the file, rings of `slots` turns; StoreOpenError (with nothing left open) when any step fails. */
function openStore(
  path: string,
  slots: number,
): {
  db: Database.Database;
  lock?: Database.Database;
  identity?: FileIdentity;
  file: string;
} {
  if (path === ':memory:') return { db: openDatabase(path, slots), file: path };
  const file = resolve(path);
  let lock: Database.Database | undefined;
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true });
    lock = lockFile(file);
    db = openDatabase(file, slots);
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

/** What reads of a client need of its turns waiting to be written. */
interface WaitingTurns {
  /** The newest engine state they hand in (stored JSON); null while none of them changes it. */
  state: string | null;
  /** The message_ids they answer. */
  messageIds: string[];
}

/** What a turn needs to know of its client's stored session, kept in memory so that a turn reads nothing back. */
interface SessionMeta {
  /** The sessions row's number; 0 while there is no row. */
  number: number;
  /** The engine state as stored JSON; null for none. */
  state: string | null;
  /** The seq of the client's newest entry. */
  lastSeq: number;
  /** The number of the client's newest turn; 0 before the first. */
  turns: number;
  /** The seqs of the stored replies not marked delivered yet, ascending, as the client's newest turn row lists them. */
  unmarked: number[];
  /** The highest seq in spilled_replies for the client; 0 for none. */
  lastSpilled: number;
  /** Epoch milliseconds of the session's last turn or connection. */
  activeAt: number;
  /** sessions.last_active_at as the file holds it: up to ACTIVITY_RESOLUTION_MS behind activeAt. */
  storedActiveAt: number;
}

/** Each session's SessionMeta as the group being written leaves it, by client; cached only once the group commits. */
type MetaChanges = Map<string, SessionMeta>;

/** Delivery marks waiting to be written: reply ids by client. */
type Marks = Map<string, number[]>;

/** Writes one turn, with its client's waiting marks, inside the group's transaction, recording its client's new SessionMeta in `changes`. */
type TurnWriter = (p: PendingTurn, marks: number[] | undefined, changes: MetaChanges) => StoredReply[];

/** Writes one client's delivery marks that no turn of the group carried. */
type MarkWriter = (clientId: string, ids: number[], changes: MetaChanges) => void;

type TurnOutcome = { ok: true; stored: StoredReply[] } | { ok: false; err: unknown };

/** Microtasks a follow-up flush waits, at most, for the turns its replies let start (the assistant's take 8). */
const FOLLOW_UP_HOPS = 16;

/** Follow-up flushes in one event-loop turn, at most: they all run before the next turn's I/O. */
const FOLLOW_UP_ROUNDS = 16;

/**
 * Group commit: the turns of one event-loop tick go to disk in one transaction instead of one each (a
 * WAL commit costs far more than the rows in it). A delivery mark waits for its client's next turn,
 * whose row carries it; marks whose client sends nothing more go with the next read that needs them
 * or by a timer (MarkFlush), within `walSyncIntervalMs`. The group is written first
 * without a savepoint per turn; if a turn fails, the whole transaction rolls back and the group is
 * written again with each turn in a savepoint of its own, so the failing turn rolls back alone, with
 * the later turns of its client. Reads always see what was handed in: the engine state of a waiting
 * turn is read from it, and other reads flush first (a per-client read only when that client has a
 * turn waiting that it needs). So a client's queued turns, handed in one after the other before the
 * first is written (Store.turnsAhead), go to disk together. A crash before a flush
 * loses only turns whose replies were not sent yet, and delivery marks, whose replies are then sent
 * again on the next connection: at least once.
 */
class GroupCommit {
  readonly #db: Database.Database;
  readonly #health: FileHealth;
  readonly #writeTogether: (group: PendingTurn[], marks: Marks) => TurnOutcome[];
  readonly #writeApart: (group: PendingTurn[], marks: Marks) => TurnOutcome[];
  readonly #onCommitted: (changes: MetaChanges) => void;
  readonly #onMarksWaiting: () => void;
  #turns: PendingTurn[] = [];
  /** Clients with a turn in #turns, with what their reads need of those turns. */
  #waiting = new Map<string, WaitingTurns>();
  #marks: Marks = new Map();
  /**
   * Clients with a turn refused in this event-loop turn, and why: a turn of theirs handed in before the
   * pipeline could see the refusal may build on the refused turn's state, so it is refused too
   * (Store.turnsAhead). Emptied once the event-loop turn is over.
   */
  #refused = new Map<string, unknown>();
  #scheduled = false;
  /** The MetaChanges of the transaction being written; handed to onCommitted once it commits. */
  #changes: MetaChanges = new Map();

  /**
   * `writeTurn` writes one turn and `writeMarks` the marks no turn carried; `onCommitted` hears of the
   * sessions a committed group changed; `onMarksWaiting` of delivery marks left waiting, which someone
   * must flush in time.
   */
  constructor(
    db: Database.Database,
    health: FileHealth,
    { writeTurn, writeMarks }: { writeTurn: TurnWriter; writeMarks: MarkWriter },
    { onCommitted, onMarksWaiting }: { onCommitted: (changes: MetaChanges) => void; onMarksWaiting: () => void },
  ) {
    this.#db = db;
    this.#health = health;
    this.#onCommitted = onCommitted;
    this.#onMarksWaiting = onMarksWaiting;
    // A mark its client's turn carried changes nothing more here; one of a turn that failed is written alone.
    const markAll = (marks: Marks) => {
      for (const [clientId, ids] of marks) writeMarks(clientId, ids, this.#changes);
    };
    this.#writeTogether = db.transaction((group: PendingTurn[], marks: Marks) => {
      const outcomes = group.map((p): TurnOutcome => ({
        ok: true,
        stored: writeTurn(p, marks.get(p.clientId), this.#changes),
      }));
      markAll(marks);
      return outcomes;
    });
    // Inside the group transaction better-sqlite3 makes each turn's own transaction a savepoint.
    const turnTransaction = db.transaction((p: PendingTurn, marks: Marks) =>
      writeTurn(p, marks.get(p.clientId), this.#changes),
    );
    this.#writeApart = db.transaction((group: PendingTurn[], marks: Marks) => {
      // A client's later turns may have been computed from a failed turn's state (Store.turnsAhead): they fail with it.
      const failed = new Map<string, unknown>();
      const outcomes = group.map((p): TurnOutcome => {
        if (failed.has(p.clientId)) return { ok: false, err: failed.get(p.clientId) };
        // A turn changes only its own client's entry; one rolled back to its savepoint must not keep it.
        const before = this.#changes.get(p.clientId);
        try {
          return { ok: true, stored: turnTransaction(p, marks) };
        } catch (err) {
          if (before) this.#changes.set(p.clientId, before);
          else this.#changes.delete(p.clientId);
          failed.set(p.clientId, err);
          return { ok: false, err };
        }
      });
      markAll(marks);
      return outcomes;
    });
  }

  commit(clientId: string, turn: TurnRecord, now: Date): Promise<StoredReply[]> {
    if (this.#health.failure !== undefined) return Promise.reject(this.#health.rejection());
    if (this.#refused.has(clientId)) return Promise.reject(this.#refused.get(clientId));
    return new Promise((resolve, reject) => {
      const state = turn.state === undefined ? null : JSON.stringify(turn.state);
      this.#turns.push({ clientId, turn, state, now: now.getTime(), resolve, reject });
      const waiting = this.#waiting.get(clientId) ?? { state: null, messageIds: [] };
      if (state !== null) waiting.state = state;
      if (turn.user.message_id !== undefined) waiting.messageIds.push(turn.user.message_id);
      this.#waiting.set(clientId, waiting);
      this.#schedule();
    });
  }

  mark(clientId: string, ids: number[]): void {
    const waiting = this.#marks.get(clientId);
    if (waiting) waiting.push(...ids);
    else this.#marks.set(clientId, [...ids]);
    this.#onMarksWaiting();
  }

  /**
   * Before a read of what the client's turns wrote (archive): flushes when one of its turns is waiting.
   * Delivery marks change none of it, so they keep waiting for the group: a client with messages queued
   * starts its next turn while the last reply's mark waits, and flushing for that mark would commit
   * every turn on its own.
   */
  flushFor(clientId: string): void {
    if (this.#waiting.has(clientId)) this.flush();
  }

  /** The newest engine state handed in for the client and not yet written (stored JSON); null or undefined when none is. */
  pendingState(clientId: string): string | null | undefined {
    return this.#waiting.get(clientId)?.state;
  }

  /** Before a read of the client's turn that answered `messageId`: flushes when that turn is waiting. */
  flushForMessage(clientId: string, messageId: string): void {
    if (this.#waiting.get(clientId)?.messageIds.includes(messageId)) this.flush();
  }

  /** Writes every turn and delivery mark handed in. */
  flush(): void {
    if ((this.#turns.length === 0 && this.#marks.size === 0) || !this.#db.open) return;
    const marks = this.#marks;
    this.#marks = new Map();
    this.#writeOut(this.#takeTurns(), marks);
  }

  /** Writes the turns handed in with the delivery marks of their clients; other marks keep waiting. */
  #flushTurns(): void {
    if (this.#turns.length === 0 || !this.#db.open) return;
    const marks: Marks = new Map();
    for (const clientId of this.#waiting.keys()) {
      const ids = this.#marks.get(clientId);
      if (ids === undefined) continue;
      marks.set(clientId, ids);
      this.#marks.delete(clientId);
    }
    this.#writeOut(this.#takeTurns(), marks);
  }

  #takeTurns(): PendingTurn[] {
    const group = this.#turns;
    this.#turns = [];
    this.#waiting = new Map();
    return group;
  }

  #writeOut(group: PendingTurn[], marks: Marks): void {
    // A deleted or replaced file would take these writes where no restart finds them.
    this.#health.check();
    if (this.#health.failure !== undefined) {
      for (const p of group) p.reject(this.#health.rejection());
      return;
    }
    let outcomes;
    try {
      outcomes = this.#write(group, marks);
    } catch (err) {
      this.#health.noteError(err);
      for (const p of group) this.#refuse(p, this.#health.rejection(err));
      return;
    }
    outcomes.forEach((outcome, i) => {
      const p = group[i]!;
      if (outcome.ok) return p.resolve(outcome.stored);
      this.#health.noteError(outcome.err);
      this.#refuse(p, this.#health.rejection(outcome.err));
    });
  }

  #refuse(p: PendingTurn, reason: unknown): void {
    if (this.#refused.size === 0) setImmediate(() => this.#refused.clear());
    this.#refused.set(p.clientId, reason);
    p.reject(reason);
  }

  /** Writes the group, together or (after a failure that rolled it all back) each turn apart. */
  #write(group: PendingTurn[], marks: Marks): TurnOutcome[] {
    try {
      return this.#committed(() => this.#writeTogether(group, marks));
    } catch (err) {
      // Only a failing turn is worth writing apart; a failing mark or commit fails the group again.
      this.#health.noteError(err);
      if (this.#health.failure !== undefined || group.length === 0) throw err;
      return this.#committed(() => this.#writeApart(group, marks));
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
   * The end-of-tick flush, before the connections' end-of-tick write (tick-end.ts): the replies it
   * releases leave in the same write as their `processing` frames, one syscall instead of two. Then
   * the follow-up flushes of this tick (#followUp).
   */
  #flushAtTickEnd(): void {
    this.#scheduled = false;
    const wroteTurns = this.#turns.length > 0;
    this.#flushTurns();
    if (wroteTurns) this.#followUp(FOLLOW_UP_ROUNDS);
  }

  /**
   * The replies a flush releases let their clients' next queued messages start, and with an engine that
   * answers without I/O those turns are handed in a few microtasks later. Written in this event-loop turn
   * rather than the next, a client's replies to several queued messages leave in one socket write (as
   * with the memory store) instead of one write and one event-loop turn each. Waits until no more turns
   * come in for one microtask (at most FOLLOW_UP_HOPS), flushes them, and goes on for `rounds` in all;
   * turns that take longer go with the next end-of-tick flush.
   */
  #followUp(rounds: number, hops = 0, seen = 0): void {
    queueMicrotask(() => {
      const waiting = this.#turns.length;
      if ((waiting === 0 || waiting !== seen) && hops < FOLLOW_UP_HOPS)
        return this.#followUp(rounds, hops + 1, waiting);
      if (waiting === 0) return;
      this.#flushTurns();
      if (rounds > 1) this.#followUp(rounds - 1);
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    releaseAtTickEnd(() => this.#flushAtTickEnd());
  }
}

/** Every reply up to the seq this returns is delivered: the one before the first unmarked, or the newest entry. */
const deliveredThrough = (unmarked: number[], lastSeq: number): number =>
  unmarked.length > 0 ? unmarked[0]! - 1 : lastSeq;

/** SessionMeta of the sessions most recently written or read, so a turn reads nothing of its session back. */
class SessionCache {
  readonly #sessions = new Map<string, SessionMeta>();
  readonly #q: Statements;
  /**
   * The highest seq this process has handed out or read, of any client. A new session numbers its
   * entries from above it: a delivery mark still on its way for a deleted session's reply (its socket
   * write completes late) then matches no reply of the client's next session.
   */
  #highestSeq = 0;

  constructor(q: Statements) {
    this.#q = q;
  }

  /** The client's SessionMeta, read from the database when it is not cached. */
  get(clientId: string): SessionMeta {
    const cached = this.#sessions.get(clientId);
    if (cached) return cached;
    const meta = this.#read(clientId);
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
      if (!meta?.number || meta.activeAt <= meta.storedActiveAt) continue;
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

  /** The client's SessionMeta as the file holds it: its sessions row, its ring, its spilled replies. */
  #read(clientId: string): SessionMeta {
    const row = this.#q.session.get(clientId);
    const highest = this.#highestSeq;
    if (!row) {
      return {
        number: 0,
        state: null,
        lastSeq: highest,
        turns: 0,
        unmarked: [],
        lastSpilled: 0,
        activeAt: 0,
        storedActiveAt: 0,
      };
    }
    const newest = this.#q.newestTurn.get(...turnIdRange(row.number));
    return {
      number: row.number,
      state: row.state,
      lastSeq: newest?.last_seq ?? highest,
      turns: newest?.turn_no ?? 0,
      unmarked: seqsOf(newest?.undelivered ?? ''),
      lastSpilled: this.#q.lastSpilled.get(clientId)?.seq ?? 0,
      activeAt: row.last_active_at,
      storedActiveAt: row.last_active_at,
    };
  }

  #remember(clientId: string, meta: SessionMeta): void {
    this.#highestSeq = Math.max(this.#highestSeq, meta.lastSeq);
    this.#sessions.delete(clientId);
    this.#sessions.set(clientId, meta);
    if (this.#sessions.size > SESSION_CACHE_SIZE) this.#sessions.delete(this.#sessions.keys().next().value!);
  }
}

/** The turn row id of a session's turn `turnNo`: its slot in a ring of `slots`. */
const turnId = (number: number, turnNo: number, slots: number): number => turnIdRange(number)[0] + (turnNo % slots);

/**
 * Drops the client's spilled replies once everything up to the newest of them is delivered; returns
 * what lastSpilled is then.
 */
function dropDeliveredSpills(q: Statements, clientId: string, lastSpilled: number, through: number): number {
  if (lastSpilled === 0 || through < lastSpilled) return lastSpilled;
  q.dropSpilled.run(clientId, through);
  return 0;
}

/**
 * One turn's writes: its row in the client's ring (over the oldest, whose undelivered replies are
 * spilled first), with the delivery marks waiting for the client; the session row when the state
 * changed or its time of activity is ACTIVITY_RESOLUTION_MS behind; the archive. One statement in the
 * common case; what it needs to know of the session comes from `sessions`, not from a read.
 */
function turnWriter(q: Statements, sessions: SessionCache, slots: number): TurnWriter {
  return ({ clientId, turn, state, now }, marks, changes) => {
    const before = changes.get(clientId) ?? sessions.get(clientId);
    const first = before.lastSeq + 1;
    const lastSeq = first + turn.replies.length;
    const unmarked = marks ? before.unmarked.filter((seq) => !marks.includes(seq)) : before.unmarked.slice();
    for (let seq = first + 1; seq <= lastSeq; seq++) unmarked.push(seq);
    const through = deliveredThrough(unmarked, lastSeq);
    const data = turn.replies.map((frame) => JSON.stringify(frame));
    const stateChanged = state !== null && state !== before.state;
    let { number } = before;
    let storedActiveAt = now;
    if (number === 0) number = Number(q.createSession.run(clientId, now, now, state).lastInsertRowid);
    else if (stateChanged) q.updateSessionState.run(now, state, clientId);
    else if (now - before.storedActiveAt >= ACTIVITY_RESOLUTION_MS) q.touch.run(now, clientId);
    else storedActiveAt = before.storedActiveAt;
    const turns = before.turns + 1;
    const id = turnId(number, turns, slots);
    const { user } = turn;
    const row = [
      id,
      turns,
      first,
      lastSeq,
      user.message_id ?? null,
      user.content,
      user.timestamp,
      `[${data.join(',')}]`,
      unmarked.join(' '),
    ];
    let lastSpilled = before.lastSpilled;
    if (q.writeTurn.run(...row, through).changes === 0) {
      q.spill.run(clientId, id, through);
      q.overwriteTurn.run(row);
      lastSpilled = q.lastSpilled.get(clientId)?.seq ?? 0;
    }
    for (const item of turn.archive ?? []) q.archive.run(clientId, JSON.stringify(item));
    changes.set(clientId, {
      number,
      state: state ?? before.state,
      lastSeq,
      turns,
      unmarked,
      lastSpilled: dropDeliveredSpills(q, clientId, lastSpilled, through),
      activeAt: now,
      storedActiveAt,
    });
    return turn.replies.map((frame, i) => ({ id: first + 1 + i, frame, data: data[i]! }));
  };
}

/** Writes a client's replies not yet delivered into its newest turn row, when marks no turn of the group carried change them. */
function markWriter(q: Statements, sessions: SessionCache, slots: number): MarkWriter {
  return (clientId, ids, changes) => {
    const before = changes.get(clientId) ?? sessions.get(clientId);
    const unmarked = before.unmarked.filter((seq) => !ids.includes(seq));
    // Marks of replies already marked, or of a deleted session's (see SessionCache.#highestSeq).
    if (unmarked.length === before.unmarked.length) return;
    q.undelivered.run(unmarked.join(' '), turnId(before.number, before.turns, slots));
    const through = deliveredThrough(unmarked, before.lastSeq);
    changes.set(clientId, {
      ...before,
      unmarked,
      lastSpilled: dropDeliveredSpills(q, clientId, before.lastSpilled, through),
    });
  };
}

/** The client's replies not yet delivered, oldest first: spilled ones, then those in its ring. */
function pendingReplies(q: Statements, clientId: string, meta: SessionMeta): StoredReply[] {
  if (meta.unmarked.length === 0) return [];
  const unmarked = new Set(meta.unmarked);
  const spilled = q.spilled
    .all(clientId)
    .map(({ seq, frame }) => ({ id: seq, frame: JSON.parse(frame) as BotResponseFrame, data: frame }));
  const inRing = q.repliesAfter
    .all(...turnIdRange(meta.number), deliveredThrough(meta.unmarked, meta.lastSeq))
    .flatMap(({ seq, replies }) => repliesOf(seq, replies));
  return [...spilled, ...inRing].filter((reply) => unmarked.has(reply.id));
}

/** The stored session as GET /admin/sessions shows it: the newest `cap` entries of its ring. */
function sessionSummary(q: Statements, clientId: string, meta: SessionMeta, cap: number) {
  const row = q.session.get(clientId);
  if (!row) return undefined;
  const history = q.history.all(...turnIdRange(row.number)).flatMap(({ message_id, content, timestamp, replies }) => {
    const ids = message_id === null ? {} : { message_id };
    return [
      { role: 'user' as const, content, timestamp, ...ids },
      ...(JSON.parse(replies) as BotResponseFrame[]).map((frame) => ({
        role: 'assistant' as const,
        content: frame.content,
        timestamp: frame.timestamp,
        ...ids,
      })),
    ];
  });
  const shown = history.slice(-cap);
  return {
    client_id: clientId,
    created_at: new Date(row.created_at).toISOString(),
    last_active_at: new Date(row.last_active_at).toISOString(),
    message_count: shown.length,
    pending_replies: meta.unmarked.length,
    state: parseState(row.state),
    history: shown,
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
  // The ring holds as many turns as the history entries it shows: a turn has one entry at least.
  const slots = maxHistoryMessages;
  const { db, lock, identity, file } = openStore(path, slots);
  const q = prepareStatements(db);
  const health = new FileHealth(file, identity, logger, identityCheckIntervalMs);
  const use = <T>(op: () => T) => health.use(op);
  // Its turn rows, spilled replies and sessions row; its archive goes with the sessions row (foreign key).
  const removeSession = (clientId: string): boolean => {
    const row = q.session.get(clientId);
    q.removeSpilled.run(clientId);
    if (!row) return false;
    q.removeTurns.run(...turnIdRange(row.number));
    return q.remove.run(clientId).changes > 0;
  };
  const deleteSession = db.transaction((clientId: string) => {
    q.revokeFeed.run(clientId);
    return removeSession(clientId);
  });
  // A swept session's feed token goes with sweepFeeds, once it is older than the cutoff too.
  const sweep = db.transaction((cutoff: number) => {
    const idle = q.idle.all(cutoff);
    for (const { clientId } of idle) removeSession(clientId);
    q.sweepFeeds.run(cutoff);
    return idle.length;
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
  const writers = { writeTurn: turnWriter(q, sessions, slots), writeMarks: markWriter(q, sessions, slots) };
  const writes = new GroupCommit(db, health, writers, {
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
        const meta = sessions.get(clientId);
        return {
          resumed: true,
          messages: Math.min(q.entries.get(...turnIdRange(meta.number))!.entries, maxHistoryMessages),
          pending: sessions.handedOut(pendingReplies(q, clientId, meta)),
        };
      }),
    loadState: (clientId) => use(() => parseState(writes.pendingState(clientId) ?? sessions.get(clientId).state)),
    findReplies: (clientId, messageId) =>
      use(() => {
        writes.flushForMessage(clientId, messageId);
        const { number } = sessions.get(clientId);
        const turn = number === 0 ? undefined : q.processed.get(messageId, ...turnIdRange(number));
        return turn && sessions.handedOut(repliesOf(turn.seq, turn.replies));
      }),
    commitTurn: (clientId, turn, now) => writes.commit(clientId, turn, now),
    turnsAhead: true,
    markDelivered: (clientId, ids) => use(() => writes.mark(clientId, ids)),
    getSession: (clientId) =>
      use(() => {
        writes.flush();
        sessions.saveActivity(clientId);
        return sessionSummary(q, clientId, sessions.get(clientId), maxHistoryMessages);
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
