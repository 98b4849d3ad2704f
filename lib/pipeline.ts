import { performance } from 'node:perf_hooks';
import type { ConversationEngine, EngineContext, EngineOutput } from './engine.ts';
import type { ErrorCode } from './errors.ts';
import type { Logger } from './logger.ts';
import { secondsSince, type Metrics, type QueueSample, type TurnOutcome } from './metrics.ts';
import type { TurnEvents, TurnInfo } from './options.ts';
import {
  botResponseFrame,
  errorFrame,
  isoTimestamp,
  processingFrameText,
  type ServerFrame,
  type UserMessage,
} from './protocol.ts';
import { isStoreUnavailable, type Store, type StoredReply } from './store.ts';
import { TurnChain, type TurnLink } from './turn-chain.ts';
import type { TurnLease, TurnLocks } from './turn-locks.ts';

export interface TurnPipelineOptions {
  engine: ConversationEngine;
  store: Store;
  log: Logger;
  /** Messages that may wait per client while one of its turns runs. */
  maxQueued: number;
  /** A turn still running after this long is aborted and answered with LLM_PROCESSING_ERROR. */
  engineTimeoutMs: number;
  /**
   * Sends a serialized frame to the client's current connection, whichever socket that is now;
   * returns false when the client has none open. `onSent` reports whether the write went out.
   */
  send(clientId: string, data: string, onSent?: (err?: Error) => void): boolean;
  /**
   * Turns a client's calendar-feed token into the absolute URL handed to it, or undefined when there
   * is no URL to give (then the engine gets no `ctx.calendarFeedUrl`). Asked when a turn starts, while
   * the client is most likely connected. Default: no feed URLs.
   */
  feedUrl?(clientId: string): ((token: string) => string) | undefined;
  /** The embedder's turn callbacks. */
  events?: TurnEvents;
  /** Several instances on one store: each turn runs under the client's cluster-wide lock. Default: none. */
  locks?: TurnLocks;
  /** Called with stored replies whose client is not connected here (it may be on another instance). */
  onUndelivered?(clientId: string, replies: StoredReply[]): void;
  /** Where turn outcomes and turn and engine latency are recorded. Default: nowhere. */
  metrics?: Pick<Metrics, 'turnFinished' | 'engineFinished'>;
}

/** The turns_total outcome of each error a turn can end with. */
const OUTCOMES: Record<TurnFailure, TurnOutcome> = {
  LLM_PROCESSING_ERROR: 'timed_out',
  INTERNAL_SERVER_ERROR: 'failed',
  STORAGE_UNAVAILABLE: 'storage_unavailable',
  SESSION_DELETED: 'session_deleted',
};

/** The error frames a turn can end with. */
export type TurnFailure = Extract<
  ErrorCode,
  'LLM_PROCESSING_ERROR' | 'INTERNAL_SERVER_ERROR' | 'SESSION_DELETED' | 'STORAGE_UNAVAILABLE'
>;

export type SubmitResult = 'accepted' | 'busy' | 'closed';

/**
 * A client's queued work: a message to answer, a deletion of its session, or (with locks) a check,
 * under the client's lock, for turns an instance that died left unfinished.
 */
type Job = { message: UserMessage } | { deletion: () => Promise<void> } | { recover: true };

const isThenable = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

const TIMED_OUT = Symbol('engine timed out');
const SHUT_DOWN = Symbol('server shutting down');
const DELETED = Symbol('session deleted');

type AbortReason = typeof TIMED_OUT | typeof SHUT_DOWN | typeof DELETED;

/**
 * One running turn. Most engines never look at their signal and most turns are never aborted, so the
 * AbortController is made only when someone asks for the signal; an abort before that is kept as the
 * reason and handed to the signal when it is made.
 */
