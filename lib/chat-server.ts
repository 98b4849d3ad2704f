import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { Admission } from './admission.ts';
import { createAdminGuard } from './auth.ts';
import { createClientAddress } from './client-address.ts';
import { createLocalCluster, type Cluster } from './cluster/cluster.ts';
import { ConnectionManager, type ConnectionSnapshot } from './connection-manager.ts';
import { createEchoEngine, type ConversationEngine } from './engine.ts';
import { HttpError, refuseHandshake, sendHttpError } from './errors.ts';
import { guard } from './guard.ts';
import { Background } from './heartbeat.ts';
import type { Logger } from './logger.ts';
import { instrumentStore, metricsRoute, sentFrameKind, type Metrics } from './metrics.ts';
import { resolveOptions, type ChatServerOptions, type ResolvedOptions } from './options.ts';
import { TurnPipeline } from './pipeline.ts';
import { protocolDocsRoutes } from './protocol-docs.ts';
import { botResponseFrame, CLOSE_CODES, CLOSE_REASONS, inboundSchema } from './protocol.ts';
import {
  calendarFeedPath,
  createRouter,
  createRoutes,
  publicOrigin,
  upgradeRequiredRoute,
  type NamedRoute,
  type Route,
} from './routes.ts';
import { shutdown } from './shutdown.ts';
import { Sessions, type SessionDeps } from './session.ts';
import { createMemoryStore, type Store } from './store.ts';
import { createWebUi } from './web-ui.ts';

export type { ChatServerOptions } from './options.ts';

/** A read-only view of who is connected to this instance. */
export interface ConnectionsView {
  readonly size: number;
  ids(): string[];
  snapshot(): Record<string, ConnectionSnapshot>;
}

export interface ChatServer {
  /** The standalone server that listen() binds; unused when mounted on a host server. */
  readonly httpServer: Server;
  readonly connections: ConnectionsView;
  /**
   * Answers one of our REST paths (under basePath) and returns true, or returns false having written
   * nothing. After close() has finished it returns false for every request: the host has them back.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes over a `{basePath}/ws/` upgrade and returns true, or returns false having touched nothing (always, after close()). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Sends a `bot_response` with `content` (and `metadata`) to the client's open connection, now; true
   * if it went out. Not stored: a client that is not connected does not get it later.
   */
  send(clientId: string, content: string, metadata?: Record<string, unknown>): boolean;
  /**
   * Sends a `bot_response` with `metadata.broadcast = true` to every client connected to this
   * instance; returns how many it went to. (POST /admin/broadcast reaches every instance of a cluster.)
   */
  broadcast(content: string, metadata?: Record<string, unknown>): number;
  /** Binds the standalone server and starts the timers. Defaults: port 8000, host 0.0.0.0; port 0 picks a free port. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Shuts down gracefully; idempotent, every call gets the same promise. Never closes a host's server. */
  close(): Promise<void>;
}

/** A socket closed for not reading gets this long to take its close frame before it is cut. */
const NOT_READING_GRACE_MS = 1_000;

/**
 * Creates the chat server. Nothing runs until it serves: listen() binds the standalone server, or
 * a host hands it requests and upgrades (see handleRequest, handleUpgrade).
 */
