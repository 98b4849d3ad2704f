import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { BEARER_PROTOCOL, createAdminGuard, createTokenVerifier, tokenOf, type TokenVerdict } from './auth.ts';
import { createClientAddress, type TrustProxy } from './client-address.ts';
import { ConnectionManager, type ClientConnection, type ConnectionSnapshot } from './connection-manager.ts';
import { createEchoEngine, type ConversationEngine } from './engine.ts';
import { silentLogger, type Logger } from './logger.ts';
import { TurnPipeline } from './pipeline.ts';
import { CLOSE_CODES, CLOSE_REASONS, DEFAULT_MAX_CONTENT_CHARS, errorFrame, isValidClientId, isValidTimeZone, systemFrame, userMessageSchema, type ErrorCode } from './protocol.ts';
import { AddressLimits } from './rate-limit.ts';
import { calendarFeedUrl, createRouter, createRoutes, notFound, publicOrigin, type ServerInfo } from './routes.ts';
import { attachSession, type RateLimit } from './session.ts';
import { createMemoryStore, isStoreUnavailable, type SessionOpened, type Store } from './store.ts';

export interface ChatServerOptions {
  /** Answers user messages. Default: the echo engine. */
  engine?: ConversationEngine;
  /** Where conversations are kept. Default: a new in-memory store, closed by close(); a store passed in is the caller's to close. */
  store?: Store;
  /** Default: silentLogger. */
  logger?: Logger;
  /** Connected clients at most; further upgrades get HTTP 503. Default 10000. */
  maxConnections?: number;
  /** Largest inbound WebSocket frame, in bytes; larger ones close the socket with 1009. Default 65536. */
  maxMessageBytes?: number;
  /** Largest admin request body, in bytes; larger ones get HTTP 413. Default 65536. */
  maxBodyBytes?: number;
  /** Messages that may wait per client behind the running turn; one more gets BUSY. Default 8. */
  maxQueuedMessages?: number;
  /** Milliseconds a turn may take before it is aborted with LLM_PROCESSING_ERROR. Default 30000. */
  engineTimeoutMs?: number;
  /** Milliseconds between heartbeat pings; a socket that missed the previous pong is terminated. Default 30000. */
  heartbeatIntervalMs?: number;
  /** Milliseconds close() waits for sockets to close and turns to finish before cutting them. Default 5000. */
  closeTimeoutMs?: number;
  /** Milliseconds a stored session may stay idle before the sweep deletes it. Default 168 hours. */
  sessionTtlMs?: number;
  /** Milliseconds between retention sweeps. Default one hour. */
  sweepIntervalMs?: number;
  /** Reported by GET /health/clients. Default: this package's name and version. */
  serverInfo?: ServerInfo;
  /** Called once a client is registered and has been sent connection_established. */
  onConnect?: (clientId: string) => void;
  /** Called once a registered client's socket has closed, with the close code. */
  onDisconnect?: (clientId: string, code: number) => void;
  /** Bearer token for the privileged routes (/admin/*, /health/clients); unset: loopback callers only. */
  adminToken?: string;
  /** HS256 secret: when set, every upgrade needs a JWT whose `sub` is the client id. Default: unset (no client auth). */
  authSecret?: string;
  /** Origins allowed to upgrade (`*` for any); an upgrade with another Origin gets 403. Default: any. */
  allowedOrigins?: string[];
  /** Which proxies may set X-Forwarded-For: false (default), a hop count, or proxy addresses. */
  trustProxy?: TrustProxy;
  /** Per-client frame rate limit. Default 10/s, burst 20, closed after 50 refusals in a row. */
  rateLimit?: Partial<RateLimit>;
  /** Upgrades per client address per minute; more get 429. Default 300. */
  connectRatePerMin?: number;
  /** Open connections per client address; more get 429. Default 500. */
  maxConnectionsPerIp?: number;
  /** Unsent bytes a socket may hold before it is closed with 1013 and terminated. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Longest `content`, in characters. Default 4000. */
  maxContentChars?: number;
  /** Milliseconds an HTTP request may take to send its headers (slowloris bound). Default 10000. */
  headersTimeoutMs?: number;
  /** Milliseconds an HTTP request may take in all. Default 30000. */
  requestTimeoutMs?: number;
  /** Milliseconds an idle keep-alive connection stays open. Default 5000. */
  keepAliveTimeoutMs?: number;
}