class RunningTurn {
  readonly startedAt: number;
  reason: AbortReason | undefined;
  /** Neighbours in RunningTurns' list, in the order the turns started. */
  previous: RunningTurn | undefined;
  next: RunningTurn | undefined;
  #controller: AbortController | undefined;
  /** Rejects the engine's call being awaited, so an abort wins even over an engine that ignores its signal. */
  #interrupt: ((reason: AbortReason) => void) | undefined;

  constructor(startedAt: number) {
    this.startedAt = startedAt;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.reason !== undefined) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  abort(reason: AbortReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.#controller?.abort(reason);
    this.#interrupt?.(reason);
  }

  throwIfAborted(): void {
    if (this.reason !== undefined) throw this.reason;
  }

  /** Settles as `work` does, or rejects with the abort's reason as soon as one comes. */
  race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#interrupt = reject;
      work.then(resolve, reject);
    });
  }
}

/**
 * The running turns in the order they started, which is the order of their deadlines (all share
 * engineTimeoutMs), linked through the turns themselves: adding and removing one allocates nothing
 * and rehashes no table, as a Map that empties after nearly every turn at low load would.
 */
class RunningTurns {
  #first: RunningTurn | undefined;
  #last: RunningTurn | undefined;
  size = 0;

  get first(): RunningTurn | undefined {
    return this.#first;
  }

  add(turn: RunningTurn): void {
    turn.previous = this.#last;
    if (this.#last) this.#last.next = turn;
    else this.#first = turn;
    this.#last = turn;
    this.size += 1;
  }

  remove(turn: RunningTurn): void {
    if (turn.previous) turn.previous.next = turn.next;
    else this.#first = turn.next;
    if (turn.next) turn.next.previous = turn.previous;
    else this.#last = turn.previous;
    turn.previous = turn.next = undefined;
    this.size -= 1;
  }

  /** Aborts every running turn, oldest first. */
  abortAll(reason: AbortReason): void {
    for (let turn = this.#first, next; turn; turn = next) {
      next = turn.next;
      turn.abort(reason);
    }
  }
}

/**
 * A client's place in the pipeline: whether a job of it runs, that job's running turn, and the jobs
 * waiting behind it. A lane outlives its work (see IDLE_LANES_KEPT), so a client that sends one
 * message at a time does not add and remove a map entry per message.
 */
class Lane {
  busy = false;
  running: RunningTurn | undefined;
  readonly waiting: Job[] = [];
}

/** Idle lanes kept beyond twice the busy ones before all idle lanes are dropped at once. */
const IDLE_LANES_KEPT = 256;

/** The context an engine gets; `signal` is made on first read (see RunningTurn). */
class TurnContext implements EngineContext {
  readonly clientId: string;
  readonly log: Logger;
  readonly state: unknown;
  calendarFeedUrl?: () => Promise<string>;
  readonly #turn: RunningTurn;

  constructor(clientId: string, turn: RunningTurn, log: Logger, state: unknown) {
    this.clientId = clientId;
    this.log = log;
    this.state = state;
    this.#turn = turn;
  }

  get signal(): AbortSignal {
    return this.#turn.signal;
  }
}

/**
 * Runs each client's turns one at a time, in arrival order, while different clients run concurrently.
 * A turn's replies are stored before they are sent and marked delivered once written, so a reply
 * that finishes while its client is away waits in the store for the next connection.
 */
export class TurnPipeline {
  readonly #options: TurnPipelineOptions;
  readonly #lanes = new Map<string, Lane>();
  /** Lanes with a job running. */
  #busyLanes = 0;
  readonly #running = new RunningTurns();
  /** One timer for every running turn's engineTimeoutMs, due at the oldest turn's deadline. */
  #timeoutTimer: NodeJS.Timeout | undefined;
  #idleWaiters: Array<() => void> = [];
  #accepting = true;
  #aborted = false;

  constructor(options: TurnPipelineOptions) {
    this.#options = options;
  }

  submit(clientId: string, message: UserMessage): SubmitResult {
    return this.#enqueue(clientId, { message });
  }

