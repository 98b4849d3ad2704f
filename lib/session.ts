import type { WebSocket, RawData } from 'ws';
import type { ClientConnection } from './connection-manager.ts';
import { guard } from './guard.ts';
import type { Logger } from './logger.ts';
import type { TurnPipeline } from './pipeline.ts';
import {
  binaryFrameDetails,
  canonicalTimeZone,
  CLOSE_CODES,
  CLOSE_REASONS,
  errorFrame,
  messageIdOf,
  parseUserMessage,
  type ServerFrame,
  type UserMessageSchema,
} from './protocol.ts';
import { TokenBucket } from './rate-limit.ts';

export interface RateLimit {
  /** Frames per second a client may send on average. */
  perSecond: number;
  /** Frames a client may send at once before the rate applies. */
  burst: number;
  /** Frames refused in a row after which the socket is closed with 1008. */
  strikes: number;
}

export interface SessionDeps {
  pipeline: TurnPipeline;
  log: Logger;
  schema: UserMessageSchema;
  rateLimit: RateLimit;
  /** Sends a serialized frame on this connection, minding its backlog. */
  send(data: string): void;
  /** The zone from the upgrade URL's ?tz=, if it had a valid one, in its canonical spelling. */
  timeZone?: string;
}

/**
 * One socket's message loop: rate limit → frame → JSON → valibot → the client's turn queue. Refused
 * frames are answered on this socket with an error frame and the connection stays open; only a
 * client that goes on flooding after `strikes` refusals in a row is closed.
 */
export function attachSession(connection: ClientConnection<WebSocket>, deps: SessionDeps): void {
  const { pipeline, log, schema, rateLimit } = deps;
  const { socket, clientId } = connection;
  const reply = (frame: ServerFrame) => deps.send(JSON.stringify(frame));
  const bucket = new TokenBucket(rateLimit.perSecond, rateLimit.burst);
  let strikes = 0;
  // The latest zone the client stated on this connection; every message carries it to the engine.
  let timeZone = deps.timeZone;

  function onMessage(data: RawData, isBinary: boolean): void {
    connection.messageCount++;
    const waitMs = bucket.take();
    if (waitMs > 0) {
      if (++strikes >= rateLimit.strikes) {
        log.warn('client closed for flooding', { clientId, strikes });
        return socket.close(CLOSE_CODES.policyViolation, CLOSE_REASONS.flooding);
      }
      const replyTo = isBinary ? undefined : messageIdOf((data as Buffer).toString('utf8'));
      return reply(errorFrame('RATE_LIMITED', { retry_after_ms: waitMs, reply_to: replyTo }));
    }
    strikes = 0;
    if (isBinary) {
      log.debug('binary frame refused', { clientId });
      return reply(errorFrame('INVALID_MESSAGE_FORMAT', { details: binaryFrameDetails }));
    }
    // A text frame is always one Buffer: the socket's binaryType is ws's default, 'nodebuffer'.
    const parsed = parseUserMessage((data as Buffer).toString('utf8'), schema);
    if (!parsed.ok) {
      log.debug('invalid message', { clientId, details: parsed.details });
      return reply(errorFrame('INVALID_MESSAGE_FORMAT', { details: parsed.details }));
    }
    const { message } = parsed;
    if (message.timezone !== undefined) {
      const canonical = canonicalTimeZone(message.timezone);
      if (canonical === undefined) return reply(errorFrame('INVALID_TIMEZONE', { reply_to: message.message_id }));
      timeZone = canonical;
    }
    if (timeZone !== undefined) message.timezone = timeZone;
    log.debug('message received', { clientId, content: message.content, messageId: message.message_id });
    const result = pipeline.submit(clientId, message);
    if (result === 'accepted') connection.turns++;
    else if (result === 'busy') reply(errorFrame('BUSY', { reply_to: message.message_id }));
    else reply(errorFrame('SHUTTING_DOWN', { reply_to: message.message_id }));
  }

  socket.on('message', (data: RawData, isBinary: boolean) =>
    guard(
      () => onMessage(data, isBinary),
      (err) => {
        log.error('message handler failed', { clientId, err });
        reply(errorFrame('INTERNAL_SERVER_ERROR'));
      },
    ),
  );
}
