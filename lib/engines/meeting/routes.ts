import type { ConversationEngine, EngineRouteContext } from '../../engine.ts';
import { HttpError } from '../../errors.ts';
import { isValidClientId } from '../../protocol.ts';
import type { Route } from '../../routes.ts';
import { createMeetingAssistant, type MeetingAssistantOptions } from './assistant.ts';

/** Renders a client's stored assistant state (and archived meetings) as an iCalendar document. */
type RenderCalendar = (state: unknown, clientId: string, archive: unknown[]) => string;

/**
 * `GET /calendar/{client_id}.ics`: the client's meetings as iCalendar, for a calendar app to
 * subscribe to; privileged like the admin routes. 404 when no session is stored for the client.
 */
export function calendarRoutes(render: RenderCalendar, { store }: EngineRouteContext): Route[] {
  return [
    {
      path: /^\/calendar\/([^/]+)\.ics$/,
      privileged: true,
      methods: {
        GET: async (_req, [id]) => {
          const session = isValidClientId(id!) ? await store.getSession(id!) : undefined;
          if (!session) throw new HttpError('SESSION_NOT_FOUND');
          return { body: render(session.state, id!, []), contentType: 'text/calendar; charset=utf-8' };
        },
      },
    },
  ];
}

/** The MeetingMuse assistant as the server mounts it: the engine, with its calendar route. */
export function createMeetingAssistantEngine(options: MeetingAssistantOptions = {}): ConversationEngine & { calendar: RenderCalendar } {
  const assistant = createMeetingAssistant(options);
  return { ...assistant, routes: (ctx) => calendarRoutes(assistant.calendar, ctx) };
}
