import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * Which proxies may name the client in X-Forwarded-For: none (false, the default), the nearest
 * `n` hops, or the listed proxy addresses.
 */
export type TrustProxy = false | number | string[];

/** Strips the IPv4-mapped IPv6 prefix so 127.0.0.1 is one address however the socket reports it. */
function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  return trimmed.toLowerCase().startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4
    ? trimmed.slice(7)
    : trimmed.toLowerCase();
}

/** The client address of a forwarded request whose trusted hop names no address: never loopback. */
export const UNKNOWN_CLIENT = 'unknown';

/**
 * One X-Forwarded-For entry as an address, with a port or brackets stripped (`203.0.113.5:4711`,
 * `[2001:db8::1]:443`); UNKNOWN_CLIENT when it holds none (`unknown`, an obfuscated name). Dropping
 * such entries instead would shift the hop count onto the proxy's own, often loopback, address.
 */
function forwardedAddress(entry: string): string {
  const text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(text);
  const address = normalizeAddress(bracketed?.[1] ?? withPort?.[1] ?? text);
  return isIP(address) !== 0 ? address : UNKNOWN_CLIENT;
}

export function isLoopback(address: string): boolean {
  const normalized = normalizeAddress(address);
  return normalized === '::1' || (isIP(normalized) === 4 && normalized.startsWith('127.'));
}

/**
 * Returns a function giving a request's client address. X-Forwarded-For is read only when the
 * request came through a trusted proxy; otherwise any client could claim any address (and so pass
 * the loopback rule or dodge the per-address limits).
 */
export function createClientAddress(trustProxy: TrustProxy): (req: IncomingMessage) => string {
  const peerOf = (req: IncomingMessage) => normalizeAddress(req.socket.remoteAddress ?? '');
  if (trustProxy === false || trustProxy === 0) return peerOf;
  const trusted = Array.isArray(trustProxy) ? new Set(trustProxy.map(normalizeAddress)) : undefined;
  return (req) => {
    const peer = peerOf(req);
    const header = req.headers['x-forwarded-for'];
    const list = Array.isArray(header) ? header.join(',') : (header ?? '');
    const forwarded = list.trim() === '' ? [] : list.split(',').map(forwardedAddress);
    // Right to left: the peer, then each address a proxy appended in front of it.
    const chain = [...forwarded, peer];
    if (trusted) {
      let i = chain.length - 1;
      while (i > 0 && trusted.has(chain[i]!)) i--;
      return chain[i]!;
    }
    return chain[Math.max(0, chain.length - 1 - (trustProxy as number))]!;
  };
}

/** Parses a trust-proxy setting: empty/false/0 (off), a hop count, or a comma list of proxy IP addresses; undefined if invalid. */
export function parseTrustProxy(text: string): TrustProxy | undefined {
  const value = text.trim().toLowerCase();
  if (value === '' || value === 'false' || value === '0') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const addresses = value.split(',').map((a) => a.trim());
  return addresses.every((a) => isIP(a) !== 0) ? addresses : undefined;
}