  /** With locks: answers, ahead of the client's next message, any turn of it that a dead instance left unfinished. */
  recover(clientId: string): void {
    if (this.#options.locks) this.#enqueue(clientId, { recover: true });
  }

  #enqueue(clientId: string, job: Job): SubmitResult {
    if (!this.#accepting) return 'closed';
    const lane = this.#laneOf(clientId);
    if (lane.busy) {
      if (lane.waiting.length >= this.#options.maxQueued) return 'busy';
      lane.waiting.push(job);
      return 'accepted';
    }
    this.#run(clientId, lane, job);
    return 'accepted';
  }

  #laneOf(clientId: string): Lane {
    let lane = this.#lanes.get(clientId);
    if (!lane) {
      lane = new Lane();
      this.#lanes.set(clientId, lane);
    }
    return lane;
  }

  #run(clientId: string, lane: Lane, first: Job): void {
    lane.busy = true;
    this.#busyLanes += 1;
    void this.#runQueue(clientId, lane, first);
  }

  /**
   * Erases the client's stored session so that no turn can bring it back. A running turn loaded the
   * state before the deletion and would write it back, so it is aborted (its client gets
   * SESSION_DELETED; nothing of it is stored) and the deletion runs next in the client's queue, after
   * that turn's write if one was already under way; messages still waiting run after it, on the
   * empty session. Resolves as the store's deleteSession does.
   */
  deleteSession(clientId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const job = { deletion: () => this.#options.store.deleteSession(clientId).then(resolve, reject) };
      const lane = this.#laneOf(clientId);
      if (!lane.busy) return this.#run(clientId, lane, job);
      lane.waiting.unshift(job);
      lane.running?.abort(DELETED);
    });
  }

  /**
   * Sends stored replies in order; each is marked delivered once it has been written to the socket.
   * Those the client is not connected here for go to onUndelivered, unless they came from there
   * (`forward: false`, so two instances never pass a reply back and forth).
   */
  deliver(clientId: string, replies: StoredReply[], { forward = true } = {}): void {
    const { send, store, log } = this.#options;
    for (let i = 0; i < replies.length; i++) {
      const { id, frame, data = JSON.stringify(frame) } = replies[i]!;
      const sent = send(clientId, data, (err) => {
        if (err) return;
        store.markDelivered(clientId, [id]).catch((markErr: unknown) => {
          // The reply stays pending and is sent again on the next connection: a duplicate, never a loss.
          // An unavailable store has said so once already.
          if (!isStoreUnavailable(markErr)) log.warn('could not mark reply delivered', { clientId, err: markErr });
        });
      });
      if (!sent) {
        if (forward) this.#options.onUndelivered?.(clientId, replies.slice(i));
        return;
      }
    }
  }

