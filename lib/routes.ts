import type { IncomingMessage, ServerResponse } from 'node:http';
import * as v from 'valibot';
import type { Cluster } from './cluster/cluster.ts';
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
  /** This instance's sockets (for /health, a local liveness check). */
  connections: Pick<ConnectionManager, 'size'>;
  /** Every instance's clients, and broadcasts to them all. */
  cluster: Pick<Cluster, 'instanceId' | 'broadcast' | 'connections'>;
  /** The shared services this instance depends on: "db", and "redis" in multi-instance mode. */
  dependencies(): Promise<Record<string, 'up' | 'down'>>;
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
  const { connections, cluster, store } = deps;
  const timestamp = () => new Date().toISOString();
  const noSession = () => new HttpError(404, 'SESSION_NOT_FOUND', 'No stored session for this client id');
  const findSession = async (id: string) => {
    const session = isValidClientId(id) ? await store.getSession(id) : undefined;
    if (!session) throw noSession();
    return session;
  };
  return [
    {
      path: /^\/health$/,
      methods: {
        GET: async () => {
          const local = { active_connections: connections.size, instance: cluster.instanceId, dependencies: await deps.dependencies() };
          return deps.isClosing()
            ? { status: 503, body: { status: 'shutting_down', timestamp: timestamp(), ...local } }
            : { body: { status: 'healthy', timestamp: timestamp(), ...local } };
        },
      },
    },
    {
      path: /^\/health\/clients$/,
      privileged: true,
      methods: {
        GET: async () => {
          const { clients, instances } = await cluster.connections();
          const byInstance: Record<string, string[]> = Object.fromEntries(instances.map((instance) => [instance, []]));
          for (const [id, { instance }] of Object.entries(clients)) (byInstance[instance] ??= []).push(id);
          return {
            body: {
              status: deps.isClosing() ? 'shutting_down' : 'healthy',
              timestamp: timestamp(),
              active_connections: Object.keys(clients).length,
              active_clients: Object.keys(clients),
              instances: byInstance,
              server_info: {
                ...deps.serverInfo,
                uptime_seconds: Math.floor((Date.now() - deps.startedAt) / 1000),
              },
            },
          };
        },
      },
    },
    {
      path: /^\/admin\/connections$/,
      privileged: true,
      methods: {
        GET: async () => {
          const { clients, instances } = await cluster.connections();
          return { body: { active_connections: Object.keys(clients).length, clients, instances, timestamp: timestamp() } };
        },
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
          const sent = await cluster.broadcast(JSON.stringify(frame));
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
          if (!isValidClientId(id!) || !(await store.deleteSession(id!))) throw noSession();
          return { body: { status: 'deleted', client_id: id, timestamp: timestamp() } };
        },
      },
    },
    {
      path: CALENDAR_PATH,
      privileged: true,
      methods: {
        GET: async (_req, [id]) => {
          if (!deps.engine.calendar) throw new HttpError(404, 'NO_CALENDAR', 'This engine keeps no calendar');
          const session = await findSession(id!);
          return { body: deps.engine.calendar(session.state, id!, []), contentType: 'text/calendar; charset=utf-8' };
        },
      },
    },
  ];
}
