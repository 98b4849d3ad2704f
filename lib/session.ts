import type { RawData, WebSocket } from 'ws';
import type { Claim, Cluster } from './cluster/cluster.ts';
import type { ClientConnection, ConnectionManager } from './connection-manager.ts';
import { guard } from './guard.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { RateLimit } from './options.ts';
import type { TurnPipeline } from './pipeline.ts';
import {
  binaryFrameDetails,
  canonicalTimeZone,
  CLOSE_CODES,
  CLOSE_REASONS,
  errorFrame,
  messageIdOf,
  parseUserMessage,
  systemFrame,
  type InboundFrame,
  type InboundSchema,
  type ServerFrame,
  type UserMessage,
} from './protocol.ts';
import { TokenBucket } from './rate-limit.ts';
import { isStoreUnavailable, type SessionOpened, type Store } from './store.ts';
import type { ErrorCode } from './errors.ts';

/**
 * A client's connection from the handshake to its close: registration, the greeting
 * (connection_established and the replies that waited), then the frame loop:
 * rate limit → frame → JSON → valibot → the handler of the frame's type → the client's turn queue.
 */

export interface SessionDeps {
  connections: ConnectionManager<WebSocket>;
  pipeline: TurnPipeline;
  store: Store;
  /** Newest connection wins across instances: a newer one elsewhere closes this one with 4000. */
  cluster: Pick<Cluster, 'claim'>;
  log: Logger;
  schema: InboundSchema;
  rateLimit: RateLimit;
  metrics: Pick<Metrics, 'connectionOpened' | 'connectionClosed' | 'frameReceived' | 'rateLimited'>;
  onConnect?: (clientId: string) => void;
  onDisconnect?: (clientId: string, code: number) => void;
}

/** What the handshake learned about a client. */
export interface Handshake {
  clientId: string;
  remoteAddress: string;
  /** ?tz= as given, valid or not; null when absent. */
  zone: string | null;
  /** The scheme and host the upgrade came in on (publicOrigin). */
  origin: string;
}

/**
 * The sessions of one server. The socket listeners are made once here and shared by every socket,
 * which finds its session through a WeakMap: a closure per listener per socket (and the scope each
 * keeps alive) cost an idle connection more than its session does.
 */
