import type { IncomingMessage, ServerResponse } from 'node:http';
import * as v from 'valibot';
import type { ConnectionManager } from './connection-manager.ts';
import type { ConversationEngine } from './engine.ts';
import { HttpError } from './errors.ts';
import type { Logger } from './logger.ts';
import { botResponseFrame, isValidClientId } from './protocol.ts';
import { isStoreUnavailable, type Store } from './store.ts';

/**
 * The hand-written REST table. Every body is JSON; every failure is `{"detail", "error_code"}` (the
 * FastAPI shape the original clients read) and never carries a stack trace.
 */

export interface JsonResponse {
  status?: number;
  /** Sent as JSON, or as is when `contentType` is set (then it must be a string). */
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

type Handler = (req: IncomingMessage, params: string[]) => JsonResponse | Promise<JsonResponse>;

export interface Route {
  /** Matched against the whole pathname; capture groups become `params`. */
  path: RegExp;
  methods: Partial<Record<'GET' | 'POST' | 'DELETE', Handler>>;
  /** Checked by the router's guard before anything else, the method included. */
  privileged?: boolean;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType?: string): void {
  const payload = contentType ? String(body) : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': contentType ?? 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { detail: err.message, error_code: err.code }, err.headers);
}

/**
 * Reads a JSON object body of at most `limit` bytes. A declared Content-Length over the limit is refused
 * before anything is read; a body that grows past it while streaming stops being buffered at once.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const tooLarge = () => new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body must be at most ${limit} bytes`, { Connection: 'close' });
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'Request body must be valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'INVALID_BODY', 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Parses `body` with `schema`; the 400 names the first bad field and never echoes its value. */
function parseBody<T extends v.GenericSchema>(schema: T, body: unknown, describe: string): v.InferOutput<T> {
  const result = v.safeParse(schema, body);
  if (!result.success) throw new HttpError(400, 'INVALID_BODY', describe);
  return result.output;
}

/**
 * Builds the request handler for a route table. It returns false, writing nothing, when no route's
 * path matches, so a host server can chain its own routes after it.
 */
export interface RouterOptions {
  log: Logger;
  /** Throws an HttpError (401, 403) when the request may not use a privileged route. */
  guard: (req: IncomingMessage) => void;
}

export function createRouter(routes: Route[], { log, guard }: RouterOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    let params: string[] | undefined;
    const route = routes.find((r) => {
      const match = r.path.exec(pathname);
      if (match) params = match.slice(1);
      return match !== null;
    });
    if (!route) return false;
    if (route.privileged) {
      try {
        guard(req);
      } catch (err) {
        sendError(res, err as HttpError);
        return true;
      }
    }
    const method = req.method === 'HEAD' ? 'GET' : (req.method as keyof Route['methods']);
    const handler = route.methods[method];
    if (!handler) {
      const allow = Object.keys(route.methods).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
      sendError(res, new HttpError(405, 'METHOD_NOT_ALLOWED', 'Method Not Allowed', { Allow: allow.join(', ') }));
      return true;
    }
    Promise.resolve()
      .then(() => handler(req, params ?? []))
      .then(
        ({ status = 200, body, headers, contentType }) => sendJson(res, status, body, headers, contentType),
        (err: unknown) => {
          if (res.destroyed) return;
          if (err instanceof HttpError) return sendError(res, err);
          // The store logged why, once.
          if (isStoreUnavailable(err)) return sendError(res, new HttpError(503, 'STORAGE_UNAVAILABLE', 'The store is unavailable'));
          log.error('request failed', { method: req.method, path: pathname, err });
          sendError(res, new HttpError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'));
        },
      );
    return true;
  };
}

export function notFound(res: ServerResponse): void {
  sendError(res, new HttpError(404, 'NOT_FOUND', 'Not Found'));
}

export interface RouteDeps {
  connections: Pick<ConnectionManager, 'size' | 'ids' | 'snapshot' | 'broadcast'>;
  store: Store;
  /** Erases a session so that no running turn can bring it back (TurnPipeline.deleteSession). */
  deleteSession(clientId: string): Promise<boolean>;
  engine: ConversationEngine;
  isClosing(): boolean;
  serverInfo: ServerInfo;
  startedAt: number;
  maxBodyBytes: number;
}

export interface ServerInfo {
  name: string;
  version: string;
}

const BroadcastSchema = v.object({ content: v.pipe(v.string(), v.check((s) => s.trim().length > 0)) });

const SESSION_PATH = /^\/admin\/sessions\/([^/]+)$/;
const CALENDAR_PATH = /^\/calendar\/([^/]+)\.ics$/;
const FEED_PATH = /^\/feeds\/([^/]+)\.ics$/;
const FEED_ADMIN_PATH = /^\/admin\/feeds\/([^/]+)$/;

/** The absolute URL of a calendar feed, under `origin` (scheme and host, as publicOrigin gives them). */
export const calendarFeedUrl = (origin: string, token: string): string => `${origin}/feeds/${token}.ics`;

/** A Host header that is a name or address with an optional port, and nothing else. */
const HOST_HEADER = /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The scheme and host a client reached us at, for absolute URLs handed back to that same client (its
 * calendar feed). `X-Forwarded-Proto` is taken from anyone: a client that lies only gets itself a
 * wrong link. A missing or malformed Host falls back to the address the request came in on.
 */
export function publicOrigin(req: IncomingMessage): string {
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim().toLowerCase();
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const scheme = forwarded === 'https' || forwarded === 'http' ? forwarded : encrypted ? 'https' : 'http';
  const host = req.headers.host;
  if (host !== undefined && HOST_HEADER.test(host)) return `${scheme}://${host}`;
  const { localAddress = '127.0.0.1', localPort } = req.socket;
  return `${scheme}://${localAddress.includes(':') ? `[${localAddress}]` : localAddress}:${localPort}`;
}

/** The server's REST surface: health for load balancers, and the admin routes. */
export function createRoutes(deps: RouteDeps): Route[] {
  const { connections, store } = deps;
  const timestamp = () => new Date().toISOString();
  const noSession = () => new HttpError(404, 'SESSION_NOT_FOUND', 'No stored session for this client id');
  const findSession = async (id: string) => {
    const session = isValidClientId(id) ? await store.getSession(id) : undefined;
    if (!session) throw noSession();
    return session;
  };
  /** 'shutting_down', 'unhealthy' (with the store's reason) or 'healthy'. */
  const status = async (): Promise<{ status: string; reason?: string }> => {
    if (deps.isClosing()) return { status: 'shutting_down' };
    const health = await store.health();
    return health.ok ? { status: 'healthy' } : { status: 'unhealthy', reason: health.reason };
  };
  const renderCalendar = (state: unknown, clientId: string, archive: unknown[]): JsonResponse => {
    if (!deps.engine.calendar) throw new HttpError(404, 'NO_CALENDAR', 'This engine keeps no calendar');
    return { body: deps.engine.calendar(state, clientId, archive), contentType: 'text/calendar; charset=utf-8' };
  };
  const validClientId = (id: string) => {
    if (!isValidClientId(id)) throw new HttpError(400, 'INVALID_CLIENT_ID', 'A client id is 3-100 characters of A-Z a-z 0-9 _ -');
    return id;
  };
  return [
    {
      path: /^\/health$/,
      methods: {
        GET: async () => {
          const current = await status();
          return { status: current.status === 'healthy' ? 200 : 503, body: { ...current, timestamp: timestamp(), active_connections: connections.size } };
        },
      },
    },
    {
      path: /^\/health\/clients$/,
      privileged: true,
      methods: {
        GET: async () => ({
          body: {
            ...(await status()),
            timestamp: timestamp(),
            active_connections: connections.size,
            active_clients: connections.ids(),
            server_info: {
              ...deps.serverInfo,
              uptime_seconds: Math.floor((Date.now() - deps.startedAt) / 1000),
            },
          },
        }),
      },
    },
    {
      path: /^\/admin\/connections$/,
      privileged: true,
      methods: {
        GET: () => ({ body: { active_connections: connections.size, clients: connections.snapshot(), timestamp: timestamp() } }),
      },
    },
    {
      path: /^\/admin\/broadcast$/,
      privileged: true,
      methods: {
        POST: async (req) => {
          const body = await readJsonBody(req, deps.maxBodyBytes);
          const { content } = parseBody(BroadcastSchema, body, 'content must be a non-empty string');
          // Serialized once for every recipient; a per-client session_id would cost one stringify each.
          const frame = botResponseFrame({ content, metadata: { broadcast: true } });
          const sent = connections.broadcast(JSON.stringify(frame));
          return { body: { status: 'success', message: 'Broadcast completed', successful_sends: sent, timestamp: timestamp() } };
        },
      },
    },
    {
      path: SESSION_PATH,
      privileged: true,
      methods: {
        GET: async (_req, [id]) => ({ body: await findSession(id!) }),
        DELETE: async (_req, [id]) => {
          if (!isValidClientId(id!) || !(await deps.deleteSession(id!))) throw noSession();
          return { body: { status: 'deleted', client_id: id, timestamp: timestamp() } };
        },
      },
    },
    {
      path: CALENDAR_PATH,
      privileged: true,
      methods: {
        GET: async (_req, [id]) => {
          const session = await findSession(id!);
          return renderCalendar(session.state, id!, await store.loadArchive(id!));
        },
      },
    },
    {
      // The capability URL: whoever holds the token may read this one calendar, nothing else.
      path: FEED_PATH,
      methods: {
        GET: async (_req, [token]) => {
          const clientId = await store.findCalendarFeed(token!);
          if (clientId === undefined) throw new HttpError(404, 'FEED_NOT_FOUND', 'No calendar feed at this address');
          const [state, archive] = await Promise.all([store.loadState(clientId), store.loadArchive(clientId)]);
          return renderCalendar(state, clientId, archive);
        },
      },
    },
    {
      path: FEED_ADMIN_PATH,
      privileged: true,
      methods: {
        POST: async (req, [id]) => {
          const token = await store.rotateCalendarFeed(validClientId(id!));
          return { body: { status: 'issued', client_id: id, url: calendarFeedUrl(publicOrigin(req), token), timestamp: timestamp() } };
        },
        DELETE: async (_req, [id]) => {
          if (!(await store.revokeCalendarFeed(validClientId(id!)))) {
            throw new HttpError(404, 'FEED_NOT_FOUND', 'This client has no calendar feed');
          }
          return { body: { status: 'revoked', client_id: id, timestamp: timestamp() } };
        },
      },
    },
  ];
}
