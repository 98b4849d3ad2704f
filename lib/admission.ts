import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { BEARER_PROTOCOL, createTokenVerifier, tokenOf, type TokenVerdict } from './auth.ts';
import { HttpError, refuseHandshake } from './errors.ts';
import { guard } from './guard.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { CLOSE_CODES, CLOSE_REASONS, isValidClientId } from './protocol.ts';
import { AddressLimits } from './rate-limit.ts';
import { ownsInvalidTarget, pathUnder, publicOrigin, requestUrl } from './routes.ts';
import type { Handshake } from './session.ts';

/** Distinct origin strings shared between connections (see Admission's #intern). */
const MAX_INTERNED_ORIGINS = 64;

/** Retry-After (seconds) sent with 503s while full or shutting down. */
const RETRY_AFTER_SECONDS = '5';

const shuttingDown = () =>
  new HttpError('SHUTTING_DOWN', 'Server shutting down', { 'Retry-After': RETRY_AFTER_SECONDS });

export interface AdmissionOptions {
  log: Logger;
  basePath: string;
  maxConnections: number;
  maxMessageBytes: number;
  connectRatePerMin: number;
  maxConnectionsPerIp: number;
  authSecret?: string;
  allowedOrigins?: string[];
  clientAddress: (req: IncomingMessage) => string;
  /** Counts refusals by reason, and the upgrades the per-address limits refused. */
  metrics: Pick<Metrics, 'connectionRefused' | 'rateLimited'>;
  /** True once close() has begun. */
  isClosing(): boolean;
  /** True when the client id is connected now (a reconnect replaces it, so it needs no new slot). */
  isConnected(clientId: string): boolean;
  /** Takes over a socket whose handshake passed every check, its 'error' events included. */
  onAccepted(ws: WebSocket, handshake: Handshake): void;
}

/** A client id as logged: an invalid one is cut to the longest valid length, so a hostile path cannot grow the line. */
function loggedId(clientId: string): string {
  return clientId.length > 100 ? `${clientId.slice(0, 100)}…` : clientId;
}

/**
 * The upgrade path, `/ws/{client_id}`: origin, per-address limits, the connection cap, the token,
 * then the WebSocket handshake. Refusals before the handshake are HTTP answers on the raw socket;
 * a bad client id or token is accepted and closed with 1008, because a browser sees a close code and
 * reason but never the status of a refused handshake.
 */
export class Admission {
  readonly #options: AdmissionOptions;
  readonly #wss: WebSocketServer;
  readonly #addressLimits: AddressLimits;
  readonly #verifyToken?: (token: string | undefined, clientId: string) => Promise<TokenVerdict>;
  readonly #allowedOrigins?: Set<string>;
  /**
   * Sockets admitted and not yet closed, whether or not their handshake has finished. Counted from
   * admission, before the asynchronous token check: counting registered connections instead let any
   * number of upgrades through while their tokens were being checked.
   */
  #open = 0;
  /** The address each admitted socket counts against, until it closes. */
  readonly #addressOf = new WeakMap<Duplex, string>();
  /** One listener for every admitted socket's 'close' (a closure each would cost an idle connection). */
  readonly #onSocketClosed: (this: Duplex) => void;
  /** One string per distinct origin, not one per connection: nearly every client shares a handful. */
  readonly #origins = new Map<string, string>();

