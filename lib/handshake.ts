import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { tokenOf, type TokenVerdict } from './auth.ts';
import { guard } from './guard.ts';
import type { Logger } from './logger.ts';
import { CLOSE_CODES, CLOSE_REASONS, isValidClientId } from './protocol.ts';
import type { AddressLimits } from './rate-limit.ts';
import { INVALID_TARGET, requestUrl } from './routes.ts';

/** Retry-After (seconds) sent with 503s while full or shutting down. */
const RETRY_AFTER_SECONDS = '5';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

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
  if (!socket.writable) return void socket.destroy();
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** What the handshake learned about a client, handed to the connection. */
interface Handshake {
  clientId: string;
  remoteAddress: string;
  /** ?tz= as given, valid or not. */
  zone: string | null;
  auth: TokenVerdict;
}

export interface UpgradeDeps {
  wss: WebSocketServer;
  log: Logger;
  clientAddress(req: IncomingMessage): string;
  addressLimits: AddressLimits;
  /** Lower-case origins without a trailing slash (`*` for any); undefined: any. */
  allowedOrigins: Set<string> | undefined;
  maxConnections: number;
  /** True when the client id has a registered connection (a reconnect replaces it, so it passes a full server). */
  isConnected(clientId: string): boolean;
  /** Checks the client's token; undefined when client auth is off. */
  verifyToken: ((token: string | undefined, clientId: string) => Promise<TokenVerdict>) | undefined;
  isClosing(): boolean;
  /** Takes over an upgraded, authenticated socket; the client id's format is its to check. */
  onConnection(ws: WebSocket, clientId: string, remoteAddress: string, zone: string | null): void;
}

/**
 * The `/ws/` upgrade path: checks in order (a valid target, shutdown, Origin, per-address limits,
 * MAX_CONNECTIONS), reserves the connection slot, checks the token, and hands the upgraded socket
 * over. Returns false, having touched nothing, for a path that is not ours.
 */
export function createUpgradeHandler(deps: UpgradeDeps): (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean {
  const { wss, log, addressLimits, allowedOrigins, verifyToken } = deps;
  /** Upgrade sockets admitted and not yet closed, whether or not their handshake has finished. */
  let openSockets = 0;

  /** Refuses before the handshake; every refusal is logged once with the client address. */
  function refuse(socket: Duplex, remoteAddress: string, status: number, code: string, detail: string, headers: Record<string, string> = {}): true {
    log.info('handshake rejected', { status, reason: code, remoteAddress });
    abortHandshake(socket, status, detail, code, headers);
    return true;
  }

  const refuseClosing = (socket: Duplex, remoteAddress: string) =>
    refuse(socket, remoteAddress, 503, 'SHUTTING_DOWN', 'Server shutting down', { 'Retry-After': RETRY_AFTER_SECONDS });

  function admit(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = requestUrl(req.url);
    if (url && !url.pathname.startsWith('/ws/')) return false;
    // Until ws owns the socket, an 'error' (a peer reset mid-handshake) must not go unhandled.
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);
    const remoteAddress = deps.clientAddress(req);
    if (!url) return refuse(socket, remoteAddress, INVALID_TARGET.status, INVALID_TARGET.code, INVALID_TARGET.detail);
    const clientId = url.pathname.slice('/ws/'.length);
    if (deps.isClosing()) return refuseClosing(socket, remoteAddress);
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
    if (openSockets >= deps.maxConnections && !deps.isConnected(clientId)) {
      return refuse(socket, remoteAddress, 503, 'TOO_MANY_CONNECTIONS', 'Too many connections', { 'Retry-After': RETRY_AFTER_SECONDS });
    }
    reserveSlot(socket, remoteAddress);
    const client = { clientId, remoteAddress, zone: url.searchParams.get('tz') };
    if (verifyToken && isValidClientId(clientId)) {
      verifyToken(tokenOf(req, url), clientId)
        .then((auth) => upgradeUnlessClosing(req, socket, head, onSocketError, { ...client, auth }))
        .catch((err: unknown) => {
          log.error('upgrade handler failed', { clientId, err });
          abortHandshake(socket, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
        });
    } else {
      upgrade(req, socket, head, onSocketError, { ...client, auth: { ok: true } });
    }
    return true;
  }

  /**
   * Counts the socket against MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP from the moment it is admitted,
   * before the asynchronous token check (counting after it let any number through at once), and frees
   * both when the socket closes, whichever path closes it.
   */
  function reserveSlot(socket: Duplex, remoteAddress: string): void {
    openSockets++;
    addressLimits.opened(remoteAddress);
    socket.once('close', () => {
      openSockets--;
      addressLimits.closed(remoteAddress);
    });
  }

  /** After the token check: close() may have begun meanwhile, and shutdown has already closed the sockets it knew. */
  function upgradeUnlessClosing(req: IncomingMessage, socket: Duplex, head: Buffer, onSocketError: () => void, client: Handshake): void {
    if (deps.isClosing()) return void refuseClosing(socket, client.remoteAddress);
    upgrade(req, socket, head, onSocketError, client);
  }

  /**
   * Completes the handshake. Kept apart from admit() on purpose: closures made there share its
   * scope, and a socket listener created in it would keep the whole upgrade request (headers and
   * all) alive for the life of the connection.
   */
  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onSocketError: () => void, client: Handshake): void {
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', onSocketError);
      guard(
        () => accept(ws, client),
        (err) => {
          log.error('connection handler failed', { clientId: client.clientId, err });
          ws.close(CLOSE_CODES.internalError, CLOSE_REASONS.internalError);
        },
      );
    });
  }

  function accept(ws: WebSocket, { clientId, remoteAddress, zone, auth }: Handshake): void {
    if (!auth.ok) {
      // Like a bad id: accepted, then closed with a reason a browser can read; nothing of the session is sent.
      ws.on('error', () => {});
      log.info('handshake rejected', { closeCode: CLOSE_CODES.policyViolation, reason: `token ${auth.reason}`, clientId, remoteAddress });
      ws.close(CLOSE_CODES.policyViolation, CLOSE_REASONS.unauthorized);
      return;
    }
    deps.onConnection(ws, clientId, remoteAddress, zone);
  }

  return (req, socket, head) => {
    let handled = true;
    guard(
      () => {
        handled = admit(req, socket, head);
      },
      (err) => {
        log.error('upgrade handler failed', { err });
        abortHandshake(socket, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
      },
    );
    return handled;
  };
}