/** What the handshake learned about a client, handed to the connection. */
interface Handshake {
  clientId: string;
  remoteAddress: string;
  /** ?tz= as given, valid or not. */
  zone: string | null;
  auth: TokenVerdict;
}

/** A read-only view of who is connected. */
export interface ConnectionsView {
  readonly size: number;
  ids(): string[];
  snapshot(): Record<string, ConnectionSnapshot>;
}

export interface ChatServer {
  /** The standalone server that listen() binds; unused when mounted on a host server. */
  readonly httpServer: Server;
  readonly connections: ConnectionsView;
  /** Answers one of our REST paths and returns true, or returns false having written nothing. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes over a `/ws/` upgrade and returns true, or returns false having touched nothing. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Binds the standalone server. Defaults: port 8000, host 0.0.0.0; port 0 picks a free port. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Shuts down gracefully; idempotent, every call gets the same promise. Never closes a host's server. */
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;

const DEFAULTS = {
  logger: silentLogger,
  maxConnections: 10_000,
  maxMessageBytes: 65_536,
  maxBodyBytes: 65_536,
  maxQueuedMessages: 8,
  engineTimeoutMs: 30_000,
  heartbeatIntervalMs: 30_000,
  closeTimeoutMs: 5_000,
  sessionTtlMs: 168 * HOUR_MS,
  sweepIntervalMs: HOUR_MS,
  trustProxy: false as TrustProxy,
  rateLimit: { perSecond: 10, burst: 20, strikes: 50 },
  connectRatePerMin: 300,
  maxConnectionsPerIp: 500,
  maxBufferedBytes: 1_048_576,
  maxContentChars: DEFAULT_MAX_CONTENT_CHARS,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

/** A socket closed for not reading gets this long to take its close frame before it is cut. */
const NOT_READING_GRACE_MS = 1_000;

/** Retry-After (seconds) sent with 503s while full or shutting down. */
const RETRY_AFTER_SECONDS = '5';

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' };

const INTEGER_OPTIONS = [
  'maxConnections', 'maxMessageBytes', 'maxBodyBytes', 'maxQueuedMessages', 'engineTimeoutMs', 'heartbeatIntervalMs',
  'sessionTtlMs', 'sweepIntervalMs', 'connectRatePerMin', 'maxConnectionsPerIp', 'maxBufferedBytes', 'maxContentChars',
  'headersTimeoutMs', 'requestTimeoutMs', 'keepAliveTimeoutMs',
] as const;

/**
 * Refuses an upgrade before the handshake with a short JSON response, then destroys the socket once it
 * has been written, as ws's abortHandshake() does. The socket is still a plain HTTP socket here, so it
 * can be written to; 'finish' means the response left, and nothing else will be read from it.
 */
function abortHandshake(socket: Duplex, status: number, detail: string, code: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ detail, error_code: code });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** This package's name and version, read from its package.json (one level up from lib/, two from dist/lib/). */
function packageInfo(): ServerInfo {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'meetingmuse-server' && pkg.version) return { name: 'MeetingMuse WebSocket Server', version: pkg.version };
    } catch {
      // Not this candidate; try the next.
    }
  }
  return { name: 'MeetingMuse WebSocket Server', version: 'unknown' };
}

