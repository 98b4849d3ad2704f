// Soak test: many clients against a real server process on loopback, for a bounded time.
//   npm run soak -- [--clients 2000] [--seconds 120] [--allocator auto|glibc|jemalloc] [--json]
// Clients send at random rates, drop and reconnect at random, send garbage, and some never read.
// Reports replies lost to connected clients, server crashes, ConnectionManager entries left after
// every client left, and the server's RSS at start, peak and end. Exits 1 when a check fails.
// Start and end RSS are read after a full garbage collection, asked for over the server's inspector
// port (loopback only): Node never collects while idle, so without it the end figure would measure
// garbage not yet collected rather than memory the server still holds.
// The allocator matters for the end figure: glibc's malloc keeps its main heap fragmented after
// thousands of sockets come and go (about 15-20 MB here), jemalloc hands it back. `auto` preloads
// jemalloc (Debian: libjemalloc2) into the server process when it is installed, and says which it used.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { rssBytes, startServerProcess } from '../bench/process-stats.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '120' },
    allocator: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
  },
});
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
if (!(CLIENTS >= 1 && CLIENTS <= 20_000 && SECONDS >= 1 && SECONDS <= 3_600)) {
  console.error('--clients must be 1..20000 and --seconds 1..3600');
  process.exit(2);
}
const JEMALLOC = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
].find((path) => existsSync(path));
if (!['auto', 'glibc', 'jemalloc'].includes(values.allocator!) || (values.allocator === 'jemalloc' && !JEMALLOC)) {
  console.error('--allocator must be auto, glibc or jemalloc (jemalloc needs libjemalloc2 installed)');
  process.exit(2);
}
const allocator = values.allocator === 'glibc' || !JEMALLOC ? 'glibc' : 'jemalloc';
const log = (line: string) => values.json || console.log(line);
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'meetingmuse-soak-'));
const random = (min: number, max: number) => min + Math.random() * (max - min);

// The server process under test. Every client shares 127.0.0.1, so the per-address limits are lifted;
// the per-client rate limit stays at its default and is part of what is exercised.
const server = await startServerProcess(['--import', 'tsx', 'server.ts'], {
  cwd: root,
  env: {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    MEETINGMUSE_DB: join(dir, 'soak.db'),
    CONNECT_RATE_PER_MIN: '1000000',
    MAX_CONNECTIONS_PER_IP: '1000000',
    ...(allocator === 'jemalloc' ? { LD_PRELOAD: JEMALLOC } : {}),
  },
});
const { port } = server;
const base = `http://127.0.0.1:${port}`;
const rss = () => rssBytes(server.pid);

const GARBAGE: Array<() => string | Buffer> = [
  () => '{"content":',
  () => JSON.stringify({ content: 42, session_id: 's' }),
  () => JSON.stringify([1, 2, 3]),
  () => Buffer.from(Array.from({ length: Math.floor(random(1, 256)) }, () => Math.floor(random(0, 256)))),
  () => 'x'.repeat(Math.floor(random(1, 5000))),
];

/** One simulated user. Accounting is per connection: every frame it sends must get one final answer. */
class SoakClient {
  readonly id: string;
  readonly neverReads = Math.random() < 0.05;
  readonly flaky = Math.random() < 0.2;
  readonly garbageRatio = Math.random() < 0.2 ? 0.3 : 0;
  readonly intervalMs = random(150, 3_000);
  ws?: WebSocket;
  sent = 0;
  answered = 0;
  mine = new Set<string>();
  timer?: NodeJS.Timeout;
  sequence = 0;

  constructor(index: number) {
    this.id = `soak-${index}`;
  }