export function createChatServer(options: ChatServerOptions = {}): ChatServer {
  const opts = resolveOptions(options);
  const { logger: log, metrics } = opts;
  const engine = opts.engine ?? createEchoEngine();
  const store = instrumentStore(opts.store ?? createMemoryStore(), metrics);
  const connections = createConnections(log, opts.maxBufferedBytes, metrics);
  let closing: Promise<void> | undefined;
  let closed = false;
  const isClosing = () => closing !== undefined;
  const engineRoutes = engineRoutesOf(opts, engine, store);
  const cluster = opts.cluster ?? createLocalCluster();
  const pipeline = createPipeline(opts, engine, store, connections, cluster, servesFeeds(engineRoutes));
  joinCluster(cluster, connections, pipeline);
  metrics.sampleQueue(() => pipeline.queueSample());
  const clientAddress = createClientAddress(opts.trustProxy);
  const sessionParts = { connections, pipeline, store, cluster, log, metrics, ...callbacks(opts) };
  const admission = createAdmission(opts, { ...sessionParts, rateLimit: opts.rateLimit }, clientAddress, isClosing);
  const background = new Background({ ...opts, connections, store, cluster, log, onTick: () => admission.prune() });
  const own = createRoutes({
    connections,
    cluster,
    store,
    isClosing,
    serverInfo: opts.serverInfo,
    startedAt: Date.now(),
    maxBodyBytes: opts.maxBodyBytes,
    dependencies: () => dependencies(store, cluster),
    deleteSession: (clientId) => pipeline.deleteSession(clientId),
    broadcast: (content) => cluster.broadcast(broadcastFrame(content)),
  });
  const route = createHttpRouter(opts, routeTable(opts, own, engineRoutes), clientAddress);
  warnAboutSecrets(opts);

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    if (closed || !admission.handleUpgrade(req, socket, head)) return false;
    background.start();
    return true;
  };
  const serveWebUi = opts.webUi ? createWebUi({ basePath: opts.basePath }) : undefined;
  const handleRequest = (req: IncomingMessage, res: ServerResponse): boolean =>
    !closed && (guardRequest(log, route, req, res) || (serveWebUi?.(req, res) ?? false));
  const httpServer = createStandaloneServer(opts, handleRequest, handleUpgrade, clientAddress);

  return {
    httpServer,
    connections: viewOf(connections),
    handleRequest,
    handleUpgrade,
    send: (clientId, content, metadata) => sendNow(connections, clientId, content, metadata),
    broadcast: (content, metadata) => connections.broadcast(broadcastFrame(content, metadata)),
    async listen(port = 8000, host = '0.0.0.0') {
      const address = await listen(httpServer, port, host);
      background.start();
      return address;
    },
    close() {
      closing ??= shutdown({
        log,
        pipeline,
        sockets: admission.sockets,
        closeTimeoutMs: opts.closeTimeoutMs,
        engine,
        httpServer,
        ...(options.store ? {} : { ownStore: store }),
        stopTimers: () => background.stop(),
        closeSocketServer: () => admission.close(),
      }).finally(() => {
        closed = true;
      });
      return closing;
    },
  };
}

/**
 * The turn queue. Its frames go to the client's current connection, whichever socket that is now;
 * while that connection is still being greeted they are parked, so connection_established goes first.
 */
function createPipeline(
  opts: ResolvedOptions,
  engine: ConversationEngine,
  store: Store,
  connections: ConnectionManager<WebSocket>,
  cluster: Cluster,
  feeds: boolean,
): TurnPipeline {
  return new TurnPipeline({
    engine,
    store,
    log: opts.logger,
    maxQueued: opts.maxQueuedMessages,
    engineTimeoutMs: opts.engineTimeoutMs,
    ...(opts.turnLocks ? { locks: opts.turnLocks } : {}),
    // A reply whose client is not connected here may be wanted by the instance it moved to.
    onUndelivered: (clientId, replies) => cluster.forward(clientId, replies),
    send: (clientId, data, onSent) => {
      const connection = connections.get(clientId);
      if (connection === undefined) return false;
      if (!connection.parked) return connections.sendTo(connection, data, onSent);
      connection.parked.push([data, onSent]);
      return true;
    },
    feedUrl: (clientId) => {
      const origin = feeds ? connections.get(clientId)?.publicOrigin : undefined;
      return origin === undefined ? undefined : (token) => origin + opts.basePath + calendarFeedPath(token);
    },
    events: opts,
    metrics: opts.metrics,
  });
}

