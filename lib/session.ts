import type { WebSocket, RawData } from 'ws';
import type { ClientConnection } from './connection-manager.ts';
import type { Logger } from './logger.ts';
import type { TurnPipeline } from './pipeline.ts';
import { binaryFrameDetails, errorFrame, parseUserMessage, type ServerFrame } from './protocol.ts';

export interface SessionDeps {
  pipeline: TurnPipeline;
  log: Logger;
}

/**
 * One socket's message loop: frame → JSON → valibot → the client's turn queue. Bad frames are answered
 * on this socket with INVALID_MESSAGE_FORMAT and the connection stays open.
 */
export function attachSession(connection: ClientConnection<WebSocket>, { pipeline, log }: SessionDeps): void {
  const { socket, clientId } = connection;
  const reply = (frame: ServerFrame) => socket.send(JSON.stringify(frame));

  socket.on('message', (data: RawData, isBinary: boolean) => {
    connection.messageCount++;
    if (isBinary) {
      log.debug('binary frame refused', { clientId });
      return reply(errorFrame('INVALID_MESSAGE_FORMAT', { details: binaryFrameDetails }));
    }
    // A text frame is always one Buffer: the socket's binaryType is ws's default, 'nodebuffer'.
    const parsed = parseUserMessage((data as Buffer).toString('utf8'));
    if (!parsed.ok) {
      log.debug('invalid message', { clientId, details: parsed.details });
      return reply(errorFrame('INVALID_MESSAGE_FORMAT', { details: parsed.details }));
    }
    const { message } = parsed;
    log.debug('message received', { clientId, content: message.content, messageId: message.message_id });
    const result = pipeline.submit(clientId, message);
    if (result === 'accepted') connection.turns++;
    else if (result === 'busy') reply(errorFrame('BUSY', { reply_to: message.message_id }));
  });
}