  constructor(options: AdmissionOptions) {
    this.#options = options;
    const admission = this;
    this.#onSocketClosed = function () {
      admission.#release(this);
    };
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageBytes,
      // Browsers carry the token as `Sec-WebSocket-Protocol: bearer, <token>` and fail the connection
      // unless the server picks one of the offered protocols; pick `bearer`, never the token.
      handleProtocols: (protocols) => (protocols.has(BEARER_PROTOCOL) ? BEARER_PROTOCOL : false),
    });
    this.#addressLimits = new AddressLimits({
      connectsPerMinute: options.connectRatePerMin,
      maxPerAddress: options.maxConnectionsPerIp,
    });
    if (options.authSecret !== undefined) this.#verifyToken = createTokenVerifier(options.authSecret);
    if (options.allowedOrigins)
      this.#allowedOrigins = new Set(options.allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  }

  /** Every socket past the handshake, for shutdown. */
  get sockets(): Set<WebSocket> {
    return this.#wss.clients;
  }

  /** Forgets idle addresses' connect buckets (called by the heartbeat). */
  prune(): void {
    this.#addressLimits.prune();
  }

  /** Releases the WebSocketServer; its sockets are shutdown's to close. */
  close(): void {
    this.#wss.close();
  }

  /**
   * Takes over a `/ws/` upgrade under basePath and returns true, or returns false having touched
   * nothing. A bug in the checks is logged and answered 500: it must not escape into the host's
   * 'upgrade' listener, where it would end the process.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    let handled = true;
    guard(
      () => {
        handled = this.#admit(req, socket, head);
      },
      (err) => {
        this.#options.log.error('upgrade handler failed', { err });
        refuseHandshake(socket, new HttpError('INTERNAL_SERVER_ERROR', 'Internal server error'));
      },
    );
    return handled;
  }

  #admit(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = requestUrl(req.url);
    const path = url && pathUnder(this.#options.basePath, url.pathname);
    if (url ? path === undefined || !path.startsWith('/ws/') : !ownsInvalidTarget(this.#options.basePath, req.url))
      return false;
    // Until ws owns the socket, an 'error' (a peer reset mid-handshake) must not go unhandled.
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);
    const remoteAddress = this.#options.clientAddress(req);
    if (!url || path === undefined)
      return this.#refuse(socket, { remoteAddress }, new HttpError('INVALID_REQUEST_TARGET'));
    const clientId = path.slice('/ws/'.length);
    const refusal = this.#check(req, remoteAddress, clientId);
    if (refusal) return this.#refuse(socket, { clientId: loggedId(clientId), remoteAddress }, refusal);
    this.#reserveSlot(socket, remoteAddress);
    const handshake: Handshake = {
      clientId,
      remoteAddress,
      zone: url.searchParams.get('tz'),
      origin: this.#intern(publicOrigin(req)),
    };
    if (this.#verifyToken && isValidClientId(clientId)) {
      this.#verifyToken(tokenOf(req, url), clientId)
        .then((auth) => this.#afterTokenCheck(req, socket, head, onSocketError, handshake, auth))
        .catch((err: unknown) => {
          this.#options.log.error('upgrade handler failed', { clientId, err });
          refuseHandshake(socket, new HttpError('INTERNAL_SERVER_ERROR', 'Internal server error'));
        });
    } else {
      this.#upgrade(req, socket, head, onSocketError, handshake, { ok: true });
    }
    return true;
  }

  /** The checks made before anything is spent on the socket, cheapest first; undefined when it may proceed. */
  #check(req: IncomingMessage, remoteAddress: string, clientId: string): HttpError | undefined {
    const retry = { 'Retry-After': RETRY_AFTER_SECONDS };
    if (this.#options.isClosing()) return shuttingDown();
    const origin = req.headers.origin?.toLowerCase();
    const origins = this.#allowedOrigins;
    // Browsers always send Origin; a client without one is not a browser page and is not what origin checks protect against.
    if (origins && origin !== undefined && !origins.has('*') && !origins.has(origin))
      return new HttpError('ORIGIN_NOT_ALLOWED');
    const verdict = this.#addressLimits.admit(remoteAddress);
    if (!verdict.ok) {
      this.#options.metrics.rateLimited(verdict.reason === 'connect rate' ? 'connect_rate' : 'connections_per_address');
      return new HttpError('TOO_MANY_REQUESTS', `Too many connections from this address (${verdict.reason})`, {
        'Retry-After': String(verdict.retryAfterSeconds),
      });
    }
    if (this.#open >= this.#options.maxConnections && !this.#options.isConnected(clientId))
      return new HttpError('TOO_MANY_CONNECTIONS', undefined, retry);
    return undefined;
  }

  /** Refuses before the handshake; every refusal is counted, and logged once with the client id and address. */
  #refuse(socket: Duplex, who: { clientId?: string; remoteAddress: string }, err: HttpError): true {
    this.#options.metrics.connectionRefused(err.code);
    this.#options.log.info('handshake rejected', { status: err.status, reason: err.code, ...who });
    refuseHandshake(socket, err);
    return true;
  }

  /** Counts the socket against both caps from admission on, and frees it when the socket closes, whichever path closes it. */
  #reserveSlot(socket: Duplex, remoteAddress: string): void {
    this.#open++;
    this.#addressLimits.opened(remoteAddress);
    this.#addressOf.set(socket, remoteAddress);
    socket.on('close', this.#onSocketClosed);
  }

  #release(socket: Duplex): void {
    const remoteAddress = this.#addressOf.get(socket);
    // 'close' comes once per socket; the check keeps a second one from freeing a slot twice.
    if (remoteAddress === undefined) return;
    this.#addressOf.delete(socket);
    this.#open--;
    this.#addressLimits.closed(remoteAddress);
  }

  /**
   * The one copy of an origin string kept for the connections that share it. Origins come from
   * request headers, so at most MAX_INTERNED_ORIGINS are kept; past that each connection keeps its own.
   */
  #intern(origin: string): string {
    const known = this.#origins.get(origin);
    if (known !== undefined) return known;
    if (this.#origins.size < MAX_INTERNED_ORIGINS) this.#origins.set(origin, origin);
    return origin;
  }

  /** After the asynchronous token check: close() may have begun meanwhile, and shutdown closes only the sockets it knows. */
  #afterTokenCheck(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    onSocketError: () => void,
    handshake: Handshake,
    auth: TokenVerdict,
  ): void {
    if (this.#options.isClosing()) {
      this.#refuse(socket, { clientId: handshake.clientId, remoteAddress: handshake.remoteAddress }, shuttingDown());
      return;
    }
    this.#upgrade(req, socket, head, onSocketError, handshake, auth);
  }

  /**
   * Completes the handshake. Kept apart from handleUpgrade on purpose: closures made there share its
   * scope, and a socket listener created in it would keep the whole upgrade request (headers and
   * all) alive for the life of the connection.
   */
  #upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    onSocketError: () => void,
    handshake: Handshake,
    auth: TokenVerdict,
  ): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', onSocketError);
      guard(
        () => this.#accept(ws, handshake, auth),
        (err) => {
          this.#options.log.error('connection handler failed', { clientId: handshake.clientId, err });
          if (ws.listenerCount('error') === 0) this.#logErrors(ws, handshake.clientId);
          ws.close(CLOSE_CODES.internalError, CLOSE_REASONS.internalError);
        },
      );
    });
  }

  /** Sockets admission closes itself log their errors here; an accepted one's are its session's. */
  #logErrors(ws: WebSocket, clientId: string): void {
    ws.on('error', (err) => this.#options.log.warn('socket error', { clientId, err }));
  }

  #accept(ws: WebSocket, handshake: Handshake, auth: TokenVerdict): void {
    const { clientId, remoteAddress } = handshake;
    if (!isValidClientId(clientId)) {
      this.#options.metrics.connectionRefused('INVALID_CLIENT_ID');
      return this.#closeAtOnce(ws, CLOSE_REASONS.invalidClientId, {
        reason: 'invalid client id',
        clientId: loggedId(clientId),
        remoteAddress,
      });
    }
    if (!auth.ok) {
      this.#options.metrics.connectionRefused('UNAUTHORIZED');
      return this.#closeAtOnce(ws, CLOSE_REASONS.unauthorized, {
        reason: `token ${auth.reason}`,
        clientId,
        remoteAddress,
      });
    }
    this.#options.onAccepted(ws, handshake);
  }

  /** The accept-then-close policy: a reason the browser can read, and nothing of the session sent. */
  #closeAtOnce(
    ws: WebSocket,
    reason: string,
    fields: { reason: string; clientId: string; remoteAddress: string },
  ): void {
    this.#logErrors(ws, fields.clientId);
    this.#options.log.info('handshake rejected', { closeCode: CLOSE_CODES.policyViolation, ...fields });
    ws.close(CLOSE_CODES.policyViolation, reason);
  }
}