  /** Stops taking new messages; running and waiting turns go on. */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Resolves once no turn is running or waiting. */
  idle(): Promise<void> {
    if (this.#busyLanes === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Aborts the running turns (their engines see the signal) and drops the waiting ones; waiting deletions still run. */
  abort(): void {
    this.stopAccepting();
    this.#aborted = true;
    this.#running.abortAll(SHUT_DOWN);
  }

  #startTurn(lane: Lane, startedAt: number): RunningTurn {
    const turn = new RunningTurn(startedAt);
    lane.running = turn;
    this.#running.add(turn);
    if (!this.#timeoutTimer) this.#timeoutTimer = setTimeout(() => this.#abortExpired(), this.#options.engineTimeoutMs);
    // Unreferenced while no turn runs, so an idle pipeline never holds the process open.
    else if (this.#running.size === 1) this.#timeoutTimer.ref();
    return turn;
  }

  /** Ends the running turn of the lane, if it is still `turn`. */
  #endTurn(lane: Lane, turn: RunningTurn): void {
    if (lane.running !== turn) return;
    lane.running = undefined;
    this.#running.remove(turn);
    if (this.#running.size === 0) this.#timeoutTimer?.unref();
  }

  /** Aborts the turns past engineTimeoutMs and sets the timer for the next deadline, if a turn still runs. */
  #abortExpired(): void {
    this.#timeoutTimer = undefined;
    const { engineTimeoutMs } = this.#options;
    const now = performance.now();
    for (let turn = this.#running.first, next; turn; turn = next) {
      next = turn.next;
      const left = turn.startedAt + engineTimeoutMs - now;
      if (left > 0) {
        this.#timeoutTimer = setTimeout(() => this.#abortExpired(), Math.ceil(left));
        return;
      }
      turn.abort(TIMED_OUT);
    }
  }

  get activeClients(): number {
    return this.#busyLanes;
  }

  /** Clients with a job running, and the jobs waiting behind them over all clients (read at each metrics scrape). */
  queueSample(): QueueSample {
    let waiting = 0;
    for (const lane of this.#lanes.values()) waiting += lane.waiting.length;
    return { running: this.#busyLanes, waiting };
  }

  /**
   * Runs the client's jobs in order. With a store that takes turns ahead (and no cluster locks, which are
   * taken turn by turn), the client's messages run as a chain (TurnChain): each starts as soon as the
   * previous turn is handed to the store. Any other job waits until the turns before it have sent
   * everything.
   */
  async #runQueue(clientId: string, lane: Lane, first: Job): Promise<void> {
    const chain = this.#options.store.turnsAhead && !this.#options.locks ? new TurnChain() : undefined;
    let next: Job | undefined = first;
    while (next) {
      if (chain && 'message' in next && !this.#aborted) {
        if (chain.failed) await chain.startOver();
        const link = chain.link();
        void this.#runTurn(clientId, lane, next.message, link);
        await link.nextMayStart;
      } else {
        const drained = chain?.drained();
        if (drained) await drained;
        if ('deletion' in next) await this.#deleteUnderLock(clientId, next.deletion);
        else if (this.#aborted) {
          // Dropped: shutdown aborted the running turns; waiting messages are not started.
        } else if ('recover' in next) await this.#recover(clientId);
        else await this.#runTurn(clientId, lane, next.message);
      }
      next = lane.waiting.shift();
      const drained = next ? undefined : chain?.drained();
      if (drained) {
        await drained;
        // Messages that came in while the last turns were written and sent wait in the queue.
        next = lane.waiting.shift();
      }
    }
    lane.busy = false;
    this.#busyLanes -= 1;
    if (this.#lanes.size > IDLE_LANES_KEPT + 2 * this.#busyLanes) this.#dropIdleLanes();
    if (this.#busyLanes === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  #dropIdleLanes(): void {
    for (const [clientId, lane] of this.#lanes) if (!lane.busy) this.#lanes.delete(clientId);
  }

  #sendFrame(clientId: string, frame: ServerFrame): void {
    this.#options.send(clientId, JSON.stringify(frame));
  }

  /** Each turn a dead instance left unfinished gets TURN_INTERRUPTED, so the client never waits in silence. */
  #reportInterrupted(clientId: string, lease: TurnLease | undefined): void {
    for (const { message_id } of lease?.interrupted ?? []) {
      this.#options.log.warn('turn interrupted by a lost instance', { clientId, messageId: message_id });
      this.#sendFrame(clientId, errorFrame('TURN_INTERRUPTED', { reply_to: message_id }));
    }
  }

  async #release(clientId: string, lease: TurnLease | undefined): Promise<void> {
    // The lock is also released server-side if the connection holding it drops; a failure here only logs.
    await lease
      ?.release()
      .catch((err: unknown) => this.#options.log.warn('could not release turn lock', { clientId, err }));
  }

  /**
   * With locks, a deletion waits for a turn of the client running on another instance (which this
   * instance cannot abort) and lands after it, so that turn cannot bring the session back.
   */
  async #deleteUnderLock(clientId: string, deletion: () => Promise<void>): Promise<void> {
    let lease: TurnLease | undefined;
    try {
      lease = await this.#options.locks?.acquire(
        clientId,
        undefined,
        AbortSignal.timeout(this.#options.engineTimeoutMs),
      );
    } catch (err) {
      // The deletion still runs: if the database is down it fails and says so; it must not wait forever.
      this.#options.log.warn('could not take the client lock before deleting', { clientId, err });
    }
    try {
      await deletion();
    } finally {
      await this.#release(clientId, lease);
    }
  }

  /** Never rejects. */
  async #recover(clientId: string): Promise<void> {
    let lease: TurnLease | undefined;
    try {
      lease = await this.#options.locks!.acquire(
        clientId,
        undefined,
        AbortSignal.timeout(this.#options.engineTimeoutMs),
      );
      this.#reportInterrupted(clientId, lease);
    } catch (err) {
      this.#options.log.warn('could not check for interrupted turns', { clientId, err });
    } finally {
      await this.#release(clientId, lease);
    }
  }

  /**
   * Calls one of the embedder's turn callbacks with the turn (and `extra`); one that throws must not
   * fail the turn. Nothing is built for a callback that is not set: most servers set none.
   */
  #emit<E extends keyof TurnEvents>(
    event: E,
    clientId: string,
    messageId: string | undefined,
    extra?: { replies: number } | { code: TurnFailure },
  ): void {
    const handler = this.#options.events?.[event] as ((info: TurnInfo) => void) | undefined;
    if (!handler) return;
    try {
      handler({ clientId, ...(messageId === undefined ? {} : { messageId }), ...extra });
    } catch (err) {
      this.#options.log.error('turn event handler failed', { clientId, event, err });
    }
  }

  #finished(started: number, outcome: TurnOutcome): void {
    this.#options.metrics?.turnFinished(outcome, secondsSince(started));
  }

