import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ConnectionManager, type ConnectionSnapshot } from './connection-manager.ts';
import { createEchoEngine, type ConversationEngine } from './engine.ts';
import { silentLogger, type Logger } from './logger.ts';
import { TurnPipeline } from './pipeline.ts';
import { CLOSE_CODES, CLOSE_REASONS, errorFrame, isValidClientId, systemFrame } from './protocol.ts';
import { createRouter, createRoutes, notFound, type ServerInfo } from './routes.ts';
import { attachSession } from './session.ts';
import { createMemoryStore, type Store } from './store.ts';

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
};

/** Retry-After (seconds) sent with 503s while full or shutting down. */
const RETRY_AFTER_SECONDS = '5';

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' };

/**
 * Refuses an upgrade before the handshake with a short JSON response, then destroys the socket once it
 * has been written, as ws's abortHandshake() does. The socket is still a plain HTTP socket here, so it
 * can be written to; 'finish' means the response left, and nothing else will be read from it.
 */
export function abortHandshake(socket: Duplex, status: number, detail: string, code: string, headers: Record<string, string> = {}): void {
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
  const opts = { ...DEFAULTS, ...options };
  for (const key of ['maxConnections', 'maxMessageBytes', 'maxBodyBytes', 'maxQueuedMessages', 'engineTimeoutMs', 'heartbeatIntervalMs', 'sessionTtlMs', 'sweepIntervalMs'] as const) {
    if (!Number.isInteger(opts[key]) || opts[key] <= 0) throw new TypeError(`options.${key} must be a positive integer`);
  }
  if (!Number.isInteger(opts.closeTimeoutMs) || opts.closeTimeoutMs < 0) throw new TypeError('options.closeTimeoutMs must be a non-negative integer');
  const log = opts.logger;
  const engine = opts.engine ?? createEchoEngine();
  const store = opts.store ?? createMemoryStore();
  const startedAt = Date.now();
  const connections = new ConnectionManager<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes });
  const pipeline = new TurnPipeline({
    engine,
    store,
    log,
    maxQueued: opts.maxQueuedMessages,
    engineTimeoutMs: opts.engineTimeoutMs,
    send: (clientId, data, onSent) => connections.send(clientId, data, onSent),
  });
  let closing: Promise<void> | undefined;

  const handleRequest = createRouter(
    createRoutes({
      connections,
      store,
      isClosing: () => closing !== undefined,
      serverInfo: opts.serverInfo ?? packageInfo(),
      startedAt,
      maxBodyBytes: opts.maxBodyBytes,
    }),
    log,
  );

  function onConnection(ws: WebSocket, clientId: string, remoteAddress: string | undefined): void {
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
    attachSession(connection, { pipeline, log });

    try {
      const session = store.openSession(clientId, new Date());
      const metadata = { resumed: session.resumed, messages: session.messages, pending: session.pending.length };
      ws.send(JSON.stringify(systemFrame('connection_established', { metadata })));
      pipeline.deliver(clientId, session.pending);
    } catch (err) {
      log.error('session could not be opened', { clientId, err });
      ws.send(JSON.stringify(systemFrame('connection_established')));
      ws.send(JSON.stringify(errorFrame('INTERNAL_SERVER_ERROR')));
    }
    log.info('client connected', { clientId, remoteAddress });
    opts.onConnect?.(clientId);
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (!pathname.startsWith('/ws/')) return false;
    // Until ws owns the socket, an 'error' (a peer reset mid-handshake) must not go unhandled.
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);
    const remoteAddress = req.socket.remoteAddress;
    const clientId = pathname.slice('/ws/'.length);
    if (closing) {
      log.info('handshake rejected', { status: 503, reason: 'shutting down', remoteAddress });
      abortHandshake(socket, 503, 'Server shutting down', 'SHUTTING_DOWN', { 'Retry-After': RETRY_AFTER_SECONDS });
      return true;
    }
    if (connections.size >= opts.maxConnections && !connections.has(clientId)) {
      log.warn('handshake rejected', { status: 503, reason: 'connection limit', remoteAddress, limit: opts.maxConnections });
      abortHandshake(socket, 503, 'Too many connections', 'TOO_MANY_CONNECTIONS', { 'Retry-After': RETRY_AFTER_SECONDS });
      return true;
    }
    // Client authentication and origin checks go here, before the handshake completes (issue 5).
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', onSocketError);
      onConnection(ws, clientId, remoteAddress);
    });
    return true;
  }

  const httpServer = createServer((req, res) => {
    if (!handleRequest(req, res)) notFound(res);
  });
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!handleUpgrade(req, socket, head)) {
      socket.on('error', () => socket.destroy());
      abortHandshake(socket, 404, 'Not Found', 'NOT_FOUND');
    }
  });

  // One server-wide heartbeat rather than a timer per socket.
  const heartbeat = setInterval(() => {
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
    try {
      const removed = store.sweep(new Date(Date.now() - opts.sessionTtlMs));
      if (removed > 0) log.info('sessions swept', { removed });
    } catch (err) {
      log.error('session sweep failed', { err });
    }
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
    if (!options.store) store.close();
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