/** Lets the other instances reach this one's clients: broadcasts, connection views, replies whose client moved here. */
function joinCluster(cluster: Cluster, connections: ConnectionManager<WebSocket>, pipeline: TurnPipeline): void {
  cluster.attach({
    broadcast: (data) => connections.broadcast(data),
    snapshot: () => connections.snapshot(),
    // Never forwarded again, so two instances never pass a reply back and forth.
    deliver: (clientId, replies) => pipeline.deliver(clientId, replies, { forward: false }),
  });
}

/** A broadcast bot_response, serialized once for every recipient (a per-client session_id would cost one stringify each). */
function broadcastFrame(content: string, metadata?: Record<string, unknown>): string {
  return JSON.stringify(botResponseFrame({ content, metadata: { ...metadata, broadcast: true } }));
}

/** /health's `dependencies`: "db" whether the database answers now, "redis" whether the cluster's Redis does (in multi-instance mode). */
async function dependencies(store: Store, cluster: Cluster): Promise<Record<string, 'up' | 'down'>> {
  // ping: is the database reachable now; health: can the store still be trusted at all.
  const reachable = store.ping
    ? await store.ping().then(
        () => true,
        () => false,
      )
    : (await store.health()).ok;
  const status: Record<string, 'up' | 'down'> = { db: reachable ? 'up' : 'down' };
  const redis = cluster.health();
  if (redis) status.redis = redis;
  return status;
}

/** Our named routes that are turned on (the core ones, /metrics, the protocol documents), the engine's, then the 426 for plain HTTP to /ws/. */
function routeTable(opts: ResolvedOptions, core: NamedRoute[], engineRoutes: Route[]): Route[] {
  const docs = protocolDocsRoutes({
    version: opts.serverInfo.version,
    basePath: opts.basePath,
    maxContentChars: opts.maxContentChars,
  });
  const named = [...core, metricsRoute(opts.metrics), ...docs];
  return [...named.filter((r) => opts.routes[r.name]), ...engineRoutes, upgradeRequiredRoute];
}

/** True when one of the engine's routes answers calendar-feed addresses, so turns may hand them out. */
function servesFeeds(routes: Route[]): boolean {
  const example = calendarFeedPath('token');
  return routes.some((r) => r.path.test(example) && r.methods.GET !== undefined);
}

function viewOf(connections: ConnectionManager<WebSocket>): ConnectionsView {
  return {
    get size() {
      return connections.size;
    },
    ids: () => connections.ids(),
    snapshot: () => connections.snapshot(),
  };
}

/** Sends a frame to the client's connection now, unless it has none or is still being greeted. */
function sendNow(
  connections: ConnectionManager<WebSocket>,
  clientId: string,
  content: string,
  metadata: Record<string, unknown> | undefined,
): boolean {
  const connection = connections.get(clientId);
  if (connection === undefined || connection.parked !== null) return false;
  const frame = botResponseFrame({ content, ...(metadata ? { metadata } : {}) }, { session_id: clientId });
  return connections.sendTo(connection, JSON.stringify(frame));
}

/** The upgrade path; an accepted socket starts a session with `parts`. */
function createAdmission(
  opts: ResolvedOptions,
  parts: Omit<SessionDeps, 'schema'>,
  clientAddress: (req: IncomingMessage) => string,
  isClosing: () => boolean,
): Admission {
  const sessions = new Sessions({ ...parts, schema: inboundSchema(opts.maxContentChars) });
  return new Admission({
    ...opts,
    log: opts.logger,
    clientAddress,
    isClosing,
    isConnected: (clientId) => parts.connections.has(clientId),
    onAccepted: (ws, handshake) => sessions.start(ws, handshake),
  });
}

/** The engine's own routes, unless turned off; their URLs are built under basePath. */
function engineRoutesOf(opts: ResolvedOptions, engine: ConversationEngine, store: Store): Route[] {
  if (!opts.routes.engine || !engine.routes) return [];
  const publicUrl = (req: IncomingMessage, path: string) => publicOrigin(req) + opts.basePath + path;
  return engine.routes({ store, log: opts.logger, publicUrl });
}