  /**
   * Never rejects: every failure becomes an error frame and a log line. A turn run ahead (`link`) sends
   * nothing before the earlier turns have sent all theirs, and lets the next turn start once it is
   * handed to the store.
   */
  async #runTurn(clientId: string, lane: Lane, message: UserMessage, link?: TurnLink): Promise<void> {
    const { store, log } = this.#options;
    const replyTo = message.message_id;
    const receivedMs = Date.now();
    const receivedIso = isoTimestamp(receivedMs);
    const started = performance.now();
    const processing = processingFrameText(receivedIso, replyTo);
    if (link?.after) void link.after.then(() => this.#options.send(clientId, processing));
    else this.#options.send(clientId, processing);
    this.#emit('onTurnStarted', clientId, replyTo);

    const running = this.#startTurn(lane, started);
    let lease: TurnLease | undefined;
    try {
      if (this.#options.locks)
        lease = await this.#options.locks.acquire(clientId, { messageId: replyTo }, running.signal);
      this.#reportInterrupted(clientId, lease);
      if (replyTo !== undefined) {
        const previous = await store.findReplies(clientId, replyTo);
        if (previous) {
          log.debug('repeated message_id answered from the store', { clientId, messageId: replyTo });
          if (link?.after) await link.after;
          this.deliver(clientId, previous);
          this.#finished(started, 'replayed');
          return this.#emit('onTurnReplied', clientId, replyTo, { replies: previous.length });
        }
      }
      const ctx = new TurnContext(clientId, running, log, await store.loadState(clientId));
      const feedUrl = this.#options.feedUrl?.(clientId);
      if (feedUrl) ctx.calendarFeedUrl = async () => feedUrl(await store.calendarFeed(clientId));
      // An abort that came while the state loaded has already passed the race below.
      running.throwIfAborted();
      const answer = this.#timedReply(message, ctx, running);
      // An engine that answers at once is not awaited: that would cost the turn a trip through the microtask queue.
      const output = answer instanceof Promise ? await answer : answer;
      const repliedMs = Date.now();
      const timestamp = isoTimestamp(repliedMs);
      const frames = output.replies.map((reply) =>
        botResponseFrame(reply, { session_id: clientId, reply_to: replyTo }, timestamp),
      );
      const user = { role: 'user' as const, content: message.content, timestamp: receivedIso, message_id: replyTo };
      // An abort that landed after the engine answered still wins: a deleted session must not come back.
      running.throwIfAborted();
      const record = { user, replies: frames, state: output.state, archive: output.archive };
      const write = () => store.commitTurn(clientId, record, new Date(repliedMs));
      const written = link ? this.#handIn(lane, running, link, write) : write();
      const stored = await written;
      if (link?.after) await link.after;
      log.debug('turn completed', { clientId, replies: stored.length, durationMs: Date.now() - receivedMs });
      this.deliver(clientId, stored);
      this.#finished(started, 'replied');
      this.#emit('onTurnReplied', clientId, replyTo, { replies: stored.length });
    } catch (err) {
      this.#endTurn(lane, running);
      link?.letNextStart();
      if (link?.after) await link.after;
      const code = this.#reportFailure(clientId, replyTo, running.reason, err);
      this.#finished(started, code === undefined ? 'aborted' : OUTCOMES[code]);
      this.#emit('onTurnFailed', clientId, replyTo, code === undefined ? undefined : { code });
    } finally {
      this.#endTurn(lane, running);
      if (lease) await this.#release(clientId, lease);
      link?.sent();
    }
  }

  /** Hands a turn run ahead to the store: it is no longer running (nothing can abort it now), and the next may start. */
  #handIn(
    lane: Lane,
    running: RunningTurn,
    link: TurnLink,
    write: () => Promise<StoredReply[]>,
  ): Promise<StoredReply[]> {
    const written = link.handIn(write);
    this.#endTurn(lane, running);
    link.letNextStart();
    return written;
  }

