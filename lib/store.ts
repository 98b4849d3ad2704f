import { randomBytes } from 'node:crypto';
import type { BotResponseFrame } from './protocol.ts';

/** One line of a session's conversation. */
export interface HistoryEntry {
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
  /** On user entries: the client's message_id. On assistant entries: the message_id they answer. */
  message_id?: string;
}

/** A stored reply, kept until the client has been sent it. */
export interface StoredReply {
  id: number;
  frame: BotResponseFrame;
  /** The frame as JSON text, when the store has it at hand: sent as it is instead of serialized again. */
  data?: string;
}

/** Everything one completed turn writes, in one transaction. */
export interface TurnRecord {
  user: HistoryEntry;
  replies: BotResponseFrame[];
  /** The engine's state after the turn; undefined keeps the previous one. */
  state: unknown;
  /** Items leaving the state for good (`EngineOutput.archive`): kept apart, never loaded by a turn. */
  archive?: unknown[];
}

export interface SessionOpened {
  /** True when the store already held a conversation for this client. */
  resumed: boolean;
  messages: number;
  /** Replies not yet delivered, oldest first. */
  pending: StoredReply[];
}

export interface SessionSummary {
  client_id: string;
  created_at: string;
  last_active_at: string;
  message_count: number;
  pending_replies: number;
  state: unknown;
  history: HistoryEntry[];
}

export type StoreHealth = { ok: true } | { ok: false; reason: string };

/**
 * Rejects every call of a store that has gone unhealthy (its file deleted, replaced or corrupt): from
 * then on nothing more is read or written, so nothing is written where a restart would not find it.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly code = 'ERR_STORE_UNAVAILABLE';
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    super(`store unavailable: ${reason}`, options);
    this.reason = reason;
  }
}

export const isStoreUnavailable = (err: unknown): err is StoreUnavailableError =>
  (err as { code?: unknown } | null)?.code === 'ERR_STORE_UNAVAILABLE';

/** A calendar-feed token: 256 random bits, URL-safe, so it cannot be guessed or enumerated. */
export const newFeedToken = (): string => randomBytes(32).toString('base64url');

/**
 * Where conversations live. Both implementations (memory, SQLite) pass the same contract tests
 * (test/store-contract.ts). Every method is asynchronous, reads included, so a networked store can
 * implement it without blocking the event loop, and an implementation may group the writes of one
 * event-loop tick into one durable write. A caller must await each call: a read sees every write
 * handed in before it.
 */
export interface Store {
  /** Marks the client active and returns what a (re)connecting client must be told. */
  openSession(clientId: string, now: Date): Promise<SessionOpened>;
  loadState(clientId: string): Promise<unknown>;
  /** The stored replies to an already processed message_id, or undefined when it was never processed. */
  findReplies(clientId: string, messageId: string): Promise<StoredReply[] | undefined>;
  /**
   * Writes the turn (user entry, replies as undelivered, state, archive) atomically, trims history, and resolves
   * with the stored replies once the write is durable; rejects, having written nothing, if it fails.
   */
  commitTurn(clientId: string, turn: TurnRecord, now: Date): Promise<StoredReply[]>;
  markDelivered(clientId: string, replyIds: number[]): Promise<void>;
  getSession(clientId: string): Promise<SessionSummary | undefined>;
  /** Every item the client's turns archived (`TurnRecord.archive`), oldest first; for the calendar routes. */
  loadArchive(clientId: string): Promise<unknown[]>;
  /** The client's calendar-feed token, made on first use; it stays the same until rotated or revoked. */
  calendarFeed(clientId: string): Promise<string>;
  /** Replaces the client's feed token with a new one; the old one stops working at once. */
  rotateCalendarFeed(clientId: string): Promise<string>;
  /** Drops the client's feed token; false when it had none. */
  revokeCalendarFeed(clientId: string): Promise<boolean>;
  /** The client a feed token belongs to, or undefined for an unknown or revoked token. */
  findCalendarFeed(token: string): Promise<string | undefined>;
  /**
   * Erases everything stored for the client (history, state, archive, feed token); false when there
   * was no session.
   */
  deleteSession(clientId: string): Promise<boolean>;
  /**
   * Deletes sessions last active before `cutoff`, with their archives, and feed tokens made before it
   * whose client has no session; returns how many sessions.
   */
  sweep(cutoff: Date): Promise<number>;
  /** Whether the store can still be trusted with writes; when not, every other call rejects with StoreUnavailableError. */
  health(): Promise<StoreHealth>;
  /** Writes what is still waiting, then releases the store; no call may follow. */
  close(): Promise<void>;
  /** Resolves when the database answers, rejects when it cannot be reached; absent for embedded stores. For /health. */
  ping?(): Promise<void>;
  /**
   * True when a client's next turn may be handed in before its previous commitTurn has settled, so
   * that a client's queued turns share one write: reads of the client then see every turn handed in;
   * turns of one client are written in the order they came; and when one is refused, so is every later
   * turn of the same client handed in before that refusal could be seen (before it, or later in the
   * same event-loop turn), none of it written. Default false: the pipeline waits for each write.
   */
  readonly turnsAhead?: boolean;
}