export function createChatServer(options: ChatServerOptions = {}): ChatServer {
  const opts = { ...DEFAULTS, ...options, rateLimit: { ...DEFAULTS.rateLimit, ...options.rateLimit } };
  for (const key of INTEGER_OPTIONS) {
    if (!Number.isInteger(opts[key]) || opts[key] <= 0) throw new TypeError(`options.${key} must be a positive integer`);
  }
  for (const key of ['perSecond', 'burst', 'strikes'] as const) {
    if (!(opts.rateLimit[key] > 0)) throw new TypeError(`options.rateLimit.${key} must be a positive number`);
  }
  if (!Number.isInteger(opts.closeTimeoutMs) || opts.closeTimeoutMs < 0) throw new TypeError('options.closeTimeoutMs must be a non-negative integer');
  const log = opts.logger;
  const engine = opts.engine ?? createEchoEngine();
  const store = opts.store ?? createMemoryStore();
  const startedAt = Date.now();
  const clientAddress = createClientAddress(opts.trustProxy);
  const adminGuard = createAdminGuard(opts.adminToken);
  const verifyToken = opts.authSecret === undefined ? undefined : createTokenVerifier(opts.authSecret);
  const allowedOrigins = opts.allowedOrigins && new Set(opts.allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  const addressLimits = new AddressLimits({ connectsPerMinute: opts.connectRatePerMin, maxPerAddress: opts.maxConnectionsPerIp });
  const schema = userMessageSchema(opts.maxContentChars);
  const connections = new ConnectionManager<WebSocket>({
    maxBufferedBytes: opts.maxBufferedBytes,
    onOverflow: ({ clientId, socket }) => {
      log.warn('client not reading, closing', { clientId, bufferedBytes: socket.bufferedAmount });
      socket.close(CLOSE_CODES.tryAgainLater, CLOSE_REASONS.notReading);
      // The close frame queues behind the backlog the client is not reading; cut the socket if it stays stuck.
      const cut = setTimeout(() => socket.terminate(), NOT_READING_GRACE_MS);
      socket.once('close', () => clearTimeout(cut));
    },
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxMessageBytes,
    // Browsers carry the token as `Sec-WebSocket-Protocol: bearer, <token>` and fail the connection
    // unless the server picks one of the offered protocols; pick `bearer`, never the token.
    handleProtocols: (protocols) => (protocols.has(BEARER_PROTOCOL) ? BEARER_PROTOCOL : false),
  });
  /**
   * Frames for connections registered but not yet sent connection_established (openSession is an
   * async gap), parked so that connection_established goes first; sent, with their onSent, right after it.
   */
  const opening = new WeakMap<ClientConnection<WebSocket>, Array<[data: string, onSent?: (err?: Error) => void]>>();
  /** The scheme and host each connection's upgrade came in on, for the URLs its turns hand out. */
  const origins = new WeakMap<ClientConnection<WebSocket>, string>();
  const pipeline = new TurnPipeline({
    engine,
    store,
    log,
    maxQueued: opts.maxQueuedMessages,
    engineTimeoutMs: opts.engineTimeoutMs,
    send: (clientId, data, onSent) => {
      const connection = connections.get(clientId);
      if (connection === undefined) return false;
      const parked = opening.get(connection);
      if (!parked) return connections.sendTo(connection, data, onSent);
      parked.push([data, onSent]);
      return true;
    },
    feedUrl: (clientId) => {
      const connection = connections.get(clientId);
      const origin = connection && origins.get(connection);
      return origin === undefined ? undefined : (token) => calendarFeedUrl(origin, token);
    },
  });
  let closing: Promise<void> | undefined;

  const handleRequest = createRouter(
    createRoutes({
      connections,
      store,
      deleteSession: (clientId) => pipeline.deleteSession(clientId),
      engine,
      isClosing: () => closing !== undefined,
      serverInfo: opts.serverInfo ?? packageInfo(),
      startedAt,
      maxBodyBytes: opts.maxBodyBytes,
    }),
    { log, guard: (req) => adminGuard(req, clientAddress(req)) },
  );
  if (opts.adminToken === undefined) log.warn('ADMIN_TOKEN not set: admin routes answer loopback callers only');
  if (opts.authSecret !== undefined && opts.authSecret.length < 32) log.warn('AUTH_SECRET is shorter than 32 characters; HS256 wants at least 256 bits');

  function onConnection(ws: WebSocket, clientId: string, remoteAddress: string, requestedZone: string | null, origin: string): void {
    ws.on('error', (err) => log.warn('socket error', { clientId, err }));
    // Browsers never see the status of a refused handshake, so a bad id is accepted and closed with a reason.
    if (!isValidClientId(clientId)) {
      log.info('handshake rejected', { closeCode: CLOSE_CODES.policyViolation, reason: 'invalid client id', remoteAddress });
      ws.close(CLOSE_CODES.policyViolation, CLOSE_REASONS.invalidClientId);
      return;
    }
    const { connection, replaced } = connections.add(clientId, ws);
    if (replaced) {
      log.info('connection replaced', { clientId });
      replaced.socket.close(CLOSE_CODES.replaced, CLOSE_REASONS.replaced);
    }
    origins.set(connection, origin);
    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('close', (code) => {
      connections.remove(connection);
      log.info('client disconnected', {
        clientId,
        code,
        durationMs: Date.now() - connection.connectedAt.getTime(),
        messageCount: connection.messageCount,
      });
      opts.onDisconnect?.(clientId, code);
    });
    // No frame is read until connection_established has gone out, so nothing overtakes it.
    ws.pause();
    opening.set(connection, []);
    void store.openSession(clientId, new Date()).then(
      (session) => established(connection, remoteAddress, requestedZone, session),
      (err: unknown) => {
        if (!isStoreUnavailable(err)) log.error('session could not be opened', { clientId, err });
        established(connection, remoteAddress, requestedZone, isStoreUnavailable(err) ? 'STORAGE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR');
      },
    );
  }

  /** Finishes a connection once its session is open, or with the error code the store's failure calls for. */
  function established(connection: ClientConnection<WebSocket>, remoteAddress: string, requestedZone: string | null, session: SessionOpened | ErrorCode): void {
    const { clientId, socket: ws } = connection;
    const parked = opening.get(connection) ?? [];
    opening.delete(connection);
    // The socket may have closed, or been replaced by a newer one of the same client, while the store
    // answered; it is resumed all the same so that its closing handshake can finish.
    if (!connection.isOpen || connections.get(clientId) !== connection) {
      ws.resume();
      return;
    }
    const send = (data: string) => connections.sendTo(connection, data);
    const zoneOk = requestedZone === null || isValidTimeZone(requestedZone);
    attachSession(connection, {
      pipeline,
      log,
      schema,
      rateLimit: opts.rateLimit,
      send,
      ...(requestedZone !== null && zoneOk ? { timeZone: requestedZone } : {}),
    });
    if (typeof session === 'object') {
      const metadata = { resumed: session.resumed, messages: session.messages, pending: session.pending.length };
      send(JSON.stringify(systemFrame('connection_established', { metadata })));
      if (!zoneOk) send(JSON.stringify(errorFrame('INVALID_TIMEZONE')));
      pipeline.deliver(clientId, session.pending);
    } else {
      send(JSON.stringify(systemFrame('connection_established')));
      send(JSON.stringify(errorFrame(session)));
    }
    // A reply committed before the store's read and delivered during the gap is in both lists; send it once.
    const delivered = new Set(typeof session === 'object' ? session.pending.map((reply) => JSON.stringify(reply.frame)) : []);
    for (const [data, onSent] of parked) {
      if (!delivered.has(data)) connections.sendTo(connection, data, onSent);
    }
    ws.resume();
    log.info('client connected', { clientId, remoteAddress });
    opts.onConnect?.(clientId);
  }

  /** Refuses before the handshake; every refusal is logged once with the client address. */
  function refuse(socket: Duplex, remoteAddress: string, status: number, code: string, detail: string, headers: Record<string, string> = {}): true {
    log.info('handshake rejected', { status, reason: code, remoteAddress });
    abortHandshake(socket, status, detail, code, headers);
    return true;
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/ws/')) return false;
    // Until ws owns the socket, an 'error' (a peer reset mid-handshake) must not go unhandled.
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);
    const remoteAddress = clientAddress(req);
    const clientId = url.pathname.slice('/ws/'.length);
    const retry = { 'Retry-After': RETRY_AFTER_SECONDS };
    if (closing) return refuse(socket, remoteAddress, 503, 'SHUTTING_DOWN', 'Server shutting down', retry);
    const origin = req.headers.origin?.toLowerCase();
    // Browsers always send Origin; a client without one is not a browser page and is not what origin checks protect against.
    if (allowedOrigins && origin !== undefined && !allowedOrigins.has('*') && !allowedOrigins.has(origin)) {
      return refuse(socket, remoteAddress, 403, 'ORIGIN_NOT_ALLOWED', 'Origin not allowed');
    }
    const verdict = addressLimits.admit(remoteAddress);
    if (!verdict.ok) {
      return refuse(socket, remoteAddress, 429, 'TOO_MANY_REQUESTS', `Too many connections from this address (${verdict.reason})`, {
        'Retry-After': String(verdict.retryAfterSeconds),
      });
    }
    if (connections.size >= opts.maxConnections && !connections.has(clientId)) {
      return refuse(socket, remoteAddress, 503, 'TOO_MANY_CONNECTIONS', 'Too many connections', retry);
    }
    const zone = url.searchParams.get('tz');
    if (verifyToken && isValidClientId(clientId)) {
      void verifyToken(tokenOf(req, url), clientId).then((auth) => upgrade(req, socket, head, onSocketError, { clientId, remoteAddress, zone, auth }));
    } else {
      upgrade(req, socket, head, onSocketError, { clientId, remoteAddress, zone, auth: { ok: true } });
    }
    return true;
  }

  /**
   * Completes the handshake. Kept apart from handleUpgrade on purpose: closures made there share its
   * scope, and a socket listener created in it would keep the whole upgrade request (headers and
   * all) alive for the life of the connection.
   */
  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onSocketError: () => void, client: Handshake): void {
    const origin = publicOrigin(req);
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', onSocketError);
      accept(ws, client, origin);
    });
  }

  function accept(ws: WebSocket, { clientId, remoteAddress, zone, auth }: Handshake, origin: string): void {
    addressLimits.opened(remoteAddress);
    ws.once('close', () => addressLimits.closed(remoteAddress));
    if (!auth.ok) {
      // Like a bad id: accepted, then closed with a reason a browser can read; nothing of the session is sent.
      ws.on('error', () => {});
      log.info('handshake rejected', { closeCode: CLOSE_CODES.policyViolation, reason: `token ${auth.reason}`, clientId, remoteAddress });
      ws.close(CLOSE_CODES.policyViolation, CLOSE_REASONS.unauthorized);
      return;
    }
    onConnection(ws, clientId, remoteAddress, zone, origin);
  }

  const httpServer = createServer(
    {
      // Bounds for half-open requests (slowloris); Node checks them every connectionsCheckingInterval.
      headersTimeout: opts.headersTimeoutMs,
      requestTimeout: opts.requestTimeoutMs,
      keepAliveTimeout: opts.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, opts.headersTimeoutMs),
    },
    (req, res) => {
      if (!handleRequest(req, res)) notFound(res);
    },
  );
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!handleUpgrade(req, socket, head)) {
      socket.on('error', () => socket.destroy());
      abortHandshake(socket, 404, 'Not Found', 'NOT_FOUND');
    }
  });

  // One server-wide heartbeat rather than a timer per socket; it also forgets idle addresses' buckets.
  const heartbeat = setInterval(() => {
    addressLimits.prune();
    for (const connection of connections.values()) {
      if (!connection.alive) {
        log.info('heartbeat missed', { clientId: connection.clientId });
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, opts.heartbeatIntervalMs);

  const sweep = setInterval(() => {
    store.sweep(new Date(Date.now() - opts.sessionTtlMs)).then(
      (removed) => {
        if (removed > 0) log.info('sessions swept', { removed });
      },
      (err: unknown) => log.error('session sweep failed', { err }),
    );
  }, opts.sweepIntervalMs);

  /**
   * Shutdown order: refuse new work → stop timers → close every socket with 1001 while running turns
   * finish (their replies are stored for the next connection) → after closeTimeoutMs abort the turns
   * and terminate stragglers → dispose the engine → close the store we own → close the http server.
   */
  async function shutdown(): Promise<void> {
    log.info('shutdown started', { connections: connections.size, activeTurns: pipeline.activeClients });
    clearInterval(heartbeat);
    clearInterval(sweep);
    pipeline.stopAccepting();
    const sockets = [...wss.clients];
    for (const ws of sockets) ws.close(CLOSE_CODES.goingAway, CLOSE_REASONS.shuttingDown);
    const closed = sockets.map((ws) => (ws.readyState === ws.CLOSED ? undefined : once(ws, 'close')));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, opts.closeTimeoutMs);
    });
    await Promise.race([Promise.all([...closed, pipeline.idle()]), deadline]);
    clearTimeout(timer);
    pipeline.abort();
    for (const ws of wss.clients) ws.terminate();
    await pipeline.idle();
    try {
      await engine.dispose?.();
    } catch (err) {
      log.error('engine dispose failed', { err });
    }
    if (!options.store) {
      await store.close().catch((err: unknown) => log.error('store close failed', { err }));
    }
    wss.close();
    if (httpServer.listening) {
      const serverClosed = new Promise((resolve) => httpServer.close(resolve));
      httpServer.closeAllConnections();
      await serverClosed;
    }
    log.info('shutdown finished');
  }

  return {
    httpServer,
    connections: {
      get size() {
        return connections.size;
      },
      ids: () => connections.ids(),
      snapshot: () => connections.snapshot(),
    },
    handleRequest,
    handleUpgrade,
    listen(port = 8000, host = '0.0.0.0') {
      return new Promise((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        httpServer.once('error', onError);
        httpServer.listen(port, host, () => {
          httpServer.off('error', onError);
          resolve(httpServer.address() as AddressInfo);
        });
      });
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