  /**
   * The engine's answer: as it is when the engine answers at once, else raced against the turn's
   * signal. Its latency is recorded whether it answered, threw or was abandoned. A synchronous throw
   * is the engine's failure like a rejection is.
   */
  #timedReply(message: UserMessage, ctx: EngineContext, running: RunningTurn): EngineOutput | Promise<EngineOutput> {
    const started = performance.now();
    const done = () => this.#options.metrics?.engineFinished(secondsSince(started));
    let answer: EngineOutput | PromiseLike<EngineOutput>;
    try {
      answer = this.#options.engine.reply(message, ctx);
    } catch (err) {
      done();
      return Promise.reject(err);
    }
    if (!isThenable(answer)) {
      done();
      return answer;
    }
    return running.race(Promise.resolve(answer)).finally(done);
  }

  /** Logs a failed turn and answers it with the error frame its cause calls for; returns that code (none for shutdown). */
  #reportFailure(
    clientId: string,
    replyTo: string | undefined,
    abortReason: unknown,
    err: unknown,
  ): TurnFailure | undefined {
    const { log, engineTimeoutMs } = this.#options;
    let code: TurnFailure;
    if (abortReason === SHUT_DOWN) {
      log.info('turn aborted by shutdown', { clientId });
      return undefined;
    } else if (abortReason === DELETED) {
      log.info('turn abandoned: session deleted', { clientId });
      code = 'SESSION_DELETED';
    } else if (abortReason === TIMED_OUT) {
      log.warn('engine timed out', { clientId, timeoutMs: engineTimeoutMs });
      code = 'LLM_PROCESSING_ERROR';
    } else if (isStoreUnavailable(err)) {
      // The store logged why, once; a line per refused turn would flood the log.
      log.debug('turn refused: store unavailable', { clientId });
      code = 'STORAGE_UNAVAILABLE';
    } else {
      log.error('turn failed', { clientId, err });
      code = 'INTERNAL_SERVER_ERROR';
    }
    this.#sendFrame(clientId, errorFrame(code, { reply_to: replyTo }));
    return code;
  }
}
