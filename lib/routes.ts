import type { IncomingMessage, ServerResponse } from 'node:http';
import * as v from 'valibot';
import type { Cluster } from './cluster/cluster.ts';
import type { ConnectionManager } from './connection-manager.ts';
import { HttpError, sendHttpError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { RouteName, ServerInfo } from './options.ts';
import { isValidClientId } from './protocol.ts';
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

/** Answers one request; may throw an HttpError (rendered as `{"detail", "error_code"}`) or anything else (a 500). */
export type RouteHandler = (req: IncomingMessage, params: string[]) => JsonResponse | Promise<JsonResponse>;

/** One REST route; an engine contributes its own through `ConversationEngine.routes`. */
export interface Route {
  /** Matched against the whole pathname after basePath (`/calendar/x.ics`); capture groups become `params`. */
  path: RegExp;
  methods: Partial<Record<'GET' | 'POST' | 'DELETE', RouteHandler>>;
  /** Behind the admin guard (the admin token, or local callers only), checked before anything else. */
  privileged?: boolean;
  /** Admin actions by method (`{ DELETE: 'session delete' }`): each request leaves an info line `admin action` with the caller's address and the answer's status. */
  audit?: Partial<Record<keyof Route['methods'], string>>;
  /** The first path parameter is a client id: log lines about the request carry it as `clientId`. */
  clientIdParam?: boolean;
}

/** A route with the name its toggle (`options.routes`) goes by. */
export interface NamedRoute extends Route {
  name: RouteName;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType?: string,
): void {
  const payload = contentType ? String(body) : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': contentType ?? 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

/**
 * Reads a JSON object body (Content-Type application/json, else 415) of at most `limit` bytes. A
 * declared Content-Length over the limit is refused before anything is read; a body that grows past
 * it while streaming stops being buffered at once.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  // A browser sends a cross-site POST without asking first only with a "simple" type such as text/plain.
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? ''))
    throw new HttpError('UNSUPPORTED_MEDIA_TYPE');
  const tooLarge = () =>
    new HttpError('PAYLOAD_TOO_LARGE', `Request body must be at most ${limit} bytes`, { Connection: 'close' });
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
    throw new HttpError('INVALID_JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError('INVALID_BODY');
  }
  return value as Record<string, unknown>;
}

/** Parses `body` with `schema`; the 400 names the first bad field and never echoes its value. */
function parseBody<T extends v.GenericSchema>(schema: T, body: unknown, describe: string): v.InferOutput<T> {
  const result = v.safeParse(schema, body);
  if (!result.success) throw new HttpError('INVALID_BODY', describe);
  return result.output;
}

export interface RouterOptions {
  log: Logger;
  /** Throws an HttpError (401, 403) when the request may not use a privileged route. */
  guard: (req: IncomingMessage) => void;
  /** Prefix every path must carry ('' for none); the routes match what follows it. */
  basePath: string;
  /** The caller's address, for audit lines. */
  clientAddress: (req: IncomingMessage) => string;
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

/** Whether a target that is not a valid URL is ours to refuse: everything without a prefix, else what starts with it. */
export function ownsInvalidTarget(basePath: string, target: string | undefined): boolean {
  return basePath === '' || (target ?? '').startsWith(`${basePath}/`);
}

/** The path under `basePath`, or undefined when the request is not under it. */
export function pathUnder(basePath: string, pathname: string): string | undefined {
  if (basePath === '') return pathname;
  if (pathname !== basePath && !pathname.startsWith(`${basePath}/`)) return undefined;
  return pathname.slice(basePath.length) || '/';
}

/**
 * Builds the request handler for a route table. It returns false, writing nothing, when no route's
 * path matches, so a host server can chain its own routes after it.
 */
export function createRouter(
  routes: Route[],
  options: RouterOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { basePath } = options;
  return (req, res) => {
    const url = requestUrl(req.url);
    if (!url) {
      if (!ownsInvalidTarget(basePath, req.url)) return false;
      sendHttpError(res, new HttpError('INVALID_REQUEST_TARGET'));
      return true;
    }
    const pathname = pathUnder(basePath, url.pathname);
    const found = pathname === undefined ? undefined : matchRoute(routes, pathname);
    if (!found) return false;
    serveRoute(found.route, found.params, pathname!, req, res, options);
    return true;
  };
}

/** Runs the route's handler for the method and answers; failures become their HttpError, or a logged 500. */
function serveRoute(
  route: Route,
  params: string[],
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  { log, guard, clientAddress }: RouterOptions,
): void {
  const method = (req.method === 'HEAD' ? 'GET' : req.method) as keyof Route['methods'];
  const clientId =
    route.clientIdParam && params[0] !== undefined && isValidClientId(params[0]) ? { clientId: params[0] } : {};
  const action = route.audit?.[method];
  const audit = (status: number) => {
    if (action)
      log.info('admin action', {
        action,
        method: req.method,
        path,
        status,
        remoteAddress: clientAddress(req),
        ...clientId,
      });
  };
  const fail = (err: unknown) => {
    audit(answerFailure(res, err, () => log.error('request failed', { method: req.method, path, ...clientId, err })));
  };
  try {
    if (route.privileged) guard(req);
    const handler = route.methods[method];
    if (!handler) throw methodNotAllowed(route);
    Promise.resolve()
      .then(() => handler(req, params))
      .then(({ status = 200, body, headers, contentType }) => {
        sendJson(res, status, body, headers, contentType);
        audit(status);
      })
      .catch(fail)
      .catch(() => res.destroy());
  } catch (err) {
    fail(err);
  }
}

function matchRoute(routes: Route[], pathname: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    const match = route.path.exec(pathname);
    if (match) return { route, params: match.slice(1) };
  }
  return undefined;
}

function methodNotAllowed(route: Route): HttpError {
  const allow = Object.keys(route.methods).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
  return new HttpError('METHOD_NOT_ALLOWED', undefined, { Allow: allow.join(', ') });
}

/**
 * An HttpError is the client's answer; anything else is a bug: logged once, answered 500 without its
 * text. Once the status line is out (a body that failed mid-write), the only honest answer is to cut.
 * Returns the status answered (or that would have been, on a connection already gone).
 */
function answerFailure(res: ServerResponse, err: unknown, logBug: () => void): number {
  const answer =
    err instanceof HttpError
      ? err
      : // The store logged why, once.
        isStoreUnavailable(err)
        ? new HttpError('STORAGE_UNAVAILABLE', 'The store is unavailable')
        : new HttpError('INTERNAL_SERVER_ERROR', 'Internal server error');
  if (res.destroyed) return answer.status;
  if (answer.code === 'INTERNAL_SERVER_ERROR' && !(err instanceof HttpError)) logBug();
  sendHttpError(res, answer);
  return answer.status;
}

/** `/ws/{client_id}` asked for without an upgrade: 426, naming the protocol to upgrade to (RFC 9110 15.5.22). */
export const upgradeRequiredRoute: Route = {
  path: /^\/ws\/[^/]*$/,
  methods: {
    GET: () => {
      throw new HttpError('UPGRADE_REQUIRED', undefined, { Upgrade: 'websocket' });
    },
  },
};

export interface RouteDeps {
  /** This instance's sockets (for /health, a local liveness check). */
  connections: Pick<ConnectionManager, 'size'>;
  /** Every instance's clients (for /health/clients and /admin/connections); this instance alone without a cluster. */
  cluster: Pick<Cluster, 'instanceId' | 'connections'>;
  /** The shared services this instance depends on: "db", and "redis" in multi-instance mode. */
  dependencies(): Promise<Record<string, 'up' | 'down'>>;
  store: Store;
  /** Erases a session so that no running turn can bring it back (TurnPipeline.deleteSession). */
  deleteSession(clientId: string): Promise<boolean>;
  /** Sends a broadcast bot_response to every connected client of every instance; resolves with how many it went to. */
  broadcast(content: string): Promise<number>;
  isClosing(): boolean;
  serverInfo: ServerInfo;
  startedAt: number;
  maxBodyBytes: number;
}

const BroadcastSchema = v.object({
  content: v.pipe(
    v.string(),
    v.check((s) => s.trim().length > 0),
  ),
});

const SESSION_PATH = /^\/admin\/sessions\/([^/]+)$/;

/** Where a calendar feed is served, under basePath: the engine's feed route answers it, the turn context hands it out. */
export const calendarFeedPath = (token: string): string => `/feeds/${token}.ics`;

/** A Host header that is a name or address with an optional port, and nothing else. */
const HOST_HEADER = /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The scheme and host a client reached us at, for absolute URLs handed back to that same client (its
 * calendar feed). `X-Forwarded-Proto` is taken from anyone: a client that lies only gets itself a
 * wrong link. A missing or malformed Host falls back to the address the request came in on.
 */
export function publicOrigin(req: IncomingMessage): string {
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]!
    .trim()
    .toLowerCase();
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const scheme = forwarded === 'https' || forwarded === 'http' ? forwarded : encrypted ? 'https' : 'http';
  const host = req.headers.host;
  if (host !== undefined && HOST_HEADER.test(host)) return `${scheme}://${host}`;
  const { localAddress = '127.0.0.1', localPort } = req.socket;
  return `${scheme}://${localAddress.includes(':') ? `[${localAddress}]` : localAddress}:${localPort}`;
}

/** The server's REST surface: health for load balancers, and the admin routes. */
export function createRoutes(deps: RouteDeps): NamedRoute[] {
  return [...healthRoutes(deps), ...adminRoutes(deps)];
}

const timestamp = () => new Date().toISOString();

/** /health, this instance's liveness (with its dependencies), and /health/clients, the whole cluster's clients. */
function healthRoutes(deps: RouteDeps): NamedRoute[] {
  const { connections, cluster, store } = deps;
  /** 'shutting_down', 'unhealthy' (with the store's reason) or 'healthy'. */
  const status = async (): Promise<{ status: string; reason?: string }> => {
    if (deps.isClosing()) return { status: 'shutting_down' };
    const health = await store.health();
    return health.ok ? { status: 'healthy' } : { status: 'unhealthy', reason: health.reason };
  };
  return [
    {
      name: 'health',
      path: /^\/health$/,
      methods: {
        GET: async () => {
          const current = await status();
          const local = {
            active_connections: connections.size,
            instance: cluster.instanceId,
            dependencies: await deps.dependencies(),
          };
          return {
            status: current.status === 'healthy' ? 200 : 503,
            body: { ...current, timestamp: timestamp(), ...local },
          };
        },
      },
    },
    {
      name: 'clients',
      path: /^\/health\/clients$/,
      privileged: true,
      methods: {
        GET: async () => {
          const { clients, instances } = await cluster.connections();
          const byInstance: Record<string, string[]> = Object.fromEntries(instances.map((instance) => [instance, []]));
          for (const [id, { instance }] of Object.entries(clients)) (byInstance[instance] ??= []).push(id);
          const uptime = { uptime_seconds: Math.floor((Date.now() - deps.startedAt) / 1000) };
          const counts = {
            active_connections: Object.keys(clients).length,
            active_clients: Object.keys(clients),
            instances: byInstance,
          };
          return {
            body: {
              ...(await status()),
              timestamp: timestamp(),
              ...counts,
              server_info: { ...deps.serverInfo, ...uptime },
            },
          };
        },
      },
    },
  ];
}

/** The privileged routes: every instance's connections, a broadcast to them all, and one stored session. */
function adminRoutes(deps: RouteDeps): NamedRoute[] {
  const noSession = () => new HttpError('SESSION_NOT_FOUND');
  const findSession = async (id: string) => {
    const session = isValidClientId(id) ? await deps.store.getSession(id) : undefined;
    if (!session) throw noSession();
    return session;
  };
  return [
    {
      name: 'connections',
      path: /^\/admin\/connections$/,
      privileged: true,
      methods: {
        GET: async () => {
          const { clients, instances } = await deps.cluster.connections();
          return {
            body: { active_connections: Object.keys(clients).length, clients, instances, timestamp: timestamp() },
          };
        },
      },
    },
    {
      name: 'broadcast',
      path: /^\/admin\/broadcast$/,
      privileged: true,
      audit: { POST: 'broadcast' },
      methods: {
        POST: async (req) => {
          const body = await readJsonBody(req, deps.maxBodyBytes);
          const { content } = parseBody(BroadcastSchema, body, 'content must be a non-empty string');
          const sent = await deps.broadcast(content);
          return {
            body: { status: 'success', message: 'Broadcast completed', successful_sends: sent, timestamp: timestamp() },
          };
        },
      },
    },
    {
      name: 'sessions',
      path: SESSION_PATH,
      privileged: true,
      audit: { GET: 'session read', DELETE: 'session delete' },
      clientIdParam: true,
      methods: {
        GET: async (_req, [id]) => ({ body: await findSession(id!) }),
        DELETE: async (_req, [id]) => {
          if (!isValidClientId(id!) || !(await deps.deleteSession(id!))) throw noSession();
          return { body: { status: 'deleted', client_id: id, timestamp: timestamp() } };
        },
      },
    },
  ];
}
