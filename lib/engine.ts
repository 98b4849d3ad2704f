import type { IncomingMessage } from 'node:http';
import type { Logger } from './logger.ts';
import type { EngineReply, UserMessage } from './protocol.ts';
import type { Route } from './routes.ts';
import type { Store } from './store.ts';

export type { EngineReply } from './protocol.ts';

/** What the engine knows about the turn it is answering. */
export interface EngineContext {
  clientId: string;
  /** Fires when the turn is abandoned (engineTimeoutMs or shutdown); a slow engine should stop then. */
  signal: AbortSignal;
  log: Logger;
  /** The state this engine returned on the session's previous turn; undefined on the first. */
  state: unknown;
  /**
   * Resolves to the client's secret calendar-feed URL (made on first use, revocable by an operator),
   * for the engine to hand to the user; absent when the server serves no feeds.
   */
  calendarFeedUrl?: () => Promise<string>;
}

export interface EngineOutput {
  /** Sent in order, one `bot_response` frame each. */
  replies: EngineReply[];
  /** Stored with the turn and handed back as `ctx.state` next turn; omit to keep the previous state. Must be JSON. */
  state?: unknown;
  /**
   * JSON items that leave the state for good (meetings long past): the store keeps them apart from the
   * state, so they cost a turn nothing, and the engine's routes can read them. Never given back as `ctx.state`.
   */
  archive?: unknown[];
}

/**
 * The conversation engine: the single plug-in point of the server. Turns of one client never overlap.
 * `reply` may throw or reject: the client gets INTERNAL_SERVER_ERROR, the error is logged, the socket
 * stays open and nothing of the turn is stored.
 */
export interface ConversationEngine {
  reply(message: UserMessage, ctx: EngineContext): EngineOutput | Promise<EngineOutput>;
  /** Called once by close(), after the last turn has settled. */
  dispose?(): void | Promise<void>;
  /**
   * The engine's own HTTP routes (the assistant's `/calendar/{client_id}.ics`), served beside the
   * server's under `basePath` and turned off with `routes: { engine: false }`. Called once, when the
   * server is created. A handler may throw an HttpError for a clean 4xx; anything else is a logged 500.
   */
  routes?(ctx: EngineRouteContext): Route[];
}

/** What an engine's routes may use. */
export interface EngineRouteContext {
  /** The server's store: the engine's state per client (`loadState`), its archive, its calendar-feed tokens. */
  store: Store;
  log: Logger;
  /** The absolute URL at which the client that sent `req` reaches `path` of this server (scheme, host, basePath). */
  publicUrl(req: IncomingMessage, path: string): string;
}

/** The Phase-1 placeholder: answers every message with "Echo: " and its content. */
export function createEchoEngine(): ConversationEngine {
  return { reply: (message) => ({ replies: [{ content: `Echo: ${message.content}` }] }) };
}