/** The router over the route table, under basePath, privileged routes behind the admin guard. */
function createHttpRouter(opts: ResolvedOptions, routes: Route[], clientAddress: (req: IncomingMessage) => string) {
  const adminGuard = createAdminGuard(opts.adminToken, opts.trustProxy !== false && opts.trustProxy !== 0);
  return createRouter(routes, {
    log: opts.logger,
    basePath: opts.basePath,
    clientAddress,
    guard: (req) => adminGuard(req, clientAddress(req)),
  });
}

/** Who is connected; a client that stops reading is closed with 1013, and cut if even that cannot get through. */
function createConnections(log: Logger, maxBufferedBytes: number, metrics: Metrics): ConnectionManager<WebSocket> {
  return new ConnectionManager<WebSocket>({
    maxBufferedBytes,
    onSent: (data, count) => metrics.frameSent(sentFrameKind(data), count),
    onOverflow: ({ clientId, socket }) => {
      log.warn('client not reading, closing', { clientId, bufferedBytes: socket.bufferedAmount });
      socket.close(CLOSE_CODES.tryAgainLater, CLOSE_REASONS.notReading);
      // The close frame queues behind the backlog the client is not reading; cut the socket if it stays stuck.
      const cut = setTimeout(() => socket.terminate(), NOT_READING_GRACE_MS);
      socket.once('close', () => clearTimeout(cut));
    },
  });
}

/** The embedder's connection callbacks, present only when given. */
function callbacks({ onConnect, onDisconnect }: ResolvedOptions) {
  return { ...(onConnect ? { onConnect } : {}), ...(onDisconnect ? { onDisconnect } : {}) };
}

/** Runs the router; a bug that throws before a handler took over is logged and answered 500, never left to the host's listener. */
function guardRequest(
  log: Logger,
  route: (req: IncomingMessage, res: ServerResponse) => boolean,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  let handled = true;
  guard(
    () => {
      handled = route(req, res);
    },
    (err) => {
      log.error('request handler failed', { method: req.method, err });
      sendHttpError(res, new HttpError('INTERNAL_SERVER_ERROR', 'Internal server error'));
    },
  );
  return handled;
}

function warnAboutSecrets({ adminToken, authSecret, logger }: ResolvedOptions): void {
  if (adminToken === undefined) logger.warn('admin token not set: admin routes answer loopback callers only');
  if (authSecret !== undefined && authSecret.length < 32)
    logger.warn('client token secret is shorter than 32 characters; HS256 wants at least 256 bits');
}

/** The server listen() binds: our routes, a 404 for any other path (an upgrade's counted and logged), with slowloris bounds. */
function createStandaloneServer(
  opts: ResolvedOptions,
  handleRequest: (req: IncomingMessage, res: ServerResponse) => boolean,
  handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean,
  clientAddress: (req: IncomingMessage) => string,
): Server {
  const server = createServer(
    {
      // Bounds for half-open requests (slowloris); Node checks them every connectionsCheckingInterval.
      headersTimeout: opts.headersTimeoutMs,
      requestTimeout: opts.requestTimeoutMs,
      keepAliveTimeout: opts.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, opts.headersTimeoutMs),
    },
    (req, res) => {
      if (!handleRequest(req, res)) sendHttpError(res, new HttpError('NOT_FOUND'));
    },
  );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!handleUpgrade(req, socket, head)) {
      opts.metrics.connectionRefused('NOT_FOUND');
      opts.logger.debug('handshake rejected', { status: 404, reason: 'NOT_FOUND', remoteAddress: clientAddress(req) });
      socket.on('error', () => socket.destroy());
      refuseHandshake(socket, new HttpError('NOT_FOUND'));
    }
  });
  return server;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}
