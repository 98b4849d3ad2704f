import { once } from 'node:events';
import type { Server } from 'node:http';
import type { WebSocket } from 'ws';
import type { ConversationEngine } from './engine.ts';
import type { Logger } from './logger.ts';
import type { TurnPipeline } from './pipeline.ts';
import { CLOSE_CODES, CLOSE_REASONS } from './protocol.ts';
import type { Store } from './store.ts';

export interface ShutdownParts {
  log: Logger;
  pipeline: TurnPipeline;
  /** Every socket past the handshake. */
  sockets: Set<WebSocket>;
  closeTimeoutMs: number;
  engine: ConversationEngine;
  /** The store, when the server created it (a store passed in is the caller's to close). */
  ownStore?: Store;
  httpServer: Server;
  /** Stops the timers; runs first. */
  stopTimers(): void;
  /** Releases the WebSocketServer once its sockets are gone. */
  closeSocketServer(): void;
}

/**
 * Shutdown order: refuse new connections (the caller has set closing) → stop timers → drain (close
 * every socket with 1001 while running and late turns finish; their replies are stored for the next
 * connection) → after closeTimeoutMs abort the turns and terminate stragglers → dispose the engine →
 * close the store we own → close the standalone http server, if it listens (never a host's).
 */
export async function shutdown(parts: ShutdownParts): Promise<void> {
  const { log, pipeline } = parts;
  log.info('shutdown started', { connections: parts.sockets.size, activeTurns: pipeline.activeClients });
  parts.stopTimers();
  await closeSockets(parts);
  await pipeline.idle();
  try {
    await parts.engine.dispose?.();
  } catch (err) {
    log.error('engine dispose failed', { err });
  }
  await parts.ownStore?.close().catch((err: unknown) => log.error('store close failed', { err }));
  parts.closeSocketServer();
  await closeHttpServer(parts.httpServer);
  log.info('shutdown finished');
}

/**
 * Closes every socket with 1001, then waits until the deadline for the sockets to close and, after
 * that, for the turns to finish; then aborts the turns and cuts what is left. A frame that arrives
 * after our close frame cannot be answered on its socket (RFC 6455 allows no data after Close), so it
 * is still taken as a turn: its replies are stored and wait for the client's next connection. Once
 * every socket has closed, none can arrive.
 */
async function closeSockets({ sockets, pipeline, closeTimeoutMs }: ShutdownParts): Promise<void> {
  const open = [...sockets];
  for (const ws of open) ws.close(CLOSE_CODES.goingAway, CLOSE_REASONS.shuttingDown);
  const closed = open.map((ws) => (ws.readyState === ws.CLOSED ? undefined : once(ws, 'close')));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, closeTimeoutMs);
  });
  await Promise.race([Promise.all(closed), deadline]);
  await Promise.race([pipeline.idle(), deadline]);
  clearTimeout(timer);
  pipeline.abort();
  for (const ws of sockets) ws.terminate();
}

/** Closes the standalone server, dropping idle keep-alive connections that would hold close() open. */
async function closeHttpServer(httpServer: Server): Promise<void> {
  if (!httpServer.listening) return;
  const serverClosed = new Promise((resolve) => httpServer.close(resolve));
  httpServer.closeAllConnections();
  await serverClosed;
}
