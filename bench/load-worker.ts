// One load-generator process for the round-trip scenario: opens its clients, then keeps `window`
// messages in flight per client (closed loop) and records each round trip's latency, from the send
// to the bot_response that answers it. Replies of one client come in order, so a FIFO pairs them.
// With `prefill`, each client first sends that many messages one at a time, so its session holds
// history before the measured run.
import WebSocket from 'ws';

export interface LoadWorkerData {
  url: string;
  clients: number;
  window: number;
  idPrefix: string;
  message: string;
  /** Messages each client sends, one at a time, before it reports ready. Default 0. */
  prefill?: number;
}

export interface LoadWorkerResult {
  roundTrips: number;
  errors: number;
  latenciesMs: number[];
}

const {
  url,
  clients,
  window,
  idPrefix,
  message,
  prefill = 0,
} = JSON.parse(process.env.LOAD_WORKER_DATA!) as LoadWorkerData;
const send = (message: unknown, then?: () => void) => process.send!(message, undefined, {}, then);
const payload = JSON.stringify({ type: 'user_message', content: message, session_id: idPrefix });
const REPLY = Buffer.from('"type":"bot_response"');
const ERROR = Buffer.from('"type":"error"');

let measureFrom = Infinity;
let measureTo = Infinity;
let roundTrips = 0;
let errors = 0;
const latencies: number[] = [];

function openClient(index: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/ws/${idPrefix}-${index}`);
    ws.once('message', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends `count` messages, each after the previous one's reply. */
async function fillHistory(ws: WebSocket, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const replied = new Promise<void>((resolve) => {
      const onMessage = (data: Buffer) => {
        if (!data.includes(REPLY) && !data.includes(ERROR)) return;
        ws.off('message', onMessage);
        resolve();
      };
      ws.on('message', onMessage);
    });
    ws.send(payload);
    await replied;
  }
}

const sockets = await Promise.all(Array.from({ length: clients }, (_, i) => openClient(i)));
await Promise.all(sockets.map((ws) => fillHistory(ws, prefill)));
for (const ws of sockets) {
  const sentAt: number[] = [];
  ws.on('message', (data: Buffer) => {
    const isReply = data.includes(REPLY);
    if (!isReply && !data.includes(ERROR)) return;
    const now = performance.now();
    const started = sentAt.shift()!;
    if (!isReply) errors++;
    else if (started >= measureFrom && now < measureTo) {
      roundTrips++;
      latencies.push(now - started);
    }
    if (now < measureTo) {
      sentAt.push(performance.now());
      ws.send(payload);
    }
  });
  ws.on('start', () => {
    for (let i = 0; i < window; i++) {
      sentAt.push(performance.now());
      ws.send(payload);
    }
  });
}

process.on('message', (command: { startAtEpochMs: number; warmupMs: number; durationMs: number }) => {
  // Epoch times cross processes; performance.now() has a per-process origin.
  const startIn = command.startAtEpochMs - Date.now();
  measureFrom = performance.now() + startIn + command.warmupMs;
  measureTo = measureFrom + command.durationMs;
  setTimeout(() => sockets.forEach((ws) => ws.emit('start')), Math.max(0, startIn));
  setTimeout(
    () => {
      const result: LoadWorkerResult = { roundTrips, errors, latenciesMs: latencies };
      sockets.forEach((ws) => ws.terminate());
      send(result, () => process.disconnect());
    },
    Math.max(0, startIn) + command.warmupMs + command.durationMs + 500,
  );
});
send('ready');
