import type { IncomingMessage, ServerResponse } from 'node:http';
import * as v from 'valibot';
import type { ConnectionManager } from './connection-manager.ts';
import type { ConversationEngine } from './engine.ts';
import { HttpError } from './errors.ts';
import type { Logger } from './logger.ts';
import { botResponseFrame, isValidClientId } from './protocol.ts';
import type { Store } from './store.ts';

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
 * Reads a JSON object body (Content-Type application/json, else 415) of at most `limit` bytes. A
 * declared Content-Length over the limit is refused before anything is read; a body that grows past
 * it while streaming stops being buffered at once.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  // A browser sends a cross-site POST without asking first only with a "simple" type such as text/plain.
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
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

/**
 * The URL of a request target, or undefined when WHATWG URL rejects it (`http://%/`, `//[/`): Node's
 * HTTP parser lets such targets through, and `new URL` throws on them.
 */
export function requestUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

export const INVALID_TARGET = { status: 400, code: 'INVALID_REQUEST_TARGET', detail: 'The request target is not a valid URL' } as const;

export function createRouter(routes: Route[], { log, guard }: RouterOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = requestUrl(req.url);
    if (!url) {
      sendError(res, new HttpError(INVALID_TARGET.status, INVALID_TARGET.code, INVALID_TARGET.detail));
      return true;
    }
    const { pathname } = url;
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
      .then(({ status = 200, body, headers, contentType }) => sendJson(res, status, body, headers, contentType))
      .catch((err: unknown) => {
        if (res.destroyed) return;
        if (!(err instanceof HttpError)) log.error('request failed', { method: req.method, path: pathname, err });
        // Once the status line is out (a body that failed mid-write), the only honest answer is to cut.
        if (res.headersSent) return void res.destroy();
        sendError(res, err instanceof HttpError ? err : new HttpError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'));
      })
      .catch(() => res.destroy());
    return true;
  };
}

/** `/ws/{client_id}` asked for without an upgrade: 426, naming the protocol to upgrade to (RFC 9110 15.5.22). */
export const upgradeRequiredRoute: Route = {
  path: /^\/ws\/[^/]*$/,
  methods: {
    GET: () => {
      throw new HttpError(426, 'UPGRADE_REQUIRED', 'This path speaks WebSocket only; connect with a WebSocket client', { Upgrade: 'websocket' });
    },
  },
};

export function notFound(res: ServerResponse): void {
  sendError(res, new HttpError(404, 'NOT_FOUND', 'Not Found'));
}

export interface RouteDeps {
  connections: Pick<ConnectionManager, 'size' | 'ids' | 'snapshot' | 'broadcast'>;
  store: Store;
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

/** The server's REST surface: health for load balancers, and the admin routes. */
export function createRoutes(deps: RouteDeps): Route[] {
  const { connections, store } = deps;
  const timestamp = () => new Date().toISOString();
  const findSession = (id: string) => {
    const session = isValidClientId(id) ? store.getSession(id) : undefined;
    if (!session) throw new HttpError(404, 'SESSION_NOT_FOUND', 'No stored session for this client id');
    return session;
  };
  return [
    {
      path: /^\/health$/,
      methods: {
        GET: () =>
          deps.isClosing()
            ? { status: 503, body: { status: 'shutting_down', timestamp: timestamp(), active_connections: connections.size } }
            : { body: { status: 'healthy', timestamp: timestamp(), active_connections: connections.size } },
      },
    },
    {
      path: /^\/health\/clients$/,
      privileged: true,
      methods: {
        GET: () => ({
          body: {
            status: deps.isClosing() ? 'shutting_down' : 'healthy',
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
        GET: (_req, [id]) => ({ body: findSession(id!) }),
        DELETE: (_req, [id]) => {
          findSession(id!);
          store.deleteSession(id!);
          return { body: { status: 'deleted', client_id: id, timestamp: timestamp() } };
        },
      },
    },
    {
      path: CALENDAR_PATH,
      privileged: true,
      methods: {
        GET: (_req, [id]) => {
          if (!deps.engine.calendar) throw new HttpError(404, 'NO_CALENDAR', 'This engine keeps no calendar');
          const session = findSession(id!);
          return { body: deps.engine.calendar(session.state, id!, []), contentType: 'text/calendar; charset=utf-8' };
        },
      },
    },
  ];
}
