import { writeAtTickEnd } from './tick-end.ts';

/** The part of a ws WebSocket the manager uses; tests pass a fake of this, not of ws. */
export interface WebSocketLike {
  readonly readyState: number;
  /** Bytes queued in user space, not yet handed to the kernel. */
  readonly bufferedAmount: number;
  send(data: string, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

const OPEN = 1;

/** The byte stream under a socket, as far as coalescing its writes needs it. */
interface CorkableStream {
  readonly writableCorked: number;
  cork(): void;
  uncork(): void;
}

/**
 * The net.Socket under a ws WebSocket. ws keeps it in `_socket` (since its first releases) and does
 * not expose it otherwise; anything without one (the tests' fakes, a closed socket) is simply not corked.
 */
function streamOf(socket: WebSocketLike): CorkableStream | undefined {
  const stream = (socket as { _socket?: Partial<CorkableStream> | null })._socket;
  return typeof stream?.cork === 'function' ? (stream as CorkableStream) : undefined;
}

export class ClientConnection<S extends WebSocketLike = WebSocketLike> {
  /** Epoch milliseconds: a number costs an idle connection less than a Date object. */
  readonly #connectedAtMs = Date.now();
  #messageCount = 0;
  #turns = 0;
  /**
   * Heartbeat flag: cleared when a ping goes out, set again by the pong. Still clear at the next
   * tick means the peer missed a whole interval and is terminated.
   */
  alive = true;
  /** Set once the peer stopped reading and the backlog passed the limit; no frame is queued after. */
  overflowed = false;
  /**
   * Frames for this connection while it is registered but not yet sent connection_established (the
   * store is opening the session: an async gap), parked so that the greeting goes first; sent, with
   * their onSent, right after it. Null when there is nothing to wait for (greeted, or never asked to wait).
   */
  parked: Array<[data: string, onSent?: (err?: Error) => void]> | null = null;
  /** The scheme and host the client's upgrade came in on, for the URLs its turns hand out. */
  publicOrigin: string | undefined;

  readonly clientId: string;
  readonly socket: S;

  constructor(clientId: string, socket: S) {
    this.clientId = clientId;
    this.socket = socket;
  }

  get connectedAt(): Date {
    return new Date(this.#connectedAtMs);
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN;
  }

  /** Every frame received on this socket, valid or not. */
  get messageCount(): number {
    return this.#messageCount;
  }

  /** Turns accepted from this socket (valid messages that were not refused as BUSY). */
  get turns(): number {
    return this.#turns;
  }

  frameReceived(): void {
    this.#messageCount++;
  }

  turnAccepted(): void {
    this.#turns++;
  }
}

export interface ConnectionSnapshot {
  connected_at: string;
  message_count: number;
  turns: number;
}

export interface ConnectionManagerOptions<S extends WebSocketLike> {
  /** A connection whose unsent backlog exceeds this many bytes gets no more frames. Default: unbounded. */
  maxBufferedBytes?: number;
  /** Called once when a connection goes over maxBufferedBytes; expected to close it. */
  onOverflow?: (connection: ClientConnection<S>) => void;
  /** Called with every serialized frame handed to sockets and how many it went to (a broadcast's recipients). */
  onSent?: (data: string, count: number) => void;
}

/** Which client is connected on which socket; at most one connection per client id. */
export class ConnectionManager<S extends WebSocketLike = WebSocketLike> {
  readonly #clients = new Map<string, ClientConnection<S>>();
  /** Streams corked by a send in this event-loop turn, uncorked together at its end. */
  #corked: CorkableStream[] = [];
  readonly #maxBuffered: number;
  readonly #onOverflow: (connection: ClientConnection<S>) => void;
  readonly #onSent: ((data: string, count: number) => void) | undefined;

  constructor({ maxBufferedBytes = Infinity, onOverflow = () => {}, onSent }: ConnectionManagerOptions<S> = {}) {
    this.#maxBuffered = maxBufferedBytes;
    this.#onOverflow = onOverflow;
    this.#onSent = onSent;
  }

  /** Registers the socket as the client's connection and returns the one it replaces, if any. */
  add(clientId: string, socket: S): { connection: ClientConnection<S>; replaced?: ClientConnection<S> } {
    const replaced = this.#clients.get(clientId);
    const connection = new ClientConnection(clientId, socket);
    this.#clients.set(clientId, connection);
    return replaced ? { connection, replaced } : { connection };
  }

  /**
   * Unregisters the connection, but only while it is still the client's current one: a replaced
   * socket's 'close' event arrives after its successor has been added and must not remove it.
   */
  remove(connection: ClientConnection<S>): boolean {
    if (this.#clients.get(connection.clientId) !== connection) return false;
    return this.#clients.delete(connection.clientId);
  }

  get(clientId: string): ClientConnection<S> | undefined {
    return this.#clients.get(clientId);
  }

  has(clientId: string): boolean {
    return this.#clients.has(clientId);
  }

  get size(): number {
    return this.#clients.size;
  }

  ids(): string[] {
    return [...this.#clients.keys()];
  }

  values(): IterableIterator<ClientConnection<S>> {
    return this.#clients.values();
  }

  /**
   * Sends a serialized frame on one connection, unless it is closed or its peer has stopped reading.
   * Backpressure: a client that does not read would otherwise grow server memory without bound, so
   * past maxBufferedBytes nothing more is queued and onOverflow closes it.
   *
   * Frames sent to one socket within one event-loop turn (a turn's `processing` and its reply, when
   * the store answers at once or its group commit releases it at the turn's end) leave in one write at
   * the end of the turn (writeAtTickEnd) instead of a syscall each: a write to a loopback or LAN peer
   * costs more than the rest of a round trip.
   */
  sendTo(connection: ClientConnection<S>, data: string, onSent?: (err?: Error) => void): boolean {
    if (!this.#takesFrames(connection)) return false;
    this.#cork(connection.socket);
    connection.socket.send(data, onSent);
    this.#onSent?.(data, 1);
    return true;
  }

  /** Whether a frame may be queued on the connection; one that just went over maxBufferedBytes goes to onOverflow. */
  #takesFrames(connection: ClientConnection<S>): boolean {
    if (!connection.isOpen || connection.overflowed) return false;
    if (connection.socket.bufferedAmount <= this.#maxBuffered) return true;
    connection.overflowed = true;
    this.#onOverflow(connection);
    return false;
  }

  #cork(socket: S): void {
    const stream = streamOf(socket);
    // ws corks only inside its own send, so a corked stream here is one this turn already holds.
    if (stream === undefined || stream.writableCorked > 0) return;
    stream.cork();
    if (this.#corked.push(stream) === 1) writeAtTickEnd(this.#uncorkAll);
  }

  readonly #uncorkAll = (): void => {
    const corked = this.#corked;
    this.#corked = [];
    for (const stream of corked) stream.uncork();
  };

  /**
   * Sends an already serialized frame to the client's current connection; false when it has none open.
   * `onSent` runs once the frame has been written out, with an error if it could not be.
   */
  send(clientId: string, data: string, onSent?: (err?: Error) => void): boolean {
    const connection = this.#clients.get(clientId);
    return connection ? this.sendTo(connection, data, onSent) : false;
  }

  /**
   * Sends one serialized frame to every open connection past its greeting and returns how many it went to.
   * Unlike sendTo it does not cork: a broadcast has no second frame for a socket to wait for, and each
   * socket writing at once lets the first recipients read while the last are written (corked, the
   * last of 1000 idle clients had the frame 1.7 ms later, about a tenth). A socket a turn corked in this
   * event-loop turn still takes the frame in its order.
   */
  broadcast(data: string): number {
    let sent = 0;
    for (const connection of this.#clients.values()) {
      if (connection.parked !== null || !this.#takesFrames(connection)) continue;
      connection.socket.send(data);
      sent++;
    }
    if (sent > 0) this.#onSent?.(data, sent);
    return sent;
  }

  snapshot(): Record<string, ConnectionSnapshot> {
    const clients: Record<string, ConnectionSnapshot> = {};
    for (const [id, connection] of this.#clients) {
      clients[id] = {
        connected_at: connection.connectedAt.toISOString(),
        message_count: connection.messageCount,
        turns: connection.turns,
      };
    }
    return clients;
  }
}
