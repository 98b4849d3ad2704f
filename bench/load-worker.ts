// One load-generator process for the round-trip scenario: opens its clients, then, for each run its
// parent asks for, keeps `window` messages in flight per client (closed loop) and records each round
// trip's latency, from the send to the bot_response that answers it, within the run's measured
// window. Replies of one client come in order, so a FIFO pairs them. With `prefill`, each client first
// sends that many messages one at a time, so its session holds history before the first run. The
// clients stay open between runs and close when the parent disconnects.
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

/** One run: sending starts at `startAtEpochMs`; replies are counted after `warmupMs`, for `durationMs`. */
export interface LoadWorkerRun {
  startAtEpochMs: number;
  warmupMs: number;
  durationMs: number;
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
const send = (message: unknown) => process.send!(message);
const payload = JSON.stringify({ type: 'user_message', content: message, session_id: idPrefix });
const REPLY = Buffer.from('"type":"bot_response"');
const ERROR = Buffer.from('"type":"error"');

/** A reply before sendFrom (one of an earlier run's last) or from measureTo on is not followed by another message. */
let sendFrom = Infinity;
let measureFrom = Infinity;
let measureTo = -Infinity;
let result: LoadWorkerResult = { roundTrips: 0, errors: 0, latenciesMs: [] };

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
    if (!isReply) result.errors++;
    else if (started >= measureFrom && now < measureTo) {
      result.roundTrips++;
      result.latenciesMs.push(now - started);
    }
    if (now >= sendFrom && now < measureTo) {
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

/** Runs one measured window and reports its result as it closes; the replies still in flight are not counted. */
function run({ startAtEpochMs, warmupMs, durationMs }: LoadWorkerRun): void {
  // Epoch times cross processes; performance.now() has a per-process origin.
  const startIn = Math.max(0, startAtEpochMs - Date.now());
  result = { roundTrips: 0, errors: 0, latenciesMs: [] };
  sendFrom = Infinity;
  measureFrom = performance.now() + startIn + warmupMs;
  measureTo = measureFrom + durationMs;
  setTimeout(() => {
    sendFrom = performance.now();
    sockets.forEach((ws) => ws.emit('start'));
  }, startIn);
  setTimeout(() => send(result), startIn + warmupMs + durationMs);
}

process.on('message', run);
process.once('disconnect', () => sockets.forEach((ws) => ws.terminate()));
send('ready');
