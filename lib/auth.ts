import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors, jwtVerify } from 'jose';
import { HttpError } from './errors.ts';
import { isLoopback } from './client-address.ts';

/**
 * Who may call the privileged routes: with a token, whoever presents `Authorization: Bearer <token>`;
 * without one, loopback callers only.
 */
export function createAdminGuard(adminToken: string | undefined): (req: IncomingMessage, clientAddress: string) => void {
  if (adminToken === undefined) {
    return (_req, clientAddress) => {
      if (!isLoopback(clientAddress)) {
        throw new HttpError('FORBIDDEN');
      }
    };
  }
  // Hashing both sides gives equal lengths, so timingSafeEqual never leaks the token's length either.
  const expected = createHash('sha256').update(adminToken).digest();
  return (req) => {
    const match = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    const given = createHash('sha256').update(match?.[1] ?? '').digest();
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
export function createTokenVerifier(secret: string): (token: string | undefined, clientId: string) => Promise<TokenVerdict> {
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
