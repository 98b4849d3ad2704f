import type { ConversationEngine, EngineRouteContext } from '../../engine.ts';
import { HttpError } from '../../errors.ts';
import { isValidClientId } from '../../protocol.ts';
import { calendarFeedPath, type JsonResponse, type Route } from '../../routes.ts';
import { createMeetingAssistant, type MeetingAssistantOptions } from './assistant.ts';

/** Renders a client's stored assistant state and archived meetings as an iCalendar document. */
export type RenderCalendar = (state: unknown, clientId: string, archive: unknown[]) => string;

/**
 * The assistant's HTTP routes, mounted by the server under its basePath:
 * - `GET /calendar/{client_id}.ics`: the client's meetings as iCalendar; privileged like the admin routes.
 * - `GET /feeds/{token}.ics`: the same, at a capability URL: whoever holds the token may read this one
 *   calendar and nothing else.
 * - `POST`/`DELETE /admin/feeds/{client_id}`: issue a new feed address (the old one stops working), or revoke it.
 */
export function calendarRoutes(render: RenderCalendar, { store, publicUrl }: EngineRouteContext): Route[] {
  const asCalendar = (state: unknown, clientId: string, archive: unknown[]): JsonResponse => ({
    body: render(state, clientId, archive),
    contentType: 'text/calendar; charset=utf-8',
  });
  const validClientId = (id: string) => {
    if (!isValidClientId(id)) throw new HttpError('INVALID_CLIENT_ID');
    return id;
  };
  const timestamp = () => new Date().toISOString();
  return [
    {
      path: /^\/calendar\/([^/]+)\.ics$/,
      privileged: true,
      audit: { GET: 'calendar read' },
      clientIdParam: true,
      methods: {
        GET: async (_req, [id]) => {
          const session = isValidClientId(id!) ? await store.getSession(id!) : undefined;
          if (!session) throw new HttpError('SESSION_NOT_FOUND');
          return asCalendar(session.state, id!, await store.loadArchive(id!));
        },
      },
    },
    {
      path: /^\/feeds\/([^/]+)\.ics$/,
      methods: {
        GET: async (_req, [token]) => {
          const clientId = await store.findCalendarFeed(token!);
          if (clientId === undefined) throw new HttpError('FEED_NOT_FOUND');
          const [state, archive] = await Promise.all([store.loadState(clientId), store.loadArchive(clientId)]);
          return asCalendar(state, clientId, archive);
        },
      },
    },
    {
      path: /^\/admin\/feeds\/([^/]+)$/,
      privileged: true,
      audit: { POST: 'feed rotate', DELETE: 'feed revoke' },
      clientIdParam: true,
      methods: {
        POST: async (req, [id]) => {
          const token = await store.rotateCalendarFeed(validClientId(id!));
          return {
            body: {
              status: 'issued',
              client_id: id,
              url: publicUrl(req, calendarFeedPath(token)),
              timestamp: timestamp(),
            },
          };
        },
        DELETE: async (_req, [id]) => {
          if (!(await store.revokeCalendarFeed(validClientId(id!))))
            throw new HttpError('FEED_NOT_FOUND', 'This client has no calendar feed');
          return { body: { status: 'revoked', client_id: id, timestamp: timestamp() } };
        },
      },
    },
  ];
}

/** The MeetingMuse assistant as the server mounts it: the engine, with its calendar routes. */
export function createMeetingAssistantEngine(
  options: MeetingAssistantOptions = {},
): ConversationEngine & { calendar: RenderCalendar } {
  const assistant = createMeetingAssistant(options);
  return { ...assistant, routes: (ctx) => calendarRoutes(assistant.calendar, ctx) };
}