export interface StoreOptions {
  /** History entries kept per session, oldest dropped first. Default 200. */
  maxHistoryMessages?: number;
}

/** History entries kept per session (maxHistoryMessages): default and range. */
export const HISTORY_LIMIT = { default: 200, min: 2, max: 100_000 } as const;

interface MemoryMessage extends HistoryEntry {
  id: number;
  /** A reply's frame as JSON text, as the SQLite store keeps it: one stringify per reply, parsed only when read back. */
  frame?: string;
  delivered: boolean;
}

interface MemorySession {
  createdAt: Date;
  lastActiveAt: Date;
  state: unknown;
  messages: MemoryMessage[];
  archive: unknown[];
}

const copy = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)));

const isPending = (m: MemoryMessage): boolean => m.frame !== undefined && !m.delivered;

const toReply = (m: MemoryMessage): StoredReply => ({
  id: m.id,
  frame: JSON.parse(m.frame!) as BotResponseFrame,
  data: m.frame!,
});

const pendingOf = (s: MemorySession): StoredReply[] => s.messages.filter(isPending).map(toReply);

/** Calendar-feed tokens in memory, both ways: client → token and token → client. */
class MemoryFeeds {
  readonly #byClient = new Map<string, { token: string; createdAt: Date }>();
  readonly #owners = new Map<string, string>();

  tokenOf(clientId: string): string | undefined {
    return this.#byClient.get(clientId)?.token;
  }

  ownerOf(token: string): string | undefined {
    return this.#owners.get(token);
  }

  issue(clientId: string): string {
    this.revoke(clientId);
    const token = newFeedToken();
    this.#byClient.set(clientId, { token, createdAt: new Date() });
    this.#owners.set(token, clientId);
    return token;
  }

  revoke(clientId: string): boolean {
    const feed = this.#byClient.get(clientId);
    if (!feed) return false;
    this.#owners.delete(feed.token);
    return this.#byClient.delete(clientId);
  }

  /** Revokes tokens made before `cutoff` whose client `isGone`. */
  sweep(cutoff: Date, isGone: (clientId: string) => boolean): void {
    for (const [clientId, feed] of this.#byClient) {
      if (feed.createdAt < cutoff && isGone(clientId)) this.revoke(clientId);
    }
  }

  clear(): void {
    this.#byClient.clear();
    this.#owners.clear();
  }
}

/** Appends a turn to a session (replies undelivered), caps its history; returns the stored replies. */
function appendTurn(
  session: MemorySession,
  turn: TurnRecord,
  nextId: () => number,
  maxHistoryMessages: number,
): StoredReply[] {
  const { role, content, timestamp, message_id: messageId } = turn.user;
  const id = nextId();
  // Built as literals, never spread from the caller's object: a spread plus new keys gives each entry
  // a map of its own, which cost a turn more than the rest of the store's work together. An absent
  // message_id is kept as undefined, so every entry has the same keys; summaryOf leaves it out.
  session.messages.push({ role, content, timestamp, message_id: messageId, id, delivered: true });
  // The caller's own frames go back to it: only the JSON kept here must not be shared.
  const stored: StoredReply[] = [];
  for (const frame of turn.replies) {
    const id = nextId();
    const { content, timestamp } = frame;
    const data = JSON.stringify(frame);
    session.messages.push({
      role: 'assistant',
      content,
      timestamp,
      message_id: messageId,
      id,
      frame: data,
      delivered: false,
    });
    stored.push({ id, frame, data });
  }
  trim(session.messages, maxHistoryMessages);
  if (turn.state !== undefined) session.state = copy(turn.state);
  if (turn.archive) session.archive.push(...copy(turn.archive));
  return stored;
}

