// The cost floor: a bare ws server on node:http that does what the protocol needs and nothing more.
// It greets each connection with one fixed frame, answers every frame with fixed frames without
// parsing or validating (one reply, or with RAW_FRAMES=2 `processing` then the reply, as our protocol
// does), and sends a fixed frame to every client on POST /admin/broadcast. Run by bench/run.ts;
// prints {"msg":"listening","port":N}.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const ESTABLISHED = JSON.stringify({
  type: 'system',
  content: 'connection_established',
  timestamp: new Date().toISOString(),
});
const PROCESSING = JSON.stringify({ type: 'system', content: 'processing', timestamp: new Date().toISOString() });
const REPLY = JSON.stringify({
  type: 'bot_response',
  content: 'Echo: fixed',
  timestamp: new Date().toISOString(),
  session_id: 'raw',
});
const BROADCAST = JSON.stringify({ type: 'bot_response', content: 'broadcast', timestamp: new Date().toISOString() });

const sendsProcessing = process.env.RAW_FRAMES === '2';

const wss = new WebSocketServer({ noServer: true, maxPayload: 65_536 });
const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/admin/broadcast') {
    req.resume();
    req.on('end', () => {
      let sent = 0;
      for (const ws of wss.clients) {
        ws.send(BROADCAST);
        sent++;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ successful_sends: sent }));
    });
    return;
  }
  res.writeHead(404).end();
});
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', () => {});
    ws.on('message', () => {
      if (sendsProcessing) ws.send(PROCESSING);
      ws.send(REPLY);
    });
    ws.send(ESTABLISHED);
  });
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
