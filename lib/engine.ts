import type { Logger } from './logger.ts';
import type { EngineReply, UserMessage } from './protocol.ts';

export type { EngineReply } from './protocol.ts';

/** What the engine knows about the turn it is answering. */
export interface EngineContext {
  clientId: string;
  /** Fires when the turn is abandoned (ENGINE_TIMEOUT_MS or shutdown); a slow engine should stop then. */
  signal: AbortSignal;
  log: Logger;
  /** The state this engine returned on the session's previous turn; undefined on the first. */
  state: unknown;
}

export interface EngineOutput {
  /** Sent in order, one `bot_response` frame each. */
  replies: EngineReply[];
  /** Stored with the turn and handed back as `ctx.state` next turn; omit to keep the previous state. Must be JSON. */
  state?: unknown;
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
  /** Renders a client's stored state as an iCalendar document, served at GET /calendar/{client_id}.ics. */
  calendar?(state: unknown, clientId: string): string;
}

/** The Phase-1 placeholder: answers every message with "Echo: " and its content. */
export function createEchoEngine(): ConversationEngine {
  return { reply: (message) => ({ replies: [{ content: `Echo: ${message.content}` }] }) };
}