function summaryOf(clientId: string, s: MemorySession): SessionSummary {
  return {
    client_id: clientId,
    created_at: s.createdAt.toISOString(),
    last_active_at: s.lastActiveAt.toISOString(),
    message_count: s.messages.length,
    pending_replies: s.messages.filter(isPending).length,
    state: copy(s.state),
    history: s.messages.map(({ role, content, timestamp, message_id }) =>
      message_id === undefined ? { role, content, timestamp } : { role, content, timestamp, message_id },
    ),
  };
}

/** A store that lives and dies with the process. Values are copied through JSON, as the SQLite store does. */
export function createMemoryStore({ maxHistoryMessages = HISTORY_LIMIT.default }: StoreOptions = {}): Store {
  const sessions = new Map<string, MemorySession>();
  const feeds = new MemoryFeeds();
  let lastId = 0;
  const nextId = () => ++lastId;

  return {
    async openSession(clientId, now) {
      const session = sessions.get(clientId);
      if (!session) return { resumed: false, messages: 0, pending: [] };
      session.lastActiveAt = now;
      return { resumed: true, messages: session.messages.length, pending: pendingOf(session) };
    },
    loadState: async (clientId) => copy(sessions.get(clientId)?.state),
    async findReplies(clientId, messageId) {
      const messages = sessions.get(clientId)?.messages ?? [];
      if (!messages.some((m) => m.role === 'user' && m.message_id === messageId)) return undefined;
      return messages.filter((m) => m.role === 'assistant' && m.message_id === messageId).map(toReply);
    },
    async commitTurn(clientId, turn, now) {
      const session = sessions.get(clientId) ?? {
        createdAt: now,
        lastActiveAt: now,
        state: undefined,
        messages: [],
        archive: [],
      };
      const stored = appendTurn(session, turn, nextId, maxHistoryMessages);
      session.lastActiveAt = now;
      sessions.set(clientId, session);
      return stored;
    },
    async markDelivered(clientId, replyIds) {
      const messages = sessions.get(clientId)?.messages ?? [];
      // Replies are marked soon after they are stored, so search from the newest end.
      for (const id of replyIds) {
        for (let i = messages.length - 1; i >= 0 && messages[i]!.id >= id; i--) {
          if (messages[i]!.id === id) messages[i]!.delivered = true;
        }
      }
    },
    async getSession(clientId) {
      const session = sessions.get(clientId);
      return session && summaryOf(clientId, session);
    },
    loadArchive: async (clientId) => copy(sessions.get(clientId)?.archive ?? []),
    calendarFeed: async (clientId) => feeds.tokenOf(clientId) ?? feeds.issue(clientId),
    rotateCalendarFeed: async (clientId) => feeds.issue(clientId),
    revokeCalendarFeed: async (clientId) => feeds.revoke(clientId),
    findCalendarFeed: async (token) => feeds.ownerOf(token),
    async deleteSession(clientId) {
      feeds.revoke(clientId);
      return sessions.delete(clientId);
    },
    async sweep(cutoff) {
      let removed = 0;
      for (const [id, s] of sessions) {
        if (s.lastActiveAt < cutoff) removed += Number(sessions.delete(id));
      }
      feeds.sweep(cutoff, (id) => !sessions.has(id));
      return removed;
    },
    health: async () => ({ ok: true }),
    async close() {
      sessions.clear();
      feeds.clear();
    },
  };
}

/**
 * Drops the oldest entries beyond `max`, except replies not yet delivered: those are kept until the
 * client has them, so the cap never loses an answer. Entries leave from the front with shift(), which
 * V8 does in place; a splice there copied the rest of the array on every turn once the history was full.
 */
function trim(messages: MemoryMessage[], max: number): void {
  let excess = messages.length - max;
  let kept = 0;
  let read = 0;
  for (; read < messages.length && excess > 0; read++) {
    if (isPending(messages[read]!)) kept++;
    else excess--;
  }
  // Pending replies among [0, read) move up to its end, in order, over the entries that go.
  for (let from = read - 1, to = read - 1; kept > 0 && from >= 0; from--) {
    if (isPending(messages[from]!)) messages[to--] = messages[from]!;
  }
  for (let dropped = read - kept; dropped > 0; dropped--) messages.shift();
}