  connect(): void {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/${this.id}`);
    this.ws = ws;
    this.sent = 0;
    this.answered = 0;
    this.mine = new Set();
    ws.on('error', () => {});
    ws.on('open', () => {
      if (this.neverReads) ws.pause();
      this.schedule();
    });
    ws.on('message', (data) => this.receive(JSON.parse(data.toString()) as Record<string, unknown>));
    ws.on('close', () => {
      clearTimeout(this.timer);
      totals.closedWithPending += this.sent - this.answered;
      if (phase === 'load' && this.flaky) setTimeout(() => phase === 'load' && this.connect(), random(50, 1_000));
    });
  }

  schedule(): void {
    this.timer = setTimeout(() => this.tick(), random(0.5, 1.5) * this.intervalMs);
  }

  tick(): void {
    const ws = this.ws!;
    if (phase !== 'load' || ws.readyState !== WebSocket.OPEN) return;
    if (this.flaky && Math.random() < 0.05) {
      if (Math.random() < 0.5) ws.close(1000);
      else ws.terminate();
      return;
    }
    if (Math.random() < this.garbageRatio) {
      ws.send(GARBAGE[Math.floor(random(0, GARBAGE.length))]!());
    } else {
      const messageId = `${this.id}-${++this.sequence}-${Date.now()}`;
      this.mine.add(messageId);
      ws.send(
        JSON.stringify({
          type: 'user_message',
          content: `message ${this.sequence}`,
          session_id: this.id,
          message_id: messageId,
        }),
      );
    }
    this.sent++;
    totals.sent++;
    this.schedule();
  }

  receive(frame: Record<string, unknown>): void {
    totals.frames++;
    const replyTo = frame.reply_to as string | undefined;
    const final = frame.type === 'bot_response' || frame.type === 'error';
    if (!final) return;
    // Replies to an earlier connection's messages (resumed sessions) are not this connection's to count.
    if (replyTo !== undefined && !this.mine.delete(replyTo)) return;
    this.answered++;
    if (phase === 'drain' && this.outstanding() === 0) wakeDrain?.();
  }

  outstanding(): number {
    return this.ws?.readyState === WebSocket.OPEN && !this.neverReads ? this.sent - this.answered : 0;
  }
}

let phase: 'load' | 'drain' | 'leave' = 'load';
let wakeDrain: (() => void) | undefined;
const totals = { sent: 0, frames: 0, closedWithPending: 0 };

async function waitUntil(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

const activeConnections = async () =>
  ((await (await fetch(`${base}/health`)).json()) as { active_connections: number }).active_connections;

// Warm-up: a short round so "start" RSS includes compiled code and the database, not a cold process.
const warm = Array.from(
  { length: Math.min(50, CLIENTS) },
  (_, i) => new WebSocket(`ws://127.0.0.1:${port}/ws/warmup-${i}`),
);
await Promise.all(warm.map((ws) => new Promise((resolve) => ws.once('message', resolve))));
warm.forEach((ws) => ws.close());
await waitUntil(async () => (await activeConnections()) === 0, 10_000);
await server.collectGarbage();
const memory = { start: rss(), peak: 0, end: 0 };
memory.peak = memory.start;
const sampler = setInterval(() => {
  if (!server.crashed) memory.peak = Math.max(memory.peak, rss());
}, 250);

log(`soak: ${CLIENTS} clients for ${SECONDS} s against 127.0.0.1:${port} (server allocator: ${allocator})`);
const clients = Array.from({ length: CLIENTS }, (_, i) => new SoakClient(i));
for (const [i, client] of clients.entries()) {
  client.connect();
  if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 20));
}
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));

phase = 'drain';
const outstanding = () => clients.reduce((sum, c) => sum + c.outstanding(), 0);
await Promise.race([
  new Promise<void>((resolve) => {
    wakeDrain = () => outstanding() === 0 && resolve();
    wakeDrain();
  }),
  new Promise((resolve) => setTimeout(resolve, 15_000)),
]);
const lost = outstanding();

phase = 'leave';
for (const client of clients) client.ws?.terminate();
const emptied = await waitUntil(async () => !server.crashed && (await activeConnections()) === 0, 15_000);
const crashed = server.crashed;
const entriesLeft = crashed ? -1 : await activeConnections();
// The heap shrinks over a few collections; give it up to 10 s to hand memory back.
await waitUntil(async () => {
  await server.collectGarbage();
  return rss() <= memory.start * 1.1;
}, 10_000);
memory.end = rss();
clearInterval(sampler);

await server.stop();
rmSync(dir, { recursive: true, force: true });

const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const report = {
  clients: CLIENTS,
  seconds: SECONDS,
  allocator,
  framesSent: totals.sent,
  framesReceived: totals.frames,
  lostReplies: lost,
  serverCrashes: crashed ? 1 : 0,
  entriesLeft,
  rssMiB: { start: mib(memory.start), peak: mib(memory.peak), end: mib(memory.end) },
  rssEndWithin10Percent: memory.end <= memory.start * 1.1,
};
const ok =
  report.lostReplies === 0 &&
  report.serverCrashes === 0 &&
  emptied &&
  entriesLeft === 0 &&
  report.rssEndWithin10Percent;
if (values.json) console.log(JSON.stringify({ ...report, ok }));
else {
  log(`frames sent ${report.framesSent}, received ${report.framesReceived}`);
  log(`replies lost to connected clients: ${report.lostReplies}`);
  log(`server crashes: ${report.serverCrashes}`);
  log(`ConnectionManager entries left: ${report.entriesLeft}`);
  log(`server RSS MiB: start ${report.rssMiB.start}, peak ${report.rssMiB.peak}, end ${report.rssMiB.end}`);
  log(ok ? 'soak passed' : 'soak FAILED');
}
process.exit(ok ? 0 : 1);