export class Sessions {
  readonly #deps: SessionDeps;
  readonly #bySocket = new WeakMap<WebSocket, Session>();
  readonly #onError: (this: WebSocket, err: Error) => void;
  readonly #onPong: (this: WebSocket) => void;
  readonly #onClose: (this: WebSocket, code: number) => void;
  readonly #onMessage: (this: WebSocket, data: RawData, isBinary: boolean) => void;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
    const { log } = deps;
    const bySocket = this.#bySocket;
    this.#onError = function (err) {
      log.warn('socket error', { clientId: bySocket.get(this)?.clientId, err });
    };
    this.#onPong = function () {
      const session = bySocket.get(this);
      if (session) session.connection.alive = true;
    };
    this.#onClose = function (code) {
      const session = bySocket.get(this);
      if (!session) return;
      guard(
        () => session.closed(code),
        (err) => log.error('close handler failed', { clientId: session.clientId, err }),
      );
    };
    this.#onMessage = function (data, isBinary) {
      const session = bySocket.get(this);
      if (!session) return;
      guard(
        () => session.receive(data, isBinary),
        (err) => {
          log.error('message handler failed', { clientId: session.clientId, err });
          session.reply(errorFrame('INTERNAL_SERVER_ERROR'));
        },
      );
    };
  }

  /** Takes over an accepted socket whose client id is valid and whose token (if any) checked out. */
  start(ws: WebSocket, handshake: Handshake): void {
    const deps = this.#deps;
    // First, so that no 'error' of this socket goes unhandled whatever happens below.
    ws.on('error', this.#onError);
    const session = this.#register(ws, handshake.clientId);
    session.connection.publicOrigin = handshake.origin;
    session.connection.parked = [];
    // No frame is read until connection_established has gone out, so nothing overtakes it.
    ws.pause();
    void deps.store.openSession(handshake.clientId, new Date()).then(
      (opened) => this.#greet(session, handshake, opened),
      (err: unknown) => {
        // An unavailable store logged why, once; a line per connection would flood the log.
        if (!isStoreUnavailable(err))
          deps.log.error('session could not be opened', { clientId: handshake.clientId, err });
        this.#greet(session, handshake, isStoreUnavailable(err) ? 'STORAGE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR');
      },
    );
  }

  /** Makes the socket the client's connection (closing one it replaces) and unregisters it on close. */
  #register(ws: WebSocket, clientId: string): Session {
    const deps = this.#deps;
    const { connection, replaced } = deps.connections.add(clientId, ws);
    deps.metrics.connectionOpened();
    if (replaced) {
      deps.log.info('connection replaced', { clientId });
      replaced.socket.close(CLOSE_CODES.replaced, CLOSE_REASONS.replaced);
    }
    const claim = deps.cluster.claim(clientId, () => {
      deps.log.info('connection replaced on another instance', { clientId });
      ws.close(CLOSE_CODES.replaced, CLOSE_REASONS.replaced);
    });
    const session = new Session(connection, deps, claim);
    this.#bySocket.set(ws, session);
    ws.on('pong', this.#onPong);
    ws.on('close', this.#onClose);
    return session;
  }

  /**
   * Sends connection_established (or, when the store failed, it and the error code the failure calls
   * for), then the replies that finished while the client was away and the frames parked meanwhile,
   * then starts reading frames.
   */
  #greet(session: Session, handshake: Handshake, opened: SessionOpened | ErrorCode): void {
    const deps = this.#deps;
    const { connection } = session;
    const { clientId, socket } = connection;
    const parked = connection.parked ?? [];
    connection.parked = null;
    // The socket may have closed, or been replaced by a newer one of the same client, while the store
    // answered; it is resumed all the same so that its closing handshake can finish.
    if (!connection.isOpen || deps.connections.get(clientId) !== connection) {
      socket.resume();
      return;
    }
    const timeZone = handshake.zone === null ? undefined : canonicalTimeZone(handshake.zone);
    const zoneOk = handshake.zone === null || timeZone !== undefined;
    if (typeof opened === 'object') {
      session.reply(
        systemFrame('connection_established', {
          metadata: { resumed: opened.resumed, messages: opened.messages, pending: opened.pending.length },
        }),
      );
      if (!zoneOk) {
        deps.log.debug('time zone refused', { clientId, where: 'query' });
        session.reply(errorFrame('INVALID_TIMEZONE'));
      }
      deps.pipeline.deliver(clientId, opened.pending);
      // Ahead of the client's first message: a turn of it that an instance died in gets TURN_INTERRUPTED.
      deps.pipeline.recover(clientId);
    } else {
      session.reply(systemFrame('connection_established'));
      session.reply(errorFrame(opened));
    }
    // A reply committed before the store's read and delivered during the gap is in both lists; send it once.
    const delivered = new Set(
      typeof opened === 'object' ? opened.pending.map((reply) => reply.data ?? JSON.stringify(reply.frame)) : [],
    );
    for (const [data, onSent] of parked) {
      if (!delivered.has(data)) deps.connections.sendTo(connection, data, onSent);
    }
    session.timeZone = timeZone;
    socket.on('message', this.#onMessage);
    socket.resume();
    deps.log.info('client connected', { clientId, remoteAddress: handshake.remoteAddress });
    guard(
      () => deps.onConnect?.(clientId),
      (err) => deps.log.error('onConnect failed', { clientId, err }),
    );
  }
}

/** How each inbound frame type is handled; one entry per variant of the inbound schema. */
const HANDLERS: { [T in InboundFrame['type']]: (session: Session, frame: Extract<InboundFrame, { type: T }>) => void } =
  {
    user_message: (session, message) => session.submit(message),
  };

/**
 * One socket's session: its frames and its close. Refused frames are answered on this socket with an
 * error frame and the connection stays open; only a client that goes on flooding after `strikes`
 * refusals in a row is closed.
 */
class Session {
  readonly connection: ClientConnection<WebSocket>;
  readonly #deps: SessionDeps;
  readonly #claim: Claim;
  /** Made on the first frame: an idle connection holds none. */
  #bucket: TokenBucket | undefined;
  #strikes = 0;
  /** The latest zone the client stated on this connection; every message carries it to the engine. */
  timeZone: string | undefined;

  constructor(connection: ClientConnection<WebSocket>, deps: SessionDeps, claim: Claim) {
    this.connection = connection;
    this.#deps = deps;
    this.#claim = claim;
  }

  get clientId(): string {
    return this.connection.clientId;
  }

  /** The socket closed: unregisters it and reports the disconnect. */
  closed(code: number): void {
    const { clientId, connection } = this;
    const deps = this.#deps;
    this.#claim.release();
    deps.connections.remove(connection);
    deps.metrics.connectionClosed(code);
    deps.log.info('client disconnected', {
      clientId,
      code,
      durationMs: Date.now() - connection.connectedAt.getTime(),
      messageCount: connection.messageCount,
    });
    deps.onDisconnect?.(clientId, code);
  }

  /** One frame off the socket: rate limit → frame → JSON → valibot → the handler of the frame's type. */
  receive(data: RawData, isBinary: boolean): void {
    const { clientId } = this.connection;
    this.connection.frameReceived();
    this.#deps.metrics.frameReceived();
    if (!this.#withinRate(data, isBinary)) return;
    if (isBinary) {
      this.#deps.log.debug('binary frame refused', { clientId });
      return this.reply(errorFrame('INVALID_MESSAGE_FORMAT', { details: binaryFrameDetails }));
    }
    // A text frame is always one Buffer: the socket's binaryType is ws's default, 'nodebuffer'.
    const parsed = parseUserMessage((data as Buffer).toString('utf8'), this.#deps.schema);
    if (!parsed.ok) {
      this.#deps.log.debug('invalid message', { clientId, details: parsed.details });
      return this.reply(errorFrame('INVALID_MESSAGE_FORMAT', { details: parsed.details }));
    }
    HANDLERS[parsed.message.type](this, parsed.message);
  }

  /** A user message: its zone, then the client's turn queue. */
  submit(message: UserMessage): void {
    const { clientId } = this.connection;
    if (message.timezone !== undefined) {
      const canonical = canonicalTimeZone(message.timezone);
      if (canonical === undefined) {
        this.#deps.log.debug('time zone refused', { clientId, where: 'message', messageId: message.message_id });
        return this.reply(errorFrame('INVALID_TIMEZONE', { reply_to: message.message_id }));
      }
      this.timeZone = canonical;
    }
    if (this.timeZone !== undefined) message.timezone = this.timeZone;
    this.#deps.log.debug('message received', { clientId, content: message.content, messageId: message.message_id });
    const result = this.#deps.pipeline.submit(clientId, message);
    if (result === 'accepted') this.connection.turnAccepted();
    else this.reply(errorFrame(result === 'busy' ? 'BUSY' : 'SHUTTING_DOWN', { reply_to: message.message_id }));
  }

  /** Spends a token; false (having answered RATE_LIMITED, or closed a flooding client) when there was none. */
  #withinRate(data: RawData, isBinary: boolean): boolean {
    const waitMs = (this.#bucket ??= new TokenBucket(
      this.#deps.rateLimit.perSecond,
      this.#deps.rateLimit.burst,
    )).take();
    if (waitMs === 0) {
      this.#strikes = 0;
      return true;
    }
    this.#deps.metrics.rateLimited('frames');
    if (++this.#strikes >= this.#deps.rateLimit.strikes) {
      this.#deps.log.warn('client closed for flooding', {
        clientId: this.connection.clientId,
        strikes: this.#strikes,
      });
      this.connection.socket.close(CLOSE_CODES.policyViolation, CLOSE_REASONS.flooding);
    } else {
      const replyTo = isBinary ? undefined : messageIdOf((data as Buffer).toString('utf8'));
      this.#deps.log.debug('frame refused: rate limited', {
        clientId: this.connection.clientId,
        strikes: this.#strikes,
        retryAfterMs: waitMs,
      });
      this.reply(errorFrame('RATE_LIMITED', { retry_after_ms: waitMs, reply_to: replyTo }));
    }
    return false;
  }

  /** Sends a frame on this socket. */
  reply(frame: ServerFrame): void {
    this.#deps.connections.sendTo(this.connection, JSON.stringify(frame));
  }
}
