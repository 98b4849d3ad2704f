import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors, jwtVerify } from 'jose';
import { HttpError } from './errors.ts';
import { isLoopback } from './client-address.ts';

const forbidden = (detail?: string) => new HttpError('FORBIDDEN', detail);

/** A Host header: a bracketed IPv6 address or a name, and an optional port; nothing else. */
const HOST_HEADER = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::\d{1,5})?$/i;

/** True when the Host header names this machine by a loopback name (`localhost`, `127.0.0.1:8000`, `[::1]`), or is absent. */
function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const match = HOST_HEADER.exec(host);
  const name = (match?.[1] ?? match?.[2])?.toLowerCase();
  return name !== undefined && (name === 'localhost' || isLoopback(name));
}

/** True for a request with no Origin, or one from a page served by a loopback name. */
function isLocalOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return isLoopbackHost(new URL(origin).host);
  } catch {
    return false;
  }
}

/**
 * The loopback rule, for when no admin token is set. A request is local only if it came from a
 * loopback address, was not relayed by a proxy we were not told to trust (a reverse proxy on the same
 * host makes every outside request look local), names a loopback Host (else a DNS-rebound page could
 * read the answers) and, for a write, carries no foreign Origin (else any web page open on this
 * machine could post to it: a text/plain POST needs no CORS preflight).
 */
function requireLocal(req: IncomingMessage, clientAddress: string, trustsProxy: boolean): void {
  const relayed =
    req.headers.forwarded !== undefined ||
    req.headers['x-real-ip'] !== undefined ||
    (!trustsProxy && req.headers['x-forwarded-for'] !== undefined);
  if (!isLoopback(clientAddress) || relayed) throw forbidden();
  if (!isLoopbackHost(req.headers.host))
    throw forbidden('Without an admin token, admin routes need a loopback Host (localhost, 127.0.0.1, [::1])');
  const isWrite = req.method !== 'GET' && req.method !== 'HEAD';
  if (isWrite && !isLocalOrigin(req.headers.origin)) throw forbidden('Cross-origin admin requests are refused');
}

/**
 * Who may call the privileged routes: with a token, whoever presents `Authorization: Bearer <token>`;
 * without one, local callers only (see requireLocal). `trustsProxy`: the trustProxy option is set, so a
 * forwarded request's address has been read from X-Forwarded-For.
 */
export function createAdminGuard(
  adminToken: string | undefined,
  trustsProxy = false,
): (req: IncomingMessage, clientAddress: string) => void {
  if (adminToken === undefined) return (req, clientAddress) => requireLocal(req, clientAddress, trustsProxy);
  // Hashing both sides gives equal lengths, so timingSafeEqual never leaks the token's length either.
  const expected = createHash('sha256').update(adminToken).digest();
  return (req) => {
    const match = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    if (!match || !timingSafeEqual(given, expected)) {
      throw new HttpError('UNAUTHORIZED', undefined, { 'WWW-Authenticate': 'Bearer' });
    }
  };
}

/** The subprotocol a browser offers first to carry its token: `Sec-WebSocket-Protocol: bearer, <token>`. */
export const BEARER_PROTOCOL = 'bearer';

/** The client's token from `?token=` or from the subprotocol pair; undefined when it sent none. */
export function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const at = protocols.indexOf(BEARER_PROTOCOL);
  return at >= 0 ? protocols[at + 1] || undefined : undefined;
}

export type TokenVerdict = { ok: true } | { ok: false; reason: 'missing' | 'expired' | 'invalid' | 'wrong subject' };

/** Verifies HS256 client tokens: signed with the secret, `sub` equal to the client id, `exp` present and in the future. */
export function createTokenVerifier(
  secret: string,
): (token: string | undefined, clientId: string) => Promise<TokenVerdict> {
  const key = new TextEncoder().encode(secret);
  return async (token, clientId) => {
    if (!token) return { ok: false, reason: 'missing' };
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] });
      return payload.sub === clientId ? { ok: true } : { ok: false, reason: 'wrong subject' };
    } catch (err) {
      return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  };
}
