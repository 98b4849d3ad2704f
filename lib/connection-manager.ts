/** The part of a ws WebSocket the manager uses; tests pass a fake of this, not of ws. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

const OPEN = 1;

export class ClientConnection<S extends WebSocketLike = WebSocketLike> {
  readonly connectedAt = new Date();
  /** Every frame received on this socket, valid or not. */
  messageCount = 0;
  /** Turns accepted from this socket (valid messages that were not refused as BUSY). */
  turns = 0;
  /**
   * Heartbeat flag: cleared when a ping goes out, set again by the pong. Still clear at the next
   * tick means the peer missed a whole interval and is terminated.
   */
  alive = true;

  readonly clientId: string;
  readonly socket: S;

  constructor(clientId: string, socket: S) {
    this.clientId = clientId;
    this.socket = socket;
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN;
  }
}

export interface ConnectionSnapshot {
  connected_at: string;
  message_count: number;
  turns: number;
}

/** Which client is connected on which socket; at most one connection per client id. */
export class ConnectionManager<S extends WebSocketLike = WebSocketLike> {
  readonly #clients = new Map<string, ClientConnection<S>>();

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
   * Sends an already serialized frame to the client's current connection; false when it has none open.
   * `onSent` runs once the frame has been written out, with an error if it could not be.
   */
  send(clientId: string, data: string, onSent?: (err?: Error) => void): boolean {
    const connection = this.#clients.get(clientId);
    if (!connection?.isOpen) return false;
    connection.socket.send(data, onSent);
    return true;
  }

  /** Sends one serialized frame to every open connection and returns how many it went to. */
  broadcast(data: string): number {
    let sent = 0;
    for (const connection of this.#clients.values()) {
      if (!connection.isOpen) continue;
      connection.socket.send(data);
      sent++;
    }
    return sent;
  }

  snapshot(): Record<string, ConnectionSnapshot> {
    const clients: Record<string, ConnectionSnapshot> = {};
    for (const [id, connection] of this.#clients) {
      clients[id] = { connected_at: connection.connectedAt.toISOString(), message_count: connection.messageCount, turns: connection.turns };
    }
    return clients;
  }
}
